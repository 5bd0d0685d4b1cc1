/** The consumer's public types: what a handler sees, the options, the consumer's interface. */

import type { RandomSource } from "../backoff.js";
import type { BreakerState } from "../breaker.js";
import type { DedupStore } from "../dedup/types.js";
import type { MessageHeaders, PublishPolicy } from "../descriptors.js";
import type { EnsureConsumerOptions } from "../ensure.js";
import type { ClosedEvent, ConsumerEvents, EventSource, Hooks, Logger } from "../events.js";

/** What a handler learns about the message it handles. */
export interface HandlerContext {
  /**
   * Handler attempt, 1-based: deliveries less those this process knows were not attempts
   * (releases, redeliveries racing one still in flight); see `docs/runtime.md`.
   */
  readonly attempt: number;
  /** Deliveries the server made, releases included. */
  readonly deliveryCount: number;
  readonly idempotencyKey: string | undefined;
  readonly subject: string;
  readonly headers: MessageHeaders;
  readonly stream: string;
  readonly streamSequence: number;
  readonly consumer: string;
  /** Aborted when the handler timed out or the consumer stopped past its deadline. */
  readonly signal: AbortSignal;
  /**
   * The consumer span, active while the handler runs (a no-op span without an OpenTelemetry
   * SDK). The full API span is `trace.getActiveSpan()` of `@opentelemetry/api`.
   */
  readonly span: HandlerSpan;
  /** Extends the ack deadline now (the runtime also heartbeats on a timer). */
  working(): void;
}

/** What a handler may do with its span (a subset of OpenTelemetry's `Span`, so no import is needed). */
export interface HandlerSpan {
  /** Trace and span ids (for log correlation). */
  spanContext(): { readonly traceId: string; readonly spanId: string };
  setAttribute(key: string, value: string | number | boolean): unknown;
  addEvent(name: string, attributes?: Record<string, string | number | boolean>): unknown;
  isRecording(): boolean;
}

export type MessageHandler<T> = (payload: T, ctx: HandlerContext) => unknown;

/** Test seams for crash simulation. Not for production use. */
export interface ConsumerFaults {
  /** Runs after the DLQ publish was acknowledged and before the original is terminated. */
  beforeTerm?(streamSequence: number): void | Promise<void>;
  /**
   * Return true to drop this ack while reporting it confirmed: what a server killed right
   * after confirming an ack does (it loses the ack and redelivers the message).
   */
  dropAck?(streamSequence: number): boolean;
}

export interface ConsumerOptions {
  /** Overrides the store made from `descriptor.dedup`. */
  readonly dedupStore?: DedupStore;
  readonly hooks?: Hooks<ConsumerEvents>;
  readonly logger?: Logger;
  /** Random source for jitter (default `Math.random`). */
  readonly random?: RandomSource;
  /** Create or update the durable consumer on `start()` (default false). */
  readonly ensure?: boolean | EnsureConsumerOptions;
  /** How long one pull request waits on the server (ms, at least 1000; default 2000). */
  readonly pullExpiresMs?: number;
  /**
   * Await the server's confirmation of acks, naks and terms, re-sending those that go unanswered
   * (a consumer leader election) within the ack wait (default true). False: plain messages.
   */
  readonly confirmAck?: boolean;
  /** Retry policy of DLQ publishes. */
  readonly deadLetterPublish?: PublishPolicy;
  /** Interval of automatic `working()` heartbeats (default: a third of the effective ack wait). */
  readonly heartbeatIntervalMs?: number;
  /**
   * Delay before a message released by `stop()` is redelivered (default 1 ms; every nak has at
   * least 1 ms because a bare `nak()` on nats-server 2.9 can reset the delivery count).
   */
  readonly stopReleaseDelayMs?: number;
  /**
   * Start a dead-letter catcher with the consumer (default true when the descriptor has a DLQ):
   * it copies messages whose deliveries ran out with no decision (the handler's process died
   * every time) to the DLQ, reported as `deliveriesExhausted` events. Turn it off only when
   * another process runs `startDeadLetterCatcher` for this consumer.
   */
  readonly catchExhausted?: boolean;
  readonly faults?: ConsumerFaults;
}

export interface StopOptions {
  /** How long in-flight handlers may run before they are released (default 10 000 ms). */
  readonly deadlineMs?: number;
}

export interface MessageConsumer extends AsyncDisposable {
  /**
   * Binds to the durable consumer (creating it if `ensure`) and starts pulling. A missing
   * stream or durable is a `ConfigurationError` naming it.
   */
  start(): Promise<void>;
  /** Stops pulling, lets in-flight handlers finish until the deadline, releases the rest. */
  stop(options?: StopOptions): Promise<void>;
  /**
   * Resolves when the consumer stopped for good: after `stop()`, or when its durable or stream
   * disappeared from the server (then it stops by itself instead of retrying for ever). The
   * same event is emitted as `closed`.
   */
  closed(): Promise<ClosedEvent>;
  /** Durable consumer name and its stream (from the descriptor). */
  readonly durable: string;
  readonly stream: string;
  readonly events: EventSource<ConsumerEvents>;
  readonly breakerState: BreakerState | undefined;
  /** Handlers running now. */
  readonly inFlight: number;
  /** Most handlers that ever ran at once. */
  readonly peakConcurrency: number;
}
