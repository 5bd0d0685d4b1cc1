/**
 * Publisher: typed payload → validated, encoded JetStream publish with `Nats-Msg-Id` from the
 * idempotency key; transient failures retried with backoff and jitter under the same id,
 * bounded by attempts and an overall deadline, honouring an AbortSignal.
 */
import { randomUUID } from "node:crypto";
import { JetStreamApiCodes, JetStreamApiError, type PubAck } from "@nats-io/jetstream";
import {
  ClosedConnectionError,
  DrainingConnectionError,
  type MsgHdrs,
  TimeoutError,
} from "@nats-io/nats-core";
import { backoffDelayMs, type RandomSource } from "./backoff.js";
import { encodePayload } from "./codec.js";
import { type Connectable, type JsHandles, jsHandles, recordToHeaders } from "./connection.js";
import type {
  MessageHeaders,
  PublisherDescriptor,
  PublishPolicy,
  RetryPolicy,
} from "./descriptors.js";
import { sleepMs } from "./duration.js";
import {
  errorClassName,
  errorMessage,
  PublishAbortedError,
  PublishRejectedError,
  PublishRetriesExhaustedError,
  SchemaValidationError,
  StreamNotFoundForSubjectError,
  WrongExpectedSequenceError,
} from "./errors.js";
import {
  EventHub,
  type EventSource,
  type Hooks,
  type Logger,
  type PublisherEvents,
} from "./events.js";
import { DEFAULT_PUBLISH_POLICY } from "./policy.js";
import { destinationTemplate } from "./semconv.js";
import {
  Attr,
  context,
  injectTraceContext,
  propagation,
  RuntimeMetrics,
  recordSpanError,
  SpanKind,
  trace,
  tracer,
} from "./telemetry.js";
import { describeUnanswered, isNoResponders } from "./unanswered.js";

/** Stream expectations checked by the server before storing (failures are permanent). */
export interface PublishExpectations {
  readonly streamName?: string;
  readonly lastSequence?: number;
  readonly lastSubjectSequence?: number;
  readonly lastMsgId?: string;
}

export interface PublishOptions {
  /** Extra headers (string values). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Values for the `*` tokens of the descriptor's subject: positional, or by `subjectParams` name. */
  readonly params?: readonly string[] | Readonly<Record<string, string>>;
  /** Overrides the idempotency key (otherwise from the descriptor's key extractor, else a UUID). */
  readonly msgId?: string;
  readonly signal?: AbortSignal;
  readonly expect?: PublishExpectations;
  /** Overrides the policy's overall deadline for this call. */
  readonly deadlineMs?: number;
}

export interface PublishResult {
  readonly stream: string;
  readonly seq: number;
  /** True when the stream already held this `Nats-Msg-Id` within its duplicate window. */
  readonly duplicate: boolean;
  readonly msgId: string;
  readonly subject: string;
  readonly attempts: number;
}

export interface PublisherOptions {
  /** Validate outbound payloads with the descriptor's validator (default true). */
  readonly validate?: boolean;
  readonly hooks?: Hooks<PublisherEvents>;
  readonly logger?: Logger;
  /** Random source for jitter (default `Math.random`). */
  readonly random?: RandomSource;
}

export interface Publisher<T> extends AsyncDisposable {
  /** Publishes one message; resolves once the stream acknowledged it. */
  publish(payload: T, options?: PublishOptions): Promise<PublishResult>;
  /**
   * Refuses new publishes (`PublishRejectedError`) and resolves when those in flight settled.
   * The connection stays open: it belongs to the caller. `await using` calls it.
   */
  close(): Promise<void>;
  readonly events: EventSource<PublisherEvents>;
}

