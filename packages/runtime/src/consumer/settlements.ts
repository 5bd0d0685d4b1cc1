/**
 * Applying an outcome to a message: ack (a skip is an ack too), `nak(delay)` for a retry or a
 * release, or a dead-letter publish followed by `term`; each in its settle span, with its event
 * and metric once the server confirmed it. Also the end of a dedup claim (done or released).
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { RandomSource } from "../backoff.js";
import type { JsHandles } from "../connection.js";
import { maxDeliverFor } from "../consumer-config.js";
import {
  DEFAULT_DEAD_LETTER_PUBLISH,
  type DeadLetterReason,
  publishDeadLetter,
} from "../dead-letter.js";
import type { ClaimToken, DedupStore, MaybePromise } from "../dedup/types.js";
import type { ConsumerDescriptor } from "../descriptors.js";
import { sleepMs } from "../duration.js";
import { errorClassName, errorMessage } from "../errors.js";
import type {
  ConsumerEvents,
  DuplicateSkippedEvent,
  EventHub,
  MessageEventBase,
} from "../events.js";
import { type Attributes, type RuntimeMetrics, recordSpanError } from "../telemetry.js";
import { unansweredPauseMs } from "../unanswered.js";
import type { CompletionGuard } from "./completions.js";
import {
  isLastDelivery,
  type ReleaseOutcome,
  type SettleKind,
  whenDeadLetterFails,
} from "./decisions.js";
import { type InFlight, inFlight } from "./handler.js";
import type { AttemptLedger, LedgerEntry } from "./ledger.js";
import type { Settler } from "./settler.js";
import type { ConsumerTracing, MessageTrace } from "./tracing.js";
import type { ConsumerOptions } from "./types.js";

/** Tries of a done marker before giving up (the store is down for about two minutes). */
const DONE_MARKER_TRIES = 120;

/** What the consumer shares with the settlements of its messages. */
export interface SettlementScope {
  readonly d: Pick<
    ConsumerDescriptor<unknown>,
    "operationId" | "stream" | "durable" | "retry" | "deadLetter"
  >;
  readonly options: ConsumerOptions;
  readonly handles: JsHandles;
  readonly settler: Settler;
  readonly ledger: AttemptLedger;
  readonly tracing: ConsumerTracing;
  readonly hub: EventHub<ConsumerEvents>;
  readonly metrics: RuntimeMetrics;
  readonly attrs: Attributes;
  readonly random: RandomSource;
  /** The effective ack wait: how long a settle may be re-sent. */
  readonly ackWaitMs: number;
  /** Whether the server understands `term(reason)` (2.10.4+). */
  readonly termWithReason: boolean;
  readonly store: DedupStore | undefined;
  readonly completions: CompletionGuard | undefined;
  running(): boolean;
  /** Keeps a task until it settles, so a stop waits for it. */
  hold(task: Promise<void>): void;
  emitError(stage: string, error: unknown, streamSequence?: number): void;
}

export class Settlements {
  constructor(private readonly s: SettlementScope) {}

  /** The fields every message event carries. */
  base(m: JsMsg, attempt: number): MessageEventBase {
    return {
      operationId: this.s.d.operationId,
      stream: this.s.d.stream,
      consumer: this.s.d.durable,
      subject: m.subject,
      streamSequence: m.seq,
      deliveryCount: m.info.deliveryCount,
      attempt,
    };
  }

