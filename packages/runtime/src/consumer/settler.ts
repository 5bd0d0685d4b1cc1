/**
 * Sends acks, naks and terms (the ack protocol: messages on a delivery's reply subject) and, by
 * default, waits for the server's confirmation.
 *
 * Settles are queued and sent together once per event-loop turn: plain messages, and one request
 * on the last of the batch, since the server handles one connection's acks in order and the reply
 * to the last confirms them all (one round trip per batch, one socket write for many acks).
 *
 * A batch that goes unanswered (no responders or a timeout: a consumer leader election, while the
 * client's connection stays up) is sent again, with pauses, until it is confirmed or each
 * settle's deadline (the ack wait) passes; `shouldResend` decides which settles may be repeated.
 * Sent by hand rather than through nats.js's `JsMsg` (which sends each message's ack only once).
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { msToNanos } from "../duration.js";
import { ConfigurationError } from "../errors.js";
import { unanswered, unansweredPauseMs } from "../unanswered.js";
import { type SettleKind, shouldResend } from "./decisions.js";

/** How long one confirmation request waits for its reply (at most; less near the deadline). */
const CONFIRM_TIMEOUT_MS = 5_000;

const encoder = new TextEncoder();
const ACK = encoder.encode("+ACK");
const WORKING = encoder.encode("+WPI");
const TERM = encoder.encode("+TERM");

interface Pending {
  readonly kind: SettleKind;
  readonly reply: string;
  readonly payload: Uint8Array;
  readonly deadlineAtMs: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The reply subject of a delivery (`$JS.ACK.<stream>.<consumer>...`), where acks, naks and terms
 * go. nats.js v3's `JsMsg` implementation has it (`reply`), though its type does not declare it.
 */
export function replySubject(m: JsMsg): string {
  const reply = (m as unknown as { reply?: unknown }).reply;
  if (typeof reply !== "string" || reply === "") {
    throw new ConfigurationError(
      "this nats.js version's JetStream messages carry no reply subject",
    );
  }
  return reply;
}

export interface SettlerOptions {
  /** Wait for the server's confirmation (and re-send unanswered settles); default true. */
  readonly confirm: boolean;
  /** Test seam: drop this ack while reporting it confirmed (a server that lost it). */
  readonly dropAck?: ((streamSequence: number) => boolean) | undefined;
}

export class Settler {
  #queue: Pending[] = [];
  #flushScheduled = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: SettlerOptions,
  ) {}

  /** Resolves once the ack is confirmed; rejects when it could not be before `deadlineAtMs`. */
  ack(m: JsMsg, deadlineAtMs: number): Promise<void> {
    if (this.options.dropAck?.(m.seq)) return Promise.resolve();
    return this.#enqueue("ack", m, ACK, deadlineAtMs);
  }

  /** Asks for a redelivery after `delayMs` (at least 1 ms, see `release`). */
  nak(m: JsMsg, delayMs: number, deadlineAtMs: number): Promise<void> {
    const delay = JSON.stringify({ delay: msToNanos(Math.max(1, delayMs)) });
    return this.#enqueue("nak", m, encoder.encode(`-NAK ${delay}`), deadlineAtMs);
  }

  /** Stops redeliveries; `reason` only for servers that understand it (2.10.4+). */
  term(m: JsMsg, reason: string | undefined, deadlineAtMs: number): Promise<void> {
    const payload = reason ? encoder.encode(`+TERM ${reason}`) : TERM;
    return this.#enqueue("term", m, payload, deadlineAtMs);
  }

  /** Extends the ack deadline (a heartbeat: never confirmed, never repeated). */
  working(m: JsMsg): void {
    this.nc.publish(replySubject(m), WORKING);
  }

  #enqueue(kind: SettleKind, m: JsMsg, payload: Uint8Array, deadlineAtMs: number): Promise<void> {
    // The caller holds the promise until it settles (a stop waits for it).
    return new Promise<void>((resolve, reject) => {
      const reply = replySubject(m);
      this.#queue.push({ kind, reply, payload, deadlineAtMs, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    this.#flushScheduled = false;
    this.#send(batch, 1);
  }

  /** Sends a batch; the request on its last settle confirms all of them. */
  #send(batch: readonly Pending[], round: number): void {
    const confirm = this.options.confirm;
    const sent: Pending[] = [];
    let latest = 0;
    const last = batch.length - 1;
    for (let i = 0; i <= last; i++) {
      const item = batch[i] as Pending;
      if (confirm) {
        latest = Math.max(latest, item.deadlineAtMs);
        if (i === last) {
          sent.push(item);
          break;
        }
      }
      try {
        this.nc.publish(item.reply, item.payload);
        if (confirm) sent.push(item);
        else item.resolve();
      } catch (error) {
        item.reject(error); // the connection refused it (closed, draining)
      }
    }
    const confirmer = sent[sent.length - 1];
    if (!confirm || confirmer === undefined) return;
    const timeout = Math.max(1, Math.min(CONFIRM_TIMEOUT_MS, latest - Date.now()));
    this.nc.request(confirmer.reply, confirmer.payload, { timeout }).then(
      () => {
        for (const item of sent) item.resolve();
      },
      (error: unknown) => {
        const failure = unanswered(error);
        const now = Date.now();
        const again = sent.filter((i) => shouldResend(i.kind, failure, now, i.deadlineAtMs));
        for (const item of sent) if (!again.includes(item)) item.reject(error);
        if (again.length > 0)
          setTimeout(() => this.#send(again, round + 1), unansweredPauseMs(round));
      },
    );
  }
}
