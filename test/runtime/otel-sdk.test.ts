/**
 * With the official OpenTelemetry SDKs installed at their current versions (trace and metrics,
 * sharing one `@opentelemetry/api` with the runtime, as npm dedupes it for a user), a publish →
 * consume → retry → dead-letter run (and a message acked) yields the convention spans (publish,
 * process, settle), the links to the creation context and the metrics.
 */

import { context, metrics, propagation, SpanKind, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createConsumer,
  createPublisher,
  ensureConsumer,
} from "../../packages/runtime/src/index.js";
import {
  consumerDescriptor,
  type Env,
  fixedRetry,
  makeStreams,
  names,
  type Order,
  publisherDescriptor,
  startEnv,
} from "./support.js";

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const reader = new TestReader();
let env: Env;
beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
  );
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  env = await startEnv();
});
afterAll(async () => {
  await env?.dispose();
});

describe("OpenTelemetry SDK 2.x", () => {
  it("a publish, a retry and a dead-letter give convention spans, links and metrics", async () => {
    const n = names("ot");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, { retry: fixedRetry(2, 20) });
    await ensureConsumer(env.nc, d);
    const consumer = env.track(
      createConsumer<Order>(env.nc, d, (order) => {
        if (order.id === "O1") throw new Error("dependency down");
      }),
    );
    const dead = consumer.events.once("deadLettered");
    const acked = consumer.events.once("acked");
    await consumer.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    await publisher.publish({ id: "O1", qty: 1 });
    await publisher.publish({ id: "O2", qty: 1 });
    await Promise.all([dead, acked]);
    await consumer.stop();

    const finished = spans.getFinishedSpans();
    const named = (name: string) => finished.filter((s) => s.name === `${name} ${n.subject}`);
    const [publishFailing, publishOk] = named("publish");
    const trace = (s: (typeof finished)[number] | undefined) => s?.spanContext().traceId;
    expect(publishFailing?.attributes).toMatchObject({
      "messaging.system": "nats",
      "messaging.operation.type": "send",
      "messaging.destination.name": n.subject,
    });
    const processes = named("process");
    expect(processes).toHaveLength(3);
    for (const p of processes) {
      expect(p.attributes).toMatchObject({
        "messaging.operation.type": "process",
        "messaging.consumer.group.name": n.durable,
      });
      // A child of the producer's span, and linked to it (the creation context).
      const producer = trace(p) === trace(publishFailing) ? publishFailing : publishOk;
      expect(p.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
      expect(p.links.map((l) => l.context.spanId)).toEqual([producer?.spanContext().spanId]);
    }
    const failed = processes.filter((p) => trace(p) === trace(publishFailing));
    expect(failed.map((p) => [p.status.code, p.attributes["error.type"]])).toEqual([
      [2, "Error"],
      [2, "Error"],
    ]);

    // Settle spans: a nak after the first failure, a term after the dead-letter, an ack.
    const settles = finished.filter((s) => s.attributes["messaging.operation.type"] === "settle");
    expect(settles.map((s) => s.name).sort()).toEqual(
      [`ack ${n.subject}`, `nak ${n.subject}`, `term ${n.subject}`].sort(),
    );
    for (const s of settles) {
      const op = s.name.split(" ")[0];
      expect(s.attributes).toMatchObject({
        "messaging.system": "nats",
        "messaging.operation.name": op,
        "messaging.destination.name": n.subject,
        "messaging.consumer.group.name": n.durable,
      });
      expect(s.kind).toBe(SpanKind.CLIENT);
      // Under the process span it settles, and linked to the message's creation context.
      const parent = processes.find((p) => p.spanContext().spanId === s.parentSpanContext?.spanId);
      expect(parent).toBeDefined();
      expect(s.links[0]?.context.spanId).toBe(parent?.links[0]?.context.spanId);
    }
    expect(trace(named("ack")[0])).toBe(trace(publishOk));
    expect(trace(named("term")[0])).toBe(trace(publishFailing));

    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const metric = (name: string) => all.find((m) => m.descriptor.name === name);
    const total = (name: string) =>
      (metric(name)?.dataPoints ?? []).reduce(
        (sum, p) =>
          sum + (typeof p.value === "number" ? p.value : (p.value as { count: number }).count),
        0,
      );
    expect(total("messaging.client.sent.messages")).toBe(2);
    expect(total("messaging.client.consumed.messages")).toBe(3);
    expect(metric("messaging.process.duration")?.descriptor.unit).toBe("s");
    expect(metric("messaging.client.operation.duration")?.descriptor.unit).toBe("s");
    expect(
      metric("messaging.process.duration")
        ?.dataPoints.map((p) => p.attributes["error.type"])
        .sort(),
    ).toEqual(["Error", undefined]);
    expect(total("jetcontract.retryScheduled")).toBe(1);
    expect(total("jetcontract.deadLettered")).toBe(1);
    expect(total("jetcontract.acked")).toBe(1);
  });
});
