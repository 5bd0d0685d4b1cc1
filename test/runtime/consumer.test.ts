import { jetstream } from "@nats-io/jetstream";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BusinessRuleError,
  createConsumer,
  createPublisher,
  type DeadLetteredEvent,
  DeadLetterHeaders,
  ensureConsumer,
  type HandlerContext,
  TransientError,
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

describe("consumer pipeline on a real server", () => {
  it("handles a message, acks it, and skips a duplicate delivery of the same key (memory dedup)", async () => {
    const n = names("cm");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n);
    await ensureConsumer(env.nc, d);
    const effects: string[] = [];
    const contexts: HandlerContext[] = [];
    const consumer = env.track(
      createConsumer<Order>(env.nc, d, (order, ctx) => {
        effects.push(order.id);
        contexts.push(ctx);
      }),
    );
    const skipped = consumer.events.once("duplicateSkipped");
    await consumer.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    await publisher.publish({ id: "M1", qty: 1 }, { headers: { "x-tenant": "acme" } });
    // Same key, different Nats-Msg-Id: the stream stores both, the consumer must run one effect.
    await publisher.publish({ id: "M1", qty: 1 }, { msgId: "other-id" });
    const dup = await skipped;
    expect(dup.idempotencyKey).toBe("order-M1");
    await waitFor(
      async () => (await consumerBacklog(env.jsm, n.stream, n.durable)).ackPending === 0,
    );
    expect(effects).toEqual(["M1"]);
    const ctx = contexts[0];
    expect(ctx).toMatchObject({
      attempt: 1,
      deliveryCount: 1,
      idempotencyKey: "order-M1",
      subject: n.subject,
      stream: n.stream,
      streamSequence: 1,
      consumer: n.durable,
    });
    expect(ctx?.headers["x-tenant"]).toBe("acme");
    expect(ctx?.signal.aborted).toBe(false);
    await consumer.stop();
  });

  it("takes a JetStream client like the publisher (KV dedup, connection status, term)", async () => {
    const n = names("cj");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      dedup: { store: "kv", bucket: n.bucket, ttlMs: 60_000, leaseMs: 5_000 },
    });
    const js = jetstream(env.nc);
    const seen: string[] = [];
    const consumer = env.track(
      createConsumer<Order>(
        js,
        d,
        (order) => {
          seen.push(order.id);
          if (order.id === "J2") throw new BusinessRuleError("rejected");
        },
        { ensure: true },
      ),
    );
    const acked = consumer.events.once("acked");
    const dead = consumer.events.once("deadLettered");
    await consumer.start();
    const publisher = createPublisher<Order>(js, publisherDescriptor(n));
    await publisher.publish({ id: "J1", qty: 1 });
    await publisher.publish({ id: "J2", qty: 1 });
    expect((await acked).attempt).toBe(1);
    expect((await dead).reason).toBe("permanent");
    await waitFor(
      async () => (await consumerBacklog(env.jsm, n.stream, n.durable)).ackPending === 0,
    );
    expect(seen.sort()).toEqual(["J1", "J2"]);
    await consumer.stop();
  });

  it("creates its durable consumer on start when asked to (ensure)", async () => {
    const n = names("ce");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, { ackWaitMs: 1_500, maxAckPending: 20 });
    const consumer = env.track(createConsumer<Order>(env.nc, d, () => {}, { ensure: true }));
    const acked = consumer.events.once("acked");
    await consumer.start();
    const info = await env.jsm.consumers.info(n.stream, n.durable);
    expect(info.config).toMatchObject({
      ack_policy: "explicit",
      filter_subject: n.subject,
      max_ack_pending: 20,
      max_deliver: 13,
      ack_wait: 1_500_000_000,
    });
    // No server backoff: it would add to the runtime's nak delays.
    expect(info.config.backoff ?? []).toEqual([]);
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "E1", qty: 1 });
    await acked;
    await consumer.stop();
  });

  it("retries a transient failure with delays no shorter than configured, then dead-letters with every header", async () => {
    const n = names("ct");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      retry: {
        maxAttempts: 3,
        strategy: "fixed",
        initialDelayMs: 0,
        maxDelayMs: 1_000,
        multiplier: 1,
        jitter: "none",
        delaysMs: [150, 300],
      },
    });
    await ensureConsumer(env.nc, d);
    const starts: number[] = [];
    const attempts: number[] = [];
    const retries: number[] = [];
    const consumer = env.track(
      createConsumer<Order>(
        env.nc,
        d,
        (_order, ctx) => {
          starts.push(Date.now());
          attempts.push(ctx.attempt);
          throw new Error("database down");
        },
        { hooks: { retryScheduled: (e) => retries.push(e.delayMs) } },
      ),
    );
    const dead = consumer.events.once("deadLettered");
    await consumer.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    const published = await publisher.publish(
      { id: "T1", qty: 2, note: "fragile" },
      { headers: { "x-tenant": "acme" } },
    );
    const event: DeadLetteredEvent = await dead;
    expect(event).toMatchObject({ reason: "attempts-exhausted", attempt: 3, errorClass: "Error" });
    expect(attempts).toEqual([1, 2, 3]);
    expect(retries).toEqual([150, 300]);
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(150);
    expect((starts[2] ?? 0) - (starts[1] ?? 0)).toBeGreaterThanOrEqual(300);

    const [dlq] = await readStream(env.jsm, n.dlqStream);
    expect(dlq).toBeDefined();
    const h = dlq?.header;
    expect(JSON.parse(new TextDecoder().decode(dlq?.data))).toEqual({
      id: "T1",
      qty: 2,
      note: "fragile",
    });
    expect(h?.get("x-tenant")).toBe("acme");
    expect(h?.get("traceparent") ?? "").toBe(""); // no propagator registered: nothing injected
    expect(h?.get("Nats-Msg-Id")).toBe(`dlq:${n.stream}:${published.seq}`);
    expect(h?.get(DeadLetterHeaders.originMsgId)).toBe("order-T1");
    expect(h?.get(DeadLetterHeaders.originSubject)).toBe(n.subject);
    expect(h?.get(DeadLetterHeaders.originStream)).toBe(n.stream);
    expect(h?.get(DeadLetterHeaders.originSequence)).toBe(String(published.seq));
    expect(h?.get(DeadLetterHeaders.originConsumer)).toBe(n.durable);
    expect(h?.get(DeadLetterHeaders.attempts)).toBe("3");
    expect(h?.get(DeadLetterHeaders.deliveries)).toBe("3");
    expect(h?.get(DeadLetterHeaders.errorClass)).toBe("Error");
    expect(h?.get(DeadLetterHeaders.errorMessage)).toBe("database down");
    expect(h?.get(DeadLetterHeaders.reason)).toBe("attempts-exhausted");
    const first = Date.parse(h?.get(DeadLetterHeaders.firstFailure) ?? "");
    const last = Date.parse(h?.get(DeadLetterHeaders.lastFailure) ?? "");
    expect(last - first).toBeGreaterThanOrEqual(450);
    // The original was terminated only after the DLQ publish: nothing pending or redelivered.
    await waitFor(
      async () => (await consumerBacklog(env.jsm, n.stream, n.durable)).ackPending === 0,
    );
    await consumer.stop();
  });

  it("honours TransientError.retryAfterMs over the computed delay", async () => {
    const n = names("cr");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      retry: fixedRetry(3, 10),
    });
    await ensureConsumer(env.nc, d);
    const starts: number[] = [];
    const consumer = env.track(
      createConsumer<Order>(env.nc, d, () => {
        starts.push(Date.now());
        if (starts.length === 1) throw new TransientError("rate limited", { retryAfterMs: 400 });
      }),
    );
    const acked = consumer.events.once("acked");
    await consumer.start();
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "R1", qty: 1 });
    const e = await acked;
    expect(e.attempt).toBe(2);
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(400);
    await consumer.stop();
  });

  it("dead-letters a permanent error at the first attempt", async () => {
    const n = names("cp");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n);
    await ensureConsumer(env.nc, d);
    let calls = 0;
    const consumer = env.track(
      createConsumer<Order>(env.nc, d, () => {
        calls++;
        throw new BusinessRuleError("credit limit exceeded", "credit");
      }),
    );
    const dead = consumer.events.once("deadLettered");
    await consumer.start();
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "P1", qty: 1 });
    const event = await dead;
    expect(event).toMatchObject({
      reason: "permanent",
      attempt: 1,
      errorClass: "BusinessRuleError",
    });
    expect(calls).toBe(1);
    const [dlq] = await readStream(env.jsm, n.dlqStream);
    expect(dlq?.header?.get(DeadLetterHeaders.errorClass)).toBe("BusinessRuleError");
    expect(dlq?.header?.get(DeadLetterHeaders.attempts)).toBe("1");
    await waitFor(
      async () => (await consumerBacklog(env.jsm, n.stream, n.durable)).ackPending === 0,
    );
    expect(calls).toBe(1);
    await consumer.stop();
  });

  it("dead-letters undecodable and schema-invalid payloads without calling the handler", async () => {
    const n = names("cs");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n);
    await ensureConsumer(env.nc, d);
    let calls = 0;
    const events: DeadLetteredEvent[] = [];
    const consumer = env.track(
      createConsumer<Order>(env.nc, d, () => {
        calls++;
      }),
    );
    consumer.events.on("deadLettered", (e) => events.push(e));
    await consumer.start();
    const js = jetstream(env.nc);
    const h = natsHeaders();
    h.set("x-source", "legacy");
    await js.publish(n.subject, "{not json", { headers: h });
    await js.publish(n.subject, JSON.stringify({ id: "S1", qty: -5 }));
    await waitFor(() => events.length === 2, 10_000, "two dead letters");
    expect(events.map((e) => e.errorClass).sort()).toEqual([
      "DecodeError",
      "SchemaValidationError",
    ]);
    expect(events.every((e) => e.reason === "permanent" && e.attempt === 1)).toBe(true);
    expect(calls).toBe(0);
    const dlq = await readStream(env.jsm, n.dlqStream);
    expect(dlq).toHaveLength(2);
    const raw = dlq.find((m) => m.header?.get(DeadLetterHeaders.errorClass) === "DecodeError");
    expect(new TextDecoder().decode(raw?.data)).toBe("{not json");
    expect(raw?.header?.get("x-source")).toBe("legacy");
    await consumer.stop();
  });

  it("a crash between the DLQ publish and the term leaves one DLQ entry", async () => {
    const n = names("cc");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, { ackWaitMs: 1_000 });
    await ensureConsumer(env.nc, d);
    const dyingConn = await env.connect();
    let reachedTerm!: () => void;
    const atTerm = new Promise<void>((resolve) => {
      reachedTerm = resolve;
    });
    const dying = createConsumer<Order>(
      dyingConn,
      d,
      () => {
        throw new BusinessRuleError("rejected");
      },
      {
        faults: {
          // The process "dies" here: after the DLQ ack, before the term.
          beforeTerm: () => {
            reachedTerm();
            return new Promise<never>(() => {});
          },
        },
      },
    );
    await dying.start();
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "X1", qty: 1 });
    await atTerm;
    await dyingConn.close(); // the crash: no term, no heartbeats
    expect(await readStream(env.jsm, n.dlqStream)).toHaveLength(1);

    const survivor = env.track(
      createConsumer<Order>(env.nc, d, () => {
        throw new BusinessRuleError("rejected");
      }),
    );
    const dead = survivor.events.once("deadLettered");
    await survivor.start();
    const event = await dead;
    expect(event.duplicate).toBe(true); // the DLQ stream recognised the repeat
    expect(event.deliveryCount).toBe(2);
    expect(await readStream(env.jsm, n.dlqStream)).toHaveLength(1);
    await waitFor(
      async () => (await consumerBacklog(env.jsm, n.stream, n.durable)).ackPending === 0,
    );
    await survivor.stop();
    await dying.stop({ deadlineMs: 10 }).catch(() => {});
  });

  it("never runs more handlers at once than the bulkhead allows", async () => {
    const n = names("cb");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, { concurrency: 3, maxAckPending: 50 });
    await ensureConsumer(env.nc, d);
    let current = 0;
    let peak = 0;
    const done = new Set<string>();
    const consumer = env.track(
      createConsumer<Order>(env.nc, d, async (order) => {
        current++;
        peak = Math.max(peak, current);
        await new Promise((r) => setTimeout(r, 15));
        current--;
        done.add(order.id);
      }),
    );
    await consumer.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => publisher.publish({ id: `B${i}`, qty: 1 })),
    );
    await waitFor(() => done.size === 40, 15_000, "40 handled");
    expect(peak).toBe(3);
    expect(consumer.peakConcurrency).toBe(3);
    await consumer.stop();
  });

  it("the breaker stops pulling while open, releases without spending attempts, and recovers", async () => {
    const n = names("ck");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      concurrency: 2,
      retry: fixedRetry(2, 50),
      breaker: {
        open: { kind: "consecutive", failures: 2 },
        halfOpenAfterMs: 700,
        halfOpenProbes: 1,
      },
    });
    await ensureConsumer(env.nc, d);
    let dependencyUp = false;
    let started = 0;
    const handled = new Set<string>();
    const consumer = env.track(
      createConsumer<Order>(env.nc, d, (order) => {
        started++;
        if (!dependencyUp) throw new Error("dependency unavailable");
        handled.add(order.id);
      }),
    );
    const deadLettered: DeadLetteredEvent[] = [];
    consumer.events.on("deadLettered", (e) => deadLettered.push(e));
    const opened = consumer.events.once("breakerOpened");
    await consumer.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    for (let i = 0; i < 10; i++) await publisher.publish({ id: `K${i}`, qty: 1 });
    await opened;
    const startedAtOpen = started;
    const halfOpen = await consumer.events.once("breakerHalfOpen");
    expect(halfOpen.previous).toBe("open");
    // Open for 700 ms: no handler started meanwhile (it stopped pulling and released).
    expect(started).toBe(startedAtOpen);
    dependencyUp = true;
    await consumer.events.once("breakerClosed");
    await waitFor(() => handled.size === 10, 15_000, "all handled after recovery");
    // Failures while the dependency was down opened the breaker instead of exhausting attempts.
    expect(deadLettered).toEqual([]);
    await consumer.stop();
  });

  it("a graceful stop loses nothing and processes nothing twice", async () => {
    const n = names("cg");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, { concurrency: 5, ackWaitMs: 1_000 });
    await ensureConsumer(env.nc, d);
    const counts = new Map<string, number>();
    const handler = async (order: Order) => {
      await new Promise((r) => setTimeout(r, 10));
      counts.set(order.id, (counts.get(order.id) ?? 0) + 1);
    };
    const first = createConsumer<Order>(env.nc, d, handler);
    await first.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    await Promise.all(
      Array.from({ length: 60 }, (_, i) => publisher.publish({ id: `G${i}`, qty: 1 })),
    );
    await waitFor(() => counts.size >= 10, 10_000, "some handled");
    await first.stop({ deadlineMs: 5_000 });
    const afterStop = counts.size;
    expect(first.inFlight).toBe(0);
    const second = env.track(createConsumer<Order>(env.nc, d, handler));
    await second.start();
    await waitFor(() => counts.size === 60, 20_000, "all 60 handled");
    await waitFor(async () => {
      const b = await consumerBacklog(env.jsm, n.stream, n.durable);
      return b.pending === 0 && b.ackPending === 0;
    });
    expect(afterStop).toBeLessThan(60);
    expect([...counts.values()].every((c) => c === 1)).toBe(true);
    await second.stop();
  });

  it("a stop past its deadline aborts and releases the in-flight handler; it is redelivered", async () => {
    const n = names("cd");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n);
    await ensureConsumer(env.nc, d);
    let aborted = false;
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const first = createConsumer<Order>(env.nc, d, (_o, ctx) => {
      entered();
      return new Promise<void>((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          aborted = true;
          resolve();
        });
      });
    });
    await first.start();
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "D1", qty: 1 });
    await inHandler;
    const stopped = first.events.once("stopped");
    await first.stop({ deadlineMs: 100 });
    expect((await stopped).released).toBe(1);
    expect(aborted).toBe(true);
    const seen: string[] = [];
    const second = env.track(createConsumer<Order>(env.nc, d, (o) => void seen.push(o.id)));
    const acked = second.events.once("acked");
    await second.start();
    await acked;
    // Redelivered once. (Its delivery count is the server's: 2.9 sometimes restarts it at 1
    // after a short nak, so it is not what this checks.)
    expect(seen).toEqual(["D1"]);
    await second.stop();
  });
});
