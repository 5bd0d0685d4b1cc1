import { describe, expect, it } from "vitest";
import {
  createMemoryDedupStore,
  DeadLetterHeaders,
  RedriveHeaders,
  supersededRef,
} from "../../packages/runtime/src/index.js";
import type { MonitorPolicy } from "../../src/model/types.js";
import { formatStatsText } from "../../src/operate/format.js";
import {
  type DeadLetter,
  decideRedrive,
  evaluate,
  failureGroupId,
  matchesFilter,
  normaliseErrorMessage,
  parseTimeBound,
  redriveHeaders,
} from "../../src/operate/index.js";
import type { ServerState } from "../../src/operate/status.js";

const at = { file: "x", line: 1, column: 1, pointer: "" };

function dead(over: Partial<DeadLetter> = {}): DeadLetter {
  return {
    stream: "DLQ",
    seq: 7,
    subject: "dlq.orders",
    storedAtMs: Date.parse("2026-12-01T10:00:00Z"),
    headers: {
      [DeadLetterHeaders.originStream]: "ORDERS",
      [DeadLetterHeaders.originSequence]: "41",
      "Nats-Msg-Id": "dlq:ORDERS:41",
      "x-tenant": "acme",
    },
    originSubject: "orders.placed",
    originStream: "ORDERS",
    originSequence: 41,
    originConsumer: "fulfilment",
    reason: "permanent",
    errorClass: "PermanentError",
    errorMessage: 'order ord_7f3a2c rejected: customer "acme" is blocked',
    attempts: 1,
    firstFailureAtMs: undefined,
    lastFailureAtMs: undefined,
    redriveCount: 0,
    size: 10,
    ...over,
  };
}

describe("failure groups", () => {
  it.each([
    [
      'order ord_7f3a2c rejected: customer "acme" is blocked',
      'order <id> rejected: customer "…" is blocked',
    ],
    ["timed out after 1500ms (attempt 3 of 5)", "timed out after <n>ms (attempt <n> of <n>)"],
    [
      "no row 550e8400-e29b-41d4-a716-446655440000 at 2026-12-01T10:00:00.123Z",
      "no row <uuid> at <time>",
    ],
    ["connect ECONNREFUSED 10.0.0.12:5432", "connect ECONNREFUSED <ip>"],
    ["bad byte 0xFF in 'abc'", "bad byte <hex> in '…'"],
    ["must have   required property", "must have required property"],
  ])("%s → %s", (message, pattern) => {
    expect(normaliseErrorMessage(message)).toBe(pattern);
  });

  it("group ids are stable and tell consumers and classes apart", () => {
    const id = failureGroupId("fulfilment", "PermanentError", "x <n>");
    expect(id).toMatch(/^[0-9a-f]{10}$/);
    expect(failureGroupId("fulfilment", "PermanentError", "x <n>")).toBe(id);
    expect(failureGroupId("ledger", "PermanentError", "x <n>")).not.toBe(id);
    expect(failureGroupId("fulfilment", "Error", "x <n>")).not.toBe(id);
  });
});

describe("filters", () => {
  it.each([
    [{}, true],
    [{ consumers: ["fulfilment"] }, true],
    [{ consumers: ["ledger"] }, false],
    [{ subjects: ["orders.*"] }, true],
    [{ subjects: ["payments.>"] }, false],
    [{ reasons: ["permanent", "max-deliveries"] }, true],
    [{ errorClasses: ["Error"] }, false],
    [{ text: "BLOCKED" }, true],
    [{ fromSeq: 8 }, false],
    [{ toSeq: 7, fromSeq: 7 }, true],
    [{ sinceMs: Date.parse("2026-12-01T10:00:01Z") }, false],
    [{ untilMs: Date.parse("2026-12-01T10:00:00Z") }, false],
    [
      {
        groups: [
          failureGroupId(
            "fulfilment",
            "PermanentError",
            'order <id> rejected: customer "…" is blocked',
          ),
        ],
      },
      true,
    ],
  ])("%j → %s", (filter, want) => {
    expect(matchesFilter(dead(), filter)).toBe(want);
  });

  it("time bounds are date-times or durations ago", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    expect(parseTimeBound("2h", now, "--since")).toBe(Date.parse("2026-12-01T10:00:00Z"));
    expect(parseTimeBound("2026-11-30T00:00:00Z", now, "--since")).toBe(
      Date.parse("2026-11-30T00:00:00Z"),
    );
    expect(() => parseTimeBound("yesterday", now, "--since")).toThrow(/--since "yesterday"/);
  });
});

