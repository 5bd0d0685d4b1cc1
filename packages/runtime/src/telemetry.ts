/**
 * OpenTelemetry through `@opentelemetry/api` only: no-op unless the application registers an
 * SDK. Spans follow the messaging semantic conventions; `traceparent` travels in NATS headers
 * through the global propagator.
 */
import {
  type Attributes,
  type Context,
  type Counter,
  context,
  type Histogram,
  metrics,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type Tracer,
  trace,
} from "@opentelemetry/api";

export const INSTRUMENTATION_NAME = "jetcontract";
const INSTRUMENTATION_VERSION = "0.1.0";

/** Semantic-convention attribute names used by the runtime. */
export const Attr = {
  system: "messaging.system",
  destination: "messaging.destination.name",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  messageId: "messaging.message.id",
  bodySize: "messaging.message.body.size",
  consumerGroup: "messaging.consumer.group.name",
  stream: "jetcontract.stream",
  streamSequence: "jetcontract.stream.sequence",
  deliveryCount: "jetcontract.delivery_count",
  attempt: "jetcontract.attempt",
  outcome: "jetcontract.outcome",
  errorType: "error.type",
} as const;

export function tracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
}

/** Counters per event name plus the handler-duration histogram, created once per meter. */
export class RuntimeMetrics {
  readonly #counters = new Map<string, Counter>();
  readonly #meter = metrics.getMeter(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION);
  readonly handlerDurationMs: Histogram = this.#meter.createHistogram(
    "jetcontract.handler.duration",
    { unit: "ms", description: "Handler run time per delivery" },
  );
  readonly publishDurationMs: Histogram = this.#meter.createHistogram(
    "jetcontract.publish.duration",
    { unit: "ms", description: "Publish time until the stream acknowledged, retries included" },
  );

  /** Adds one to the counter of `event` (e.g. `jetcontract.acked`). */
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
  propagation.inject(ctx, carrier);
}

const headerGetter: TextMapGetter<Readonly<Record<string, string>>> = {
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
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}

export type { Attributes, Context, Span };
export { context, SpanKind, SpanStatusCode, trace };

/** Marks a span failed with the error. */
export function recordSpanError(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
