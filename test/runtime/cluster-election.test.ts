/**
 * The runtime through leader elections on a real 3-node JetStream cluster (nats-server 2.9.10):
 * the node holding a consumer's leader, a stream's leader or a KV bucket's leader is killed while
 * messages flow. The clients are connected to the other nodes, so their connections stay up and
 * only "no responders" and timeouts tell them about the election (the reconnect-based safeguards
 * never run). Each test restarts the node it killed.
 */
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsumerDescriptor,
  createConsumer,
  createKvDedupStore,
  createPublisher,
  DEFAULT_PUBLISH_POLICY,
  ensureConsumer,
  type MessageConsumer,
} from "../../packages/runtime/src/index.js";
import { type NatsCluster, startNatsCluster } from "../support/nats-cluster.js";
import { consumerDescriptor, names, type Order, publisherDescriptor, waitFor } from "./support.js";

let cluster: NatsCluster;
let admin: NatsConnection;
let jsm: JetStreamManager;
const conns: NatsConnection[] = [];
const consumers: MessageConsumer[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster();
  admin = await connect({ servers: [...cluster.urls] });
  jsm = await jetstreamManager(admin);
}, 60_000);
afterEach(async () => {
  await Promise.allSettled(consumers.splice(0).map((c) => c.stop({ deadlineMs: 100 })));
  await Promise.allSettled(conns.splice(0).map((c) => c.close()));
  // Every node up again, and back in the meta group, before the next test places R3 assets.
  const restarted = cluster.nodes.filter((n) => !n.running);
  if (restarted.length === 0) return;
  await Promise.all(restarted.map((n) => n.start()));
  await cluster.waitForJetStream();
  await waitFor(
    () =>
      jsm.streams.add({ name: "PROBE", subjects: ["probe.r3"], num_replicas: 3 }).then(
        () => jsm.streams.delete("PROBE"),
        () => false,
      ),
    30_000,
    "R3 placement on every node",
  );
}, 60_000);
afterAll(async () => {
  await admin?.close();
  await cluster?.dispose();
});

/** The test publisher without its short policy: the runtime's default (30 s deadline). */
function defaultPolicy(n: ReturnType<typeof names>) {
  const { publish: _short, ...descriptor } = publisherDescriptor(n);
  return descriptor;
}

/** A client connected only to nodes other than `leader` (its connection survives the kill). */
async function clientAvoiding(leader: string): Promise<NatsConnection> {
  const others = cluster.nodes.filter((n) => n.name !== leader).map((n) => n.url);
  const nc = await connect({ servers: others, noAsyncTraces: true, maxReconnectAttempts: -1 });
  conns.push(nc);
  return nc;
}

async function r3Streams(n: ReturnType<typeof names>): Promise<void> {
  await jsm.streams.add({ name: n.stream, subjects: [n.subject], num_replicas: 3 });
  await jsm.streams.add({ name: n.dlqStream, subjects: [n.dlqSubject], num_replicas: 3 });
}

/**
 * The leader `read` names once it is settled (the same name twice, 250 ms apart): right after a
 * stream or consumer is created its first leader can still step down.
 */
async function settledLeader(read: () => Promise<string | undefined>): Promise<string> {
  let previous: string | undefined;
  let leader: string | undefined;
  await waitFor(
    async () => {
      previous = leader;
      leader = await read().catch(() => undefined);
      if (leader === undefined || leader === "" || leader !== previous) {
        await new Promise((r) => setTimeout(r, 250));
        return false;
      }
      return true;
    },
    20_000,
    "a settled leader",
  );
  return leader as string;
}

/** Polls until `read` names a leader other than `old` (the new one). */
async function newLeader(read: () => Promise<string | undefined>, old: string): Promise<string> {
  let leader: string | undefined;
  await waitFor(
    async () => {
      leader = await read().catch(() => undefined);
      return leader !== undefined && leader !== old;
    },
    30_000,
    `a leader other than ${old}`,
  );
  return leader as string;
}

describe("consumers through a consumer leader election (3-node cluster)", () => {
  it("acks sent while the consumer leader is elected are re-sent until confirmed: none redelivered to the other consumer", async () => {
    const n = names("ce");
    await r3Streams(n);
    const d: ConsumerDescriptor<Order> = consumerDescriptor(n, {
      concurrency: 8,
      ackWaitMs: 15_000,
      handlerTimeoutMs: 10_000,
    });
    await ensureConsumer(admin, d);
    const consumerLeader = async () =>
      (await jsm.consumers.info(n.stream, n.durable)).cluster?.leader;
    const leader = await settledLeader(consumerLeader);
    expect(cluster.nodes.map((x) => x.name)).toContain(leader);

    // Two consumer processes on the same durable; every handler waits at the gate.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const runs = new Map<string, number>();
    const handler = async (o: Order) => {
      runs.set(o.id, (runs.get(o.id) ?? 0) + 1);
      await gate;
    };
    const acked = new Set<number>();
    const errors: string[] = [];
    const closed: string[] = [];
    for (const nc of [await clientAvoiding(leader), await clientAvoiding(leader)]) {
      const c = createConsumer<Order>(nc, d, handler, { catchExhausted: false });
      c.events.on("acked", (e) => acked.add(e.streamSequence));
      c.events.on("error", (e) => errors.push(`${e.stage}: ${String(e.error)}`));
      c.events.on("closed", (e) => closed.push(e.reason));
      consumers.push(c);
      await c.start();
    }
    const publisher = createPublisher<Order>(admin, publisherDescriptor(n));
    const total = 6;
    for (let i = 0; i < total; i++) await publisher.publish({ id: `E${i}`, qty: 1 });
    await waitFor(() => runs.size === total, 10_000, "every message in a handler");

    // Kill the consumer leader's node, then let the handlers finish: their acks meet the election.
    expect(await consumerLeader()).toBe(leader);
    await cluster.node(leader).kill();
    open();
    await waitFor(() => acked.size === total, 30_000, "every ack confirmed");

    const after = await jsm.consumers.info(n.stream, n.durable);
    expect(after.cluster?.leader).not.toBe(leader);
    expect(after.num_ack_pending).toBe(0);
    expect(after.num_redelivered).toBe(0);
    expect(after.ack_floor.stream_seq).toBe(total);
    expect([...runs.values()]).toEqual(Array.from({ length: total }, () => 1));
    // The election was seen (acks went unanswered) and ridden through, not reported as lost.
    expect(errors.filter((e) => e.startsWith("ack"))).toEqual([]);
    // Both consumers rode through: neither took the election for a deleted durable.
    expect(closed).toEqual([]);
    await publisher.publish({ id: "E-after", qty: 1 });
    await waitFor(() => runs.get("E-after") === 1, 15_000, "a message after the election");
  }, 60_000);
});

