import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createConsumer,
  createKvDedupStore,
  createPublisher,
  DeadLetterHeaders,
  type DuplicateSkippedEvent,
  ensureConsumer,
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

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const children = new Set<ChildProcess>();
let env: Env;

beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await env?.dispose();
});

interface Worker {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line starting with `prefix`. */
  line(prefix: string): Promise<string>;
  exited: Promise<number | null>;
}

function spawnWorker(config: object): Worker {
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "fixtures", "worker.ts")], {
    cwd: root,
    env: { ...process.env, WORKER_CONFIG: JSON.stringify(config) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let buffer = "";
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdout?.on("data", (c: Buffer) => {
    buffer += c.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      children.delete(child);
      for (const w of waiters.splice(0)) w();
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    async line(prefix) {
      for (;;) {
        const found = lines.find((l) => l.startsWith(prefix));
        if (found) return found;
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`worker exited before "${prefix}": ${stderr}`);
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

describe("crashing consumer processes", () => {
  it("a process killed mid-handler: the message is processed once after restart (KV dedup)", async () => {
    const n = names("pk");
    await makeStreams(env.nc, n);
    const over = {
      ackWaitMs: 800,
      dedup: { store: "kv", bucket: n.bucket, ttlMs: 60_000, leaseMs: 800 },
    };
    const d = consumerDescriptor(n, over as Partial<ReturnType<typeof consumerDescriptor>>);
    await ensureConsumer(env.nc, d);
    const worker = spawnWorker({ url: env.server.url, names: n, over, mode: "hang" });
    await worker.line("ready");
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "K1", qty: 1 });
    expect(await worker.line("started")).toBe("started 1 1");
    worker.child.kill("SIGKILL");
    await worker.exited;

    const effects: string[] = [];
    const restarted = createConsumer<Order>(env.nc, d, (order) => void effects.push(order.id));
    env.track(restarted);
    const acked = restarted.events.once("acked");
    await restarted.start();
    const event = await acked;
    expect(event.deliveryCount).toBeGreaterThanOrEqual(2);
    expect(effects).toEqual(["K1"]);
    await waitFor(
      async () => (await consumerBacklog(env.jsm, n.stream, n.durable)).ackPending === 0,
    );
    expect(effects).toEqual(["K1"]);
    await restarted.stop();
  });

  it("a consumer catches, by default, a message whose process died on every delivery", async () => {
    const n = names("pc");
    await makeStreams(env.nc, n);
    const over = {
      ackWaitMs: 500,
      retry: fixedRetry(2, 10),
    };
    const d = consumerDescriptor(n, over as Partial<ReturnType<typeof consumerDescriptor>>);
    await ensureConsumer(env.nc, d, { maxDeliver: 2 });
    const published = await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish(
      { id: "Z1", qty: 1 },
      { headers: { "x-tenant": "acme" } },
    );
    // Each worker dies inside the handler. On a loaded machine a delivery can go to a pull
    // request of a worker that already died, so spawn workers until the server has made both
    // deliveries (it counts them; a worker that never receives one is killed and replaced).
    const deliveries = async () =>
      (await env.jsm.consumers.info(n.stream, n.durable)).delivered.consumer_seq;
    for (let spawned = 0; (await deliveries()) < 2; spawned++) {
      expect(spawned).toBeLessThan(10);
      const worker = spawnWorker({ url: env.server.url, names: n, over, mode: "die" });
      await Promise.race([
        worker.exited,
        waitFor(async () => (await deliveries()) >= 2, 15_000, "both deliveries").catch(
          () => undefined,
        ),
      ]);
      worker.child.kill("SIGKILL");
      await worker.exited;
    }
    // The advisory fires only while a pull request waits: a healthy consumer pulls, and its
    // catcher (started with it, no other code) dead-letters the exhausted message.
    const seen: string[] = [];
    const healthy = createConsumer<Order>(env.nc, d, (o) => void seen.push(o.id));
    env.track(healthy);
    const caught = healthy.events.once("deliveriesExhausted");
    await healthy.start();
    const event = await caught;
    expect(event).toMatchObject({ streamSequence: published.seq, deliveries: 2, duplicate: false });
    const [dlq] = await readStream(env.jsm, n.dlqStream);
    expect(dlq?.header?.get(DeadLetterHeaders.reason)).toBe("max-deliveries");
    expect(dlq?.header?.get(DeadLetterHeaders.deliveries)).toBe("2");
    expect(dlq?.header?.get(DeadLetterHeaders.errorMessage)).toMatch(/^deliveries exhausted/);
    expect(dlq?.header?.get(DeadLetterHeaders.originSequence)).toBe(String(published.seq));
    expect(dlq?.header?.get("x-tenant")).toBe("acme");
    expect(JSON.parse(new TextDecoder().decode(dlq?.data))).toEqual({ id: "Z1", qty: 1 });
    const left = await env.jsm.streams
      .getMessage(n.stream, { seq: published.seq })
      .catch(() => null);
    expect(left).toBeNull();
    expect(seen).toEqual([]);
    await healthy.stop();
  });
});

describe("KV dedup on a real server", () => {
  it("skips a duplicate delivery of the same key", async () => {
    const n = names("kd");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      dedup: { store: "kv", bucket: n.bucket, ttlMs: 60_000, leaseMs: 5_000 },
    });
    await ensureConsumer(env.nc, d);
    const effects: string[] = [];
    const consumer = createConsumer<Order>(env.nc, d, (o) => void effects.push(o.id));
    env.track(consumer);
    const skipped = consumer.events.once("duplicateSkipped");
    await consumer.start();
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    await publisher.publish({ id: "Q1", qty: 1 });
    await consumer.events.once("acked");
    await publisher.publish({ id: "Q1", qty: 1 }, { msgId: "another" });
    expect((await skipped).idempotencyKey).toBe("order-Q1");
    expect(effects).toEqual(["Q1"]);
    await consumer.stop();
  });

  it("two consumers handed the same key at once produce one effect", async () => {
    const n = names("kr");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      concurrency: 1,
      handlerTimeoutMs: 1_000,
      dedup: { store: "kv", bucket: n.bucket, ttlMs: 60_000, leaseMs: 5_000 },
    });
    await ensureConsumer(env.nc, d);
    const effects: string[] = [];
    let entered = 0;
    const handler = async (o: Order) => {
      entered++;
      await new Promise((r) => setTimeout(r, 300));
      effects.push(o.id);
    };
    const [ncA, ncB] = [await env.connect(), await env.connect()];
    const a = createConsumer<Order>(ncA, d, handler);
    const b = createConsumer<Order>(ncB, d, handler);
    env.track(a);
    env.track(b);
    const outcomes: string[] = [];
    for (const c of [a, b]) {
      c.events.on("released", (e) => outcomes.push(e.reason));
      c.events.on("duplicateSkipped", () => outcomes.push("duplicate"));
    }
    await Promise.all([a.start(), b.start()]);
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    await Promise.all([
      publisher.publish({ id: "R1", qty: 1 }, { msgId: "first" }),
      publisher.publish({ id: "R1", qty: 1 }, { msgId: "second" }),
    ]);
    await waitFor(
      async () => {
        const bl = await consumerBacklog(env.jsm, n.stream, n.durable);
        return bl.pending === 0 && bl.ackPending === 0;
      },
      15_000,
      "both settled",
    );
    expect(effects).toEqual(["R1"]);
    expect(entered).toBe(1);
    expect(outcomes).toContain("duplicate");
    await Promise.all([a.stop(), b.stop()]);
  });

  it("default mode: a completed message whose ack the server lost is acked again, not re-run", async () => {
    const n = names("ka");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      ackWaitMs: 1_000,
      dedup: { store: "kv", bucket: n.bucket, ttlMs: 60_000, leaseMs: 500 },
    });
    await ensureConsumer(env.nc, d);
    const effects: string[] = [];
    const dropped: number[] = [];
    const consumer = createConsumer<Order>(env.nc, d, (o) => void effects.push(o.id), {
      // The first ack is reported confirmed but never reaches the server (as when a server
      // killed right after confirming it loses it): the message comes back after the ack wait.
      faults: { dropAck: (seq) => dropped.length === 0 && dropped.push(seq) === 1 },
    });
    env.track(consumer);
    const skips: DuplicateSkippedEvent[] = [];
    consumer.events.on("duplicateSkipped", (e) => skips.push(e));
    const reacked = consumer.events.once("acked", (e) => e.deliveryCount >= 2);
    await consumer.start();
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "A1", qty: 1 });
    await reacked;
    await waitFor(
      async () => (await consumerBacklog(env.jsm, n.stream, n.durable)).ackPending === 0,
    );
    // The lease (500 ms) ran out before the redelivery (1 s): only the memory prevents a re-run.
    expect(skips).toMatchObject([{ reason: "redelivered", streamSequence: 1, deliveryCount: 2 }]);
    expect(dropped).toEqual([1]);
    expect(effects).toEqual(["A1"]);
    await consumer.stop();
  });

  it("default mode: acks lost in a server kill are covered by done markers written on reconnect", async () => {
    const n = names("kk");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, {
      ackWaitMs: 3_000,
      dedup: { store: "kv", bucket: n.bucket, ttlMs: 60_000, leaseMs: 500 },
    });
    await ensureConsumer(env.nc, d);
    const effects: string[] = [];
    const ncA = await env.connect();
    // Process A handles K1; its ack is lost (dropped here, as a killed server would lose it).
    const a = createConsumer<Order>(ncA, d, (o) => void effects.push(`A:${o.id}`), {
      faults: { dropAck: () => true },
    });
    env.track(a);
    const aAcked = a.events.once("acked");
    await a.start();
    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "K1", qty: 1 });
    await aAcked;
    // The server is killed and restarted: A pins what it acked just before and, reconnected,
    // writes the done marker.
    await env.server.kill();
    await env.restart();
    const store = await createKvDedupStore(env.nc, {
      bucket: n.bucket,
      ttlMs: 60_000,
      leaseMs: 500,
      create: false,
    });
    await waitFor(
      async () => {
        const e = await store.kv.get("order-K1").catch(() => null);
        return e !== null && JSON.parse(e.string()).s === "d";
      },
      10_000,
      "the done marker written after the reconnect",
    );
    await a.stop();
    // Process B gets the redelivery (the claim's lease is long gone): skipped through the marker.
    const b = createConsumer<Order>(env.nc, d, (o) => void effects.push(`B:${o.id}`));
    env.track(b);
    const skipped = b.events.once("duplicateSkipped");
    await b.start();
    expect(await skipped).toMatchObject({ reason: "key-done", streamSequence: 1 });
    expect((await skipped).deliveryCount).toBeGreaterThanOrEqual(2);
    await waitFor(
      async () => (await consumerBacklog(env.jsm, n.stream, n.durable)).ackPending === 0,
    );
    expect(effects).toEqual(["A:K1"]);
    await b.stop();
  });

  it("with message refs, the first message owns the key and others are its duplicates", async () => {
    const n = names("ko");
    const store = await createKvDedupStore(env.nc, {
      bucket: n.bucket,
      ttlMs: 60_000,
      leaseMs: 5_000,
    });
    const owner = await store.claim("order-O1", "S:1");
    expect(owner.status).toBe("claimed");
    // Another message with the same key: a duplicate of the owner, at once (no done write).
    expect(await store.claim("order-O1", "S:2")).toEqual({ status: "done" });
    // A redelivery of the owner while its lease holds: busy (an earlier attempt may still run).
    expect((await store.claim("order-O1", "S:1")).status).toBe("busy");
    // The owner failed and released the key: the next message with it becomes the owner.
    if (owner.status !== "claimed") throw new Error("unreachable");
    await store.release(owner.token);
    expect((await store.claim("order-O1", "S:2")).status).toBe("claimed");
    expect(await store.claim("order-O1", "S:1")).toEqual({ status: "done" });
  });

  it("a claim whose holder died becomes claimable after its lease", async () => {
    const n = names("kl");
    const opts = { bucket: n.bucket, ttlMs: 60_000, leaseMs: 300 };
    const dead = await createKvDedupStore(env.nc, { ...opts, owner: "dead" });
    const alive = await createKvDedupStore(env.nc, { ...opts, owner: "alive", create: false });
    expect((await dead.claim("order-L1")).status).toBe("claimed");
    const busy = await alive.claim("order-L1");
    expect(busy.status).toBe("busy");
    let taken = busy;
    await waitFor(
      async () => {
        taken = await alive.claim("order-L1");
        return taken.status === "claimed";
      },
      5_000,
      "lease expiry",
    );
    if (taken.status !== "claimed") throw new Error("unreachable");
    await alive.complete(taken.token);
    expect(await dead.claim("order-L1")).toEqual({ status: "done" });
    // Concurrent claims of a fresh key: exactly one wins.
    const results = await Promise.all([dead.claim("order-L2"), alive.claim("order-L2")]);
    expect(results.filter((r) => r.status === "claimed")).toHaveLength(1);
  });
});
