/**
 * Runtime benchmark (not a test): `npx tsx bench/runtime.bench.ts` (or with `NATS_URL` set to
 * use a running server; `node --expose-gc --import tsx bench/runtime.bench.ts` for exact heap
 * figures). 256-byte JSON, the same in-flight count for raw and runtime. Prints msg/s and ratios.
 *
 * Env: BENCH_MESSAGES (default 20000), BENCH_INFLIGHT (64), BENCH_RUNS (3, median reported),
 * BENCH_SOAK (messages for the memory soak, default 100000).
 */
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  type ConsumerDescriptor,
  createConsumer,
  createPublisher,
  type DedupConfig,
  type MessageDescriptor,
  type SchemaValidator,
} from "../src/runtime/index.js";
import { startNatsServer } from "../test/support/nats-server.js";

interface Payload {
  id: string;
  qty: number;
  customer: string;
  note: string;
}

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 20_000);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 64);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SOAK = Number(process.env.BENCH_SOAK ?? 100_000);

function payload(i: number): Payload {
  const base = {
    id: `order-${String(i).padStart(8, "0")}`,
    qty: (i % 9) + 1,
    customer: "customer-0042",
    note: "",
  };
  const size = JSON.stringify(base).length;
  return { ...base, note: "x".repeat(256 - size) };
}
if (JSON.stringify(payload(1)).length !== 256) throw new Error("payload is not 256 bytes");

const validate: SchemaValidator<Payload> = Object.assign(
  (d: unknown): d is Payload =>
    typeof d === "object" &&
    d !== null &&
    typeof (d as Payload).id === "string" &&
    typeof (d as Payload).qty === "number" &&
    typeof (d as Payload).customer === "string" &&
    typeof (d as Payload).note === "string",
  { errors: null },
);
const message: MessageDescriptor<Payload> = {
  name: "OrderCreated",
  validate,
  idempotencyKey: (p) => p.id,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (n: number) => `${Math.round(n).toLocaleString("en-US")} msg/s`;

async function pool(n: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

let streamCounter = 0;
async function freshStream(nc: NatsConnection): Promise<{ stream: string; subject: string }> {
  const jsm = await jetstreamManager(nc);
  streamCounter++;
  const stream = `BENCH_${process.pid}_${streamCounter}`;
  const subject = `bench.${process.pid}.${streamCounter}`;
  await jsm.streams.add({ name: stream, subjects: [subject] });
  return { stream, subject };
}

async function dropStream(nc: NatsConnection, stream: string): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(stream).catch(() => {});
}

const encoder = new TextEncoder();

async function rawPublish(nc: NatsConnection, withId: boolean): Promise<number> {
  const { stream, subject } = await freshStream(nc);
  const js = jetstream(nc);
  const t0 = performance.now();
  await pool(MESSAGES, (i) => {
    const p = payload(i);
    return js.publish(subject, encoder.encode(JSON.stringify(p)), withId ? { msgID: p.id } : {});
  });
  const rate = MESSAGES / ((performance.now() - t0) / 1000);
  await dropStream(nc, stream);
  return rate;
}

async function runtimePublish(nc: NatsConnection): Promise<number> {
  const { stream, subject } = await freshStream(nc);
  const publisher = createPublisher<Payload>(nc, {
    operationId: "bench",
    subject,
    message,
    stream,
  });
  const t0 = performance.now();
  await pool(MESSAGES, (i) => publisher.publish(payload(i)));
  const rate = MESSAGES / ((performance.now() - t0) / 1000);
  await dropStream(nc, stream);
  return rate;
}

async function filledStream(nc: NatsConnection, count: number) {
  const s = await freshStream(nc);
  const js = jetstream(nc);
  await pool(count, (i) => {
    const p = payload(i);
    return js.publish(s.subject, encoder.encode(JSON.stringify(p)), { msgID: p.id });
  });
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(s.stream, {
    durable_name: "bench",
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 1_000,
    ack_wait: 30_000_000_000,
  });
  return s;
}

async function rawConsume(nc: NatsConnection): Promise<number> {
  const { stream } = await filledStream(nc, MESSAGES);
  const js = jetstream(nc);
  const c = await js.consumers.get(stream, "bench");
  const t0 = performance.now();
  const iter = await c.consume({ max_messages: INFLIGHT });
  let n = 0;
  for await (const m of iter) {
    JSON.parse(m.string());
    m.ack();
    if (++n >= MESSAGES) break;
  }
  const rate = MESSAGES / ((performance.now() - t0) / 1000);
  await iter.close();
  await dropStream(nc, stream);
  return rate;
}

async function runtimeConsume(
  nc: NatsConnection,
  dedup: DedupConfig,
  count = MESSAGES,
): Promise<number> {
  const { stream, subject } = await filledStream(nc, count);
  const d: ConsumerDescriptor<Payload> = {
    operationId: "bench",
    stream,
    durable: "bench",
    subject,
    message,
    retry: {
      maxAttempts: 3,
      strategy: "fixed",
      initialDelayMs: 100,
      maxDelayMs: 100,
      multiplier: 1,
      jitter: "none",
    },
    dedup,
    concurrency: INFLIGHT,
    handlerTimeoutMs: 10_000,
    ackWaitMs: 30_000,
    maxAckPending: 1_000,
  };
  let n = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const consumer = createConsumer<Payload>(
    nc,
    d,
    () => {
      if (++n === count) done();
    },
    { confirmAck: process.env.BENCH_CONFIRM_ACK !== "0" },
  );
  const t0 = performance.now();
  await consumer.start();
  await finished;
  const rate = count / ((performance.now() - t0) / 1000);
  await consumer.stop({ deadlineMs: 5_000 });
  await dropStream(nc, stream);
  return rate;
}

async function measure(label: string, fn: () => Promise<number>): Promise<number> {
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) rates.push(await fn());
  const m = median(rates);
  console.log(
    `${label.padEnd(44)} ${fmt(m).padStart(16)}   runs: ${rates.map((x) => Math.round(x)).join(", ")}`,
  );
  return m;
}

