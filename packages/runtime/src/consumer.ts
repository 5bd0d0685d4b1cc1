/**
 * Consumer: a durable pull consumer with explicit ack and, per message,
 * decode → validate → dedup claim → handler (timeout, `working()` heartbeats) → record done
 * (unless the store is `doneOnAck`) → confirmed ack (its confirmation holds no handler slot).
 * Failures: permanent → dead-letter now; transient → `nak(delay)` with the next backoff delay
 * until the attempts are spent, then dead-letter.
 *
 * This module holds the lifecycle (start, stop, a durable gone) and one message's way through
 * the steps. The decisions are pure functions (consumer/decisions.ts); around them: the attempt
 * ledger (consumer/ledger.ts), the pull loop (consumer/puller.ts), the handler's run
 * (consumer/handler.ts), applying an outcome (consumer/settlements.ts) over the ack protocol
 * with confirmation and re-sending (consumer/settler.ts), redelivered completions
 * (consumer/completions.ts) and the spans (consumer/tracing.ts).
 */
import type { Consumer, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import type { RandomSource } from "./backoff.js";
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
import { CompletionGuard } from "./consumer/completions.js";
import {
  afterClaim,
  afterFailure,
  goneReason,
  pullSize,
  type ReleaseOutcome,
  release,
  whenBreakerRefuses,
} from "./consumer/decisions.js";
import { type InFlight, inFlight, MessageContext, runHandler } from "./consumer/handler.js";
import { AttemptLedger, type LedgerEntry } from "./consumer/ledger.js";
import { PullLoop } from "./consumer/puller.js";
import { Settlements } from "./consumer/settlements.js";
import { Settler } from "./consumer/settler.js";
import { ConsumerTracing, type MessageTrace } from "./consumer/tracing.js";
import type {
  ConsumerOptions,
  MessageConsumer,
  MessageHandler,
  StopOptions,
} from "./consumer/types.js";
import { createKvDedupStore } from "./dedup/kv.js";
import { MemoryDedupStore } from "./dedup/memory.js";
import type { ClaimResult, DedupStore } from "./dedup/types.js";
import type { ConsumerDescriptor, MessageHeaders } from "./descriptors.js";
import { nanosToMs } from "./duration.js";
import { ensureConsumer } from "./ensure.js";
import {
  ConfigurationError,
  DecodeError,
  errorClassName,
  SchemaValidationError,
} from "./errors.js";
import {
  type ClosedEvent,
  type ClosedReason,
  type ConsumerEvents,
  EventHub,
  type EventSource,
} from "./events.js";
import { messageRef, supersededRef } from "./redrive.js";
import { destinationTemplate } from "./semconv.js";
import { Attr, type Attributes, RuntimeMetrics, recordSpanError } from "./telemetry.js";
import { retryUnanswered } from "./unanswered.js";

export type {
  ConsumerFaults,
  ConsumerOptions,
  HandlerContext,
  HandlerSpan,
  MessageConsumer,
  MessageHandler,
  StopOptions,
} from "./consumer/types.js";

/** How long in-flight handlers may run after `stop()` by default. */
const DEFAULT_STOP_DEADLINE_MS = 10_000;
/** How long `start()` waits out unanswered requests (elections took up to 8.3 s here). */
const START_RIDE_THROUGH_MS = 30_000;
/** Default delay of the nak that gives a message back on stop (see `stopReleaseDelayMs`). */
const DEFAULT_STOP_RELEASE_DELAY_MS = 1;

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
  readonly #nc: NatsConnection;
  readonly #bulkhead: Bulkhead;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #ledger = new AttemptLedger();
  readonly #settler: Settler;
  /** The delivery of each stream sequence in flight here. */
  readonly #inflight = new Map<number, InFlight>();
  readonly #random: RandomSource;
  readonly #attrs: Attributes;
  readonly #tracing: ConsumerTracing;
  readonly #settled: Settlements;
  /** Work a stop waits for: ack confirmations, naks, terms, dead-letters outside a slot. */
  readonly #pending = new Set<Promise<void>>();
  #consumer: Consumer | undefined;
  #store: DedupStore | undefined;
  #running = false;
  #puller: PullLoop | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #heartbeatMs = 1_000;
  /** The effective ack wait: how long a settle may be re-sent. */
  #ackWaitMs = 30_000;
  #termWithReason = false;
  /** With a `doneOnAck` store: completions remembered for redeliveries of lost acks. */
  #completions: CompletionGuard | undefined;
  #catcher: DeadLetterCatcher | undefined;
  /** Set once a pull failed and the durable or its stream was found gone. */
  #gone: { reason: ClosedReason; error: unknown } | undefined;
  #checkingGone = false;
  readonly #closed: Promise<ClosedEvent>;
  #resolveClosed: (event: ClosedEvent) => void = () => undefined;

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
    this.#nc = nc;
    this.#settler = new Settler(nc, {
      confirm: options.confirmAck !== false,
      dropAck: options.faults?.dropAck,
    });
    this.#bulkhead = new Bulkhead(Math.max(1, Math.min(d.concurrency, d.maxAckPending)));
    this.#random = options.random ?? Math.random;
    const template = destinationTemplate(d.subject);
    this.#attrs = {
      [Attr.system]: "nats",
      ...(d.subject.split(".").includes("*")
        ? { [Attr.destinationTemplate]: template }
        : { [Attr.destination]: d.subject }),
      [Attr.consumerGroup]: d.durable,
      [Attr.operationName]: "process",
      [Attr.operationType]: "process",
    };
    this.#tracing = new ConsumerTracing(template, this.#attrs, d.stream);
    // The scope reads the settings `start()` learns from the server when they are used.
    const self = this;
    this.#settled = new Settlements({
      d,
      options,
      handles: this.#handles,
      settler: this.#settler,
      ledger: this.#ledger,
      tracing: this.#tracing,
      hub: this.#hub,
      metrics: this.#metrics,
      attrs: this.#attrs,
      random: this.#random,
      get ackWaitMs() {
        return self.#ackWaitMs;
      },
      get termWithReason() {
        return self.#termWithReason;
      },
      get store() {
        return self.#store;
      },
      get completions() {
        return self.#completions;
      },
      running: () => this.#running,
      hold: (task) => this.#hold(task),
      emitError: (stage, error, seq) => this.#emitError(stage, error, seq),
    });
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
  get durable(): string {
    return this.d.durable;
  }
  get stream(): string {
    return this.d.stream;
  }

  closed(): Promise<ClosedEvent> {
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  // ---------------------------------------------------------------- start and stop

  async start(): Promise<void> {
    if (this.#running) return;
    const d = this.d;
    if (this.options.ensure) {
      await ensureConsumer(this.conn, d, this.options.ensure === true ? {} : this.options.ensure);
    }
    let consumer: Consumer;
    let info: Awaited<ReturnType<Consumer["info"]>>;
    try {
      // A consumer (re)started during a leader election gets no answer for a few seconds.
      consumer = await retryUnanswered(
        () => this.#handles.js.consumers.get(d.stream, d.durable),
        START_RIDE_THROUGH_MS,
      );
      info = await retryUnanswered(() => consumer.info(true), START_RIDE_THROUGH_MS);
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
    this.#consumer = consumer;
    // With `backoff`, each delivery's ack wait is its backoff entry: the shortest counts.
    const serverAckWaitMs = nanosToMs(
      Math.min(...(info.config.backoff ?? []), info.config.ack_wait ?? 30_000_000_000),
    );
    this.#ackWaitMs = Math.min(serverAckWaitMs, d.ackWaitMs);
    this.#heartbeatMs =
      this.options.heartbeatIntervalMs ?? Math.max(5, Math.floor(this.#ackWaitMs / 3));
    this.#store =
      this.options.dedupStore ??
      (await retryUnanswered(() => this.#storeFromDescriptor(), START_RIDE_THROUGH_MS));
    this.#termWithReason = supportsTermReason(this.#nc);
    this.#running = true;
    const store = this.#store;
    if (store?.doneOnAck) {
      this.#completions ??= new CompletionGuard({
        store,
        ackWaitMs: Math.max(serverAckWaitMs, d.ackWaitMs),
        running: () => this.#running,
        onError: (stage, error, seq) => this.#emitError(stage, error, seq),
      });
      this.#completions.watch(this.#nc);
    }
    if (d.deadLetter && this.options.catchExhausted !== false) {
      this.#catcher = await startDeadLetterCatcher(this.#nc, {
        stream: d.stream,
        consumer: d.durable,
        deadLetter: d.deadLetter,
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
    const breaker = this.#breaker;
    this.#puller = new PullLoop(consumer, {
      expiresMs: Math.max(1_000, this.options.pullExpiresMs ?? 2_000),
      want: (requested) =>
        pullSize({
          limit: this.#bulkhead.limit,
          inUse: this.#bulkhead.inUse,
          requested,
          breaker: breaker && { state: breaker.state, capacity: breaker.capacity() },
        }),
      idleMs: () => {
        const untilHalfOpen = breaker?.msUntilHalfOpen() ?? 0;
        return untilHalfOpen > 0 ? untilHalfOpen : undefined;
      },
      dispatch: (m) => this.#dispatch(m),
      onError: (error) => this.#emitError("pull", error),
      onIdle: () => this.#checkGone(),
    });
    this.#puller.start();
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
    await this.#puller?.stop();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      this.#bulkhead.idle().then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), options.deadlineMs ?? DEFAULT_STOP_DEADLINE_MS);
      }),
    ]);
    clearTimeout(timer);
    let released = 0;
    if (timedOut) {
      for (const entry of this.#inflight.values()) {
        if (entry.released) continue;
        entry.released = true;
        entry.controller?.abort(new Error("consumer stopped"));
        this.#settled.released(entry.msg, this.#stopRelease(), undefined);
        released++;
      }
    }
    await this.#idle();
    await this.#puller?.ended();
    await this.#completions?.stop();
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

  /** Waits for the pending work (a settled task may have started another: a done marker). */
  async #idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Keeps `task` until it settles, so `stop()` waits for it. */
  #hold(task: Promise<void>): void {
    this.#pending.add(task);
    void task.finally(() => this.#pending.delete(task));
  }

  #stopRelease(): ReleaseOutcome {
    return release("stopping", this.options.stopReleaseDelayMs ?? DEFAULT_STOP_RELEASE_DELAY_MS);
  }

  /**
   * After a failed or instantly empty pull: asks the server whether the durable and its stream
   * still exist; if not, the consumer stops by itself (a pull would fail for ever).
   */
  #checkGone(): void {
    if (this.#checkingGone || !this.#running || !this.#consumer) return;
    this.#checkingGone = true;
    void this.#consumer
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

  // ---------------------------------------------------------------- deliveries

  #dispatch(m: JsMsg): void {
    if (!this.#running) {
      this.#settled.released(m, this.#stopRelease(), undefined);
      return;
    }
    const running = this.#inflight.get(m.seq);
    if (running && !running.released) {
      // A redelivery racing the delivery still in flight here (its ack wait ran out under
      // load, or the server resent it before the nak arrived). Running it would run the
      // handler twice at once and spend an attempt nobody failed; naking it would reschedule
      // the message behind the in-flight outcome. The in-flight delivery's ack, nak or term
      // settles the message (the server matches them by stream sequence); this one is only
      // counted, so the next attempt number stays right.
      this.#ledger.superseded(m.seq);
      running.lastBeatMs = Date.now();
      this.#settled.working(running.msg);
      return;
    }
    const breaker = this.#breaker;
    if (breaker && !breaker.tryAcquire()) {
      const attempt = this.#ledger.attemptOf(m.seq, m.info.deliveryCount);
      const outcome = whenBreakerRefuses(
        attempt,
        this.d.retry.maxAttempts,
        breaker.msUntilHalfOpen(),
      );
      if (outcome.action === "release") this.#settled.released(m, outcome, attempt);
      else this.#deadLetterSpent(m, attempt);
      return;
    }
    if (!this.#bulkhead.tryAcquire()) {
      // Cannot happen when pulls respect the free slots; be safe anyway.
      breaker?.onNeutral();
      this.#settled.released(m, release("stopping", 100), undefined);
      return;
    }
    const entry = inFlight(m);
    this.#inflight.set(entry.seq, entry);
    this.#process(entry).then(
      () => this.#finished(entry),
      (error: unknown) => {
        this.#emitError("process", error, entry.seq);
        this.#finished(entry);
      },
    );
  }

  /** A delivery's run ended: its handler slot is free. */
  #finished(entry: InFlight): void {
    if (this.#inflight.get(entry.seq) === entry) this.#inflight.delete(entry.seq);
    this.#bulkhead.release();
    this.#puller?.wake();
  }

  /** Dead-letters a delivery whose attempts are spent without running the handler. */
  #deadLetterSpent(m: JsMsg, attempt: number): void {
    const spent = attempt - 1;
    const error = new Error(
      `attempts spent (${spent} of ${this.d.retry.maxAttempts}) while the circuit breaker refused new work`,
    );
    this.#hold(
      this.#settled
        .deadLettered(
          inFlight(m),
          error,
          "attempts-exhausted",
          spent,
          this.#ledger.get(m.seq),
          this.#tracing.traceOf(m),
        )
        .catch((e: unknown) => this.#emitError("dead-letter", e, m.seq)),
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
        this.#settled.working(entry.msg);
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

  // ---------------------------------------------------------------- one message

  async #process(entry: InFlight): Promise<void> {
    const m = entry.msg;
    const seq = entry.seq;
    const history = this.#ledger.get(seq);
    const attempt = this.#ledger.attemptOf(seq, m.info.deliveryCount);
    if (this.#hub.has("received")) this.#hub.emit("received", this.#settled.base(m, attempt));
    this.#metrics.consumedMessages.add(1, this.#attrs);

    const headers = headersToRecord(m.headers);
    const traced = this.#tracing.trace(headers);
    let payload: T;
    let key: string | undefined;
    try {
      ({ payload, key } = this.#decode(m, headers));
    } catch (error) {
      this.#breaker?.onNeutral();
      await this.#settled.deadLettered(entry, error, "permanent", attempt, history, traced);
      return;
    }

    const store = this.#store;
    if (store && key !== undefined) {
      if (this.#completions?.handled(seq, key)) {
        // Handled and acked here already: the server lost the ack. Ack again, do not re-run.
        this.#breaker?.onNeutral();
        await this.#settled.skipped(m, attempt, key, "redelivered", traced);
        return;
      }
      let claim: ClaimResult | undefined;
      try {
        const claiming = store.claim(key, messageRef(this.d.stream, seq), supersededRef(headers));
        claim = claiming instanceof Promise ? await claiming : claiming;
      } catch (error) {
        this.#emitError("dedup-claim", error, seq);
      }
      if (claim?.status !== "claimed") {
        this.#breaker?.onNeutral();
        const outcome = afterClaim(claim, {
          handlerTimeoutMs: this.d.handlerTimeoutMs,
          retry: this.d.retry,
          random: this.#random,
        });
        if (outcome.action === "skip")
          await this.#settled.skipped(m, attempt, key, outcome.reason, traced);
        else if (outcome.action === "release") this.#settled.released(m, outcome, attempt, traced);
        return;
      }
      entry.token = claim.token;
      entry.lastRenewMs = Date.now();
    }
    if (entry.released) {
      // Stopped past the deadline while claiming.
      if (entry.token) await this.#settled.endClaim(entry.token, false);
      return;
    }
    await this.#handle(entry, payload, key, headers, attempt, history, traced);
  }

  /** decode → validate payload and headers → idempotency key; failures are permanent. */
  #decode(m: JsMsg, headers: MessageHeaders): { payload: T; key: string | undefined } {
    const message = this.d.message;
    const value = decodePayload(message, m.data);
    const validate = message.validate;
    if (validate && !validate(value)) {
      throw new SchemaValidationError(
        `${message.name} does not match its schema`,
        validate.errors ?? [],
      );
    }
    const validateHeaders = message.validateHeaders;
    if (validateHeaders && !validateHeaders(headers)) {
      throw new SchemaValidationError(
        `${message.name} headers do not match their schema`,
        validateHeaders.errors ?? [],
      );
    }
    const payload = value as T;
    try {
      const key = message.idempotencyKey
        ? message.idempotencyKey(payload, headers)
        : headers["Nats-Msg-Id"];
      return { payload, key };
    } catch (cause) {
      throw new DecodeError(`${message.name}: idempotency key could not be read`, { cause });
    }
  }

  /** Runs the handler in its span and applies the outcome. */
  async #handle(
    entry: InFlight,
    payload: T,
    key: string | undefined,
    headers: MessageHeaders,
    attempt: number,
    history: LedgerEntry | undefined,
    traced: MessageTrace,
  ): Promise<void> {
    const m = entry.msg;
    const hub = this.#hub;
    const span = this.#tracing.startProcess(traced, m, attempt, key);
    if (hub.has("handlerStarted")) {
      hub.emit("handlerStarted", { ...this.#settled.base(m, attempt), idempotencyKey: key });
    }
    const started = performance.now();
    let failure: unknown;
    let ok = false;
    try {
      const ctx = new MessageContext(
        entry,
        this.d.stream,
        this.d.durable,
        attempt,
        key,
        headers,
        span,
        () => this.#settled.working(m),
      );
      const active = this.#tracing.needsContext(traced) ? span : undefined;
      const pending = runHandler(
        this.handler,
        payload,
        ctx,
        entry,
        active,
        this.d.handlerTimeoutMs,
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
    if (ok) await this.#succeeded(entry, key, attempt, durationMs, traced);
    else await this.#failed(entry, failure, attempt, durationMs, history, traced);
  }

  async #succeeded(
    entry: InFlight,
    key: string | undefined,
    attempt: number,
    durationMs: number,
    traced: MessageTrace,
  ): Promise<void> {
    const m = entry.msg;
    const store = this.#store;
    this.#breaker?.onSuccess();
    // A `doneOnAck` store needs no done marker when the ack goes through (see Settlements.acked).
    if (entry.token && !(store?.doneOnAck && !entry.released)) {
      const ending = this.#settled.endClaim(entry.token, true);
      if (ending) await ending;
    }
    if (this.#hub.has("handlerSucceeded")) {
      this.#hub.emit("handlerSucceeded", { ...this.#settled.base(m, attempt), durationMs });
    }
    traced.process?.end();
    if (entry.released) return;
    const doneOnAckToken = store?.doneOnAck ? entry.token : undefined;
    if (doneOnAckToken && key !== undefined) {
      // Remembered before the ack goes out: a redelivery can only follow the ack.
      this.#completions?.remember(m.seq, key, doneOnAckToken);
    }
    this.#settled.acked(m, doneOnAckToken, attempt, entry.lastBeatMs, traced);
  }

  async #failed(
    entry: InFlight,
    failure: unknown,
    attempt: number,
    durationMs: number,
    history: LedgerEntry | undefined,
    traced: MessageTrace,
  ): Promise<void> {
    const m = entry.msg;
    const seq = m.seq;
    const span = traced.process;
    if (span) {
      recordSpanError(span, failure);
      span.end();
    }
    if (this.#hub.has("handlerFailed")) {
      this.#hub.emit("handlerFailed", {
        ...this.#settled.base(m, attempt),
        durationMs,
        error: failure,
      });
    }
    this.#metrics.count("handlerFailed", this.#attrs);
    if (entry.token) await this.#settled.endClaim(entry.token, false);
    if (entry.released) return;

    const breaker = this.#breaker;
    const decision = afterFailure({
      failure,
      attempt,
      retry: this.d.retry,
      breaker: breaker && { state: breaker.state, msUntilHalfOpen: breaker.msUntilHalfOpen() },
      previousDelayMs: (this.#ledger.get(seq) ?? history)?.previousDelayMs,
      random: this.#random,
    });
    if (decision.breaker === "failure") breaker?.onFailure();
    else breaker?.onNeutral();
    const record = decision.spent
      ? this.#ledger.failed(seq, attempt, Date.now(), history)
      : history;
    const outcome = decision.outcome;
    switch (outcome.action) {
      case "dead-letter":
        await this.#settled.deadLettered(entry, failure, outcome.reason, attempt, record, traced);
        return;
      case "release":
        this.#settled.released(m, outcome, attempt, traced, entry.lastBeatMs);
        return;
      case "retry":
        this.#settled.retried(entry, outcome.delayMs, failure, attempt, traced);
        return;
      default:
        return;
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
    this.#puller?.wake();
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
