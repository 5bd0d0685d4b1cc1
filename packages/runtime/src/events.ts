/**
 * Typed lifecycle events. A hub keeps listeners per event name; producers check `has(name)`
 * before building an event object, so an unobserved event costs one property read.
 */
import type { DeadLetterReason } from "./dead-letter.js";

/** Optional structured logger (pino/bunyan/console-compatible shape). No logging by default. */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Hooks given as options: one optional callback per event. */
export type Hooks<E> = { readonly [K in keyof E]?: (event: E[K]) => void };

/** Subscribe side of a hub. */
export interface EventSource<E> {
  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(name: K, listener: (event: E[K]) => void): () => void;
  /** Resolves with the next event of `name` that satisfies `filter` (handy in tests and scripts). */
  once<K extends keyof E>(
    name: K,
    filter?: (event: E[K]) => boolean,
    signal?: AbortSignal,
  ): Promise<E[K]>;
}

export class EventHub<E> implements EventSource<E> {
  readonly #listeners = new Map<keyof E, Array<(event: never) => void>>();

  constructor(
    hooks?: Hooks<E>,
    private readonly logger?: Logger,
  ) {
    if (hooks) {
      for (const name of Object.keys(hooks) as Array<keyof E>) {
        const fn = hooks[name];
        if (fn) this.on(name, fn);
      }
    }
  }

  /** True when at least one listener waits for `name`. */
  has(name: keyof E): boolean {
    return this.#listeners.has(name);
  }

  on<K extends keyof E>(name: K, listener: (event: E[K]) => void): () => void {
    const list = this.#listeners.get(name) ?? [];
    list.push(listener as (event: never) => void);
    this.#listeners.set(name, list);
    return () => {
      const current = this.#listeners.get(name);
      if (!current) return;
      const next = current.filter((l) => l !== listener);
      if (next.length === 0) this.#listeners.delete(name);
      else this.#listeners.set(name, next);
    };
  }

