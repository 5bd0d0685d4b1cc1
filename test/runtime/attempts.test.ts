import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createConsumer,
  createPublisher,
  type DeadLetteredEvent,
  DeadLetterHeaders,
  type DedupStore,
  ensureConsumer,
  type RetryPolicy,
} from "../../packages/runtime/src/index.js";
import type { Order } from "./support.js";
import {
  consumerBacklog,
  consumerDescriptor,
  type Env,
  fixedRetry,
  makeStreams,
  names,
  publisherDescriptor,
  readStream,
  startEnv,
  waitFor,
} from "./support.js";

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.dispose();
});

const fastRetry = (maxAttempts: number): RetryPolicy => fixedRetry(maxAttempts, 20);

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
    await ensureConsumer(env.nc, d);
    const attempts: number[] = [];
    const consumer = env.track(
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
    await ensureConsumer(env.nc, d);
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
    const consumer = env.track(
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

  it("ctx.attempt counts 1, 2, ... maxAttempts for every message, with concurrency and no breaker", async () => {
    const n = names("ba");
    await makeStreams(env.nc, n);
    const maxAttempts = 8;
    const d = consumerDescriptor(n, {
      concurrency: 4,
      maxAckPending: 16,
      ackWaitMs: 1_000,
      retry: fastRetry(maxAttempts),
    });
    await ensureConsumer(env.nc, d);
    const seen = new Map<string, { attempt: number; deliveryCount: number }[]>();
    const consumer = env.track(
      createConsumer<Order>(env.nc, d, async (o, ctx) => {
        const list = seen.get(o.id) ?? [];
        list.push({ attempt: ctx.attempt, deliveryCount: ctx.deliveryCount });
        seen.set(o.id, list);
        // Some handlers take a while (other messages' naks and redeliveries overlap them).
        if (ctx.streamSequence % 2 === 0) await new Promise((r) => setTimeout(r, 5));
        throw new Error("always failing");
      }),
    );
    const dead: DeadLetteredEvent[] = [];
    consumer.events.on("deadLettered", (e) => dead.push(e));
    await consumer.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    const ids = Array.from({ length: 12 }, (_, i) => `A${i}`);
    await Promise.all(ids.map((id) => publisher.publish({ id, qty: 1 })));
    await waitFor(() => dead.length === ids.length, 30_000, "every message dead-lettered");
    const expected = Array.from({ length: maxAttempts }, (_, i) => i + 1);
    for (const id of ids) {
      const list = seen.get(id) ?? [];
      expect(
        list.map((x) => x.attempt),
        id,
      ).toEqual(expected);
      expect(
        list.map((x) => x.deliveryCount),
        id,
      ).toEqual(expected);
    }
    expect(dead.every((e) => e.attempt === maxAttempts && e.reason === "attempts-exhausted")).toBe(
      true,
    );
    await consumer.stop();
  });

  it("a redelivery racing the delivery still in flight is not run: attempts stay 1, 2, 3, ...", async () => {
    const n = names("br");
    await makeStreams(env.nc, n);
    const maxAttempts = 4;
    const d = consumerDescriptor(n, {
      concurrency: 3,
      ackWaitMs: 1_000,
      retry: fastRetry(maxAttempts),
      // No dedup claim to turn the racing redelivery away (the example's recordPayment).
      dedup: { store: "none" },
    });
    await ensureConsumer(env.nc, d);
    // The first attempt of S1 outlasts the ack wait with no heartbeat (as on a machine too
    // loaded to send it): the server redelivers S1 while that attempt still runs.
    let releaseSlow!: () => void;
    const slowDone = new Promise<void>((resolve) => {
      releaseSlow = resolve;
    });
    const starts = new Map<
      string,
      { attempt: number; failuresBefore: number; running: number }[]
    >();
    const failures = new Map<string, number>();
    const running = new Map<string, number>();
    const consumer = env.track(
      createConsumer<Order>(
        env.nc,
        d,
        async (o, ctx) => {
          const now = running.get(o.id) ?? 0;
          running.set(o.id, now + 1);
          const list = starts.get(o.id) ?? [];
          list.push({
            attempt: ctx.attempt,
            failuresBefore: failures.get(o.id) ?? 0,
            running: now,
          });
          starts.set(o.id, list);
          try {
            if (o.id === "S1" && ctx.attempt === 1) await slowDone;
            throw new Error("always failing");
          } finally {
            running.set(o.id, (running.get(o.id) ?? 1) - 1);
            failures.set(o.id, (failures.get(o.id) ?? 0) + 1);
          }
        },
        { heartbeatIntervalMs: 600_000 },
      ),
    );
    const dead: DeadLetteredEvent[] = [];
    consumer.events.on("deadLettered", (e) => dead.push(e));
    await consumer.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    await publisher.publish({ id: "S1", qty: 1 });
    await publisher.publish({ id: "S2", qty: 1 });
    // S2 runs its course; the server redelivers S1 once its ack wait has run out (S1 then is
    // the only message the consumer counts as redelivered; a runtime that ran the redelivery
    // would have dead-lettered S1 by now).
    await waitFor(
      async () =>
        dead.length === 2 ||
        (dead.length === 1 &&
          (await consumerBacklog(env.jsm, n.stream, n.durable)).redelivered > 0),
      20_000,
      "S1 redelivered while its first attempt runs",
    );
    releaseSlow();
    await waitFor(() => dead.length === 2, 20_000, "both dead-lettered");
    const expected = Array.from({ length: maxAttempts }, (_, i) => i + 1);
    for (const id of ["S1", "S2"]) {
      const list = starts.get(id) ?? [];
      expect(
        list.map((x) => x.attempt),
        id,
      ).toEqual(expected);
      // Attempt k starts after k - 1 failures, never beside another attempt of the message.
      expect(
        list.map((x) => x.failuresBefore),
        id,
      ).toEqual(expected.map((a) => a - 1));
      expect(
        list.every((x) => x.running === 0),
        id,
      ).toBe(true);
    }
    const s1 = dead.find((e) => e.streamSequence === 1);
    expect(s1?.attempt).toBe(maxAttempts);
    expect(s1?.deliveryCount).toBeGreaterThan(maxAttempts);
    await consumer.stop();
  });
});

