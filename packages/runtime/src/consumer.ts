/**
 * Consumer: a durable pull consumer with explicit ack and, per message,
 * decode → validate → dedup claim → handler (timeout, `working()` heartbeats) → record done
 * (unless the store is `doneOnAck`) → confirmed ack (its confirmation holds no handler slot).
 * Failures: permanent → dead-letter now; transient → `nak(delay)` with the next backoff delay
 * until the attempts are spent, then dead-letter.
 *
 * Attempt numbers: the server's `deliveryCount` also counts deliveries this runtime gave back
 * unprocessed (breaker open, stop, claimed elsewhere) and redeliveries that raced a delivery of
 * the same message still in flight here (not run, not naked: the in-flight one settles it). The
 * consumer remembers both per stream sequence in a bounded in-process ledger, and
 * `attempt = deliveryCount − releases − racing`, never below the last failed attempt here + 1.
 * Releases made by a process that has since died are not known, so after a restart the attempt
 * can be over-counted by those; never under-counted.
 *
 * Redelivered completions: with a `doneOnAck` dedup store (KV, `doneMarker: "ack"`, the
 * default), the acked claim is the only record that a message was handled, and a server killed
 * with SIGKILL can lose its most recent acks (even confirmed ones) and redeliver those
 * messages. So the consumer remembers the messages it completed (stream sequence and key, a
 * bounded LRU with TTL): a redelivery of one is acked again without running the handler
 * (`duplicateSkipped`, reason `redelivered`). When the connection drops, the completions acked
 * shortly before are pinned (kept regardless of the LRU bound) and, after the reconnect, get a
 * done marker written, so a redelivery that reaches another process is skipped too.
 */
