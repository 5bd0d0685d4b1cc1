import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Contract, Stream } from "../../src/model/types.js";
import { applyJetStream } from "../../src/streams/apply.js";
import { ownerMarker } from "../../src/streams/derive.js";
import { planJetStream } from "../../src/streams/plan.js";
import { type NatsServer, startNatsServer } from "../support/nats-server.js";
import { ordersContract } from "./support/contracts.js";

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
});

beforeEach(async () => {
  const names: string[] = [];
  for await (const si of jsm.streams.list()) names.push(si.config.name);
  for (const name of names) await jsm.streams.delete(name);
});

/** The example contract with one stream changed. */
function withStream(
  name: string,
  change: Partial<Stream>,
  base: Contract = ordersContract(),
): Contract {
  return { ...base, streams: base.streams.map((s) => (s.name === name ? { ...s, ...change } : s)) };
}

const summary = (items: readonly { kind: string; name: string; action: string }[]) =>
  items.map((i) => `${i.kind} ${i.name}: ${i.action}`);

describe("applyJetStream / planJetStream against nats-server", () => {
  it("creates everything on an empty server, and a second apply changes nothing", async () => {
    const contract = ordersContract();
    const first = await applyJetStream({ server: server.url }, contract);
    expect(first.refused).toEqual([]);
    expect(summary(first.applied)).toEqual([
      "stream ORDERS: create",
      "stream ORDERS_DLQ: create",
      "stream PAYMENTS: create",
      "bucket orders_dedup: create",
      "consumer ORDERS/fulfilment: create",
      "consumer ORDERS/stock-release: create",
      "consumer PAYMENTS/ledger: create",
    ]);

    const orders = await jsm.streams.info("ORDERS");
    expect(orders.config).toMatchObject({
      storage: "file",
      duplicate_window: 300e9,
      max_bytes: 1024 ** 3,
    });
    const ledger = await jsm.consumers.info("PAYMENTS", "ledger");
    expect(ledger.config).toMatchObject({
      ack_policy: "explicit",
      max_deliver: 18,
      ack_wait: 60e9,
    });
    // Retry delays are the runtime's naks alone: no server backoff to add to them.
    expect(ledger.config.backoff ?? []).toEqual([]);
    // The bucket works as a KV bucket for the runtime.
    const kv = await new Kvm(nc).open("orders_dedup");
    await kv.create("ord_1", "claimed");
    expect((await kv.get("ord_1"))?.string()).toBe("claimed");

    const second = await applyJetStream(nc, contract);
    expect(second.applied).toEqual([]);
    const plan = await planJetStream(nc, contract);
    expect(plan.pending).toBe(false);
    expect(new Set(plan.items.map((i) => i.action))).toEqual(new Set(["unchanged"]));
  });

  it("warns that the 2.9 server would drop metadata", async () => {
    const plan = await planJetStream(nc, ordersContract());
    expect(plan.server.version).toBe("2.9.10");
    expect(plan.warnings).toEqual([
      expect.stringContaining('does not support "metadata" (needs 2.10.0)'),
    ]);
  });

  it("plans a changed limit as an update with a field diff, and applies it", async () => {
    await applyJetStream(nc, ordersContract());
    const changed = withStream("ORDERS", { maxMsgs: 500 });
    const plan = await planJetStream(nc, changed);
    expect(plan.pending).toBe(true);
    const orders = plan.items.find((i) => i.name === "ORDERS");
    expect(orders?.action).toBe("update");
    expect(orders?.changes).toEqual([
      { field: "max_msgs", server: -1, contract: 500, immutable: false },
    ]);
    expect(plan.items.filter((i) => i.action !== "unchanged")).toHaveLength(1);

    await applyJetStream(nc, changed);
    expect((await jsm.streams.info("ORDERS")).config.max_msgs).toBe(500);
    expect((await planJetStream(nc, changed)).pending).toBe(false);
  });

  it("plans a consumer limit change as an update", async () => {
    await applyJetStream(nc, ordersContract());
    const base = ordersContract();
    const changed: Contract = {
      ...base,
      operations: base.operations.map((op) =>
        op.action === "receive" && op.consumer?.durable === "fulfilment"
          ? { ...op, consumer: { ...op.consumer, maxAckPending: 128 } }
          : op,
      ),
    };
    const plan = await planJetStream(nc, changed);
    const item = plan.items.find((i) => i.name === "ORDERS/fulfilment");
    expect(item?.action).toBe("update");
    expect(item?.changes).toEqual([
      { field: "max_ack_pending", server: 64, contract: 128, immutable: false },
    ]);
    await applyJetStream(nc, changed);
    expect((await jsm.consumers.info("ORDERS", "fulfilment")).config.max_ack_pending).toBe(128);
    expect((await planJetStream(nc, changed)).pending).toBe(false);
  });

  it("updates a retry change in place (max_deliver, a left-over backoff cleared), and re-creates a deliver policy change", async () => {
    await applyJetStream(nc, ordersContract());
    // A backoff list left by an older version (it would add to every nak delay).
    await jsm.consumers.update("PAYMENTS", "ledger", { backoff: [2e9, 4e9] });
    const base = ordersContract();
    const retried: Contract = {
      ...base,
      operations: base.operations.map((op) =>
        op.action === "receive" && op.id === "recordPayment" && op.retry
          ? { ...op, retry: { ...op.retry, maxAttempts: 1 } }
          : op,
      ),
    };
    const plan = await planJetStream(nc, retried);
    const ledger = plan.items.find((i) => i.name === "PAYMENTS/ledger");
    expect(ledger?.action).toBe("update");
    expect(ledger?.changes.map((c) => c.field)).toEqual(
      expect.arrayContaining(["backoff", "max_deliver"]),
    );
    await applyJetStream(nc, retried);
    const info = await jsm.consumers.info("PAYMENTS", "ledger");
    expect(info.config.max_deliver).toBe(11);
    // The left-over backoff is cleared, and ack_wait is the contract's.
    expect(info.config.backoff ?? []).toEqual([]);
    expect(info.config.ack_wait).toBe(60e9);
    expect((await planJetStream(nc, retried)).pending).toBe(false);

    // ORDERS has limits retention (a work-queue stream only allows deliver "all").
    const fromNew: Contract = {
      ...retried,
      operations: retried.operations.map((op) =>
        op.action === "receive" && op.consumer?.durable === "fulfilment"
          ? { ...op, consumer: { ...op.consumer, deliverPolicy: "new" as const } }
          : op,
      ),
    };
    const again = await planJetStream(nc, fromNew);
    expect(again.items.find((i) => i.name === "ORDERS/fulfilment")).toMatchObject({
      action: "needs-recreate",
      changes: [{ field: "deliver_policy", server: "all", contract: "new", immutable: true }],
    });
    expect((await applyJetStream(nc, fromNew)).refused).toHaveLength(1);
    const done = await applyJetStream(nc, fromNew, { allowRecreate: true });
    expect(summary(done.applied)).toEqual(["consumer ORDERS/fulfilment: needs-recreate"]);
    expect((await jsm.consumers.info("ORDERS", "fulfilment")).config.deliver_policy).toBe("new");
    expect((await planJetStream(nc, fromNew)).pending).toBe(false);
  });

  it("refuses a storage change as needs-recreate, and re-creates with allowRecreate", async () => {
    await applyJetStream(nc, ordersContract());
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    await js.publish("orders.placed", "{}", { msgID: "m1" });

    const changed = withStream("ORDERS", { storage: "memory" });
    const plan = await planJetStream(nc, changed);
    const orders = plan.items.find((i) => i.name === "ORDERS");
    expect(orders?.action).toBe("needs-recreate");
    expect(orders?.changes).toEqual([
      { field: "storage", server: "file", contract: "memory", immutable: true },
    ]);

    const refused = await applyJetStream(nc, changed);
    expect(summary(refused.refused)).toEqual(["stream ORDERS: needs-recreate"]);
    expect(refused.applied).toEqual([]);
    const still = await jsm.streams.info("ORDERS");
    expect(still.config.storage).toBe("file");
    expect(still.state.messages).toBe(1);

    const done = await applyJetStream(nc, changed, { allowRecreate: true });
    expect(summary(done.applied)).toEqual([
      "stream ORDERS: needs-recreate",
      "consumer ORDERS/fulfilment: create",
      "consumer ORDERS/stock-release: create",
    ]);
    expect((await jsm.streams.info("ORDERS")).config.storage).toBe("memory");
    expect((await planJetStream(nc, changed)).pending).toBe(false);
  });

  it("plans a retention change as needs-recreate", async () => {
    await applyJetStream(nc, ordersContract());
    const plan = await planJetStream(
      nc,
      withStream("ORDERS_DLQ", { retention: "interest", isDeadLetter: false }),
    );
    const dlq = plan.items.find((i) => i.name === "ORDERS_DLQ");
    expect(dlq?.action).toBe("needs-recreate");
    expect(dlq?.changes).toEqual([
      { field: "retention", server: "limits", contract: "interest", immutable: true },
    ]);
  });

  it("prunes only what the contract dropped and this owner marked", async () => {
    await applyJetStream(nc, ordersContract());
    // Someone else's stream, another owner's stream and a hand-made consumer on ORDERS.
    await jsm.streams.add({ name: "OTHER", subjects: ["other.>"] });
    await jsm.streams.add({
      name: "BILLING",
      subjects: ["billing.>"],
      description: `x ${ownerMarker("Billing")}`,
    });
    await jsm.consumers.add("ORDERS", { durable_name: "by-hand", ack_policy: "explicit" });
    // An ephemeral consumer (as a KV watcher or an ordered consumer makes) is not listed.
    await jsm.consumers.add("ORDERS", { ack_policy: "none", inactive_threshold: 60e9 });

    const base = ordersContract();
    const dropped: Contract = {
      ...base,
      operations: base.operations.filter((op) => op.id !== "releaseStock"),
    };
    const keep = await planJetStream(nc, dropped);
    expect(keep.pending).toBe(false);
    expect(summary(keep.items.filter((i) => i.action === "unmanaged-on-server"))).toEqual([
      "stream BILLING: unmanaged-on-server",
      "stream OTHER: unmanaged-on-server",
      "consumer ORDERS/by-hand: unmanaged-on-server",
      "consumer ORDERS/stock-release: unmanaged-on-server",
    ]);
    expect(keep.items.find((i) => i.name === "ORDERS/stock-release")?.managedBy).toBe("Orders");

    // Without --prune, apply deletes nothing.
    await applyJetStream(nc, dropped);
    expect((await jsm.consumers.info("ORDERS", "stock-release")).name).toBe("stock-release");

    const pruned = await applyJetStream(nc, dropped, { prune: true });
    expect(summary(pruned.applied)).toEqual(["consumer ORDERS/stock-release: delete"]);
    await expect(jsm.consumers.info("ORDERS", "stock-release")).rejects.toThrow(
      /consumer not found/,
    );
    expect((await jsm.consumers.info("ORDERS", "by-hand")).name).toBe("by-hand");
    expect((await jsm.streams.info("OTHER")).config.name).toBe("OTHER");
    expect((await jsm.streams.info("BILLING")).config.name).toBe("BILLING");

    // Dropping a whole stream deletes it (and its consumers) under --prune.
    const noDlq: Contract = {
      ...dropped,
      streams: dropped.streams.filter((s) => s.name !== "PAYMENTS"),
      channels: dropped.channels.filter((c) => c.id !== "paymentCaptured"),
      operations: dropped.operations.filter((op) => op.channelId !== "paymentCaptured"),
    };
    const plan = await planJetStream(nc, noDlq, { prune: true });
    expect(summary(plan.items.filter((i) => i.action === "delete"))).toEqual([
      "stream PAYMENTS: delete",
    ]);
    await applyJetStream(nc, noDlq, { prune: true });
    await expect(jsm.streams.info("PAYMENTS")).rejects.toThrow(/stream not found/);
    expect((await planJetStream(nc, noDlq, { prune: true })).pending).toBe(false);
  });
});
