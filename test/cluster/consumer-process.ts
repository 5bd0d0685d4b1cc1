/**
 * A consumer process of the cluster chaos run: the generated descriptor of `fulfilOrder`,
 * consumed with the runtime's `createConsumer`, under the run's dedup mode. The effect of
 * its handler is one line appended to its own file (`<orderId> <epoch ms>`), written with
 * `writeSync` so that a kill -9 keeps every effect made before it.
 *
 * On `stall` it parks every later handler before its effect and answers `stalled` once the
 * acks of the effects it made are settled and a few handlers are parked: the
 * parent kills it -9 then, with messages delivered, claimed and mid-handler. A process killed between an effect and its ack would
 * have that message run again elsewhere whatever the dedup store (the runtime's documented
 * at-least-once window, docs/runtime.md "Dedup windows"), so the kill avoids that moment
 * and the run counts every other duplicate.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import {
  type ConsumerDescriptor,
  createConsumer,
  type DedupConfig,
  resolveDedup,
} from "@jetcontract/runtime";
import { connect } from "@nats-io/transport-node";
import {
  type ConsumerProcessConfig,
  type DedupMode,
  effectLogLine,
  importGenerated,
  type OrderPlaced,
  type ParentMessage,
  readConfig,
  tell,
} from "./protocol.js";

const config = readConfig<ConsumerProcessConfig>();
const generated = await importGenerated(config.generatedDir);
const contractDescriptor = generated.fulfilOrderConsumerDescriptor;
const descriptor: ConsumerDescriptor<OrderPlaced> = {
  ...contractDescriptor,
  dedup: dedupFor(config.mode, contractDescriptor),
};

const nc = await connect({
  servers: [...config.servers],
  name: config.name,
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
});
const effects = openSync(config.effectsFile, "a");

const counts: Record<string, number> = {};
const count = (name: string) => {
  counts[name] = (counts[name] ?? 0) + 1;
};

let stalled = false;
/** Stream sequences whose effect was made and whose ack is not settled yet. */
const unsettled = new Set<number>();
let held = 0;
const settle = (seq: number | undefined) => {
  if (seq === undefined) return;
  unsettled.delete(seq);
  checkStalled();
};
/** Handlers parked (messages held mid-handler) before the process reports itself stalled. */
const HOLD = Math.min(4, descriptor.concurrency);
/** Stalled: no effect left unacknowledged, and a few handlers parked. */
const checkStalled = () => {
  if (stalled && unsettled.size === 0 && held >= HOLD) reportStalled();
};
let reported = false;
const reportStalled = () => {
  if (reported) return;
  reported = true;
  tell({ type: "stalled", held, unsettled: unsettled.size });
};

const consumer = createConsumer<OrderPlaced>(
  nc,
  descriptor,
  (order, ctx) => {
    if (stalled) {
      held++;
      checkStalled();
      return new Promise<never>(() => {});
    }
    writeSync(effects, effectLogLine(order.orderId, Date.now()));
    unsettled.add(ctx.streamSequence);
    tell({ type: "effect" });
    return undefined;
  },
  {
    hooks: {
      acked: (e) => settle(e.streamSequence),
      // An ack the server did not confirm: settled too (the message may come back; whether it
      // is then skipped is what the run measures).
      error: (e) => {
        count(`error:${e.stage}`);
        if (e.stage === "ack") settle(e.streamSequence);
      },
      // What the runtime did besides handling, for the run's report (why a message was lost).
      released: (e) => count(`released:${e.reason}`),
      duplicateSkipped: (e) => count(`skipped:${e.reason}`),
      deadLettered: (e) => count(`dead-lettered:${e.reason}`),
      deliveriesExhausted: () => count("deliveries-exhausted"),
    },
  },
);
await consumer.start();

process.on("message", (message: ParentMessage) => {
  if (message.type === "stall") {
    stalled = true;
    checkStalled();
    // Acks are confirmed within the ack wait or fail, and handlers get parked unless no
    // message is left: past the ack wait, report as things are.
    setTimeout(reportStalled, descriptor.ackWaitMs).unref();
  } else if (message.type === "stop") {
    void (async () => {
      await consumer.stop({ deadlineMs: 5_000 });
      tell({ type: "events", counts });
      await nc.close();
      closeSync(effects);
      process.exit(0);
    })();
  }
});
// An orphan (the parent died) has no one to report to.
process.on("disconnect", () => process.exit(1));
tell({ type: "ready" });

/** The dedup store of each mode: the contract's KV store, with its done marker, or memory. */
function dedupFor(mode: DedupMode, d: ConsumerDescriptor<OrderPlaced>): DedupConfig {
  if (d.dedup.store !== "kv") throw new Error("the chaos contract's x-dedup is not kv");
  switch (mode) {
    case "kv":
      return d.dedup;
    case "kv-write":
      return { ...d.dedup, doneMarker: "write" };
    case "memory":
      return resolveDedup({ store: "memory" }, d);
  }
}
