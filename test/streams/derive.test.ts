import { describe, expect, it } from "vitest";
import type { Contract } from "../../src/model/types.js";
import {
  deriveJetStreamConfig,
  managedOwner,
  maxDeliverFor,
  ownerMarker,
} from "../../src/streams/derive.js";
import type { JetStreamConfig } from "../../src/streams/types.js";
import {
  at,
  channel,
  contract,
  ordersContract,
  receive,
  retry,
  send,
  stream,
} from "./support/contracts.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;

function derived(c: Contract): JetStreamConfig {
  const result = deriveJetStreamConfig(c);
  expect(result.problems.filter((p) => p.severity === "error")).toEqual([]);
  if (!result.config) throw new Error("no config");
  return result.config;
}

/** One stream `S` on `a.>`, channel `a.x`, and the given receive operation on it. */
function single(
  op: Partial<Parameters<typeof receive>[0]>,
  streamExtra: Partial<Parameters<typeof stream>[0]> = {},
): Contract {
  return contract({
    streams: [stream({ name: "S", subjects: ["a.>"], ...streamExtra })],
    channels: [channel({ id: "x", address: "a.x", stream: "S" })],
    operations: [receive({ id: "op", channelId: "x", ...op })],
  });
}

const consumerPolicy = (over: Record<string, unknown> = {}) => ({
  durable: "d",
  ackWaitMs: 5 * SECOND,
  maxAckPending: 10,
  concurrency: 2,
  handlerTimeoutMs: 4 * SECOND,
  deliverPolicy: "all" as const,
  replicas: 0,
  memoryStorage: false,
  location: at("/operations/op/x-consumer", 40),
  ...over,
});

describe("deriveJetStreamConfig on the example contract", () => {
  const config = derived(ordersContract());

  it("derives the declared streams, the DLQ stream and one KV bucket stream, sorted", () => {
    expect(config.streams.map((s) => [s.name, s.role])).toEqual([
      ["KV_orders_dedup", "kv"],
      ["ORDERS", "stream"],
      ["ORDERS_DLQ", "dead-letter"],
      ["PAYMENTS", "stream"],
    ]);
    const dlq = config.streams.find((s) => s.name === "ORDERS_DLQ");
    expect(dlq?.retention).toBe("limits");
  });

  it("configures the KV bucket as nats.js would: history 1, TTL as max_age, rollups", () => {
    const kv = config.streams.find((s) => s.role === "kv");
    expect(kv).toMatchObject({
      subjects: ["$KV.orders_dedup.>"],
      maxMsgsPerSubject: 1,
      maxAgeMs: 24 * 60 * MINUTE,
      discard: "new",
      allowRollupHeaders: true,
      allowDirect: true,
      duplicateWindowMs: 2 * MINUTE,
    });
    expect(config.buckets).toEqual([
      expect.objectContaining({ bucket: "orders_dedup", ttlMs: 24 * 60 * MINUTE }),
    ]);
  });

  it("keeps a duplicate window that already covers the publish deadlines", () => {
    const byName = new Map(config.streams.map((s) => [s.name, s]));
    expect(byName.get("ORDERS")?.duplicateWindowMs).toBe(5 * MINUTE);
    expect(byName.get("PAYMENTS")?.duplicateWindowMs).toBe(2 * MINUTE);
  });

  it("derives one explicit-ack durable consumer per receive operation", () => {
    expect(config.consumers.map((c) => [c.stream, c.durable, c.filterSubject])).toEqual([
      ["ORDERS", "fulfilment", "orders.placed"],
      ["ORDERS", "stock-release", "orders.cancelled"],
      ["PAYMENTS", "ledger", "payments.*.captured"],
    ]);
    for (const c of config.consumers) expect(c.ackPolicy).toBe("explicit");
  });

  it("leaves room for the runtime's releases in max_deliver and keeps the contract's ack wait", () => {
    const byName = new Map(config.consumers.map((c) => [c.durable, c]));
    expect(byName.get("fulfilment")).toMatchObject({ maxDeliver: 5 + 10, ackWaitMs: 30 * SECOND });
    expect(byName.get("stock-release")).toMatchObject({
      maxDeliver: 4 + 10,
      ackWaitMs: 15 * SECOND,
    });
    expect(byName.get("ledger")).toMatchObject({ maxDeliver: 8 + 10, ackWaitMs: 60 * SECOND });
  });

  it("marks every description with the owner so prune can recognise its resources", () => {
    for (const s of [...config.streams, ...config.consumers]) {
      expect(managedOwner(s.description)).toBe("Orders");
    }
    expect(config.streams.find((s) => s.name === "ORDERS")?.description).toBe(
      `Order lifecycle events. ${ownerMarker("Orders")}`,
    );
  });
});

