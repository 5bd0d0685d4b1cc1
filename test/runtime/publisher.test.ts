import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPublisher,
  ensureStream,
  isPublishAbortedError,
  isPublishRetriesExhaustedError,
  isSchemaValidationError,
  isStreamNotFoundForSubjectError,
  isWrongExpectedSequenceError,
  type PublishResult,
} from "../../packages/runtime/src/index.js";
import type { Order } from "./support.js";
import {
  type Env,
  makeStreams,
  names,
  publisherDescriptor,
  readStream,
  startEnv,
} from "./support.js";

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.dispose();
});

describe("publisher on a real server", () => {
  it("sets Nats-Msg-Id from the key: a repeat within the window is a duplicate, after it a new message", async () => {
    const n = names("pd");
    await makeStreams(env.nc, n, { duplicateWindowMs: 400 });
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    const first = await publisher.publish({ id: "A1", qty: 1 });
    expect(first).toMatchObject({ stream: n.stream, seq: 1, duplicate: false, msgId: "order-A1" });
    const again = await publisher.publish({ id: "A1", qty: 1 });
    expect(again).toMatchObject({ seq: 1, duplicate: true });
    // Once the window has passed, the same key is stored as a new message.
    let later: PublishResult = again;
    const until = Date.now() + 5_000;
    while (later.duplicate && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
      later = await publisher.publish({ id: "A1", qty: 1 });
    }
    expect(later).toMatchObject({ seq: 2, duplicate: false });
    const stored = await readStream(env.jsm, n.stream);
    expect(stored.map((m) => m.header?.get("Nats-Msg-Id"))).toEqual(["order-A1", "order-A1"]);
  });

  it("retries a transient failure (server down, then back) under the same id and stores it once", async () => {
    const n = names("pt");
    await makeStreams(env.nc, n);
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    const retried = publisher.events.once("publishRetried");
    await env.server.stop();
    const pending = publisher.publish({ id: "B7", qty: 3 }, { headers: { "x-tenant": "acme" } });
    const event = await retried;
    expect(event.msgId).toBe("order-B7");
    await env.restart();
    const result = await pending;
    expect(result.attempts).toBeGreaterThan(1);
    expect(result.duplicate === false || result.duplicate === true).toBe(true);
    const stored = await readStream(env.jsm, n.stream);
    expect(stored).toHaveLength(1);
    expect(stored[0]?.header?.get("Nats-Msg-Id")).toBe("order-B7");
    expect(stored[0]?.header?.get("x-tenant")).toBe("acme");
    expect(JSON.parse(new TextDecoder().decode(stored[0]?.data))).toEqual({ id: "B7", qty: 3 });
  });

  it("fails at once when no stream captures the subject", async () => {
    const n = names("pn");
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    const started = Date.now();
    const error = await publisher.publish({ id: "C1", qty: 1 }).catch((e: unknown) => e);
    expect(isStreamNotFoundForSubjectError(error)).toBe(true);
    expect((error as { attempts: number }).attempts).toBe(1);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("fails at once on a wrong expected sequence", async () => {
    const n = names("pe");
    await makeStreams(env.nc, n);
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    await publisher.publish({ id: "D1", qty: 1 });
    const error = await publisher
      .publish({ id: "D2", qty: 1 }, { expect: { lastSequence: 5 } })
      .catch((e: unknown) => e);
    expect(isWrongExpectedSequenceError(error)).toBe(true);
    const ok = await publisher.publish({ id: "D3", qty: 1 }, { expect: { lastSequence: 1 } });
    expect(ok.seq).toBe(2);
  });

  it("validates outbound payloads and publishes nothing on failure", async () => {
    const n = names("pv");
    await makeStreams(env.nc, n);
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    const error = await publisher.publish({ id: "E1", qty: -1 }).catch((e: unknown) => e);
    expect(isSchemaValidationError(error)).toBe(true);
    expect((await env.jsm.streams.info(n.stream)).state.messages).toBe(0);
  });

  it("honours an AbortSignal while retrying", async () => {
    const n = names("pa");
    await makeStreams(env.nc, n);
    const js = jetstream(env.nc);
    const publisher = createPublisher<Order>(js, publisherDescriptor(n));
    const controller = new AbortController();
    const retried = publisher.events.once("publishRetried");
    await env.server.stop();
    try {
      const pending = publisher.publish({ id: "F1", qty: 1 }, { signal: controller.signal });
      await retried;
      controller.abort(new Error("caller gave up"));
      const error = await pending.catch((e: unknown) => e);
      expect(isPublishAbortedError(error)).toBe(true);
    } finally {
      await env.restart();
    }
  });

  it("gives up with a typed error when the deadline passes during an outage", async () => {
    const n = names("px");
    await makeStreams(env.nc, n);
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    await env.server.stop();
    try {
      const started = Date.now();
      const error = await publisher
        .publish({ id: "H1", qty: 1 }, { deadlineMs: 600 })
        .catch((e: unknown) => e);
      expect(isPublishRetriesExhaustedError(error)).toBe(true);
      expect((error as Error).cause).toBeDefined();
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await env.restart();
    }
  });

  it("fills subject tokens and uses a generated id when the message has no key", async () => {
    const n = names("pw");
    await ensureStream(env.nc, { name: n.stream, subjects: [`${n.subject}.*`] });
    const publisher = createPublisher<Order>(
      env.nc,
      publisherDescriptor(n, {
        subject: `${n.subject}.*`,
        subjectParams: ["region"],
        message: { name: "OrderCreated" },
      }),
    );
    const r = await publisher.publish({ id: "G1", qty: 1 }, { params: { region: "eu" } });
    expect(r.subject).toBe(`${n.subject}.eu`);
    expect(r.msgId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
