import { describe, expect, it } from "vitest";
import {
  DEFAULT_PUBLISH_POLICY,
  DEFAULT_RETRY_POLICY,
  resolveConsumer,
  resolveDedup,
  resolvePublishPolicy,
  resolveRetryPolicy,
} from "../../packages/runtime/src/index.js";

/** The one owner of policy defaults: a partial policy merges field by field over them. */
describe("policy resolution", () => {
  it.each<[string, Parameters<typeof resolvePublishPolicy>[0], unknown]>([
    ["nothing given", {}, DEFAULT_PUBLISH_POLICY],
    ["the default timeout written", { timeoutMs: 5_000 }, DEFAULT_PUBLISH_POLICY],
    ["a deadline only", { deadlineMs: 60_000 }, { ...DEFAULT_PUBLISH_POLICY, deadlineMs: 60_000 }],
    [
      "a timeout longer than the default deadline",
      { timeoutMs: 45_000 },
      { ...DEFAULT_PUBLISH_POLICY, timeoutMs: 45_000, deadlineMs: 45_000 },
    ],
    [
      "one retry field",
      { retry: { maxAttempts: 4 } },
      { ...DEFAULT_PUBLISH_POLICY, retry: { ...DEFAULT_PUBLISH_POLICY.retry, maxAttempts: 4 } },
    ],
  ])("publish: %s", (_name, given, want) => {
    expect(resolvePublishPolicy(given)).toEqual(want);
  });

  it.each<[string, Parameters<typeof resolveRetryPolicy>[0], unknown]>([
    ["nothing given", {}, DEFAULT_RETRY_POLICY],
    [
      "a linear strategy (no multiplier)",
      { strategy: "linear" },
      { ...DEFAULT_RETRY_POLICY, strategy: "linear", multiplier: 1 },
    ],
    [
      "explicit delays",
      { delaysMs: [1_000, 2_000, 4_000] },
      {
        maxAttempts: 4,
        strategy: "fixed",
        initialDelayMs: 1_000,
        maxDelayMs: 4_000,
        multiplier: 1,
        jitter: "none",
        delaysMs: [1_000, 2_000, 4_000],
      },
    ],
  ])("retry: %s", (_name, given, want) => {
    expect(resolveRetryPolicy(given)).toEqual(want);
  });

  it.each<[string, Parameters<typeof resolveConsumer>[1], Record<string, unknown>]>([
    [
      "nothing given",
      {},
      {
        durable: "orders_placed",
        ackWaitMs: 30_000,
        handlerTimeoutMs: 25_000,
        maxAckPending: 1_000,
        concurrency: 1,
        deliverPolicy: "all",
      },
    ],
    ["a long handler timeout", { handlerTimeoutMs: 60_000 }, { ackWaitMs: 65_000 }],
    ["a short ack wait", { ackWaitMs: 3_000 }, { handlerTimeoutMs: 1_000 }],
    ["a large concurrency", { concurrency: 2_000 }, { maxAckPending: 2_000 }],
    [
      "maxAckPending below concurrency (kept: a limit across processes)",
      { concurrency: 10, maxAckPending: 2 },
      { concurrency: 10, maxAckPending: 2 },
    ],
  ])("consumer: %s", (_name, given, want) => {
    expect(resolveConsumer("orders.placed", given)).toMatchObject(want);
  });

  it("dedup: a KV bucket named after the durable, its lease the ack wait, its replicas the stream's", () => {
    const consumer = resolveConsumer("fulfil order", { ackWaitMs: 40_000 });
    expect(resolveDedup({ store: "kv" }, consumer)).toEqual({
      store: "kv",
      bucket: "fulfil_order_dedup",
      ttlMs: 86_400_000,
      leaseMs: 40_000,
      replicas: 1,
      storage: "file",
    });
    expect(resolveDedup({ store: "kv" }, consumer, 3)).toMatchObject({ replicas: 3 });
    expect(resolveDedup({ store: "kv", replicas: 5 }, consumer, 3)).toMatchObject({ replicas: 5 });
    expect(resolveDedup(undefined, consumer)).toEqual({ store: "none" });
  });
});
