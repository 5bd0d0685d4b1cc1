/**
 * A minimal OpenTelemetry SDK for tests: recording spans, a W3C `traceparent` propagator and an
 * AsyncLocalStorage context manager, registered through `@opentelemetry/api`. (The official SDKs
 * are exercised by otel-sdk.test.ts; this one records parent ids for the span-tree asserts.)
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
  trace,
} from "@opentelemetry/api";

export interface RecordedSpan {
  readonly name: string;
  readonly kind: SpanKind | undefined;
  readonly context: SpanContext;
  readonly parentSpanId: string | undefined;
  readonly attributes: Attributes;
  status: SpanStatus | undefined;
  ended: boolean;
}

class TestSpan implements Span {
  constructor(readonly record: RecordedSpan) {}
  spanContext(): SpanContext {
    return this.record.context;
  }
  setAttribute(key: string, value: AttributeValue): this {
    (this.record.attributes as Record<string, AttributeValue>)[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.record.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.record.status = status;
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {
    this.record.ended = true;
  }
  isRecording(): boolean {
    return !this.record.ended;
  }
  recordException(): void {}
}

export class TestTracer implements Tracer {
  readonly spans: RecordedSpan[] = [];
  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span {
    const parent = trace.getSpanContext(ctx);
    const record: RecordedSpan = {
      name,
      kind: options.kind,
      context: {
        traceId: parent?.traceId ?? randomBytes(16).toString("hex"),
        spanId: randomBytes(8).toString("hex"),
        traceFlags: 1,
      },
      parentSpanId: parent?.spanId,
      attributes: { ...(options.attributes ?? {}) },
      status: undefined,
      ended: false,
    };
    this.spans.push(record);
    return new TestSpan(record);
  }
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...args: unknown[]
  ): ReturnType<F> {
    const fn = args[args.length - 1] as F;
    const options = (args.length > 1 ? args[0] : {}) as SpanOptions;
    const span = this.startSpan(name, options);
    return context.with(trace.setSpan(context.active(), span), () => fn(span)) as ReturnType<F>;
  }
}

class W3CPropagator implements TextMapPropagator {
  inject(
    ctx: Context,
    carrier: unknown,
    setter: { set(c: unknown, k: string, v: string): void },
  ): void {
    const sc = trace.getSpanContext(ctx);
    if (!sc) return;
    setter.set(
      carrier,
      "traceparent",
      `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags.toString(16)}`,
    );
  }
  extract(
    ctx: Context,
    carrier: unknown,
    getter: { get(c: unknown, k: string): string | string[] | undefined },
  ): Context {
    const raw = getter.get(carrier, "traceparent");
    const value = Array.isArray(raw) ? raw[0] : raw;
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value ?? "");
    if (!m?.[1] || !m[2] || !m[3]) return ctx;
    return trace.setSpanContext(ctx, {
      traceId: m[1],
      spanId: m[2],
      traceFlags: Number.parseInt(m[3], 16),
      isRemote: true,
    });
  }
  fields(): string[] {
    return ["traceparent"];
  }
}

class AlsContextManager implements ContextManager {
  readonly #als = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.#als.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.#als.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.#als.disable();
    return this;
  }
}

/** Registers the test SDK globally; returns the tracer that records every span. */
export function registerTestSdk(): TestTracer {
  const tracer = new TestTracer();
  const provider: TracerProvider = { getTracer: () => tracer };
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CPropagator());
  context.setGlobalContextManager(new AlsContextManager().enable());
  return tracer;
}