describe("the server's last delivery", () => {
  it("dead-letters a message given back on its last delivery (max_deliver) instead of stranding it", async () => {
    const n = names("ld");
    await makeStreams(env.nc, n);
    // One attempt: max_deliver = 1 + the release allowance (11). A dedup store that cannot
    // be reached gives every delivery back without spending an attempt.
    const d = consumerDescriptor(n, { retry: fastRetry(1) });
    await ensureConsumer(env.nc, d);
    const unreachable: DedupStore = {
      kind: "unreachable",
      leaseMs: 1_000,
      claim: () => {
        throw new Error("dedup store unreachable");
      },
      renew: () => undefined,
      complete: () => undefined,
      release: () => undefined,
    };
    let calls = 0;
    const consumer = env.track(
      createConsumer<Order>(
        env.nc,
        d,
        () => {
          calls++;
        },
        { dedupStore: unreachable },
      ),
    );
    const released: number[] = [];
    consumer.events.on("released", (e) => released.push(e.deliveryCount));
    const dead = consumer.events.once("deadLettered");
    await consumer.start();
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "L1", qty: 1 });
    const event: DeadLetteredEvent = await dead;
    expect(event.reason).toBe("max-deliveries");
    expect(event.errorMessage).toContain("delivery 11 of max_deliver 11");
    expect(calls).toBe(0);
    expect(released).toHaveLength(10);
    const [dlq] = await readStream(env.jsm, n.dlqStream);
    expect(dlq?.header.get(DeadLetterHeaders.reason)).toBe("max-deliveries");
    await waitFor(async () => {
      const b = await consumerBacklog(env.jsm, n.stream, n.durable);
      return b.pending === 0 && b.ackPending === 0;
    });
  });
});
