import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createConsumer,
  createPublisher,
  type DeadLetteredEvent,
  DeadLetterHeaders,
  ensureConsumer,
  type MessageConsumer,
  type RetryPolicy,
} from "../../src/runtime/index.js";
import type { Order } from "./support.js";
import {
  consumerBacklog,
  consumerDescriptor,
  type Env,
  makeStreams,
  names,
  publisherDescriptor,
  readStream,
  startEnv,
  waitFor,
} from "./support.js";

let env: Env;
const running: MessageConsumer[] = [];
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await Promise.allSettled(running.map((c) => c.stop({ deadlineMs: 100 })));
  await env?.dispose();
});

function track(c: MessageConsumer): MessageConsumer {
  running.push(c);
  return c;
}

const fastRetry = (maxAttempts: number): RetryPolicy => ({
  maxAttempts,
  strategy: "fixed",
  initialDelayMs: 20,
  maxDelayMs: 20,
  multiplier: 1,
  jitter: "none",
});

describe("breaker and attempts", () => {
  it("dead-letters a poison message whose own final failure opens the breaker", async () => {
    const n = names("bp");
    await makeStreams(env.nc, n);
    // consecutiveFailures == maxAttempts: the last attempt's failure trips the breaker.
    const d = consumerDescriptor(n, {
      concurrency: 2,
      retry: fastRetry(5),
      breaker: {
        open: { kind: "consecutive", failures: 5 },
        halfOpenAfterMs: 30_000,
        halfOpenProbes: 1,
      },
    });
    await ensureConsumer(env.nc, d, { serverBackoff: false });
    const attempts: number[] = [];
    const consumer = track(
      createConsumer<Order>(env.nc, d, (_o, ctx) => {
        attempts.push(ctx.attempt);
        throw new Error("poison");
      }),
    );
    const released: string[] = [];
    consumer.events.on("released", (e) => released.push(e.reason));
    const opened = consumer.events.once("breakerOpened");
    const dead = consumer.events.once("deadLettered");
    await consumer.start();
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "P1", qty: 1 });
    // Released instead, it would come back only after the 30 s half-open delay.
    const event: DeadLetteredEvent = await dead;
    await opened;
    expect(event).toMatchObject({ reason: "attempts-exhausted", attempt: 5 });
    expect(attempts).toEqual([1, 2, 3, 4, 5]);
    expect(released).toEqual([]);
    const dlq = await readStream(env.jsm, n.dlqStream);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.header?.get(DeadLetterHeaders.attempts)).toBe("5");
    expect(dlq[0]?.header?.get(DeadLetterHeaders.reason)).toBe("attempts-exhausted");
    await waitFor(
      async () => (await consumerBacklog(env.jsm, n.stream, n.durable)).ackPending === 0,
    );
    expect(consumer.breakerState).toBe("open");
    await consumer.stop();
  });

  it("dead-letters a delivery with its attempts spent that arrives while the breaker is open", async () => {
    const n = names("bs");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      concurrency: 4,
      retry: fastRetry(3),
      breaker: {
        open: { kind: "consecutive", failures: 1 },
        halfOpenAfterMs: 60_000,
        halfOpenProbes: 1,
      },
    });
    await ensureConsumer(env.nc, d, { serverBackoff: false });
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    // "Spent" is delivered three times by another process that failed each time (raw naks);
    // its last nak holds it back until after the breaker has opened.
    await publisher.publish({ id: "Spent", qty: 1 });
    const raw = await jetstream(env.nc).consumers.get(n.stream, n.durable);
    for (let i = 1; i <= 3; i++) {
      const m = await raw.next({ expires: 5_000 });
      expect(m?.info.deliveryCount).toBe(i);
      m?.nak(i < 3 ? 1 : 2_500);
    }
    await publisher.publish({ id: "Trip", qty: 1 });
    const handled: string[] = [];
    const consumer = track(
      createConsumer<Order>(
        env.nc,
        d,
        (o) => {
          handled.push(o.id);
          throw new Error("dependency down");
        },
        { pullExpiresMs: 20_000 },
      ),
    );
    const dead = consumer.events.once("deadLettered");
    const opened = consumer.events.once("breakerOpened");
    await consumer.start();
    await opened;
    const event = await dead;
    expect(event).toMatchObject({ reason: "attempts-exhausted", attempt: 3, deliveryCount: 4 });
    expect(handled.filter((id) => id === "Spent")).toEqual([]);
    const dlq = await readStream(env.jsm, n.dlqStream);
    expect(dlq).toHaveLength(1);
    expect(JSON.parse(new TextDecoder().decode(dlq[0]?.data)).id).toBe("Spent");
    expect(dlq[0]?.header?.get(DeadLetterHeaders.attempts)).toBe("3");
    await consumer.stop({ deadlineMs: 100 });
  });
});