describe("re-drive decisions and headers", () => {
  const valid = { status: "valid", messageId: "Order" } as const;
  it.each([
    [
      "valid → origin subject, stored by the origin stream",
      {},
      valid,
      { kind: "redrive", subject: "orders.placed", expectStream: "ORDERS" },
    ],
    [
      "--to → that subject, no stream expected",
      { to: "orders.retry" },
      valid,
      { kind: "redrive", subject: "orders.retry" },
    ],
    [
      "invalid → skipped with its paths",
      {},
      {
        status: "invalid",
        messageId: "Order",
        issues: [{ path: "/qty", message: "must be >= 1" }],
      },
      {
        kind: "skip",
        reason: "fails the current schema of Order",
        issues: [{ path: "/qty", message: "must be >= 1" }],
      },
    ],
    [
      "invalid with --force → re-driven",
      { force: true },
      { status: "invalid", messageId: "Order", issues: [] },
      { kind: "redrive", subject: "orders.placed", expectStream: "ORDERS" },
    ],
    [
      "not JSON → skipped",
      {},
      { status: "unchecked", reason: "the payload is not UTF-8 JSON" },
      { kind: "skip", reason: "not checked: the payload is not UTF-8 JSON" },
    ],
  ] as const)("%s", (_name, options, check, want) => {
    expect(decideRedrive(dead(), options, check, true)).toEqual(want);
  });

  it("keeps the original headers, drops the old id, adds the re-drive headers the consumer reads", () => {
    const h = redriveHeaders(dead({ redriveCount: 1 }), new Date("2026-12-01T11:00:00Z"));
    expect(h.get("x-tenant")).toBe("acme");
    expect(h.has("Nats-Msg-Id")).toBe(false);
    expect(h.get(RedriveHeaders.count)).toBe("2");
    expect(h.get(RedriveHeaders.dlqSequence)).toBe("7");
    expect(h.get(RedriveHeaders.at)).toBe("2026-12-01T11:00:00.000Z");
    const record = Object.fromEntries([...h].map(([k, v]) => [k, v[0] as string]));
    expect(supersededRef(record)).toBe("ORDERS:41");
    expect(
      supersededRef({
        [DeadLetterHeaders.originStream]: "ORDERS",
        [DeadLetterHeaders.originSequence]: "41",
      }),
    ).toBeUndefined();
  });
});

describe("memory dedup and re-drives", () => {
  it("a live claim of the failed original is taken over by its re-drive, by nothing else", () => {
    const store = createMemoryDedupStore({ maxEntries: 10, ttlMs: 60_000, leaseMs: 60_000 });
    expect(store.claim("k", "ORDERS:41").status).toBe("claimed"); // the original, never settled
    expect(store.claim("k", "ORDERS:90").status).toBe("busy");
    expect(store.claim("k", "ORDERS:90", "ORDERS:12").status).toBe("busy");
    const redrive = store.claim("k", "ORDERS:90", "ORDERS:41");
    expect(redrive.status).toBe("claimed");
    if (redrive.status === "claimed") store.complete(redrive.token);
    expect(store.claim("k", "ORDERS:91", "ORDERS:41").status).toBe("done");
  });
});

describe("status levels", () => {
  const monitor: MonitorPolicy = {
    maxPending: 100,
    maxAckPending: 10,
    maxDlqDepth: 5,
    maxIdleMs: 60_000,
    warnAt: 0.8,
    location: at,
  };
  const state: ServerState = {
    operationId: "fulfilOrder",
    stream: "ORDERS",
    durable: "fulfilment",
    streamExists: true,
    exists: true,
    drift: [],
    pending: 0,
    ackPending: 0,
    redelivered: 0,
    waiting: 1,
    dlqDepth: 0,
  };
  it.each([
    ["all fine", {}, "OK"],
    ["pending past warnAt", { pending: 81 }, "WARNING"],
    ["pending past max", { pending: 101 }, "CRITICAL"],
    ["ack pending at max is fine", { ackPending: 10 }, "WARNING"],
    ["DLQ deeper than max", { dlqDepth: 6 }, "CRITICAL"],
    ["idle with nothing waiting", { idleMs: 3_600_000 }, "OK"],
    ["idle with work waiting", { idleMs: 3_600_000, pending: 1 }, "CRITICAL"],
    ["drifted", { drift: ["ack_wait"] }, "WARNING"],
    ["missing", { exists: false }, "CRITICAL"],
  ] as const)("%s → %s", (_name, over, level) => {
    expect(evaluate({ ...state, ...over }, monitor).level).toBe(level);
  });
});

describe("dlq stats as text", () => {
  const week = 7 * 24 * 3_600_000;
  it("measures the oldest dead letter against the max age, and an empty stream only states the limit", () => {
    const stream = (messages: number, ageRatio?: number) =>
      formatStatsText([
        {
          stream: "DLQ",
          count: messages,
          usage: {
            messages,
            bytes: messages * 100,
            maxAgeMs: week,
            ...(ageRatio !== undefined ? { ageRatio } : {}),
          },
          consumers: [],
        },
      ]);
    expect(stream(3, 0.25)).toContain("oldest at 25% of max age 604800s");
    const empty = stream(0, 0);
    expect(empty).toContain(
      "DLQ: 0 dead letters selected; stream 0 msgs, 0 bytes, max age 604800s",
    );
    expect(empty).not.toContain("oldest");
  });
});