describe("derivation rules", () => {
  it("raises an unset duplicate window to the longest publish deadline", () => {
    const c = contract({
      streams: [stream({ name: "S", subjects: ["a.>"] })],
      channels: [channel({ id: "x", address: "a.x", stream: "S" })],
      operations: [
        send({
          id: "pub",
          channelId: "x",
          publish: {
            timeoutMs: SECOND,
            deadlineMs: 3 * MINUTE,
            retry: retry(),
            location: at("/operations/pub/x-publish"),
          },
        }),
      ],
    });
    const result = deriveJetStreamConfig(c);
    expect(result.config?.streams[0]?.duplicateWindowMs).toBe(3 * MINUTE);
    expect(result.problems).toEqual([]);
  });

  it("keeps a duplicate window the contract sets, and warns when a deadline outlasts it", () => {
    const c = contract({
      streams: [stream({ name: "S", subjects: ["a.>"], duplicateWindowMs: MINUTE })],
      channels: [channel({ id: "x", address: "a.x", stream: "S" })],
      operations: [
        send({
          id: "pub",
          channelId: "x",
          publish: {
            timeoutMs: SECOND,
            deadlineMs: 3 * MINUTE,
            retry: retry(),
            location: at("/p"),
          },
        }),
      ],
    });
    const result = deriveJetStreamConfig(c);
    expect(result.config?.streams[0]?.duplicateWindowMs).toBe(MINUTE);
    expect(result.problems).toEqual([
      expect.objectContaining({ ruleId: "jc-duplicate-window-short", severity: "warning" }),
    ]);
  });

  it("caps the duplicate window at max_age", () => {
    const c = contract({
      streams: [stream({ name: "S", subjects: ["a.>"], maxAgeMs: 30 * SECOND })],
    });
    expect(derived(c).streams[0]?.duplicateWindowMs).toBe(30 * SECOND);
  });

  it("warns when max_age keeps the window shorter than a producer's publish deadline", () => {
    const s = stream({ name: "S", subjects: ["a.>"], maxAgeMs: 10 * SECOND });
    const c = contract({
      streams: [s],
      channels: [channel({ id: "x", address: "a.x", stream: "S" })],
      operations: [
        send({
          id: "pub",
          channelId: "x",
          publish: { timeoutMs: SECOND, deadlineMs: MINUTE, retry: retry(), location: at("/p") },
        }),
      ],
    });
    const result = deriveJetStreamConfig(c);
    expect(result.config?.streams[0]?.duplicateWindowMs).toBe(10 * SECOND);
    expect(result.problems).toEqual([
      expect.objectContaining({
        ruleId: "jc-duplicate-window-short",
        severity: "warning",
        location: at("/p"),
      }),
    ]);
  });

  it("sets max_deliver to the attempts plus the release allowance, and no server backoff", () => {
    const c = single({
      consumer: consumerPolicy(),
      retry: retry({ maxAttempts: 4, delaysMs: [2 * SECOND, 20 * SECOND] }),
    });
    const [consumer] = derived(c).consumers;
    // The contract's delays are the runtime's nak delays: a server backoff would add to them,
    // and the ack wait stays the contract's (it alone times a crashed delivery).
    expect(consumer).toMatchObject({ maxDeliver: 14, ackWaitMs: 5_000 });
    expect(consumer).not.toHaveProperty("backoffMs");
    expect(maxDeliverFor(retry({ maxAttempts: 50 }))).toBe(60);
  });

  it("warns when the handler may outlive the ack wait", () => {
    const c = single({
      consumer: consumerPolicy({ ackWaitMs: 2 * SECOND, handlerTimeoutMs: 8 * SECOND }),
      retry: retry({ maxAttempts: 2, strategy: "fixed", initialDelayMs: SECOND }),
    });
    const result = deriveJetStreamConfig(c);
    expect(result.config?.consumers[0]).toMatchObject({ ackWaitMs: 2_000, maxDeliver: 12 });
    expect(result.problems.map((p) => p.ruleId)).toEqual(["jc-ack-wait-below-handler-timeout"]);
  });

  it("uses the resolved default retry without x-retry (5 attempts: max_deliver 15)", () => {
    const [consumer] = derived(single({ consumer: consumerPolicy() })).consumers;
    expect(consumer).toMatchObject({ maxDeliver: 15, ackWaitMs: 5000 });
  });

  it("keeps an explicit max_ack_pending below the concurrency, with a warning", () => {
    const result = deriveJetStreamConfig(
      single({ consumer: consumerPolicy({ maxAckPending: 1, concurrency: 6 }) }),
    );
    expect(result.config?.consumers[0]?.maxAckPending).toBe(1);
    expect(result.problems).toEqual([
      expect.objectContaining({
        ruleId: "jc-max-ack-pending-below-concurrency",
        location: at("/operations/op/x-consumer", 40),
      }),
    ]);
  });

  it("uses the operation id and the resolved defaults when x-consumer is absent", () => {
    const result = deriveJetStreamConfig(single({}));
    expect(result.config?.consumers[0]).toMatchObject({
      durable: "op",
      ackWaitMs: 30_000,
      maxAckPending: 1000,
      maxDeliver: 15,
    });
    expect(result.problems).toEqual([]);
  });

  it("refuses operations sharing a durable, as validate does", () => {
    const c = contract({
      streams: [stream({ name: "S", subjects: ["a.>"] })],
      channels: [channel({ id: "x", address: "a.x", stream: "S" })],
      operations: [
        receive({ id: "one", channelId: "x", consumer: consumerPolicy() }),
        receive({ id: "two", channelId: "x", consumer: consumerPolicy() }),
      ],
    });
    const result = deriveJetStreamConfig(c);
    expect(result.config).toBeUndefined();
    expect(result.problems.map((p) => [p.ruleId, p.severity])).toEqual([
      ["jc-durable-duplicate", "error"],
    ]);
  });

  it.each<[string, Contract, string, unknown]>([
    [
      "two operations share a durable with different settings",
      contract({
        streams: [stream({ name: "S", subjects: ["a.>"] })],
        channels: [channel({ id: "x", address: "a.x", stream: "S" })],
        operations: [
          receive({ id: "one", channelId: "x", consumer: consumerPolicy() }),
          receive({
            id: "two",
            channelId: "x",
            consumer: consumerPolicy({
              ackWaitMs: 9 * SECOND,
              location: at("/operations/two/x-consumer", 77),
            }),
          }),
        ],
      }),
      "jc-durable-duplicate",
      at("/operations/two/x-consumer", 77),
    ],
    [
      "consumers overlap on a work-queue stream",
      contract({
        streams: [stream({ name: "W", subjects: ["w.>"], retention: "workqueue" })],
        channels: [
          channel({ id: "all", address: "w.{kind}", stream: "W" }),
          channel({ id: "one", address: "w.one", stream: "W" }),
        ],
        operations: [
          receive({ id: "a", channelId: "all", consumer: consumerPolicy({ durable: "a" }) }),
          receive({
            id: "b",
            channelId: "one",
            consumer: consumerPolicy({
              durable: "b",
              location: at("/operations/b/x-consumer", 12),
            }),
          }),
        ],
      }),
      "jc-workqueue-overlap",
      at("/operations/b"),
    ],
    [
      "a consumer on a work-queue stream does not deliver all",
      single(
        {
          consumer: consumerPolicy({
            deliverPolicy: "new",
            replicas: 0,
            memoryStorage: false,
            location: at("/operations/op/x-consumer", 9),
          }),
        },
        { retention: "workqueue" },
      ),
      "jc-workqueue-deliver-policy",
      at("/operations/op/x-consumer", 9),
    ],
    [
      "a dead-letter stream does not use limits retention",
      contract({
        streams: [
          stream({ name: "D", subjects: ["dlq.>"], retention: "interest", isDeadLetter: true }),
        ],
      }),
      "jc-dlq-stream-retention",
      at("/x-jetstream/streams/D"),
    ],
    [
      "two streams capture overlapping subjects",
      contract({
        streams: [
          stream({ name: "A", subjects: ["a.>"] }),
          stream({ name: "B", subjects: ["a.b"] }),
        ],
      }),
      "jc-stream-subjects-overlap",
      at("/x-jetstream/streams/B"),
    ],
    [
      "no stream captures a received channel",
      contract({
        streams: [stream({ name: "A", subjects: ["a.>"] })],
        channels: [channel({ id: "x", address: "b.x" })],
        operations: [receive({ id: "op", channelId: "x", consumer: consumerPolicy() })],
      }),
      "jc-receive-without-stream",
      at("/operations/op"),
    ],
    [
      "a durable name is not a valid JetStream name",
      single({ consumer: consumerPolicy({ durable: "bad.name" }) }),
      "jc-durable-invalid",
      at("/operations/op/x-consumer", 40),
    ],
    [
      "two operations share a KV bucket with different TTLs",
      contract({
        streams: [stream({ name: "S", subjects: ["a.>"] })],
        channels: [
          channel({ id: "x", address: "a.x", stream: "S" }),
          channel({ id: "y", address: "a.y", stream: "S" }),
        ],
        operations: [
          receive({
            id: "one",
            channelId: "x",
            consumer: consumerPolicy({ durable: "one" }),
            dedup: {
              store: "kv",
              bucket: "b",
              ttlMs: MINUTE,
              leaseMs: SECOND,
              location: at("/one"),
            },
          }),
          receive({
            id: "two",
            channelId: "y",
            consumer: consumerPolicy({ durable: "two" }),
            dedup: {
              store: "kv",
              bucket: "b",
              ttlMs: 2 * MINUTE,
              leaseMs: SECOND,
              location: at("/two"),
            },
          }),
        ],
      }),
      "jc-kv-bucket-conflict",
      at("/two"),
    ],
    [
      "a KV bucket's stream is already declared",
      contract({
        streams: [
          stream({ name: "S", subjects: ["a.>"] }),
          stream({ name: "KV_b", subjects: ["kv.>"] }),
        ],
        channels: [channel({ id: "x", address: "a.x", stream: "S" })],
        operations: [
          receive({
            id: "op",
            channelId: "x",
            consumer: consumerPolicy(),
            dedup: {
              store: "kv",
              bucket: "b",
              ttlMs: MINUTE,
              leaseMs: SECOND,
              location: at("/kv"),
            },
          }),
        ],
      }),
      "jc-kv-bucket-stream-clash",
      at("/kv"),
    ],
  ])("reports an error when %s", (_name, given, ruleId, location) => {
    const result = deriveJetStreamConfig(given);
    expect(result.config).toBeUndefined();
    expect(result.problems).toContainEqual(
      expect.objectContaining({ ruleId, severity: "error", location }),
    );
  });

  it("reports a channel's problem once, however many operations use the channel", () => {
    const c = contract({
      streams: [stream({ name: "S", subjects: ["a.>"] })],
      channels: [channel({ id: "x", address: "a.x", stream: "NOPE" })],
      operations: [
        send({
          id: "pub",
          channelId: "x",
          publish: { timeoutMs: SECOND, deadlineMs: MINUTE, retry: retry(), location: at("/p") },
        }),
        receive({ id: "one", channelId: "x", consumer: consumerPolicy({ durable: "one" }) }),
        receive({ id: "two", channelId: "x", consumer: consumerPolicy({ durable: "two" }) }),
      ],
    });
    expect(deriveJetStreamConfig(c).problems).toEqual([
      expect.objectContaining({ ruleId: "jc-stream-undeclared", location: at("/channels/x") }),
    ]);
  });

  it("is deterministic whatever the order of the model's arrays", () => {
    const c = ordersContract();
    const shuffled: Contract = {
      ...c,
      streams: [...c.streams].reverse(),
      channels: [...c.channels].reverse(),
      operations: [...c.operations].reverse(),
    };
    expect(JSON.stringify(derived(shuffled))).toBe(JSON.stringify(derived(c)));
  });
});