  /**
   * Acks a handled message. The handler's slot is free once the ack is on its way: its
   * confirmation (one round trip, more while a consumer leader is elected) runs on without one.
   * `doneOnAckToken`: a claim to mark done if the ack cannot be confirmed.
   */
  acked(
    m: JsMsg,
    doneOnAckToken: ClaimToken | undefined,
    attempt: number,
    sinceMs: number,
    traced: MessageTrace,
  ): void {
    this.s.hold(this.#ack(m, doneOnAckToken, attempt, sinceMs, traced));
  }

  /** Acks a duplicate without running the handler (awaited: a slot holds it). */
  async skipped(
    m: JsMsg,
    attempt: number,
    key: string,
    reason: DuplicateSkippedEvent["reason"],
    traced: MessageTrace,
  ): Promise<void> {
    const { ledger, hub, metrics, attrs } = this.s;
    await this.#ack(m, undefined, attempt, Date.now(), traced);
    ledger.forget(m.seq);
    if (hub.has("duplicateSkipped")) {
      hub.emit("duplicateSkipped", { ...this.base(m, attempt), idempotencyKey: key, reason });
    }
    metrics.count("duplicateSkipped", attrs);
  }

  /** A spent attempt with another to follow: `nak(delay)`. */
  retried(
    entry: InFlight,
    delayMs: number,
    failure: unknown,
    attempt: number,
    traced: MessageTrace,
  ): void {
    const m = entry.msg;
    if (this.#lastDelivery(entry, failure, attempt, traced)) return;
    const { ledger, settler, hub, metrics, attrs } = this.s;
    ledger.delayed(m.seq, delayMs);
    this.s.hold(
      this.#settle(
        "nak",
        "nak",
        m,
        (deadline) => settler.nak(m, delayMs, deadline),
        entry.lastBeatMs,
        traced,
      ).then((sent) => {
        if (!sent) return;
        if (hub.has("retryScheduled")) {
          hub.emit("retryScheduled", { ...this.base(m, attempt), delayMs, error: failure });
        }
        metrics.count("retryScheduled", attrs);
      }),
    );
  }

  /** Gives a delivery back without spending an attempt. */
  released(
    m: JsMsg,
    outcome: ReleaseOutcome,
    attempt: number | undefined,
    traced?: MessageTrace,
    sinceMs?: number,
  ): void {
    const a = attempt ?? this.s.ledger.attemptOf(m.seq, m.info.deliveryCount);
    const why = new Error(`given back (${outcome.reason}) on its last delivery`);
    if (this.#lastDelivery(inFlight(m), why, a, traced ?? this.s.tracing.traceOf(m))) return;
    this.#release(m, outcome, a, traced, sinceMs);
  }

  /**
   * On the server's last delivery (`max_deliver`) a nak would strand the message: dead-letter
   * it now instead. True when it did.
   */
  #lastDelivery(entry: InFlight, cause: unknown, attempt: number, traced: MessageTrace): boolean {
    const { d, ledger } = this.s;
    const m = entry.msg;
    const maxDeliver = maxDeliverFor(d.retry);
    if (!isLastDelivery(m.info.deliveryCount, maxDeliver)) return false;
    const error = new Error(
      `deliveries exhausted: delivery ${m.info.deliveryCount} of max_deliver ${maxDeliver} would be given back, and the server delivers it no more (${errorMessage(cause)})`,
    );
    this.s.hold(
      this.deadLettered(entry, error, "max-deliveries", attempt, ledger.get(m.seq), traced),
    );
    return true;
  }

  /** `nak(delay)` without spending an attempt (no last-delivery check: see `deadLettered`). */
  #release(
    m: JsMsg,
    outcome: ReleaseOutcome,
    a: number,
    traced?: MessageTrace,
    sinceMs?: number,
  ): void {
    const { ledger, settler, hub, metrics, attrs, tracing } = this.s;
    // Counted before the nak goes out: the redelivery can follow it at once.
    ledger.released(m.seq);
    this.s.hold(
      this.#settle(
        "nak",
        "release",
        m,
        (deadline) => settler.nak(m, outcome.delayMs, deadline),
        sinceMs ?? Date.now(),
        traced ?? tracing.traceOf(m),
      ).then((sent) => {
        if (!sent) return;
        if (hub.has("released")) {
          hub.emit("released", {
            ...this.base(m, a),
            delayMs: outcome.delayMs,
            reason: outcome.reason,
          });
        }
        metrics.count("released", attrs);
      }),
    );
  }

  /**
   * Publishes the message to its dead-letter subject, then terminates it once the DLQ stream
   * acknowledged the copy. A failed publish releases it (it comes back and is dead-lettered on a
   * later delivery); nothing is lost at any step.
   */
  async deadLettered(
    entry: InFlight,
    error: unknown,
    reason: DeadLetterReason,
    attempt: number,
    history: LedgerEntry | undefined,
    traced: MessageTrace,
  ): Promise<void> {
    const m = entry.msg;
    const { d, options, hub, metrics, attrs, ledger, settler } = this.s;
    const now = Date.now();
    const errorClass = errorClassName(error);
    const message = errorMessage(error);
    let deadLetterSeq: number | undefined;
    let duplicate = false;
    if (d.deadLetter) {
      try {
        const result = await publishDeadLetter(
          this.s.handles,
          d.deadLetter,
          m.data,
          m.headers,
          {
            originSubject: m.subject,
            originStream: d.stream,
            originSequence: m.seq,
            originConsumer: d.durable,
            attempts: attempt,
            deliveries: m.info.deliveryCount,
            errorClass,
            errorMessage: message,
            firstFailureAt: new Date(history?.firstFailureAtMs ?? now),
            lastFailureAt: new Date(history?.lastFailureAtMs ?? now),
            reason,
          },
          options.deadLetterPublish ?? DEFAULT_DEAD_LETTER_PUBLISH,
          this.s.random,
        );
        deadLetterSeq = result.seq;
        duplicate = result.duplicate;
      } catch (publishError) {
        this.s.emitError("dead-letter", publishError, m.seq);
        // Given back even on the last delivery: the catcher's advisory path may still take it.
        this.#release(m, whenDeadLetterFails(d.retry, this.s.random), attempt, traced);
        return;
      }
    } else {
      options.logger?.warn("message terminated without a dead-letter target", {
        stream: d.stream,
        seq: m.seq,
        errorClass,
      });
    }
    await options.faults?.beforeTerm?.(m.seq);
    if (entry.released) return;
    // Servers before 2.10.4 ignore `term(reason)` and redeliver: bare term there.
    const termReason = this.s.termWithReason ? `${reason}: ${errorClass}` : undefined;
    this.s.hold(
      this.#settle(
        "term",
        "term",
        m,
        (deadline) => settler.term(m, termReason, deadline),
        entry.lastBeatMs,
        traced,
      ).then((sent) => {
        if (!sent) return;
        ledger.forget(m.seq);
        if (hub.has("deadLettered")) {
          hub.emit("deadLettered", {
            ...this.base(m, attempt),
            deadLetterSubject: d.deadLetter?.subject,
            deadLetterStream: d.deadLetter?.stream,
            deadLetterSeq,
            duplicate,
            reason,
            errorClass,
            errorMessage: message,
          });
        }
        metrics.count("deadLettered", attrs);
      }),
    );
  }

  /**
   * Ends a claim. Recording done is retried (the message stays in flight, heartbeating, with its
   * lease renewed) until it succeeds or the consumer stops: acking without a done marker would
   * let a redelivery after a server crash run the handler again. A release is tried once (a
   * lost release only delays the key until the lease ends). Undefined when a synchronous store
   * (memory) ended it at once: no promise per message then.
   */
  endClaim(token: ClaimToken, done: boolean): Promise<void> | undefined {
    const store = this.s.store;
    if (!store) return undefined;
    let result: MaybePromise<void>;
    try {
      result = done ? store.complete(token) : store.release(token);
    } catch (error) {
      return this.#endClaimFailed(store, token, done, error);
    }
    if (!(result instanceof Promise)) return undefined;
    return result.then(undefined, (error: unknown) =>
      this.#endClaimFailed(store, token, done, error),
    );
  }

  async #endClaimFailed(
    store: DedupStore,
    token: ClaimToken,
    done: boolean,
    error: unknown,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      this.s.emitError(done ? "dedup-complete" : "dedup-release", error);
      if (!done || !this.s.running() || attempt >= DONE_MARKER_TRIES) return;
      await sleepMs(unansweredPauseMs(attempt));
      try {
        await store.complete(token);
        return;
      } catch (e) {
        error = e;
      }
    }
  }

  /** A heartbeat for `m` (a refused one is an error event). */
  working(m: JsMsg): void {
    try {
      this.s.settler.working(m);
    } catch (error) {
      this.s.emitError("working", error, m.seq);
    }
  }

  #ack(
    m: JsMsg,
    doneOnAckToken: ClaimToken | undefined,
    attempt: number,
    sinceMs: number,
    traced: MessageTrace,
  ): Promise<void> {
    const settler = this.s.settler;
    return this.#settle("ack", "ack", m, (at) => settler.ack(m, at), sinceMs, traced).then(
      (sent) => {
        // Unconfirmed: the message may come back; the dedup store makes that a skip.
        if (!sent) return doneOnAckToken ? this.endClaim(doneOnAckToken, true) : undefined;
        const { ledger, completions, hub, metrics, attrs } = this.s;
        ledger.forget(m.seq);
        completions?.ackConfirmed();
        if (hub.has("acked")) hub.emit("acked", this.base(m, attempt));
        metrics.count("acked", attrs);
        return undefined;
      },
    );
  }

  /**
   * Sends an ack, nak or term in its settle span; re-sent while unanswered until the ack wait,
   * counted from `sinceMs` (the delivery's last heartbeat), has passed. Resolves true once the
   * server confirmed it (or it was sent, without confirmation); false after an error event.
   * (Promise chains rather than async functions: this runs once per message.)
   */
  #settle(
    op: SettleKind,
    stage: string,
    m: JsMsg,
    send: (deadlineAtMs: number) => Promise<void>,
    sinceMs: number,
    traced: MessageTrace,
  ): Promise<boolean> {
    const span = this.s.tracing.startSettle(op, m, traced);
    return send(sinceMs + this.s.ackWaitMs).then(
      () => {
        span?.end();
        return true;
      },
      (error: unknown) => {
        if (span) {
          recordSpanError(span, error);
          span.end();
        }
        this.s.emitError(stage, error, m.seq);
        return false;
      },
    );
  }
}
