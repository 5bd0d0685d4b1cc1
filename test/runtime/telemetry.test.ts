import { SpanKind, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TelemetryAttributes as Attr,
  createConsumer,
  createPublisher,
  ensureConsumer,
  type HandlerContext,
} from "../../packages/runtime/src/index.js";
import { registerTestSdk, type TestTracer } from "./otel-test-sdk.js";
import type { Order } from "./support.js";
import {
  consumerDescriptor,
  type Env,
  fixedRetry,
  makeStreams,
  names,
  publisherDescriptor,
  readStream,
  startEnv,
} from "./support.js";

let env: Env;
let tracer: TestTracer;
beforeAll(async () => {
  tracer = registerTestSdk();
  env = await startEnv();
});
afterAll(async () => {
  await env?.dispose();
});

describe("telemetry", () => {
  it("a trace started by the producer continues in the consumer, through traceparent", async () => {
    const n = names("ot");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n);
    await ensureConsumer(env.nc, d, { serverBackoff: false });
    let handlerCtx: HandlerContext | undefined;
    let activeInHandler: string | undefined;
    const consumer = createConsumer<Order>(env.nc, d, (_o, ctx) => {
      handlerCtx = ctx;
      activeInHandler = trace.getActiveSpan()?.spanContext().spanId;
    });
    const acked = consumer.events.once("acked");
    await consumer.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    const app = trace.getTracer("app");
    const rootTraceId = await app.startActiveSpan("checkout", async (root) => {
      await publisher.publish({ id: "O1", qty: 1 });
      root.end();
      return root.spanContext().traceId;
    });
    await acked;

    const producer = tracer.spans.find((s) => s.name === `publish ${n.subject}`);
    const process = tracer.spans.find((s) => s.name === `process ${n.subject}`);
    expect(producer?.kind).toBe(SpanKind.PRODUCER);
    expect(producer?.context.traceId).toBe(rootTraceId);
    expect(producer?.attributes).toMatchObject({
      [Attr.system]: "nats",
      [Attr.destination]: n.subject,
      [Attr.operationType]: "send",
      [Attr.messageId]: "order-O1",
    });
    expect(process?.kind).toBe(SpanKind.CONSUMER);
    expect(process?.context.traceId).toBe(rootTraceId);
    expect(process?.parentSpanId).toBe(producer?.context.spanId);
    expect(process?.attributes).toMatchObject({
      [Attr.system]: "nats",
      [Attr.operationType]: "process",
      [Attr.consumerGroup]: n.durable,
      [Attr.streamSequence]: 1,
    });
    expect(process?.ended).toBe(true);
    expect(handlerCtx?.span.spanContext().spanId).toBe(process?.context.spanId);
    expect(activeInHandler).toBe(process?.context.spanId);
    const [stored] = await readStream(env.jsm, n.stream);
    expect(stored?.header?.get("traceparent")).toBe(
      `00-${rootTraceId}-${producer?.context.spanId}-01`,
    );
    await consumer.stop();
  });

  it("emits a typed hook for every lifecycle step", async () => {
    const n = names("oh");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      retry: fixedRetry(2, 20),
    });
    await ensureConsumer(env.nc, d, { serverBackoff: false });
    const seen: string[] = [];
    const record = (name: string) => () => void seen.push(name);
    const consumer = createConsumer<Order>(
      env.nc,
      d,
      (o, ctx) => {
        if (o.id === "fail" && ctx.attempt === 1) throw new Error("once");
      },
      {
        hooks: {
          received: record("received"),
          handlerStarted: record("handlerStarted"),
          handlerSucceeded: record("handlerSucceeded"),
          handlerFailed: record("handlerFailed"),
          retryScheduled: record("retryScheduled"),
          acked: record("acked"),
          duplicateSkipped: record("duplicateSkipped"),
        },
      },
    );
    const publishedEvents: string[] = [];
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n), {
      hooks: { published: (e) => publishedEvents.push(e.msgId) },
    });
    await consumer.start();
    const acked = consumer.events.once("acked");
    await publisher.publish({ id: "fail", qty: 1 });
    await acked;
    const dup = consumer.events.once("duplicateSkipped");
    await publisher.publish({ id: "fail", qty: 1 }, { msgId: "again" });
    await dup;
    expect(publishedEvents).toEqual(["order-fail", "again"]);
    expect(seen).toEqual([
      "received",
      "handlerStarted",
      "handlerFailed",
      "retryScheduled",
      "received",
      "handlerStarted",
      "handlerSucceeded",
      "acked",
      "received",
      "acked",
      "duplicateSkipped",
    ]);
    await consumer.stop();
  });
});