/** Creates a publisher for one operation. `conn` is a NATS connection or a JetStream client. */
export function createPublisher<T>(
  conn: Connectable,
  descriptor: PublisherDescriptor<T>,
  options: PublisherOptions = {},
): Publisher<T> {
  const policy = descriptor.publish ?? DEFAULT_PUBLISH_POLICY;
  const handles = jsHandles(conn, policy.timeoutMs);
  const hub = new EventHub<PublisherEvents>(options.hooks, options.logger);
  const metricsSink = new RuntimeMetrics();
  const validate = options.validate !== false ? descriptor.message.validate : undefined;
  const validateHeaders =
    options.validate !== false ? descriptor.message.validateHeaders : undefined;
  const random = options.random ?? Math.random;
  const baseAttributes = {
    [Attr.system]: "nats",
    [Attr.operationType]: "send",
    [Attr.operationName]: "publish",
  };
  const hasWildcard = descriptor.subject.split(".").includes("*");
  const spanTracer = tracer();
  // Spans and metrics name the channel address (`payments.{region}.captured`), not the
  // concrete subject, so parameterised channels stay low-cardinality.
  const template = destinationTemplate(descriptor.subject, descriptor.subjectParams);
  const metricAttributes = {
    ...baseAttributes,
    ...(hasWildcard
      ? { [Attr.destinationTemplate]: template }
      : { [Attr.destination]: descriptor.subject }),
  };

  const publishOne = async (payload: T, opts: PublishOptions): Promise<PublishResult> => {
    const subject = hasWildcard
      ? fillSubject(descriptor.subject, opts.params, descriptor.subjectParams)
      : descriptor.subject;
    const userHeaders: MessageHeaders = opts.headers ?? {};
    if (validate && !validate(payload)) {
      throw new SchemaValidationError(
        `outbound ${descriptor.message.name} does not match its schema`,
        validate.errors ?? [],
      );
    }
    if (validateHeaders && !validateHeaders(userHeaders)) {
      throw new SchemaValidationError(
        `outbound ${descriptor.message.name} headers do not match their schema`,
        validateHeaders.errors ?? [],
      );
    }
    const msgId =
      opts.msgId ?? descriptor.message.idempotencyKey?.(payload, userHeaders) ?? randomUUID();
    const data = encodePayload(descriptor.message, payload);
    const started = performance.now();
    const span = spanTracer.startSpan(`publish ${template}`, { kind: SpanKind.PRODUCER });
    // Attributes are built only for a recording span (no SDK registered: no cost).
    if (span.isRecording()) {
      span.setAttributes({
        ...baseAttributes,
        [Attr.destination]: subject,
        ...(hasWildcard ? { [Attr.destinationTemplate]: template } : {}),
        [Attr.messageId]: msgId,
        [Attr.bodySize]: data.byteLength,
      });
    }
    // Trace context goes into headers when a span records or a propagator is registered.
    let carrier: Readonly<Record<string, string>> = userHeaders;
    if (span.isRecording() || propagation.fields().length > 0) {
      const withTrace: Record<string, string> = { ...userHeaders };
      injectTraceContext(trace.setSpan(context.active(), span), withTrace);
      carrier = withTrace;
    }
    const hdrs = recordToHeaders(carrier);
    try {
      const result = await publishWithRetry(handles, {
        subject,
        data,
        msgId,
        headers: hdrs,
        policy,
        random,
        expect: opts.expect,
        stream: descriptor.stream,
        signal: opts.signal,
        deadlineMs: opts.deadlineMs,
        onRetry: hub.has("publishRetried")
          ? (attempt, delayMs, error) =>
              hub.emit("publishRetried", {
                operationId: descriptor.operationId,
                subject,
                msgId,
                attempt,
                delayMs,
                error,
              })
          : undefined,
      });
      const durationMs = performance.now() - started;
      if (span.isRecording()) {
        span.setAttribute(Attr.stream, result.stream);
        span.setAttribute(Attr.streamSequence, result.seq);
        if (result.duplicate) span.setAttribute("jetcontract.duplicate", true);
      }
      span.end();
      metricsSink.sentMessages.add(1, metricAttributes);
      metricsSink.operationDuration.record(durationMs / 1_000, metricAttributes);
      if (hub.has("published")) {
        hub.emit("published", {
          operationId: descriptor.operationId,
          subject,
          msgId,
          stream: result.stream,
          seq: result.seq,
          duplicate: result.duplicate,
          attempts: result.attempts,
          durationMs,
        });
      }
      return result;
    } catch (error) {
      recordSpanError(span, error);
      span.end();
      metricsSink.operationDuration.record((performance.now() - started) / 1_000, {
        ...metricAttributes,
        [Attr.errorType]: errorClassName(error),
      });
      if (hub.has("publishFailed")) {
        hub.emit("publishFailed", {
          operationId: descriptor.operationId,
          subject,
          msgId,
          attempts: (error as { attempts?: number }).attempts ?? 0,
          error,
        });
      }
      throw error;
    }
  };

  // In-flight publishes, so `close()` can wait for them.
  let pending = 0;
  let closing = false;
  let idle: (() => void) | undefined;
  return {
    events: hub,
    publish(payload, opts = {}) {
      if (closing) {
        return Promise.reject(
          new PublishRejectedError(
            `publisher of ${descriptor.subject} is closed`,
            descriptor.subject,
            opts.msgId ?? "",
            0,
          ),
        );
      }
      pending++;
      return publishOne(payload, opts).finally(() => {
        if (--pending === 0) idle?.();
      });
    },
    async close() {
      closing = true;
      if (pending > 0) await new Promise<void>((resolve) => (idle = resolve));
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}

/** Fills the `*` tokens of `pattern` from positional or named params. */
export function fillSubject(
  pattern: string,
  params: PublishOptions["params"],
  names?: readonly string[],
): string {
  const tokens = pattern.split(".");
  let index = 0;
  return tokens
    .map((t) => {
      if (t !== "*") return t;
      const i = index++;
      let value: string | undefined;
      if (Array.isArray(params)) value = (params as readonly string[])[i];
      else if (params && names) {
        const name = names[i];
        value = name === undefined ? undefined : (params as Record<string, string>)[name];
      }
      if (value === undefined || value === "" || /[\s.*>]/.test(value)) {
        throw new RangeError(
          `subject ${pattern}: token ${i + 1} needs a value without . * > or spaces`,
        );
      }
      return value;
    })
    .join(".");
}

// --------------------------------------------------------------------- retry core

export interface PublishRequest {
  readonly subject: string;
  /** The stream the contract puts the subject in (named when no stream captures it). */
  readonly stream?: string | undefined;
  readonly data: Uint8Array;
  readonly msgId: string;
  readonly headers: MsgHdrs;
  readonly policy: PublishPolicy;
  readonly random: RandomSource;
  readonly expect?: PublishExpectations | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly deadlineMs?: number | undefined;
  readonly onRetry?: ((attempt: number, delayMs: number, error: unknown) => void) | undefined;
}

type FailureKind = "transient" | "no-responders" | "expectation" | "rejected";

/** JetStream API error codes the publish path tells apart (nats.js names only some). */
const ApiCode = {
  ...JetStreamApiCodes,
  StreamWrongLastMsgId: 10070,
  StreamNameMismatch: 10060,
} as const;

/** HTTP-like statuses of JetStream API replies that mean "try again". */
const TRANSIENT_STATUS: ReadonlySet<number> = new Set([
  408, // request timeout
  429, // too many requests (2.11+ servers under load)
  503, // no leader / unavailable
]);

/** How a failed JetStream publish should be handled. */
export function classifyPublishFailure(e: unknown): FailureKind {
  if (e instanceof TimeoutError) return "transient";
  if (isNoResponders(e)) return "no-responders";
  if (e instanceof ClosedConnectionError || e instanceof DrainingConnectionError) {
    return "rejected";
  }
  if (e instanceof JetStreamApiError) {
    switch (e.code) {
      case ApiCode.StreamWrongLastSequence:
      case ApiCode.StreamWrongLastSequenceUnknown:
      case ApiCode.StreamWrongLastMsgId:
      case ApiCode.StreamNameMismatch:
        return "expectation";
    }
    return TRANSIENT_STATUS.has(e.status) ? "transient" : "rejected";
  }
  // Connection errors, request errors, unknown failures: worth another try.
  return "transient";
}

/** Least time left for a last try when the next backoff delay would overrun the deadline. */
const LAST_TRY_MS = 100;

/**
 * The pause before the next try: the backoff delay, shortened so that a last try still fits
 * before the deadline; undefined when no try fits any more.
 */
export function pauseBeforeRetry(
  delayMs: number,
  nowMs: number,
  deadlineAtMs: number,
): number | undefined {
  const left = deadlineAtMs - nowMs;
  if (left <= LAST_TRY_MS) return undefined;
  return Math.min(delayMs, left - LAST_TRY_MS);
}

/**
 * Publishes with retries. Every attempt carries the same `Nats-Msg-Id`, so the stream's
 * duplicate window removes repeats of an attempt whose ack was lost.
 *
 * The deadline bounds the retries; `maxAttempts` counts only the tries that reached a stream:
 * "no responders" while the stream exists (its leader is being elected, 4–6 s on 2.9.10) comes
 * back within a millisecond, so counting those would spend the attempts long before the deadline.
 */
export async function publishWithRetry(
  handles: JsHandles,
  req: PublishRequest,
): Promise<PublishResult> {
  const { policy, signal } = req;
  const retry: RetryPolicy = policy.retry;
  const deadlineMs = req.deadlineMs ?? policy.deadlineMs;
  const deadlineAt = Date.now() + deadlineMs;
  const maxAttempts = Math.max(1, retry.maxAttempts);
  const aborted = (attempts: number, cause: unknown) =>
    new PublishAbortedError(`publish to ${req.subject} aborted`, req.subject, req.msgId, attempts, {
      cause,
    });
  let previousDelay: number | undefined;
  let lastError: unknown;
  /** Tries that reached a stream (refusals for lack of a leader not counted). */
  let counted = 0;
  let streamExists = false;
  let attempt = 0;
  for (;;) {
    attempt++;
    if (signal?.aborted) throw aborted(attempt - 1, signal.reason);
    const timeout = Math.max(1, Math.min(policy.timeoutMs, deadlineAt - Date.now()));
    try {
      const ack: PubAck = await raceAbort(
        handles.js.publish(req.subject, req.data, {
          msgID: req.msgId,
          headers: req.headers,
          timeout,
          ...(req.expect ? { expect: toExpect(req.expect) } : {}),
        }),
        signal,
      );
      return {
        stream: ack.stream,
        seq: ack.seq,
        duplicate: (ack as PubAck & { duplicate?: boolean }).duplicate === true,
        msgId: req.msgId,
        subject: req.subject,
        attempts: attempt,
      };
    } catch (error) {
      if (signal?.aborted) throw aborted(attempt, signal.reason);
      lastError = error;
      let kind: FailureKind | "no-stream" = classifyPublishFailure(error);
      if (kind === "no-responders") {
        // Is there a stream for the subject at all? Asked once: then it is an election.
        if (!streamExists) kind = await streamLookup(handles, req.subject);
        streamExists ||= kind === "transient";
      } else counted++;
      if (kind === "no-stream") {
        throw new StreamNotFoundForSubjectError(
          `no stream captures subject ${req.subject}${req.stream ? ` (the contract puts it in stream ${req.stream})` : ""}: create it with \`jetcontract streams apply <contract>\``,
          req.subject,
          req.msgId,
          attempt,
          { cause: error },
        );
      }
      if (kind === "expectation") {
        throw new WrongExpectedSequenceError(
          `publish to ${req.subject} failed an expectation: ${errorMessage(error)}`,
          req.subject,
          req.msgId,
          attempt,
          { cause: error },
        );
      }
      if (kind === "rejected") {
        throw new PublishRejectedError(
          `publish to ${req.subject} rejected: ${errorMessage(error)}`,
          req.subject,
          req.msgId,
          attempt,
          { cause: error },
        );
      }
      if (counted >= maxAttempts) {
        throw new PublishRetriesExhaustedError(
          `publish to ${req.subject} failed after ${attempt} attempts (${counted} reached a server, the policy allows ${maxAttempts}): ${describeUnanswered(error)}`,
          req.subject,
          req.msgId,
          attempt,
          { cause: error },
        );
      }
      const delayMs = backoffDelayMs(retry, attempt, req.random, previousDelay);
      previousDelay = delayMs;
      const pause = pauseBeforeRetry(delayMs, Date.now(), deadlineAt);
      if (pause === undefined) break;
      req.onRetry?.(attempt, pause, error);
      try {
        await sleepMs(pause, signal);
      } catch (reason) {
        throw aborted(attempt, reason);
      }
    }
  }
  throw new PublishRetriesExhaustedError(
    `publish to ${req.subject} not acknowledged within its ${deadlineMs} ms deadline (${attempt} attempts): ${describeUnanswered(lastError)}`,
    req.subject,
    req.msgId,
    attempt,
    { cause: lastError },
  );
}

/** After "no responders": a definite "no stream matches" is permanent, anything else transient. */
async function streamLookup(
  handles: JsHandles,
  subject: string,
): Promise<FailureKind | "no-stream"> {
  try {
    const jsm = await handles.jsm();
    await jsm.streams.find(subject);
    return "transient";
  } catch (e) {
    // A definite answer that no stream matches; a failed lookup (no meta leader...) is transient.
    return e instanceof JetStreamApiError && e.code === ApiCode.StreamNotFound
      ? "no-stream"
      : "transient";
  }
}

function toExpect(e: PublishExpectations) {
  return {
    ...(e.streamName !== undefined ? { streamName: e.streamName } : {}),
    ...(e.lastSequence !== undefined ? { lastSequence: e.lastSequence } : {}),
    ...(e.lastSubjectSequence !== undefined ? { lastSubjectSequence: e.lastSubjectSequence } : {}),
    ...(e.lastMsgId !== undefined ? { lastMsgID: e.lastMsgId } : {}),
  };
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