const heapMiB = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const server = process.env.NATS_URL ? undefined : await startNatsServer();
const url = process.env.NATS_URL ?? server?.url ?? "";
const nc = await connect({ servers: url, noAsyncTraces: process.env.BENCH_ASYNC_TRACES !== "1" });
console.log(
  `jetcontract runtime bench: server ${nc.info?.version} at ${url}, ${MESSAGES} msgs x ${RUNS} runs, 256-byte JSON, ${INFLIGHT} in flight`,
);
if (process.env.BENCH_ONLY === "consume") {
  const memory: DedupConfig = { store: "memory", maxEntries: 10_000, ttlMs: 600_000 };
  await measure("raw consume + ack", () => rawConsume(nc));
  await measure("runtime consume (validation, memory dedup)", () => runtimeConsume(nc, memory));
  await measure("runtime consume (no dedup)", () => runtimeConsume(nc, { store: "none" }));
  let k = 0;
  await measure("runtime consume (KV dedup)", () =>
    runtimeConsume(nc, {
      store: "kv",
      bucket: `bkv_${process.pid}_${k++}`,
      ttlMs: 600_000,
      leaseMs: 30_000,
    }),
  );
  await nc.close();
  await server?.dispose();
  process.exit(0);
}
try {
  const memory: DedupConfig = { store: "memory", maxEntries: 10_000, ttlMs: 600_000 };
  const rawPub = await measure("raw js.publish (no msg id)", () => rawPublish(nc, false));
  const rawPubId = await measure("raw js.publish (msg id)", () => rawPublish(nc, true));
  const rtPub = await measure("runtime publish (validation, msg id)", () => runtimePublish(nc));
  const rawCon = await measure("raw consume + ack", () => rawConsume(nc));
  const rtMem = await measure("runtime consume (validation, memory dedup)", () =>
    runtimeConsume(nc, memory),
  );
  const kvRuns: number[] = [];
  const rtKv = await measure("runtime consume (validation, KV dedup)", async () => {
    const bucket = `bench_kv_${process.pid}_${kvRuns.push(0)}`;
    return runtimeConsume(nc, { store: "kv", bucket, ttlMs: 600_000, leaseMs: 30_000 });
  });
  console.log("");
  console.log(
    `publish ratio (runtime / raw with msg id):    ${(rtPub / rawPubId).toFixed(2)}   (target >= 0.90)`,
  );
  console.log(`publish ratio (runtime / raw without msg id): ${(rtPub / rawPub).toFixed(2)}`);
  console.log(
    `consume ratio, memory dedup (runtime / raw):  ${(rtMem / rawCon).toFixed(2)}   (target >= 0.85)`,
  );
  console.log(
    `consume ratio, KV dedup (runtime / raw):      ${(rtKv / rawCon).toFixed(2)}   (target >= 0.30)`,
  );

  // Soak: memory stays flat over a long run (bounded LRU, ledger and in-flight maps).
  const warm = heapMiB();
  await runtimeConsume(nc, memory, Math.min(20_000, SOAK));
  const before = heapMiB();
  const soakRate = await runtimeConsume(nc, memory, SOAK);
  const after = heapMiB();
  console.log(
    `soak: ${SOAK} msgs at ${fmt(soakRate)}; heap after warm-up ${before.toFixed(1)} MiB, after soak ${after.toFixed(1)} MiB (start ${warm.toFixed(1)} MiB)${(globalThis as { gc?: unknown }).gc ? "" : " [no --expose-gc: figures include garbage]"}`,
  );
} finally {
  await nc.close();
  await server?.dispose();
}