  once<K extends keyof E>(
    name: K,
    filter?: (event: E[K]) => boolean,
    signal?: AbortSignal,
  ): Promise<E[K]> {
    return new Promise<E[K]>((resolve, reject) => {
      const off = this.on(name, (event) => {
        if (filter && !filter(event)) return;
        off();
        signal?.removeEventListener("abort", onAbort);
        resolve(event);
      });
      const onAbort = () => {
        off();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Calls every listener of `name`; a throwing listener is logged and never breaks the runtime. */
  emit<K extends keyof E>(name: K, event: E[K]): void {
    const list = this.#listeners.get(name);
    if (!list) return;
    for (const listener of list) {
      try {
        (listener as (event: E[K]) => void)(event);
      } catch (err) {
        this.logger?.warn("jetcontract event listener threw", { event: String(name), err });
      }
    }
  }
}

// ------------------------------------------------------------------- event payloads

export interface PublishedEvent {
  readonly operationId: string;
  readonly subject: string;
  readonly msgId: string;
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
  readonly attempts: number;
  readonly durationMs: number;
}

export interface PublishRetriedEvent {
  readonly operationId: string;
  readonly subject: string;
  readonly msgId: string;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

export interface PublishFailedEvent {
  readonly operationId: string;
  readonly subject: string;
  readonly msgId: string;
  readonly attempts: number;
  readonly error: unknown;
}

export interface PublisherEvents {
  published: PublishedEvent;
  publishRetried: PublishRetriedEvent;
  publishFailed: PublishFailedEvent;
}

/** Fields every consumer-side message event carries. */
export interface MessageEventBase {
  readonly operationId: string;
  readonly stream: string;
  readonly consumer: string;
  readonly subject: string;
  readonly streamSequence: number;
  /** Deliveries seen by the server (includes breaker and stop releases). */
  readonly deliveryCount: number;
  /** Handler attempt number (deliveries minus releases known to this process). */
  readonly attempt: number;
}

export interface ReceivedEvent extends MessageEventBase {}
export interface DuplicateSkippedEvent extends MessageEventBase {
  readonly idempotencyKey: string;
  /**
   * `key-done`: the dedup store holds the key as done (or owned by another message).
   * `redelivered`: this process already handled and acked this very message (stream sequence
   * and key); the server redelivered it because it lost the ack (e.g. it was killed).
   */
  readonly reason: "key-done" | "redelivered";
}
export interface HandlerStartedEvent extends MessageEventBase {
  readonly idempotencyKey: string | undefined;
}
export interface HandlerFinishedEvent extends MessageEventBase {
  readonly durationMs: number;
  readonly error?: unknown;
}
export interface AckedEvent extends MessageEventBase {}
export interface RetryScheduledEvent extends MessageEventBase {
  readonly delayMs: number;
  readonly error: unknown;
}
export interface ReleasedEvent extends MessageEventBase {
  readonly delayMs: number;
  readonly reason:
    | "breaker-open"
    | "stopping"
    | "claimed-elsewhere"
    | "dedup-unavailable"
    | "dead-letter-unavailable";
}
export interface DeadLetteredEvent extends MessageEventBase {
  /** Where the copy went (undefined without a dead-letter target: the message was only terminated). */
  readonly deadLetterSubject: string | undefined;
  readonly deadLetterStream: string | undefined;
  readonly deadLetterSeq: number | undefined;
  readonly duplicate: boolean;
  readonly reason: DeadLetterReason;
  readonly errorClass: string;
  readonly errorMessage: string;
}
export interface BreakerStateEvent {
  readonly operationId: string;
  readonly consumer: string;
  readonly state: "closed" | "open" | "half-open";
  readonly previous: "closed" | "open" | "half-open";
}
export interface ConsumerErrorEvent {
  readonly operationId: string;
  readonly consumer: string;
  readonly stage: string;
  readonly error: unknown;
  readonly streamSequence?: number;
}
export interface StoppedEvent {
  readonly operationId: string;
  readonly consumer: string;
  /** In-flight messages released (nak) because the stop deadline passed. */
  readonly released: number;
}

/** Why a consumer stopped for good. */
export type ClosedReason = "stopped" | "consumer-not-found" | "stream-not-found";

export interface ClosedEvent {
  readonly operationId: string;
  readonly consumer: string;
  readonly stream: string;
  readonly reason: ClosedReason;
  /** What the server answered, for `consumer-not-found` and `stream-not-found`. */
  readonly error?: unknown;
}

export interface ConsumerEvents {
  received: ReceivedEvent;
  duplicateSkipped: DuplicateSkippedEvent;
  handlerStarted: HandlerStartedEvent;
  handlerSucceeded: HandlerFinishedEvent;
  handlerFailed: HandlerFinishedEvent;
  acked: AckedEvent;
  retryScheduled: RetryScheduledEvent;
  released: ReleasedEvent;
  deadLettered: DeadLetteredEvent;
  breakerOpened: BreakerStateEvent;
  breakerHalfOpen: BreakerStateEvent;
  breakerClosed: BreakerStateEvent;
  error: ConsumerErrorEvent;
  stopped: StoppedEvent;
  /**
   * A message whose deliveries ran out with no decision (its handler's process died every
   * time) was copied to the DLQ by the consumer's catcher and removed from the source.
   */
  deliveriesExhausted: CaughtEvent;
  /** The consumer stopped for good: `stop()`, or its durable or stream disappeared. */
  closed: ClosedEvent;
}

export interface CaughtEvent {
  readonly stream: string;
  readonly consumer: string;
  readonly streamSequence: number;
  readonly deliveries: number;
  readonly deadLetterSubject: string;
  readonly deadLetterSeq: number;
  readonly duplicate: boolean;
}

export interface CatcherEvents {
  /** A message whose deliveries ran out was copied to the DLQ and removed from the source. */
  caught: CaughtEvent;
  /** The advisory named a message that is no longer in the stream (acked or removed). */
  missing: { readonly stream: string; readonly consumer: string; readonly streamSequence: number };
  error: { readonly stage: string; readonly error: unknown; readonly streamSequence?: number };
}
