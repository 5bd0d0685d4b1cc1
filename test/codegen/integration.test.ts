import {
  DeadLetterHeaders,
  ensureStream,
  type MessageConsumer,
  PermanentError,
} from "@jetcontract/runtime";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCapturePaymentPublisher,
  createFulfilOrderConsumer,
  createPlaceOrderPublisher,
  createRecordPaymentConsumer,
  type OrderPlacedPayload,
  type PaymentCapturedPayload,
  placeOrderPublisherDescriptor,
} from "../../generated-example/index.js";
import { type NatsServer, startNatsServer } from "../support/nats-server.js";
import { requireBuiltRuntime } from "./support.js";

/**
 * The committed generated example, driven against a real nats-server: publish, consume,
 * a failing handler retried then dead-lettered, duplicates skipped at both ends.
 */
let server: NatsServer;
let nc: NatsConnection;
const consumers: MessageConsumer[] = [];

beforeAll(async () => {
  requireBuiltRuntime();
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  await ensureStream(nc, { name: "ORDERS", subjects: ["orders.>"], duplicateWindowMs: 300_000 });
  await ensureStream(nc, {
    name: "PAYMENTS",
    subjects: ["payments.*.captured"],
    retention: "workqueue",
  });
  await ensureStream(nc, { name: "ORDERS_DLQ", subjects: ["dlq.>"] });
});

afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.stop({ deadlineMs: 500 })));
  await nc?.drain();
  await server?.dispose();
});

function payment(paymentId: string): PaymentCapturedPayload {
  return {
    paymentId,
    captureAttempt: 1,
    orderId: "ord_a1",
    amount: { amount: 100, currency: "GBP" },
    capturedAt: "2026-11-27T10:16:03Z",
  };
}

async function dlqMessage(seq: number | undefined) {
  const jsm = await jetstreamManager(nc);
  const stored = await jsm.streams.getMessage("ORDERS_DLQ", { seq: seq as number });
  if (!stored) throw new Error(`no DLQ message at ${seq}`);
  return stored;
}

function order(orderId: string): OrderPlacedPayload {
  return {
    orderId,
    placedAt: "2026-11-27T10:15:00Z",
    status: "placed",
    customer: {
      id: "cus_1",
      email: "ada@example.com",
      shippingAddress: { line1: "1 Row", city: "London", postalCode: "N1", country: "GB" },
    },
    lines: [{ sku: "BOOK-1", quantity: 1, unitPrice: { amount: 100, currency: "GBP" } }],
    total: { amount: 100, currency: "GBP" },
  };
}

describe("generated producers and consumers on a real nats-server", () => {
  it("publish, consume, skip duplicates, dead-letter a permanent failure with its metadata", async () => {
    const handled: string[] = [];
    const consumer = createFulfilOrderConsumer(
      nc,
      async (payload) => {
        if (payload.orderId === "ord_rejected") throw new PermanentError("unknown sku");
        handled.push(payload.orderId);
      },
      { ensure: true, random: () => 0, pullExpiresMs: 1_000 },
    );
    consumers.push(consumer);
    await consumer.start();

    const publisher = createPlaceOrderPublisher(nc);
    const acked = consumer.events.once("acked");
    const first = await publisher.publish(order("ord_a1"));
    expect(first).toMatchObject({
      stream: "ORDERS",
      duplicate: false,
      msgId: "ord_a1",
      subject: "orders.placed",
    });
    await acked;
    expect(handled).toEqual(["ord_a1"]);

    // Same idempotency key again: the stream drops it (Nats-Msg-Id within the duplicate window).
    const again = await publisher.publish(order("ord_a1"));
    expect(again).toMatchObject({ duplicate: true, seq: first.seq });

    // Same key under another message id gets past the stream; the consumer's KV dedup skips it.
    const skipped = consumer.events.once("duplicateSkipped");
    await publisher.publish(order("ord_a1"), { msgId: "ord_a1-resent" });
    expect((await skipped).idempotencyKey).toBe("ord_a1");
    expect(handled).toEqual(["ord_a1"]);

    // A permanent failure is dead-lettered at once, with its context in headers.
    const deadLettered = consumer.events.once("deadLettered");
    const rejected = await publisher.publish(order("ord_rejected"));
    const dl = await deadLettered;
    expect(dl).toMatchObject({
      reason: "permanent",
      deadLetterSubject: "dlq.orders",
      deadLetterStream: "ORDERS_DLQ",
      attempt: 1,
    });
    const stored = await dlqMessage(dl.deadLetterSeq);
    expect(stored.subject).toBe("dlq.orders");
    expect(stored.json<OrderPlacedPayload>().orderId).toBe("ord_rejected");
    expect(stored.header.get(DeadLetterHeaders.originSubject)).toBe("orders.placed");
    expect(stored.header.get(DeadLetterHeaders.originStream)).toBe("ORDERS");
    expect(stored.header.get(DeadLetterHeaders.originSequence)).toBe(String(rejected.seq));
  });

  it("retries a failing handler with the operation's policy, then dead-letters it", async () => {
    const attempts: number[] = [];
    const delays: number[] = [];
    const consumer = createRecordPaymentConsumer(
      nc,
      async (_payment, ctx) => {
        attempts.push(ctx.attempt);
        throw new Error("ledger unavailable");
      },
      // Decorrelated jitter with random 0 gives the policy's initial delay (2s) each time.
      { ensure: true, random: () => 0, pullExpiresMs: 1_000 },
    );
    consumers.push(consumer);
    consumer.events.on("retryScheduled", (e) => delays.push(e.delayMs));
    await consumer.start();
    const deadLettered = consumer.events.once("deadLettered");
    await createCapturePaymentPublisher(nc).publish(payment("pay_poison"), { region: "eu" });
    const dl = await deadLettered;
    // recordPayment: x-retry maxAttempts 8, x-dlq dlq.payments.
    // The handler ran maxAttempts times, numbered 1..8 (within one process attempts are
    // monotonic and equal failed attempts + 1), and every retry waited the policy's delay.
    expect(attempts).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(delays).toEqual([2000, 2000, 2000, 2000, 2000, 2000, 2000]);
    expect(dl).toMatchObject({
      reason: "attempts-exhausted",
      deadLetterSubject: "dlq.payments",
      errorMessage: "ledger unavailable",
    });
    const stored = await dlqMessage(dl.deadLetterSeq);
    expect(stored.header.get(DeadLetterHeaders.attempts)).toBe("8");
    expect(stored.header.get(DeadLetterHeaders.originSubject)).toBe("payments.eu.captured");
  }, 120_000);

  it("rejects an invalid payload before publishing it (precompiled validator)", async () => {
    const publisher = createPlaceOrderPublisher(nc);
    const bad = { ...order("not-an-order-id") };
    await expect(publisher.publish(bad)).rejects.toThrow();
    expect(placeOrderPublisherDescriptor.message.validate?.(bad)).toBe(false);
  });

  it("fills subject parameters from typed params and joins composite keys", async () => {
    const publisher = createCapturePaymentPublisher(nc);
    const result = await publisher.publish(payment("pay_1"), { region: "apac" });
    expect(result).toMatchObject({
      subject: "payments.apac.captured",
      stream: "PAYMENTS",
      msgId: "pay_1:1",
    });
  });
});