import {
  type Consumer,
  type ConsumerMessages,
  JetStreamApiCodes,
  JetStreamApiError,
  type JsMsg,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { backoffDelayMs, type RandomSource } from "./backoff.js";
import { type BreakerState, CircuitBreaker } from "./breaker.js";
import { Bulkhead } from "./bulkhead.js";
import { type DeadLetterCatcher, startDeadLetterCatcher } from "./catcher.js";
import { decodePayload } from "./codec.js";
import {
  type Connectable,
  headersToRecord,
  type JsHandles,
  jsHandles,
  supportsTermReason,
} from "./connection.js";
import {
  DEFAULT_DEAD_LETTER_PUBLISH,
  type DeadLetterReason,
  publishDeadLetter,
} from "./dead-letter.js";
import { createKvDedupStore } from "./dedup/kv.js";
import { MemoryDedupStore } from "./dedup/memory.js";
import type { ClaimToken, DedupStore } from "./dedup/types.js";
import type { ConsumerDescriptor, MessageHeaders, PublishPolicy } from "./descriptors.js";
import { nanosToMs, sleepMs } from "./duration.js";
import { type EnsureConsumerOptions, ensureConsumer } from "./ensure.js";
import {
  ConfigurationError,
  DecodeError,
  errorClassName,
  errorMessage,
  HandlerTimeoutError,
  isPermanentError,
  isTransientError,
  SchemaValidationError,
} from "./errors.js";
import {
  type ClosedEvent,
  type ClosedReason,
  type ConsumerEvents,
  type DuplicateSkippedEvent,
  EventHub,
  type EventSource,
  type Hooks,
  type Logger,
  type MessageEventBase,
  type ReleasedEvent,
} from "./events.js";
import { LruTtlMap } from "./lru.js";
import { messageRef, supersededRef } from "./redrive.js";
import { destinationTemplate } from "./semconv.js";
import {
  Attr,
  type Attributes,
  context,
  extractTraceContext,
  RuntimeMetrics,
  recordSpanError,
  type Span,
  SpanKind,
  trace,
  tracer,
} from "./telemetry.js";

/** What a handler learns about the message it handles. */
export interface HandlerContext {
  /** Handler attempt, 1-based (see the module note on how releases are discounted). */
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
  /** Await the server's confirmation of each ack (`ackAck`, default true). */
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

interface Ledger {
  /** Deliveries given back unprocessed (nak without spending an attempt). */
  releases: number;
  /**
   * Deliveries that arrived while an earlier delivery of the same message was still in flight
   * here (the server redelivered it after an ack wait, or ahead of a nak): ignored, never an
   * attempt; the in-flight delivery's ack, nak or term decides for both.
   */
  superseded?: number;
  /** Attempt number the last handler run here was given (attempts never go back). */
  lastAttempt?: number;
  firstFailureAtMs?: number;
  lastFailureAtMs?: number;
  previousDelayMs?: number;
}

/** A message this process handled and acked (for redeliveries of lost acks). */
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

interface InFlight {
  readonly msg: JsMsg;
  lastBeatMs: number;
  lastRenewMs: number;
  token: ClaimToken | undefined;
  controller: AbortController | undefined;
  released: boolean;
}

function inFlight(msg: JsMsg): InFlight {
  const now = Date.now();
  return {
    msg,
    lastBeatMs: now,
    lastRenewMs: now,
    token: undefined,
    controller: undefined,
    released: false,
  };
}

/** Keeps `task` in `tasks` until it settles (so `stop()` can wait for it). */
function holdUntilSettled(tasks: Set<Promise<void>>, task: Promise<void>): void {
  tasks.add(task);
  void task.finally(() => tasks.delete(task));
}

/** Pause after failed try `attempt` of a dedup-store write: 50 ms doubling, at most 1 s. */
function storeRetryPause(attempt: number): Promise<void> {
  return sleepMs(Math.min(1_000, 50 * 2 ** (attempt - 1)));
}

/** The handler's context; the AbortController is made only when `signal` is read. */
class MessageContext implements HandlerContext {
  readonly attempt: number;
  readonly deliveryCount: number;
  readonly subject: string;
  readonly stream: string;
  readonly streamSequence: number;
  readonly consumer: string;

  constructor(
    private readonly entry: InFlight,
    msg: JsMsg,
    d: { readonly stream: string; readonly durable: string },
    attempt: number,
    readonly idempotencyKey: string | undefined,
    readonly headers: MessageHeaders,
    readonly span: Span,
    private readonly beat: (stage: string) => void,
  ) {
    this.attempt = attempt;
    this.deliveryCount = msg.info.deliveryCount;
    this.subject = msg.subject;
    this.stream = d.stream;
    this.streamSequence = msg.seq;
    this.consumer = d.durable;
  }

  get signal(): AbortSignal {
    this.entry.controller ??= new AbortController();
    return this.entry.controller.signal;
  }

  working(): void {
    this.entry.lastBeatMs = Date.now();
    this.beat("working");
  }
}

/**
 * Creates a consumer for one operation; call `start()` to begin.
 *
 * `conn` is a connection or a JetStream client made from one (like `createPublisher`); a client
 * carries its options (API prefix or domain, timeout) into the consumer, the dedup KV bucket
 * and `ensure`. The consumer also needs the connection under a client: its server version
 * (whether `term(reason)` is understood) and its status events (done markers after a
 * reconnect); a client whose connection cannot be reached is refused with a
 * `ConfigurationError`.
 */
export function createConsumer<T>(
  conn: Connectable,
  descriptor: ConsumerDescriptor<T>,
  handler: MessageHandler<T>,
  options: ConsumerOptions = {},
): MessageConsumer {
  return new PullConsumerRuntime(conn, descriptor, handler, options);
}

class PullConsumerRuntime<T> implements MessageConsumer {
  readonly #hub: EventHub<ConsumerEvents>;
  readonly #metrics = new RuntimeMetrics();
  readonly #handles: JsHandles;
  readonly #bulkhead: Bulkhead;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #ledger = new LruTtlMap<number, Ledger>(10_000, 3_600_000);
  readonly #inflight = new Map<JsMsg, InFlight>();
  /** The delivery of each stream sequence in flight here. */
  readonly #inflightSeqs = new Map<number, InFlight>();
  readonly #fetches = new Set<ConsumerMessages>();
  readonly #random: RandomSource;
  readonly #attrs: Attributes;
  /** The subject pattern that names spans (low-cardinality). */
  readonly #template: string;
  readonly #tracer = tracer();
  #consumer: Consumer | undefined;
  #store: DedupStore | undefined;
  #running = false;
  #requested = 0;
  #loop: Promise<void> | undefined;
  #fetchTasks = new Set<Promise<void>>();
  #wakeUp: (() => void) | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #heartbeatMs = 1_000;
  #termWithReason = false;
  #pullCooldownUntilMs = 0;
  #ackQueue: Array<{ m: JsMsg; resolve: (v: unknown) => void; reject: (e: unknown) => void }> = [];
  #ackFlushScheduled = false;
  /** With a `doneOnAck` store: messages completed and acked here, by stream sequence. */
  #completed: LruTtlMap<number, Completed> | undefined;
  /** Completions acked just before a disconnect; done markers are written after reconnecting. */
  readonly #pinned = new Map<number, Completed>();
  #lastAckConfirmedMs = 0;
  #statusIter: AsyncIterable<unknown> | undefined;
  #statusTask: Promise<void> | undefined;
  readonly #sweeps = new Set<Promise<void>>();
  /** Ack confirmations of handled messages still awaited (they hold no handler slot). */
  readonly #acks = new Set<Promise<void>>();
  /** Dead-letters of deliveries refused by the breaker with their attempts spent. */
  readonly #background = new Set<Promise<void>>();
  #catcher: DeadLetterCatcher | undefined;
  /** Set once a pull failed and the durable or its stream was found gone. */
  #gone: { reason: ClosedReason; error: unknown } | undefined;
  #checkingGone = false;
  readonly #closed: Promise<ClosedEvent>;
  #resolveClosed: (event: ClosedEvent) => void = () => undefined;

  private readonly nc: NatsConnection;

  constructor(
    private readonly conn: Connectable,
    private readonly d: ConsumerDescriptor<T>,
    private readonly handler: MessageHandler<T>,
    private readonly options: ConsumerOptions,
  ) {
    this.#hub = new EventHub(options.hooks, options.logger);
    this.#closed = new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    this.#handles = jsHandles(conn);
    const nc = this.#handles.nc;
    if (!nc) {
      throw new ConfigurationError(
        "createConsumer: the JetStream client does not expose its NATS connection; pass the connection",
      );
    }
    this.nc = nc;
    this.#bulkhead = new Bulkhead(Math.max(1, Math.min(d.concurrency, d.maxAckPending)));
    this.#random = options.random ?? Math.random;
    this.#template = destinationTemplate(d.subject);
    this.#attrs = {
      [Attr.system]: "nats",
      ...(d.subject.split(".").includes("*")
        ? { [Attr.destinationTemplate]: this.#template }
        : { [Attr.destination]: d.subject }),
      [Attr.consumerGroup]: d.durable,
      [Attr.operationName]: "process",
      [Attr.operationType]: "process",
    };
    if (d.breaker) {
      this.#breaker = new CircuitBreaker(d.breaker, (state, previous) =>
        this.#onBreakerChange(state, previous),
      );
    }
  }

  get events(): EventSource<ConsumerEvents> {
    return this.#hub;
  }
  get breakerState(): BreakerState | undefined {
    return this.#breaker?.state;
  }
  get inFlight(): number {
    return this.#bulkhead.inUse;
  }
  get peakConcurrency(): number {
    return this.#bulkhead.peak;
  }

  closed(): Promise<ClosedEvent> {
    return this.#closed;
  }

  get durable(): string {
    return this.d.durable;
  }
  get stream(): string {
    return this.d.stream;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async start(): Promise<void> {
    if (this.#running) return;
    const d = this.d;
    if (this.options.ensure) {
      await ensureConsumer(this.conn, d, this.options.ensure === true ? {} : this.options.ensure);
    }
    let info: Awaited<ReturnType<Consumer["info"]>>;
    try {
      this.#consumer = await this.#handles.js.consumers.get(d.stream, d.durable);
      info = await this.#consumer.info(true);
    } catch (error) {
      const reason = goneReason(error);
      if (!reason) throw error;
      throw new ConfigurationError(
        reason === "stream-not-found"
          ? `stream ${d.stream} not found (consumer ${d.durable}): create it with \`jetcontract streams apply <contract>\``
          : `durable consumer ${d.durable} not found on stream ${d.stream}: create it with \`jetcontract streams apply <contract>\`, or start with { ensure: true }`,
        { cause: error },
      );
    }
    // With `backoff`, each delivery's ack wait is its backoff entry: beat for the shortest.
    const ackWaitMs = nanosToMs(
      Math.min(...(info.config.backoff ?? []), info.config.ack_wait ?? 30_000_000_000),
    );
    this.#heartbeatMs =
      this.options.heartbeatIntervalMs ??
      Math.max(5, Math.floor(Math.min(ackWaitMs, d.ackWaitMs) / 3));
    this.#store = this.options.dedupStore ?? (await this.#storeFromDescriptor());
    this.#termWithReason = supportsTermReason(this.nc);
    this.#running = true;
    if (this.#store?.doneOnAck) {
      this.#completed ??= new LruTtlMap(
        COMPLETED_MAX_ENTRIES,
        Math.max(COMPLETED_MIN_TTL_MS, 2 * Math.max(ackWaitMs, d.ackWaitMs)),
      );
      this.#watchConnection();
    }
    if (d.dlq && this.options.catchExhausted !== false) {
      this.#catcher = await startDeadLetterCatcher(this.nc, {
        stream: d.stream,
        consumer: d.durable,
        dlq: d.dlq,
        ...(this.options.deadLetterPublish ? { publish: this.options.deadLetterPublish } : {}),
        hooks: {
          caught: (event) => {
            this.#metrics.count("deadLettered", this.#attrs);
            this.#hub.emit("deliveriesExhausted", event);
          },
          error: (event) =>
            this.#emitError(`catcher-${event.stage}`, event.error, event.streamSequence),
        },
      });
    }
    this.#ticker = setInterval(() => this.#tick(), Math.max(5, Math.min(this.#heartbeatMs, 1_000)));
    this.#loop = this.#pump();
  }

  async #storeFromDescriptor(): Promise<DedupStore | undefined> {
    const dedup = this.d.dedup;
    switch (dedup.store) {
      case "none":
        return undefined;
      case "memory":
        return new MemoryDedupStore({ maxEntries: dedup.maxEntries, ttlMs: dedup.ttlMs });
      case "kv":
        return createKvDedupStore(this.conn, {
          bucket: dedup.bucket,
          ttlMs: dedup.ttlMs,
          leaseMs: dedup.leaseMs,
          ...(dedup.replicas !== undefined ? { replicas: dedup.replicas } : {}),
          ...(dedup.storage !== undefined ? { storage: dedup.storage } : {}),
          ...(dedup.doneMarker ? { doneMarker: dedup.doneMarker } : {}),
        });
    }
  }

  async stop(options: StopOptions = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wake();
    await Promise.allSettled([...this.#fetches].map((f) => f.close()));
    await this.#loop;
    const deadlineMs = options.deadlineMs ?? 10_000;
    const idle = this.#bulkhead.idle();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      idle.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadlineMs);
      }),
    ]);
    clearTimeout(timer);
    let released = 0;
    if (timedOut) {
      for (const entry of this.#inflight.values()) {
        if (entry.released) continue;
        entry.released = true;
        entry.controller?.abort(new Error("consumer stopped"));
        this.#release(entry.msg, "stopping", this.options.stopReleaseDelayMs ?? 1, undefined);
        released++;
      }
    }
    await Promise.allSettled([...this.#acks]);
    await Promise.allSettled([...this.#background]);
    await Promise.allSettled([...this.#fetchTasks]);
    (this.#statusIter as { stop?: () => void } | undefined)?.stop?.();
    this.#statusIter = undefined;
    await this.#statusTask;
    await Promise.allSettled([...this.#sweeps]);
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = undefined;
    await this.#catcher?.stop();
    this.#catcher = undefined;
    this.#hub.emit("stopped", {
      operationId: this.d.operationId,
      consumer: this.d.durable,
      released,
    });
    const closed: ClosedEvent = {
      operationId: this.d.operationId,
      consumer: this.d.durable,
      stream: this.d.stream,
      reason: this.#gone?.reason ?? "stopped",
      ...(this.#gone ? { error: this.#gone.error } : {}),
    };
    this.#hub.emit("closed", closed);
    this.#resolveClosed(closed);
  }

  /**
   * After a failed or instantly empty pull: asks the server whether the durable and its stream
   * still exist; if not, the consumer stops by itself (a pull would fail for ever).
   */
  #checkGone(): void {
    if (this.#checkingGone || !this.#running || !this.#consumer) return;
    this.#checkingGone = true;
    const consumer = this.#consumer;
    void consumer
      .info(false)
      .then(
        () => undefined,
        (error: unknown) => {
          const reason = goneReason(error);
          if (!reason || !this.#running) return;
          this.#gone = { reason, error };
          // Not awaited here: stop() waits for the pull that called this.
          void this.stop().catch((e: unknown) => this.#emitError("stop", e));
        },
      )
      .finally(() => {
        this.#checkingGone = false;
      });
  }

  // ------------------------------------------------------------------ pulling

  #wake(): void {
    const w = this.#wakeUp;
    this.#wakeUp = undefined;
    w?.();
  }

  /** Waits for a wake-up (a slot freed, a pull ended, a breaker change), or `maxMs` if given. */
  #sleepUntilWoken(maxMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer =
        maxMs === undefined
          ? undefined
          : setTimeout(() => {
              this.#wakeUp = undefined;
              resolve();
            }, maxMs);
      this.#wakeUp = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
    });
  }

  /** How many more messages may be requested now. */
  #wanted(): number {
    const limit = this.#bulkhead.limit;
    const breaker = this.#breaker;
    if (breaker) {
      const state = breaker.state;
      if (state === "open") return 0;
      if (state === "half-open") return Math.max(0, breaker.capacity() - this.#requested);
    }
    const free = limit - this.#bulkhead.inUse - this.#requested;
    // Pull in batches of at least half the bulkhead, like a consume threshold.
    return free >= Math.max(1, Math.floor(limit / 2)) ? free : 0;
  }

  async #pump(): Promise<void> {
    while (this.#running) {
      const now = Date.now();
      if (now < this.#pullCooldownUntilMs) {
        await this.#sleepUntilWoken(this.#pullCooldownUntilMs - now);
        continue;
      }
      const want = this.#wanted();
      if (want <= 0) {
        const untilHalfOpen = this.#breaker?.msUntilHalfOpen() ?? 0;
        await this.#sleepUntilWoken(untilHalfOpen > 0 ? untilHalfOpen : undefined);
        continue;
      }
      this.#requested += want;
      holdUntilSettled(this.#fetchTasks, this.#fetch(want));
    }
  }

  async #fetch(n: number): Promise<void> {
    const started = Date.now();
    let received = 0;
    let iter: ConsumerMessages | undefined;
    let failed = false;
    try {
      if (!this.#consumer) return;
      iter = await this.#consumer.fetch({
        max_messages: n,
        expires: Math.max(1_000, this.options.pullExpiresMs ?? 2_000),
      });
      this.#fetches.add(iter);
      if (!this.#running) void iter.close();
      for await (const m of iter) {
        received++;
        this.#requested--;
        this.#dispatch(m);
      }
    } catch (error) {
      failed = true;
      if (this.#running) this.#emitError("pull", error);
    } finally {
      this.#requested -= n - received;
      if (iter) this.#fetches.delete(iter);
      // A pull that failed or ended at once with nothing: do not spin.
      if (failed || (received === 0 && Date.now() - started < 100)) {
        this.#pullCooldownUntilMs = Date.now() + 250;
        this.#checkGone();
      }
      this.#wake();
    }
  }

  #dispatch(m: JsMsg): void {
    if (!this.#running) {
      this.#release(m, "stopping", this.options.stopReleaseDelayMs ?? 1, undefined);
      return;
    }
    const running = this.#inflightSeqs.get(m.seq);
    if (running && !running.released) {
      // A redelivery racing the delivery still in flight here (its ack wait ran out under
      // load, or the server resent it before the nak arrived). Running it would run the
      // handler twice at once and spend an attempt nobody failed; naking it would reschedule
      // the message behind the in-flight outcome. The in-flight delivery's ack, nak or term
      // settles the message (the server matches them by stream sequence); this one is only
      // counted, so the next attempt number stays right.
      const record = this.#ledger.get(m.seq) ?? { releases: 0 };
      record.superseded = (record.superseded ?? 0) + 1;
      this.#ledger.set(m.seq, record);
      running.lastBeatMs = Date.now();
      this.#send(() => running.msg.working(), "working", m.seq);
      return;
    }
    const breaker = this.#breaker;
    if (breaker && !breaker.tryAcquire()) {
      const attempt = this.#attemptOf(m);
      if (attempt > this.d.retry.maxAttempts) {
        // Its attempts are spent (a crashed process, a lost ledger): a release would bring it
        // back forever; dead-letter it without running the handler.
        this.#deadLetterSpent(m, attempt);
        return;
      }
      this.#release(m, "breaker-open", Math.max(1, breaker.msUntilHalfOpen()), undefined);
      return;
    }
    if (!this.#bulkhead.tryAcquire()) {
      // Cannot happen when pulls respect the free slots; be safe anyway.
      breaker?.onNeutral();
      this.#release(m, "stopping", 100, undefined);
      return;
    }
    const entry = inFlight(m);
    this.#inflight.set(m, entry);
    this.#inflightSeqs.set(m.seq, entry);
    this.#process(entry)
      .catch((error) => this.#emitError("process", error, m.seq))
      .finally(() => {
        this.#inflight.delete(m);
        if (this.#inflightSeqs.get(m.seq) === entry) this.#inflightSeqs.delete(m.seq);
        this.#bulkhead.release();
        this.#wake();
      });
  }

  /**
   * Attempt number of a delivery: its delivery count less the deliveries this process knows
   * were not attempts (releases, superseded redeliveries), and never below the next number
   * after the last attempt run here (attempts are monotonic within a process even if the
   * server's count is off).
   */
  #attemptOf(m: JsMsg): number {
    const ledger = this.#ledger.get(m.seq);
    const counted = m.info.deliveryCount - (ledger?.releases ?? 0) - (ledger?.superseded ?? 0);
    return Math.max(1, counted, (ledger?.lastAttempt ?? 0) + 1);
  }

  /** Dead-letters a delivery whose attempts are spent without running the handler. */
  #deadLetterSpent(m: JsMsg, attempt: number): void {
    const entry = inFlight(m);
    const spent = attempt - 1;
    const error = new Error(
      `attempts spent (${spent} of ${this.d.retry.maxAttempts}) while the circuit breaker refused new work`,
    );
    holdUntilSettled(
      this.#background,
      this.#deadLetter(entry, error, "attempts-exhausted", spent, this.#ledger.get(m.seq)).catch(
        (e: unknown) => this.#emitError("dead-letter", e, m.seq),
      ),
    );
  }

  /** Heartbeats (`working()`) and lease renewals for long handlers. */
  #tick(): void {
    const now = Date.now();
    const store = this.#store;
    for (const entry of this.#inflight.values()) {
      if (entry.released) continue;
      if (now - entry.lastBeatMs >= this.#heartbeatMs) {
        entry.lastBeatMs = now;
        this.#send(() => entry.msg.working(), "working", entry.msg.seq);
      }
      if (store && entry.token && now - entry.lastRenewMs >= store.leaseMs / 2) {
        entry.lastRenewMs = now;
        const token = entry.token;
        Promise.resolve(store.renew(token)).catch((error) =>
          this.#emitError("dedup-renew", error, entry.msg.seq),
        );
      }
    }
  }

  // --------------------------------------------------------------- processing

  #base(m: JsMsg, attempt: number): MessageEventBase {
    return {
      operationId: this.d.operationId,
      stream: this.d.stream,
      consumer: this.d.durable,
      subject: m.subject,
      streamSequence: m.seq,
      deliveryCount: m.info.deliveryCount,
      attempt,
    };
  }

  async #process(entry: InFlight): Promise<void> {
    const m = entry.msg;
    const d = this.d;
    const hub = this.#hub;
    const seq = m.seq;
    const deliveryCount = m.info.deliveryCount;
    const ledger = this.#ledger.get(seq);
    const attempt = this.#attemptOf(m);
    if (hub.has("received")) hub.emit("received", this.#base(m, attempt));
    this.#metrics.consumedMessages.add(1, this.#attrs);

    // decode → validate → key
    const headers = headersToRecord(m.headers);
    let payload: T;
    let key: string | undefined;
    try {
      const value = decodePayload(d.message, m.data);
      const validate = d.message.validate;
      if (validate && !validate(value)) {
        throw new SchemaValidationError(
          `${d.message.name} does not match its schema`,
          validate.errors ?? [],
        );
      }
      const validateHeaders = d.message.validateHeaders;
      if (validateHeaders && !validateHeaders(headers)) {
        throw new SchemaValidationError(
          `${d.message.name} headers do not match their schema`,
          validateHeaders.errors ?? [],
        );
      }
      payload = value as T;
      try {
        key = d.message.idempotencyKey
          ? d.message.idempotencyKey(payload, headers)
          : headers["Nats-Msg-Id"];
      } catch (cause) {
        throw new DecodeError(`${d.message.name}: idempotency key could not be read`, { cause });
      }
    } catch (error) {
      this.#breaker?.onNeutral();
      await this.#deadLetter(entry, error, "permanent", attempt, ledger);
      return;
    }

    // dedup claim
    const store = this.#store;
    if (store && key !== undefined) {
      const completed = this.#completed;
      if (completed) {
        const done = completed.get(seq) ?? this.#pinned.get(seq);
        if (done !== undefined && done.key === key) {
          // Handled and acked here already: the server lost the ack. Ack again, do not re-run.
          this.#breaker?.onNeutral();
          await this.#ack(m, undefined, attempt);
          this.#ledger.delete(seq);
          this.#skipped(m, attempt, key, "redelivered");
          return;
        }
      }
      let claim: Awaited<ReturnType<DedupStore["claim"]>>;
      try {
        claim = await store.claim(key, messageRef(d.stream, seq), supersededRef(headers));
      } catch (error) {
        this.#emitError("dedup-claim", error, seq);
        this.#breaker?.onNeutral();
        this.#release(m, "dedup-unavailable", backoffDelayMs(d.retry, 1, this.#random), attempt);
        return;
      }
      if (claim.status === "done") {
        this.#breaker?.onNeutral();
        await this.#ack(m, undefined, attempt);
        this.#ledger.delete(seq);
        this.#skipped(m, attempt, key, "key-done");
        return;
      }
      if (claim.status === "busy") {
        this.#breaker?.onNeutral();
        // The holder finishes (or times out) within the handler timeout; look again by then.
        const delayMs = Math.min(claim.retryAfterMs, d.handlerTimeoutMs + 100);
        this.#release(m, "claimed-elsewhere", Math.max(1, Math.ceil(delayMs)), attempt);
        return;
      }
      entry.token = claim.token;
      entry.lastRenewMs = Date.now();
    }
    if (entry.released) {
      // Stopped past the deadline while claiming.
      if (entry.token) await this.#settleClaim(entry.token, false);
      return;
    }

    // handler
    const parent = extractTraceContext(headers);
    const span = this.#tracer.startSpan(
      `process ${this.#template}`,
      { kind: SpanKind.CONSUMER },
      parent,
    );
    // Attributes are built only for a recording span (no SDK registered: no cost).
    if (span.isRecording()) {
      span.setAttributes({
        ...this.#attrs,
        [Attr.destination]: m.subject,
        [Attr.stream]: d.stream,
        [Attr.streamSequence]: seq,
        [Attr.deliveryCount]: deliveryCount,
        [Attr.attempt]: attempt,
        ...(key !== undefined ? { [Attr.messageId]: key } : {}),
      });
    }
    if (hub.has("handlerStarted")) {
      hub.emit("handlerStarted", { ...this.#base(m, attempt), idempotencyKey: key });
    }
    const started = performance.now();
    let failure: unknown;
    let ok = false;
    try {
      const pending = this.#runHandler(
        entry,
        payload,
        new MessageContext(entry, m, this.d, attempt, key, headers, span, (stage) =>
          this.#send(() => m.working(), stage, seq),
        ),
        span,
      );
      if (pending) await pending;
      ok = true;
    } catch (error) {
      failure = error;
    }
    const durationMs = performance.now() - started;
    this.#metrics.processDuration.record(
      durationMs / 1_000,
      ok ? this.#attrs : { ...this.#attrs, [Attr.errorType]: errorClassName(failure) },
    );

    if (ok) {
      this.#breaker?.onSuccess();
      // A `doneOnAck` store needs no done marker when the ack goes through (checked in #ack).
      if (entry.token && !(store?.doneOnAck && !entry.released)) {
        await this.#settleClaim(entry.token, true);
      }
      if (hub.has("handlerSucceeded")) {
        hub.emit("handlerSucceeded", { ...this.#base(m, attempt), durationMs });
      }
      span.end();
      if (!entry.released) {
        const doneOnAckToken = store?.doneOnAck ? entry.token : undefined;
        if (doneOnAckToken && key !== undefined) {
          // Remembered before the ack goes out: a redelivery can only follow the ack.
          this.#completed?.set(seq, { key, token: doneOnAckToken, atMs: Date.now() });
        }
        // The handler's slot is free once the ack is on its way: its confirmation (one round
        // trip) runs on without holding a slot, so slots cycle at the handlers' pace.
        holdUntilSettled(
          this.#acks,
          this.#ack(m, doneOnAckToken, attempt).then(
            () => void this.#ledger.delete(seq),
            (error: unknown) => this.#emitError("ack", error, seq),
          ),
        );
      }
      return;
    }

    recordSpanError(span, failure);
    span.end();
    if (hub.has("handlerFailed")) {
      hub.emit("handlerFailed", { ...this.#base(m, attempt), durationMs, error: failure });
    }
    this.#metrics.count("handlerFailed", this.#attrs);
    if (entry.token) await this.#settleClaim(entry.token, false);
    if (entry.released) return;

    if (isPermanentError(failure)) {
      this.#breaker?.onNeutral();
      await this.#deadLetter(entry, failure, "permanent", attempt, ledger);
      return;
    }
    const breaker = this.#breaker;
    // A breaker already open (tripped by other messages while this one ran) records nothing:
    // this failure is put down to the dead dependency and the message is given back without
    // spending an attempt. A failure the breaker records (closed or half-open) is this
    // message's own attempt, even when it is the one that opens the breaker: it follows its
    // retry path (nak with its backoff, or dead-letter when its attempts are spent), otherwise
    // a poison message whose own failures trip the breaker would be released forever.
    const recorded = breaker?.state !== "open";
    breaker?.onFailure();
    const now = Date.now();
    const record: Ledger = this.#ledger.get(seq) ?? ledger ?? { releases: 0 };
    if (breaker && !recorded) {
      this.#release(m, "breaker-open", Math.max(1, breaker.msUntilHalfOpen()), attempt);
      return;
    }
    record.firstFailureAtMs ??= now;
    record.lastFailureAtMs = now;
    // This attempt is spent: a later delivery here gets a higher number, whatever its count.
    record.lastAttempt = Math.max(record.lastAttempt ?? 0, attempt);
    this.#ledger.set(seq, record);
    if (attempt >= d.retry.maxAttempts) {
      await this.#deadLetter(entry, failure, "attempts-exhausted", attempt, record);
      return;
    }
    const delayMs =
      isTransientError(failure) && failure.retryAfterMs !== undefined
        ? failure.retryAfterMs
        : backoffDelayMs(d.retry, attempt, this.#random, record.previousDelayMs);
    record.previousDelayMs = delayMs;
    if (!this.#send(() => m.nak(Math.max(1, delayMs)), "nak", seq)) return;
    if (hub.has("retryScheduled")) {
      hub.emit("retryScheduled", { ...this.#base(m, attempt), delayMs, error: failure });
    }
    this.#metrics.count("retryScheduled", this.#attrs);
  }

  #runHandler(
    entry: InFlight,
    payload: T,
    ctx: HandlerContext,
    span: Span,
  ): Promise<void> | undefined {
    const timeoutMs = this.d.handlerTimeoutMs;
    const result = context.with(trace.setSpan(context.active(), span), () =>
      this.handler(payload, ctx),
    );
    // A synchronous handler is done; only a promise needs the timeout race.
    if (!(result instanceof Promise)) return undefined;
    // The first to settle wins; the handler's outcome clears the timer, so a handler that
    // finishes in time is never aborted.
    return new Promise<void>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              const error = new HandlerTimeoutError(timeoutMs);
              entry.controller?.abort(error);
              reject(error);
            }, timeoutMs)
          : undefined;
      result.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /**
   * Ends a claim. Recording done is retried (the message stays in flight, heartbeating, with its
   * lease renewed) until it succeeds or the consumer stops: acking without a done marker would
   * let a redelivery after a server crash run the handler again. A release is tried once (a
   * lost release only delays the key until the lease ends).
   */
  async #settleClaim(token: ClaimToken, done: boolean): Promise<void> {
    const store = this.#store;
    if (!store) return;
    for (let attempt = 1; ; attempt++) {
      try {
        if (done) await store.complete(token);
        else await store.release(token);
        return;
      } catch (error) {
        this.#emitError(done ? "dedup-complete" : "dedup-release", error);
        if (!done || !this.#running || attempt >= 120) return;
        await storeRetryPause(attempt);
      }
    }
  }

  /**
   * Acks are queued and sent together once per event-loop turn, so many acks share one socket
   * write (each on its own microtask would cost a write each).
   */
  #queueAck(m: JsMsg): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.#ackQueue.push({ m, resolve, reject });
      if (!this.#ackFlushScheduled) {
        this.#ackFlushScheduled = true;
        setImmediate(() => this.#flushAcks());
      }
    });
  }

  /**
   * Sends the queued acks. Confirmed mode sends plain acks and one `ackAck()` on the last of
   * the batch: the server handles one connection's acks in order, so the confirmation of the
   * last one confirms them all (one round trip per batch instead of per message).
   */
  #flushAcks(): void {
    let queue = this.#ackQueue;
    this.#ackQueue = [];
    this.#ackFlushScheduled = false;
    const confirm = this.options.confirmAck !== false;
    const dropAck = this.options.faults?.dropAck;
    if (dropAck) {
      queue = queue.filter((item) => {
        if (!dropAck(item.m.seq)) return true;
        item.resolve(true);
        return false;
      });
    }
    const last = queue.length - 1;
    for (let i = 0; i < queue.length; i++) {
      const item = queue[i];
      if (!item) continue;
      try {
        if (confirm && i === last) {
          item.m.ackAck().then(
            (ok) => {
              for (const q of queue) q.resolve(ok);
            },
            (error: unknown) => {
              for (const q of queue) q.reject(error);
            },
          );
        } else {
          item.m.ack();
          if (!confirm) item.resolve(true);
        }
      } catch (error) {
        item.reject(error);
      }
    }
  }

  /** Acks `m`; `doneOnAckToken`: a claim to mark done if the ack cannot be confirmed. */
  async #ack(m: JsMsg, doneOnAckToken: ClaimToken | undefined, attempt: number): Promise<void> {
    try {
      await this.#queueAck(m);
    } catch (error) {
      // Unconfirmed: the message may come back; the dedup store makes that a skip.
      this.#emitError("ack", error, m.seq);
      if (doneOnAckToken) await this.#settleClaim(doneOnAckToken, true);
      return;
    }
    this.#lastAckConfirmedMs = Date.now();
    if (this.#hub.has("acked")) {
      this.#hub.emit("acked", this.#base(m, attempt));
    }
    this.#metrics.count("acked", this.#attrs);
  }

  #skipped(m: JsMsg, attempt: number, key: string, reason: DuplicateSkippedEvent["reason"]): void {
    if (this.#hub.has("duplicateSkipped")) {
      this.#hub.emit("duplicateSkipped", {
        ...this.#base(m, attempt),
        idempotencyKey: key,
        reason,
      });
    }
    this.#metrics.count("duplicateSkipped", this.#attrs);
  }

  /**
   * With a `doneOnAck` store: on a disconnect, pins the completions acked shortly before it
   * (the server may have lost those acks); after the reconnect, writes their done markers.
   */
  #watchConnection(): void {
    const iter = this.nc.status();
    this.#statusIter = iter;
    this.#statusTask = (async () => {
      try {
        for await (const status of iter) {
          if (status.type === "disconnect") this.#pinAtRisk();
          else if (status.type === "reconnect") this.#sweepPinned();
        }
      } catch (error) {
        this.#emitError("connection-status", error);
      }
    })();
  }

  #pinAtRisk(): void {
    const completed = this.#completed;
    if (!completed || this.#lastAckConfirmedMs === 0) return;
    const since = this.#lastAckConfirmedMs - AT_RISK_WINDOW_MS;
    for (const [seq, c] of completed.entries()) {
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
    const store = this.#store;
    const task = async () => {
      for (let i = 0; i < todo.length; i += 256) {
        await Promise.all(
          todo.slice(i, i + 256).map(async ([seq, c]) => {
            // Retried while running (the KV stream may still be recovering); if it never
            // goes through, the completion stays pinned and is tried again on a reconnect.
            for (let attempt = 1; store; attempt++) {
              try {
                await store.complete(c.token);
                this.#pinned.delete(seq);
                break;
              } catch (error) {
                this.#emitError("dedup-complete", error, seq);
                if (!this.#running || attempt >= 60) break;
                await storeRetryPause(attempt);
              }
            }
            c.sweeping = false;
          }),
        );
      }
    };
    holdUntilSettled(this.#sweeps, task());
  }

  #release(
    m: JsMsg,
    reason: ReleasedEvent["reason"],
    delayMs: number,
    attempt: number | undefined,
  ): void {
    const a = attempt ?? this.#attemptOf(m);
    const record = this.#ledger.get(m.seq) ?? { releases: 0 };
    record.releases++;
    this.#ledger.set(m.seq, record);
    // nak(0) on 2.9.10 can rewind the delivery count to 1; a 1 ms delay keeps it counting.
    if (!this.#send(() => m.nak(Math.max(1, delayMs)), "release", m.seq)) return;
    if (this.#hub.has("released")) {
      this.#hub.emit("released", { ...this.#base(m, a), delayMs, reason });
    }
    this.#metrics.count("released", this.#attrs);
  }

  async #deadLetter(
    entry: InFlight,
    error: unknown,
    reason: DeadLetterReason,
    attempt: number,
    ledger: Ledger | undefined,
  ): Promise<void> {
    const m = entry.msg;
    const d = this.d;
    const now = Date.now();
    const errorClass = errorClassName(error);
    const message = errorMessage(error);
    let dlqSeq: number | undefined;
    let duplicate = false;
    if (d.dlq) {
      try {
        const result = await publishDeadLetter(
          this.#handles,
          d.dlq,
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
            firstFailureAt: new Date(ledger?.firstFailureAtMs ?? now),
            lastFailureAt: new Date(ledger?.lastFailureAtMs ?? now),
            reason,
          },
          this.options.deadLetterPublish ?? DEFAULT_DEAD_LETTER_PUBLISH,
          this.#random,
        );
        dlqSeq = result.seq;
        duplicate = result.duplicate;
      } catch (publishError) {
        this.#emitError("dead-letter", publishError, m.seq);
        // Not lost: it comes back and is dead-lettered on a later delivery.
        this.#release(m, "dlq-unavailable", backoffDelayMs(d.retry, 1, this.#random), attempt);
        return;
      }
    } else {
      this.options.logger?.warn("message terminated without a dead-letter target", {
        stream: d.stream,
        seq: m.seq,
        errorClass,
      });
    }
    await this.options.faults?.beforeTerm?.(m.seq);
    if (entry.released) return;
    // Servers before 2.10.4 ignore `term(reason)` and redeliver: bare term there.
    const termed = this.#send(
      () => (this.#termWithReason ? m.term(`${reason}: ${errorClass}`) : m.term()),
      "term",
      m.seq,
    );
    if (!termed) return;
    this.#ledger.delete(m.seq);
    if (this.#hub.has("deadLettered")) {
      this.#hub.emit("deadLettered", {
        ...this.#base(m, attempt),
        dlqSubject: d.dlq?.subject,
        dlqStream: d.dlq?.stream,
        dlqSeq,
        duplicate,
        reason,
        errorClass,
        errorMessage: message,
      });
    }
    this.#metrics.count("deadLettered", this.#attrs);
  }

  /** Sends an ack-protocol message; false (and an error event) when the connection refused it. */
  #send(action: () => void, stage: string, streamSequence: number): boolean {
    try {
      action();
      return true;
    } catch (error) {
      this.#emitError(stage, error, streamSequence);
      return false;
    }
  }

  #onBreakerChange(state: BreakerState, previous: BreakerState): void {
    const name =
      state === "open"
        ? "breakerOpened"
        : state === "half-open"
          ? "breakerHalfOpen"
          : "breakerClosed";
    this.#metrics.count(name, this.#attrs);
    this.#hub.emit(name, {
      operationId: this.d.operationId,
      consumer: this.d.durable,
      state,
      previous,
    });
    this.#wake();
  }

  #emitError(stage: string, error: unknown, streamSequence?: number): void {
    this.#metrics.count("error", this.#attrs);
    if (this.#hub.has("error")) {
      this.#hub.emit("error", {
        operationId: this.d.operationId,
        consumer: this.d.durable,
        stage,
        error,
        ...(streamSequence !== undefined ? { streamSequence } : {}),
      });
    } else {
      this.options.logger?.warn(`jetcontract consumer ${this.d.durable}: ${stage} failed`, {
        error,
        streamSequence,
      });
    }
  }
}

/** Whether a JetStream API error says the durable or its stream does not exist. */
function goneReason(error: unknown): ClosedReason | undefined {
  if (!(error instanceof JetStreamApiError)) return undefined;
  if (error.code === JetStreamApiCodes.StreamNotFound) return "stream-not-found";
  if (error.code === JetStreamApiCodes.ConsumerNotFound) return "consumer-not-found";
  return undefined;
}
