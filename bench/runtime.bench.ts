/**
 * Runtime benchmark (not a test): `npm run bench:runtime` (or `npx tsx bench/runtime.bench.ts`
 * after `npm run build`; with `NATS_URL` set to use a running server). 256-byte JSON, the same
 * in-flight count for raw and runtime. Prints msg/s and ratios.
 *
 * It measures the built package (`@jetcontract/runtime`, its `dist/`), as a service runs it, not
 * the TypeScript sources: tsx compiles those with esbuild's `keepNames`, which wraps every
 * closure the hot paths create in a `__name()` call (about 0.6 µs per publish here) that
 * raw nats.js, loaded from node_modules, does not pay.
 *
 * Each consume case runs in a process of its own (see `consumeInChild`), after a warm-up round
 * there; the publish cases run interleaved in this one.
 *
 * Env: BENCH_MESSAGES (default 50000: at 20000 a case lasted 0.4 s, and a fresh consumer's first
 * few thousand messages, its pulls ramping up and its maps growing, were a quarter of the
 * figure), BENCH_INFLIGHT (64), BENCH_RUNS (3, median reported), BENCH_WARMUP (1: rounds of
 * every case run first and not counted, so neither side is measured while V8 still compiles
 * its hot paths),
 * BENCH_SOAK (messages for the memory soak, default 100000), BENCH_CONFIRM_ACK=0 (plain acks in
 * the runtime consumer), BENCH_CASES=pub,rtMem,rtKv,rtKvWrite (the cases to run, raw consume
 * always; default all), BENCH_SOAK=0 (no soak), BENCH_ASYNC_TRACES=1 (keep nats.js's per-request stack capture; the
 * bench connects with `noAsyncTraces: true`, which raw and runtime cases share).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type ConsumerDescriptor,
  createConsumer,
  createPublisher,
  type DedupConfig,
  type MessageDescriptor,
  type SchemaValidator,
} from "@jetcontract/runtime";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { startNatsServer } from "../test/support/nats-server.js";

interface Payload {
  id: string;
  qty: number;
  customer: string;
  note: string;
}

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 50_000);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 64);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 1);
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
const execFileAsync = promisify(execFile);

const BLOCKS = 10;

/**
 * The three publish cases, interleaved in blocks (raw, raw with id, runtime, raw, ...) on their
 * own streams, so load from other processes falls on all of them alike. Returns msg/s each.
 */
async function publishCases(
  nc: NatsConnection,
): Promise<{ raw: number; rawId: number; rt: number }> {
  const js = jetstream(nc);
  const [sRaw, sId, sRt] = [await freshStream(nc), await freshStream(nc), await freshStream(nc)];
  const publisher = createPublisher<Payload>(nc, {
    operationId: "bench",
    subject: sRt.subject,
    message,
    stream: sRt.stream,
  });
  const ms = { raw: 0, rawId: 0, rt: 0 };
  const per = Math.ceil(MESSAGES / BLOCKS);
  for (let b = 0; b < BLOCKS; b++) {
    const base = b * per;
    let t = performance.now();
    await pool(per, (i) =>
      js.publish(sRaw.subject, encoder.encode(JSON.stringify(payload(base + i)))),
    );
    ms.raw += performance.now() - t;
    t = performance.now();
    await pool(per, (i) => {
      const p = payload(base + i);
      return js.publish(sId.subject, encoder.encode(JSON.stringify(p)), { msgID: p.id });
    });
    ms.rawId += performance.now() - t;
    t = performance.now();
    await pool(per, (i) => publisher.publish(payload(base + i)));
    ms.rt += performance.now() - t;
  }
  for (const s of [sRaw, sId, sRt]) await dropStream(nc, s.stream);
  const total = per * BLOCKS;
  return {
    raw: total / (ms.raw / 1000),
    rawId: total / (ms.rawId / 1000),
    rt: total / (ms.rt / 1000),
  };
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
  const count = MESSAGES;
  const { stream } = await filledStream(nc, count);
  const js = jetstream(nc);
  const c = await js.consumers.get(stream, "bench");
  const t0 = performance.now();
  const iter = await c.consume({ max_messages: INFLIGHT });
  let n = 0;
  for await (const m of iter) {
    JSON.parse(m.string());
    m.ack();
    if (++n >= count) break;
  }
  const rate = count / ((performance.now() - t0) / 1000);
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

const heapMiB = () => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 1024 / 1024;
};

const memory: DedupConfig = { store: "memory", maxEntries: 10_000, ttlMs: 600_000 };
let bucket = 0;
// `undefined`: the runtime's default (`"ack"`, one KV write per message).
const kv = (doneMarker?: "write" | "ack"): DedupConfig => ({
  store: "kv",
  bucket: `bench_kv_${process.pid}_${bucket++}`,
  ttlMs: 600_000,
  leaseMs: 30_000,
  ...(doneMarker ? { doneMarker } : {}),
});
const cases = {
  rawCon: (nc: NatsConnection) => rawConsume(nc),
  rtMem: (nc: NatsConnection) => runtimeConsume(nc, memory),
  rtKv: (nc: NatsConnection) => runtimeConsume(nc, kv()),
  rtKvWrite: (nc: NatsConnection) => runtimeConsume(nc, kv("write")),
} as const;
type ConsumeCase = keyof typeof cases;

const connectTo = (url: string) =>
  connect({ servers: url, noAsyncTraces: process.env.BENCH_ASYNC_TRACES !== "1" });

/**
 * Runs one consume case in a process of its own (warm-up rounds first) and returns its msg/s.
 * In one process the raw loop and the runtime share nats.js's code and heap, so each case ran in
 * conditions shaped by the other (measured here: the runtime case alone took about 20 µs a
 * message, after a raw case 24–30). A service runs one of the two.
 */
