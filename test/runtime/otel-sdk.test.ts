/**
 * With the official OpenTelemetry SDKs installed at their current versions (trace and metrics,
 * sharing one `@opentelemetry/api` with the runtime, as npm dedupes it for a user), a publish →
 * consume → retry → dead-letter run yields the convention spans and metrics.
 */

import { context, metrics, propagation, trace } from "@opentelemetry/api";
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
  it("a publish, a retry and a dead-letter give convention spans and metrics", async () => {
    const n = names("ot");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, { retry: fixedRetry(2, 20) });
    await ensureConsumer(env.nc, d);
    const consumer = env.track(
      createConsumer<Order>(env.nc, d, () => {
        throw new Error("dependency down");
      }),
    );
    const dead = consumer.events.once("deadLettered");
    await consumer.start();
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "O1", qty: 1 });
    await dead;
    await consumer.stop();

    const finished = spans.getFinishedSpans();
    const publish = finished.find((s) => s.name === `publish ${n.subject}`);
    const processes = finished.filter((s) => s.name === `process ${n.subject}`);
    expect(publish?.attributes).toMatchObject({
      "messaging.system": "nats",
      "messaging.operation.type": "send",
      "messaging.destination.name": n.subject,
    });
    expect(processes).toHaveLength(2);
    for (const p of processes) {
      expect(p.spanContext().traceId).toBe(publish?.spanContext().traceId);
      expect(p.attributes).toMatchObject({
        "messaging.operation.type": "process",
        "messaging.consumer.group.name": n.durable,
      });
      expect(p.status.code).toBe(2);
    }

    const { resourceMetrics } = await reader.collect();
    const all = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    const metric = (name: string) => all.find((m) => m.descriptor.name === name);
    const total = (name: string) =>
      (metric(name)?.dataPoints ?? []).reduce(
        (sum, p) =>
          sum + (typeof p.value === "number" ? p.value : (p.value as { count: number }).count),
        0,
      );
    expect(total("messaging.client.sent.messages")).toBe(1);
    expect(total("messaging.client.consumed.messages")).toBe(2);
    expect(metric("messaging.process.duration")?.descriptor.unit).toBe("s");
    expect(metric("messaging.client.operation.duration")?.descriptor.unit).toBe("s");
    expect(
      metric("messaging.process.duration")?.dataPoints.every(
        (p) => p.attributes["error.type"] === "Error",
      ),
    ).toBe(true);
    expect(total("jetcontract.retryScheduled")).toBe(1);
    expect(total("jetcontract.deadLettered")).toBe(1);
  });
});
