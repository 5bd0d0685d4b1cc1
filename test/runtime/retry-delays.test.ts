import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsumerDescriptor,
  createConsumer,
  type DeadLetteredEvent,
} from "../../packages/runtime/src/index.js";
import type { Contract, ReceiveOperation } from "../../src/model/types.js";
import { loadContract } from "../../src/spec/index.js";
import { applyJetStream } from "../../src/streams/index.js";
import { type Env, startEnv } from "./support.js";

/**
 * The retry delays a contract states are the delays between deliveries on a real server: the
 * consumer `streams apply` creates has no server-side backoff to add to the runtime's
 * nak(delay) (on 2.9.10 such a backoff turned 1s/2s/4s into gaps of 1s/3s/7s).
 */
let env: Env;
let dir: string;
beforeAll(async () => {
  env = await startEnv();
  dir = await mkdtemp(path.join(tmpdir(), "jc-delays-"));
});
afterAll(async () => {
  await env?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const DELAYS_MS = [300, 600, 1_200];
/** Timers fire late, never early; a loaded 2-core machine adds some latency. */
const EARLY_MS = 5;
const LATE_MS = 250;

function spec(prefix: string, consumer: string, retry: string): string {
  return `asyncapi: 3.0.0
info: { title: Delays, version: 1.0.0 }
x-jetstream:
  streams:
    ${prefix}: { subjects: ["${prefix}.jobs"] }
    ${prefix}_DLQ: { subjects: ["${prefix}.dead"] }
channels:
  jobs:
    address: ${prefix}.jobs
    x-jetstream: { stream: ${prefix} }
    messages:
      job:
        payload: { type: object, required: [id], properties: { id: { type: string } } }
  dead:
    address: ${prefix}.dead
    x-jetstream: { stream: ${prefix}_DLQ }
    messages:
      job: { payload: { type: object } }
operations:
  runJob:
    action: receive
    channel: { $ref: '#/channels/jobs' }
    x-consumer: ${consumer}
    x-retry: ${retry}
    x-dlq: { channel: { $ref: '#/channels/dead' } }
`;
}

/** Loads the contract and lets `streams apply` create its streams and consumer, as an operator would. */
async function applied(name: string, text: string): Promise<ReceiveOperation> {
  const file = path.join(dir, `${name}.yaml`);
  await writeFile(file, text);
  const { contract, problems } = await loadContract(file);
  expect(problems.filter((p) => p.severity === "error")).toEqual([]);
  await applyJetStream(env.nc, contract as Contract);
  const op = (contract as Contract).operations.find((o) => o.id === "runJob");
  if (op?.action !== "receive") throw new Error("no receive operation");
  return op;
}

/** The descriptor codegen prints for the operation (the model's resolved policies). */
function descriptorOf(op: ReceiveOperation, stream: string, subject: string) {
  const { location: _r, ...retry } = op.retry;
  const d: ConsumerDescriptor<{ id: string }> = {
    operationId: op.id,
    stream,
    durable: op.consumer.durable,
    subject,
    message: { name: "job" },
    retry,
    dedup: { store: "none" },
    concurrency: op.consumer.concurrency,
    handlerTimeoutMs: op.consumer.handlerTimeoutMs,
    ackWaitMs: op.consumer.ackWaitMs,
    maxAckPending: op.consumer.maxAckPending,
    ...(op.dlq ? { deadLetter: { subject: op.dlq.subject, stream: op.dlq.stream } } : {}),
  };
  return d;
}

describe("retry delays on nats-server", () => {
  it("gaps between deliveries are the contract's delays, not their sums", async () => {
    const op = await applied(
      "gaps",
      spec("GAPS", "{ durable: runner, ackWait: 5s }", "{ delays: [300ms, 600ms, 1200ms] }"),
    );
    expect(op.retry).toMatchObject({ maxAttempts: 4, delaysMs: DELAYS_MS, jitter: "none" });
    const info = await env.jsm.consumers.info("GAPS", "runner");
    expect(info.config.backoff ?? []).toEqual([]);

    const deliveredAt: number[] = [];
    const consumer = env.track(
      createConsumer<{ id: string }>(
        env.nc,
        descriptorOf(op, "GAPS", "GAPS.jobs"),
        async () => {
          deliveredAt.push(performance.now());
          throw new Error("dependency down");
        },
        { pullExpiresMs: 1_000 },
      ),
    );
    const dead = new Promise<DeadLetteredEvent>((resolve) =>
      consumer.events.on("deadLettered", resolve),
    );
    await consumer.start();
    await jetstream(env.nc).publish("GAPS.jobs", JSON.stringify({ id: "j1" }));
    expect((await dead).attempt).toBe(4);

    const gaps = deliveredAt.slice(1).map((t, i) => t - (deliveredAt[i] as number));
    expect(gaps).toHaveLength(DELAYS_MS.length);
    gaps.forEach((gap, i) => {
      const want = DELAYS_MS[i] as number;
      expect(gap, `gap ${i + 1}: ${Math.round(gap)}ms for a ${want}ms delay`).toBeGreaterThan(
        want - EARLY_MS,
      );
      expect(gap, `gap ${i + 1}: ${Math.round(gap)}ms for a ${want}ms delay`).toBeLessThan(
        want + LATE_MS,
      );
    });
    await consumer.stop();
  });

  it("a delivery never acknowledged comes back after the ack wait alone", async () => {
    await applied(
      "crash",
      spec("CRASH", "{ durable: runner, ackWait: 1s }", "{ delays: [5s], maxAttempts: 3 }"),
    );
    await jetstream(env.nc).publish("CRASH.jobs", JSON.stringify({ id: "j1" }));
    // A process that takes the message and dies: no ack, nak or term.
    const pull = await jetstream(env.nc).consumers.get("CRASH", "runner");
    const first = await pull.next({ expires: 5_000 });
    const takenAt = performance.now();
    expect(first?.info.deliveryCount).toBe(1);
    const again = await pull.next({ expires: 5_000 });
    const gap = performance.now() - takenAt;
    expect(again?.info.deliveryCount).toBe(2);
    // The ack wait (1s), not the ack wait plus the 5s retry delay.
    expect(gap).toBeGreaterThan(1_000 - 50);
    expect(gap).toBeLessThan(1_000 + 500);
    again?.ack();
  });
});
