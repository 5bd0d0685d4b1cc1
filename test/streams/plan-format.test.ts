import { describe, expect, it } from "vitest";
import type { ApplyResult } from "../../src/streams/apply.js";
import { deriveJetStreamConfig } from "../../src/streams/derive.js";
import { formatApplyText, formatPlanText } from "../../src/streams/format.js";
import {
  compareVersions,
  type JetStreamPlan,
  serverSupport,
  streamConfigFor,
} from "../../src/streams/plan.js";
import { ordersContract } from "./support/contracts.js";

const plan: JetStreamPlan = {
  server: { version: "2.9.10", servers: 1 },
  owner: "Orders",
  warnings: ['server 2.9.10 does not support "metadata"'],
  refusals: [],
  pending: true,
  items: [
    { kind: "stream", name: "NEW", stream: "NEW", action: "create", changes: [] },
    {
      kind: "stream",
      name: "ORDERS",
      stream: "ORDERS",
      action: "update",
      changes: [{ field: "duplicate_window", server: 120e9, contract: 300e9, immutable: false }],
    },
    {
      kind: "stream",
      name: "PAYMENTS",
      stream: "PAYMENTS",
      action: "needs-recreate",
      changes: [{ field: "storage", server: "file", contract: "memory", immutable: true }],
    },
    {
      kind: "consumer",
      name: "ORDERS/old",
      stream: "ORDERS",
      durable: "old",
      action: "unmanaged-on-server",
      changes: [],
      managedBy: "Orders",
    },
    {
      kind: "consumer",
      name: "ORDERS/same",
      stream: "ORDERS",
      durable: "same",
      action: "unchanged",
      changes: [],
    },
  ],
};

describe("formatPlanText", () => {
  it("prints one line per resource and one per changed field, durations made readable", () => {
    expect(formatPlanText(plan)).toBe(
      [
        'warning: server 2.9.10 does not support "metadata"',
        "+ stream NEW: create",
        "~ stream ORDERS: update",
        "    duplicate_window: 120000000000 (2m) -> 300000000000 (5m)",
        "! stream PAYMENTS: needs-recreate",
        '    storage: "file" -> "memory" (cannot change in place)',
        '? consumer ORDERS/old: unmanaged-on-server (marked as managed by "Orders")',
        "Plan (nats-server 2.9.10): 1 to create, 1 to update, 1 to re-create, 0 to delete, 1 unchanged, 1 unmanaged on server.",
        "",
      ].join("\n"),
    );
    expect(formatPlanText(plan, { verbose: true })).toContain("= consumer ORDERS/same: unchanged");
  });

  it("explains a refused apply", () => {
    const refused: ApplyResult = {
      plan,
      applied: [],
      refused: [plan.items[2] as JetStreamPlan["items"][number]],
    };
    const text = formatApplyText(refused);
    expect(text).toContain("! stream PAYMENTS: needs-recreate");
    expect(text).toContain("nothing was changed. Re-run with --allow-recreate");
  });
});

describe("server versions", () => {
  it("compares versions numerically", () => {
    expect(compareVersions("2.9.10", "2.10.0")).toBeLessThan(0);
    expect(compareVersions("2.10.0", "2.10.0")).toBe(0);
    expect(compareVersions("2.11.1-beta", "2.10.0")).toBeGreaterThan(0);
  });

  it("sends metadata only to servers that keep it", () => {
    const orders = deriveJetStreamConfig(ordersContract()).config?.streams.find(
      (s) => s.name === "ORDERS",
    );
    if (!orders) throw new Error("no ORDERS");
    expect(streamConfigFor(orders, serverSupport("2.9.10")).metadata).toBeUndefined();
    expect(streamConfigFor(orders, serverSupport("2.10.4")).metadata).toEqual({
      "jetcontract.owner": "Orders",
    });
  });
});
