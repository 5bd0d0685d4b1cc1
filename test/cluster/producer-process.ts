/**
 * The producer process of the cluster chaos run: publishes the good orders `O0..` and, spread
 * among them, poison orders `P0..` (quantity 0: they fail the schema, so the consumers
 * dead-letter them) with the runtime's publisher and the contract's publish policy. Each
 * settled publish is one line of its log; the harness retries nothing itself.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { createPublisher, type Publisher } from "@jetcontract/runtime";
import { connect } from "@nats-io/transport-node";
import {
  importGenerated,
  type OrderPlaced,
  orderId,
  type ProducerProcessConfig,
  poisonId,
  publishLogLine,
  readConfig,
  tell,
} from "./protocol.js";

const config = readConfig<ProducerProcessConfig>();
const generated = await importGenerated(config.generatedDir);
const nc = await connect({
  servers: [...config.servers],
  name: "chaos producer",
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
});
let publishRetries = 0;
const hooks = { publishRetried: () => void publishRetries++ };
const publisher = createPublisher(nc, generated.placeOrderPublisherDescriptor, { hooks });
// Poison is published as is: the point is that consumers meet it.
const unchecked = createPublisher(nc, generated.placeOrderPublisherDescriptor, {
  hooks,
  validate: false,
});
const log = openSync(config.publishedFile, "a");

const orders = interleave(config.messages, config.poison);
process.on("disconnect", () => process.exit(1));
tell({ type: "ready" });

let next = 0;
const worker = async () => {
  while (next < orders.length) {
    const order = orders[next++];
    if (order === undefined) break;
    await publishOne(order.poison ? unchecked : publisher, order.payload);
  }
};
await Promise.all(Array.from({ length: config.concurrency }, worker));
closeSync(log);
tell({ type: "done", publishRetries });
await nc.close();
process.disconnect();

async function publishOne(p: Publisher<OrderPlaced>, payload: OrderPlaced): Promise<void> {
  try {
    await p.publish(payload);
    writeSync(log, publishLogLine("ok", payload.orderId, Date.now()));
    tell({ type: "published", ok: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    writeSync(log, publishLogLine("failed", payload.orderId, reason));
    tell({ type: "published", ok: false });
  }
}

/** `messages` good orders with `poison` bad ones spread evenly among them. */
function interleave(
  messages: number,
  poison: number,
): { readonly payload: OrderPlaced; readonly poison: boolean }[] {
  const out: { payload: OrderPlaced; poison: boolean }[] = [];
  for (let i = 0; i < messages; i++)
    out.push({ payload: { orderId: orderId(i), quantity: 1 }, poison: false });
  for (let j = poison - 1; j >= 0; j--) {
    const at = Math.floor(((j + 1) * messages) / (poison + 1));
    out.splice(at, 0, { payload: { orderId: poisonId(j), quantity: 0 }, poison: true });
  }
  return out;
}