async function consumeInChild(name: ConsumeCase, url: string): Promise<number> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url)],
    { env: { ...process.env, NATS_URL: url, BENCH_CHILD_CASE: name }, maxBuffer: 1 << 20 },
  );
  const last = stdout.trim().split("\n").pop() ?? "";
  const rate = (JSON.parse(last) as { rate?: unknown }).rate;
  if (typeof rate !== "number") throw new Error(`bench child ${name} printed ${last}`);
  return rate;
}

const childCase = process.env.BENCH_CHILD_CASE as ConsumeCase | undefined;
if (childCase) {
  const nc = await connectTo(process.env.NATS_URL ?? "");
  try {
    for (let w = 0; w < WARMUP; w++) await cases[childCase](nc);
    console.log(JSON.stringify({ rate: await cases[childCase](nc) }));
  } finally {
    await nc.close();
  }
  process.exit(0);
}

const server = process.env.NATS_URL ? undefined : await startNatsServer();
const url = process.env.NATS_URL ?? server?.url ?? "";
const nc = await connectTo(url);
console.log(
  `jetcontract runtime bench: server ${nc.info?.version} at ${url}, ${MESSAGES} msgs x ${RUNS} runs, 256-byte JSON, ${INFLIGHT} in flight`,
);
try {
  // Each run measures every case back to back, so a ratio compares figures taken under the
  // same machine load (other processes share the cores); medians over the runs are reported.
  type Name = "rawPub" | "rawPubId" | "rtPub" | ConsumeCase;
  const rates: Record<Name, number[]> = {
    rawPub: [],
    rawPubId: [],
    rtPub: [],
    rawCon: [],
    rtMem: [],
    rtKv: [],
    rtKvWrite: [],
  };
  const ratios = {
    pub: [] as number[],
    pubNoId: [] as number[],
    mem: [] as number[],
    kv: [] as number[],
    kvWrite: [] as number[],
  };
  const only = process.env.BENCH_CASES?.split(",");
  for (let r = -WARMUP; r < RUNS; r++) {
    if (!only || only.includes("pub")) {
      const pub = await publishCases(nc);
      if (r >= 0) {
        rates.rawPub.push(pub.raw);
        rates.rawPubId.push(pub.rawId);
        rates.rtPub.push(pub.rt);
        ratios.pub.push(pub.rt / pub.rawId);
        ratios.pubNoId.push(pub.rt / pub.raw);
      }
    }
  }
  for (let r = 0; r < RUNS; r++) {
    // Alternate the order of the consume cases between runs so drift in load cancels out.
    const order = (Object.keys(cases) as ConsumeCase[]).filter(
      (name) => !only || name === "rawCon" || only.includes(name),
    );
    if (r % 2 === 1) order.reverse();
    const run = {} as Record<ConsumeCase, number>;
    for (const name of order) {
      run[name] = await consumeInChild(name, url);
      rates[name].push(run[name]);
    }
    if (run.rtMem) ratios.mem.push(run.rtMem / run.rawCon);
    if (run.rtKv) ratios.kv.push(run.rtKv / run.rawCon);
    if (run.rtKvWrite) ratios.kvWrite.push(run.rtKvWrite / run.rawCon);
  }
  const labels: Record<Name, string> = {
    rawPub: "raw js.publish (no msg id)",
    rawPubId: "raw js.publish (msg id)",
    rtPub: "runtime publish (validation, msg id)",
    rawCon: "raw pull consume + ack",
    rtMem: "runtime consume (validation, memory dedup)",
    rtKv: "runtime consume (validation, KV dedup)",
    rtKvWrite: "runtime consume (KV dedup, doneMarker write)",
  };
  for (const name of Object.keys(labels) as Name[]) {
    if (rates[name].length === 0) continue; // not run (BENCH_CASES)
    console.log(
      `${labels[name].padEnd(44)} ${fmt(median(rates[name])).padStart(16)}   runs: ${rates[name].map((x) => Math.round(x)).join(", ")}`,
    );
  }
  const show = (xs: number[]) =>
    `${median(xs).toFixed(2)} (runs ${xs.map((x) => x.toFixed(2)).join(", ")})`;
  console.log("");
  if (ratios.pub.length > 0)
    console.log(`publish, runtime / raw with msg id:      ${show(ratios.pub)}   target >= 0.90`);
  if (ratios.pubNoId.length > 0)
    console.log(`publish, runtime / raw without msg id:   ${show(ratios.pubNoId)}`);
  if (ratios.mem.length > 0)
    console.log(`consume, memory dedup, runtime / raw:    ${show(ratios.mem)}   target >= 0.85`);
  if (ratios.kv.length > 0)
    console.log(`consume, KV dedup, runtime / raw:        ${show(ratios.kv)}   target >= 0.30`);
  if (ratios.kvWrite.length > 0)
    console.log(`consume, KV dedup (doneMarker "write"):  ${show(ratios.kvWrite)}`);

  // Soak: memory stays flat over a long run (bounded LRU, ledger and in-flight maps).
  if (SOAK > 0) {
    const warm = heapMiB();
    await runtimeConsume(nc, memory, Math.min(20_000, SOAK));
    const before = heapMiB();
    const soakRate = await runtimeConsume(nc, memory, SOAK);
    const after = heapMiB();
    console.log(
      `soak: ${SOAK} msgs at ${fmt(soakRate)}; heap after warm-up ${before.toFixed(1)} MiB, after soak ${after.toFixed(1)} MiB (start ${warm.toFixed(1)} MiB)${(globalThis as { gc?: unknown }).gc ? "" : " [no --expose-gc: figures include garbage]"}`,
    );
  }
} finally {
  await nc.close();
  await server?.dispose();
}
