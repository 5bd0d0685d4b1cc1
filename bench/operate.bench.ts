/**
 * Operate benchmark (not a test): `npm run bench:operate`. Starts its own nats-server, fills a
 * DLQ stream with dead letters as the runtime writes them (256-byte JSON, five causes), then
 * times `dlq stats` over all of them and `dlq redrive` of a part at an unlimited rate, each
 * beside raw nats.js doing the least the same job needs (reading the stream with an ordered
 * consumer; publishing with the same in-flight count and deleting). Prints msg/s and ratios.
 *
 * Env: BENCH_DLQ (dead letters for stats, default 100000), BENCH_REDRIVE (default 10000).
 */
import { DeliverPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { buildDeadLetterHeaders } from "../packages/runtime/src/dead-letter.js";
import type { Contract } from "../src/model/types.js";
import { dlqStats, redriveDeadLetters } from "../src/operate/index.js";
import { loadContract } from "../src/spec/index.js";
import { applyJetStream } from "../src/streams/index.js";
import { writeSpec } from "../test/operate/support.js";
import { startNatsServer } from "../test/support/nats-server.js";

const DLQ = Number(process.env.BENCH_DLQ ?? 100_000);
const REDRIVE = Number(process.env.BENCH_REDRIVE ?? 10_000);
const INFLIGHT = 64;
const n = {
  stream: "BENCH",
  subject: "bench.orders",
  dlqStream: "BENCH_DLQ",
  dlqSubject: "bench.dlq",
  durable: "bench_worker",
  bucket: "bench_dedup",
};
const CAUSES = [
  (i: number) =>
    `order ord_${i.toString(36).padStart(6, "0")} rejected: customer "c-${i % 97}" is blocked`,
  (i: number) => `stock service timed out after ${(i % 30) * 100}ms`,
  (i: number) => `connect ECONNREFUSED 10.0.${i % 255}.7:5432`,
  (i: number) => `line ${i % 40} has no SKU`,
  () => "payment declined",
];

function payload(i: number): string {
  const base = JSON.stringify({
    id: `order-${String(i).padStart(8, "0")}`,
    qty: (i % 9) + 1,
    note: "",
  });
  return JSON.stringify({
    id: `order-${String(i).padStart(8, "0")}`,
    qty: (i % 9) + 1,
    note: "x".repeat(256 - base.length),
  });
}

const server = await startNatsServer();
const nc = await connect({ servers: server.url, noAsyncTraces: true });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const session = { nc, jsm };
try {
  const spec = await writeSpec(n, { dedup: "memory" });
  const contract = (await loadContract(spec)).contract as Contract;
  await applyJetStream(nc, contract, {});

  const fill = async (count: number, from: number) => {
    for (let i = from; i < from + count; i += INFLIGHT) {
      const batch: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(i + INFLIGHT, from + count); j++) {
        const cause = CAUSES[j % CAUSES.length] as (i: number) => string;
        const headers = buildDeadLetterHeaders(undefined, {
          originSubject: n.subject,
          originStream: n.stream,
          originSequence: j + 1,
          originConsumer: n.durable,
          attempts: 1,
          deliveries: 1,
          errorClass: j % 2 === 0 ? "PermanentError" : "Error",
          errorMessage: cause(j),
          firstFailureAt: new Date(),
          lastFailureAt: new Date(),
          reason: j % 2 === 0 ? "permanent" : "attempts-exhausted",
        });
        batch.push(js.publish(n.dlqSubject, payload(j), { headers }));
      }
      await Promise.all(batch);
    }
  };

  const rawRead = async (headersOnly: boolean): Promise<number> => {
    const started = performance.now();
    const c = await js.consumers.get(n.dlqStream, {
      deliver_policy: DeliverPolicy.All,
      headers_only: headersOnly,
    });
    const iter = await c.consume({ max_messages: 2_048 });
    let count = 0;
    for await (const m of iter) {
      count++;
      if (m.info.pending === 0) break;
    }
    await iter.close();
    return count / ((performance.now() - started) / 1000);
  };

  console.log(`filling ${DLQ} dead letters...`);
  await fill(DLQ, 0);
  const raw = await rawRead(true);
  const rawFull = await rawRead(false);
  let started = performance.now();
  const stats = await dlqStats(session, contract);
  const statsRate = DLQ / ((performance.now() - started) / 1000);
  const groups = stats[0]?.consumers[0]?.groups.length ?? 0;
  console.log(
    `dlq stats over ${DLQ}: ${Math.round(statsRate)} msg/s (${groups} groups); raw ordered read, headers only: ${Math.round(raw)} msg/s (ratio ${(statsRate / raw).toFixed(2)}); raw full read: ${Math.round(rawFull)} msg/s`,
  );

  // Re-drive: a fresh DLQ of REDRIVE messages.
  await jsm.streams.purge(n.dlqStream);
  await fill(REDRIVE, 0);
  const rawRedriveRead = await rawRead(false);
  started = performance.now();
  const summary = await redriveDeadLetters(session, contract, { inFlight: INFLIGHT });
  const redriveRate = summary.redriven.length / ((performance.now() - started) / 1000);
  // Raw floor: publish the same count with the same in-flight window, then delete them.
  started = performance.now();
  for (let i = 0; i < REDRIVE; i += INFLIGHT) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(i + INFLIGHT, REDRIVE); j++) {
      batch.push(
        js
          .publish(n.subject, payload(j), { msgID: `raw:${j}` })
          .then((ack) => jsm.streams.deleteMessage(n.stream, ack.seq, false)),
      );
    }
    await Promise.all(batch);
  }
  const rawPublish = REDRIVE / ((performance.now() - started) / 1000);
  console.log(
    `dlq redrive of ${summary.redriven.length} (skipped ${summary.skipped.length}, failed ${summary.failed.length}): ${Math.round(redriveRate)} msg/s; raw read of the same stream ${Math.round(rawRedriveRead)} msg/s; raw publish + delete, ${INFLIGHT} in flight: ${Math.round(rawPublish)} msg/s (ratio ${(redriveRate / rawPublish).toFixed(2)})`,
  );
} finally {
  await nc.close();
  await server.dispose();
}
