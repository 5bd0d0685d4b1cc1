/**
 * Failover windows on a three-node loopback cluster (`npx tsx bench/failover.bench.ts [runs]`):
 * for an R3 stream and an R3 KV bucket, the time from kill -9 of the leader's node until a
 * publish (a KV put) is acknowledged again, with raw nats.js retrying every 50 ms. The
 * runtime's publisher and KV dedup store ride through windows of this length.
 */
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { startNatsCluster } from "../test/support/nats-cluster.js";

const runs = Number(process.argv[2] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** Retries `act` every 50 ms until the cluster acknowledges it. */
async function untilAcknowledged(act: () => Promise<unknown>): Promise<void> {
  for (;;) {
    try {
      await act();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const cluster = await startNatsCluster();
const nc = await connect({ servers: [...cluster.urls] });
try {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({ name: "FAILOVER", subjects: ["failover.>"], num_replicas: 3 });
  const kv = await new Kvm(nc).create("failover", { replicas: 3, history: 1 });
  const stream: number[] = [];
  const bucket: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [what, out, name, act] of [
      ["stream", stream, "FAILOVER", () => js.publish("failover.x", "x", { timeout: 1_000 })],
      ["bucket", bucket, "KV_failover", () => kv.put("k", "v", { timeout: 1_000 } as never)],
    ] as const) {
      await untilAcknowledged(act); // the previous kill's elections are over
      const leader = (await jsm.streams.info(name)).cluster?.leader ?? "";
      const node = cluster.node(leader);
      const killedAt = Date.now();
      await node.kill();
      await untilAcknowledged(act);
      const ms = Date.now() - killedAt;
      out.push(ms);
      console.log(
        `run ${i + 1}: ${what} leader ${leader} killed; acknowledged again after ${ms} ms`,
      );
      await node.start();
      await cluster.waitForJetStream(node.url);
    }
  }
  console.log(
    `failover stream median=${median(stream)}ms max=${Math.max(...stream)}ms runs=${runs}`,
  );
  console.log(`failover kv median=${median(bucket)}ms max=${Math.max(...bucket)}ms runs=${runs}`);
} finally {
  await nc.close();
  await cluster.dispose();
}