describe("publishers through a stream leader election (3-node cluster)", () => {
  it("no publish fails while the stream leader is elected (30 s deadline, 10 attempts)", async () => {
    const n = names("pe");
    await r3Streams(n);
    const streamLeader = async () => (await jsm.streams.info(n.stream)).cluster?.leader;
    const leader = await settledLeader(streamLeader);
    const nc = await clientAvoiding(leader);
    // The runtime's default policy (10 attempts, 30 s deadline) with a 500 ms attempt timeout,
    // so that publishes lost with the old leader are tried again within the election, which
    // answers "no responders" at once: what used to spend the attempts in well under a second.
    const publisher = createPublisher<Order>(nc, {
      ...defaultPolicy(n),
      publish: { ...DEFAULT_PUBLISH_POLICY, timeoutMs: 500 },
    });
    const retried: string[] = [];
    publisher.events.on("publishRetried", (e) => retried.push(String(e.error)));
    const failures: unknown[] = [];
    let published = 0;
    let killed = false;
    const elected = (async () => {
      await waitFor(() => published >= 20, 10_000, "publishing under way");
      expect(await streamLeader()).toBe(leader);
      await cluster.node(leader).kill();
      killed = true;
      return newLeader(streamLeader, leader);
    })();
    // Four publishers in a loop until the new leader has taken 20 more messages.
    let afterElection = Number.POSITIVE_INFINITY;
    void elected.then(() => {
      afterElection = published + 20;
    });
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; published < afterElection; i++) {
          await publisher.publish({ id: `P${w}-${i}`, qty: 1 }).then(
            () => void published++,
            (e: unknown) => void failures.push(e),
          );
          if (failures.length > 0) return;
        }
      }),
    );
    expect(killed).toBe(true);
    expect(failures).toEqual([]);
    expect(retried.length).toBeGreaterThan(0); // the election was met, and ridden through
    expect((await jsm.streams.info(n.stream)).state.messages).toBe(published);
  }, 60_000);
});

describe("KV dedup through a bucket leader election (3-node cluster)", () => {
  it("claims and acks ride through the KV leader's loss: every message handled once, none released", async () => {
    const n = names("ke");
    await r3Streams(n);
    await new Kvm(admin).create(n.bucket, { replicas: 3, history: 1, ttl: 60_000 });
    const bucketLeader = async () => (await jsm.streams.info(`KV_${n.bucket}`)).cluster?.leader;
    const kvLeader = await settledLeader(bucketLeader);
    const d = consumerDescriptor(n, {
      concurrency: 4,
      ackWaitMs: 15_000,
      handlerTimeoutMs: 10_000,
      dedup: { store: "kv", bucket: n.bucket, ttlMs: 60_000, leaseMs: 15_000 },
    });
    await ensureConsumer(admin, d);
    const nc = await clientAvoiding(kvLeader);
    const runs = new Map<string, number>();
    const released: string[] = [];
    const acked = new Set<number>();
    const c = createConsumer<Order>(
      nc,
      d,
      async (o) => {
        runs.set(o.id, (runs.get(o.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 20));
      },
      // The bucket was made R3 above; the store opens it as it is.
      {
        dedupStore: await createKvDedupStore(nc, {
          bucket: n.bucket,
          ttlMs: 60_000,
          leaseMs: 15_000,
          create: false,
        }),
      },
    );
    c.events.on("released", (e) => released.push(e.reason));
    c.events.on("closed", (e) => released.push(`closed: ${e.reason}`));
    c.events.on("acked", (e) => acked.add(e.streamSequence));
    consumers.push(c);
    await c.start();
    // The default publish policy (30 s deadline): the bucket's node may lead the stream too.
    const publisher = createPublisher<Order>(admin, defaultPolicy(n));
    const total = 60;
    for (let i = 0; i < 20; i++) await publisher.publish({ id: `K${i}`, qty: 1 });
    await waitFor(() => acked.size >= 10, 10_000, "consuming under way");
    expect(await bucketLeader()).toBe(kvLeader);
    await cluster.node(kvLeader).kill();
    for (let i = 20; i < total; i++) await publisher.publish({ id: `K${i}`, qty: 1 });
    await waitFor(() => acked.size === total, 40_000, "every message acked");

    expect(runs.size).toBe(total);
    expect([...runs.values()].every((r) => r === 1)).toBe(true);
    expect(released).toEqual([]);
    const info = await jsm.consumers.info(n.stream, n.durable);
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  }, 60_000);
});
