/**
 * OpenTelemetry through `@opentelemetry/api`, an optional peer dependency: loaded when the
 * application has it (so the runtime shares the application's one copy and its registered
 * SDK), otherwise a no-op stand-in. Spans follow the messaging semantic conventions;
 * `traceparent` travels in NATS headers through the global propagator.
 */
import { createRequire } from "node:module";
import type * as Otel from "@opentelemetry/api";
import { errorClassName } from "./errors.js";
import { Attr, INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION, Metric } from "./semconv.js";

export { Attr, INSTRUMENTATION_NAME };
export type Attributes = Otel.Attributes;
export type Context = Otel.Context;
export type Span = Otel.Span;
export type Link = Otel.Link;
type Counter = Otel.Counter;
type Histogram = Otel.Histogram;

/** The part of `@opentelemetry/api` the runtime uses. */
interface Api {
  readonly trace: Pick<typeof Otel.trace, "getTracer" | "setSpan" | "getSpanContext">;
  readonly context: Pick<typeof Otel.context, "active" | "with">;
  readonly propagation: Pick<typeof Otel.propagation, "inject" | "extract" | "fields">;
  readonly metrics: Pick<typeof Otel.metrics, "getMeter">;
  readonly ROOT_CONTEXT: Otel.Context;
}

/** Without `@opentelemetry/api` installed: spans that record nothing, meters that drop values. */
function noopApi(): Api {
  const root = {
    getValue: () => undefined,
    setValue: () => root,
    deleteValue: () => root,
  } as Otel.Context;
  const span = {
    spanContext: () => ({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 }),
    setAttribute: () => span,
    setAttributes: () => span,
    addEvent: () => span,
    addLink: () => span,
    addLinks: () => span,
    setStatus: () => span,
    updateName: () => span,
    end: () => undefined,
    isRecording: () => false,
    recordException: () => undefined,
  } as Otel.Span;
  const instrument = { add: () => undefined, record: () => undefined };
  const meter = {
    createCounter: () => instrument,
    createHistogram: () => instrument,
    createUpDownCounter: () => instrument,
  } as unknown as Otel.Meter;
  const tracer = {
    startSpan: () => span,
    startActiveSpan: (_name: string, ...args: unknown[]) =>
      (args[args.length - 1] as (s: Otel.Span) => unknown)(span),
  } as Otel.Tracer;
  return {
    trace: { getTracer: () => tracer, setSpan: (ctx) => ctx, getSpanContext: () => undefined },
    context: {
      active: () => root,
      with: (_ctx, fn, thisArg, ...args) => fn.call(thisArg, ...args),
    },
    propagation: { inject: () => undefined, extract: (ctx) => ctx, fields: () => [] },
    metrics: { getMeter: () => meter },
    ROOT_CONTEXT: root,
  };
}

/**
 * Loaded synchronously (no top-level await, so a CommonJS service can `require()` the runtime on
 * Node >= 22.12). In Node `import` and `require` of `@opentelemetry/api` give the same (CommonJS)
 * module, and the API keeps its registered SDK on a global anyway.
 */
function loadApi(): Api {
  try {
    return createRequire(import.meta.url)("@opentelemetry/api") as Api;
  } catch {
    return noopApi();
  }
}

const api: Api = loadApi();

export const { context, trace, propagation, ROOT_CONTEXT } = api;

/** `SpanKind` values of the API (a numeric enum there; constants here so no import is needed). */
export const SpanKind = {
  PRODUCER: 3 as Otel.SpanKind.PRODUCER,
  CONSUMER: 4 as Otel.SpanKind.CONSUMER,
  CLIENT: 2 as Otel.SpanKind.CLIENT,
} as const;
const STATUS_ERROR = 2 as Otel.SpanStatusCode.ERROR;

export function tracer(): Otel.Tracer {
  return api.trace.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
}

/**
 * The messaging conventions' standard instruments, plus a `jetcontract.<event>` counter per
 * runtime event the conventions have no name for (retries scheduled, dead-lettered, duplicates
 * skipped, breaker state changes...). Created once per meter.
 */
export class RuntimeMetrics {
  readonly #counters = new Map<string, Counter>();
  readonly #meter = api.metrics.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
  readonly sentMessages: Counter = this.#meter.createCounter(Metric.sentMessages, {
    unit: "{message}",
    description: "Messages a producer sent (acknowledged by the stream)",
  });
  readonly consumedMessages: Counter = this.#meter.createCounter(Metric.consumedMessages, {
    unit: "{message}",
    description: "Messages delivered to a consumer",
  });
  /** Publish time until the stream acknowledged it, retries included (seconds). */
  readonly operationDuration: Histogram = this.#meter.createHistogram(Metric.operationDuration, {
    unit: "s",
    description: "Duration of a messaging operation (publish, retries included)",
  });
  /** Handler run time per delivery (seconds). */
  readonly processDuration: Histogram = this.#meter.createHistogram(Metric.processDuration, {
    unit: "s",
    description: "Duration of processing operation",
  });

  /** Adds one to the counter of `event` (e.g. `jetcontract.retryScheduled`). */
  count(event: string, attributes: Attributes): void {
    let counter = this.#counters.get(event);
    if (counter === undefined) {
      counter = this.#meter.createCounter(`jetcontract.${event}`, {
        description: `jetcontract runtime ${event} events`,
      });
      this.#counters.set(event, counter);
    }
    counter.add(1, attributes);
  }
}

/** Writes the active trace context into a plain header record (W3C `traceparent` by default). */
export function injectTraceContext(ctx: Context, carrier: Record<string, string>): void {
  api.propagation.inject(ctx, carrier);
}

const headerGetter: Otel.TextMapGetter<Readonly<Record<string, string>>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const direct = carrier[key];
    if (direct !== undefined) return direct;
    const lower = key.toLowerCase();
    for (const k of Object.keys(carrier)) if (k.toLowerCase() === lower) return carrier[k];
    return undefined;
  },
};

/** Reads a trace context from message headers. */
export function extractTraceContext(headers: Readonly<Record<string, string>>): Context {
  return api.propagation.extract(api.ROOT_CONTEXT, headers, headerGetter);
}

/** Shared by every message that carried no trace (frozen: callers copy before handing it on). */
const NO_LINKS: readonly Link[] = Object.freeze([]);

/**
 * A link to the message's creation context (the producer's span carried in its headers), as the
 * messaging conventions ask of process and settle spans; none when the message carried none.
 */
export function creationLinks(creation: Context): readonly Link[] {
  const sc = api.trace.getSpanContext(creation);
  return sc === undefined ? NO_LINKS : [{ context: sc }];
}

/** Marks a span failed with the error (its class as `error.type`). */
export function recordSpanError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  if (error instanceof Error) span.recordException(error);
  span.setAttribute(Attr.errorType, errorClassName(error));
  span.setStatus({
    code: STATUS_ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
