/**
 * Redelivered completions, for a `doneOnAck` dedup store (KV, `doneMarker: "ack"`, the default),
 * where the acked claim is the only record that a message was handled. A server killed with
 * SIGKILL can lose its most recent acks (even confirmed ones) and redeliver those messages, so:
 * - the messages this process completed are remembered (stream sequence and key, a bounded LRU
 *   with TTL): a redelivery of one is acked again without running the handler;
 * - when the connection drops, the completions acked shortly before are pinned (kept whatever
 *   the LRU bound) and, after the reconnect, get a done marker, so a redelivery that reaches
 *   another process is skipped too.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import type { ClaimToken, DedupStore } from "../dedup/types.js";
import { sleepMs } from "../duration.js";
import { LruTtlMap } from "../lru.js";
import { unansweredPauseMs } from "../unanswered.js";

/** A message this process handled and acked. */
interface Completed {
  readonly key: string;
  readonly token: ClaimToken;
  readonly atMs: number;
  sweeping?: boolean;
}

/** Completed messages remembered at least (count bound of the LRU). */
const COMPLETED_MAX_ENTRIES = 20_000;
/** Least time a completed message is remembered (the TTL is also at least 2 × ack wait). */
const COMPLETED_MIN_TTL_MS = 120_000;
/**
 * On a disconnect, completions acked up to this long before the last confirmed ack are pinned
 * and get done markers: well above the delay with which nats-server writes consumer state
 * (a background flusher, milliseconds behind the acks on 2.9, more under load).
 */
const AT_RISK_WINDOW_MS = 5_000;
/** Pinned completions kept at most (oldest dropped beyond). */
const PINNED_MAX_ENTRIES = 200_000;
/** Done markers written at once while sweeping. */
const SWEEP_BATCH = 256;

export interface CompletionGuardOptions {
  readonly store: DedupStore;
  readonly ackWaitMs: number;
  readonly running: () => boolean;
  readonly onError: (stage: string, error: unknown, streamSequence?: number) => void;
}

export class CompletionGuard {
  readonly #completed: LruTtlMap<number, Completed>;
  readonly #pinned = new Map<number, Completed>();
  readonly #sweeps = new Set<Promise<void>>();
  #lastAckConfirmedMs = 0;
  #statusIter: AsyncIterable<unknown> | undefined;
  #statusTask: Promise<void> | undefined;

  constructor(private readonly options: CompletionGuardOptions) {
    this.#completed = new LruTtlMap(
      COMPLETED_MAX_ENTRIES,
      Math.max(COMPLETED_MIN_TTL_MS, 2 * options.ackWaitMs),
    );
  }

  /** Remembers a completion; called before its ack goes out (a redelivery can only follow it). */
  remember(seq: number, key: string, token: ClaimToken): void {
    this.#completed.set(seq, { key, token, atMs: Date.now() });
  }

  /** Whether this process already handled and acked this message (same sequence and key). */
  handled(seq: number, key: string): boolean {
    const done = this.#completed.get(seq) ?? this.#pinned.get(seq);
    return done !== undefined && done.key === key;
  }

  /** An ack was confirmed now (the at-risk window is counted back from the last one). */
  ackConfirmed(): void {
    this.#lastAckConfirmedMs = Date.now();
  }

  /** Pins at-risk completions on each disconnect and sweeps them after each reconnect. */
  watch(nc: NatsConnection): void {
    const iter = nc.status();
    this.#statusIter = iter;
    this.#statusTask = (async () => {
      try {
        for await (const status of iter) {
          if (status.type === "disconnect") this.#pinAtRisk();
          else if (status.type === "reconnect") this.#sweepPinned();
        }
      } catch (error) {
        this.options.onError("connection-status", error);
      }
    })();
  }

  /** Stops watching the connection and waits for the sweeps under way. */
  async stop(): Promise<void> {
    (this.#statusIter as { stop?: () => void } | undefined)?.stop?.();
    this.#statusIter = undefined;
    await this.#statusTask;
    await Promise.allSettled([...this.#sweeps]);
  }

  #pinAtRisk(): void {
    if (this.#lastAckConfirmedMs === 0) return;
    const since = this.#lastAckConfirmedMs - AT_RISK_WINDOW_MS;
    for (const [seq, c] of this.#completed.entries()) {
      if (c.atMs >= since) this.#pinned.set(seq, c);
    }
    while (this.#pinned.size > PINNED_MAX_ENTRIES) {
      const oldest = this.#pinned.keys().next();
      if (oldest.done) break;
      this.#pinned.delete(oldest.value);
    }
  }

  /** Writes done markers for the pinned completions, a batch at a time; unpins each written. */
  #sweepPinned(): void {
    const todo = [...this.#pinned].filter(([, c]) => !c.sweeping);
    if (todo.length === 0) return;
    for (const [, c] of todo) c.sweeping = true;
    const { store, running, onError } = this.options;
    const task = async () => {
      for (let i = 0; i < todo.length; i += SWEEP_BATCH) {
        await Promise.all(
          todo.slice(i, i + SWEEP_BATCH).map(async ([seq, c]) => {
            // Retried while running (the KV stream may still be recovering); if it never
            // goes through, the completion stays pinned and is tried again on a reconnect.
            for (let attempt = 1; ; attempt++) {
              try {
                await store.complete(c.token);
                this.#pinned.delete(seq);
                break;
              } catch (error) {
                onError("dedup-complete", error, seq);
                if (!running() || attempt >= 60) break;
                await sleepMs(unansweredPauseMs(attempt));
              }
            }
            c.sweeping = false;
          }),
        );
      }
    };
    const sweep = task();
    this.#sweeps.add(sweep);
    void sweep.finally(() => this.#sweeps.delete(sweep));
  }
}
