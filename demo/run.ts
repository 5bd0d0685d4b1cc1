/**
 * jetcontract demo: the generated orders client (generated-example/) against a real
 * nats-server. Starts a throwaway local server when `nats-server` is on the PATH (else uses
 * NATS_URL, default nats://127.0.0.1:4222), applies the streams, DLQ stream, KV bucket and
 * durable consumers the contract implies, then shows a producer and a consumer with a flaky
 * handler: retries with growing delays, a poison message dead-lettered with its metadata,
 * and duplicates skipped. Every line below comes from the runtime's lifecycle hooks.
 *
 *   npm run build && npx tsx demo/run.ts
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { DeadLetterHeaders, PermanentError, TransientError } from "@jetcontract/runtime";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import {
  createFulfilOrderConsumer,
  createPlaceOrderPublisher,
  type OrderPlacedPayload,
} from "../generated-example/index.js";
import { loadContract } from "../src/spec/index.js";
import { applyJetStream, formatApplyText } from "../src/streams/index.js";

const DEADLINE_MS = 60_000;
const started = Date.now();
const SPEC = path.join(import.meta.dirname, "../specs/orders.asyncapi.yaml");

function log(who: string, text: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(2).padStart(6);
  console.log(`+${t}s  ${who.padEnd(10)} ${text}`);
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      srv.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** A throwaway nats-server with JetStream (own port and store), or undefined when not installed. */
async function startLocalServer(): Promise<Server | undefined> {
  const bin = process.env.NATS_SERVER_BIN ?? "nats-server";
  if (spawnSync(bin, ["--version"], { stdio: "ignore" }).status !== 0) return undefined;
  const store = await mkdtemp(path.join(tmpdir(), "jetcontract-demo-"));
  const port = await freePort();
  const child: ChildProcess = spawn(
    bin,
    ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes("Server is ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`nats-server exited (${code}):\n${stderr}`)));
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await rm(store, { recursive: true, force: true });
    },
  };
}

function order(orderId: string, sku = "BOOK-0001"): OrderPlacedPayload {
  return {
    orderId,
    placedAt: new Date(started).toISOString(),
    status: "placed",
    customer: {
      id: "cus_1001",
      email: "ada@example.com",
      shippingAddress: {
        line1: "12 Analytical Row",
        city: "London",
        postalCode: "N1 9GU",
        country: "GB",
      },
    },
    lines: [{ sku, quantity: 2, unitPrice: { amount: 1999, currency: "GBP" } }],
    total: { amount: 3998, currency: "GBP" },
  };
}

async function run(nc: NatsConnection): Promise<void> {
  // 1. What the contract needs on the server, derived from it by the streams stage.
  const { contract, problems } = await loadContract(SPEC);
  if (!contract)
    throw new Error(`the example spec does not load: ${problems.map((p) => p.message).join("; ")}`);
  const applied = await applyJetStream(nc, contract);
  for (const line of formatApplyText(applied).split("\n").filter(Boolean)) log("streams", line);

  // 2. A consumer with a flaky handler: the first two attempts of each order time out.
  const suffix = started.toString(36);
  const good = `ord_${suffix}a`;
  const poison = `ord_${suffix}p`;
  const failuresLeft = new Map<string, number>([[good, 2]]);
  const consumer = createFulfilOrderConsumer(
    nc,
    async (payload, ctx) => {
      if (payload.lines.some((l) => l.sku === "BOOK-9999")) {
        throw new PermanentError(`sku BOOK-9999 does not exist (order ${payload.orderId})`);
      }
      const left = failuresLeft.get(payload.orderId) ?? 0;
      if (left > 0) {
        failuresLeft.set(payload.orderId, left - 1);
        throw new TransientError(`warehouse API timed out (attempt ${ctx.attempt})`);
      }
      log("handler", `reserved stock for ${payload.orderId} on attempt ${ctx.attempt}`);
    },
    {
      // Jitter at its top value, so the exponential delays (1s, 2s, ...) show as they grow.
      random: () => 0.999,
      pullExpiresMs: 1_000,
      hooks: {
        received: (e) =>
          log("consumer", `received   seq=${e.streamSequence} delivery=${e.deliveryCount}`),
        handlerFailed: (e) =>
          log(
            "consumer",
            `failed     seq=${e.streamSequence} attempt=${e.attempt}: ${message(e.error)}`,
          ),
        retryScheduled: (e) =>
          log("consumer", `retry      seq=${e.streamSequence} in ${e.delayMs} ms`),
        acked: (e) => log("consumer", `acked      seq=${e.streamSequence}`),
        duplicateSkipped: (e) =>
          log(
            "consumer",
            `duplicate  seq=${e.streamSequence} key=${e.idempotencyKey}: skipped, handler not called`,
          ),
        deadLettered: (e) =>
          log(
            "consumer",
            `dead-letter seq=${e.streamSequence} → ${e.deadLetterSubject} (${e.deadLetterStream} #${e.deadLetterSeq}), ${e.reason}: ${e.errorMessage}`,
          ),
        breakerOpened: () => log("consumer", "circuit breaker opened"),
        breakerClosed: () => log("consumer", "circuit breaker closed"),
      },
    },
  );
  await consumer.start();
  log("consumer", "fulfilOrder started (durable fulfilment, stream ORDERS)");

  const publisher = createPlaceOrderPublisher(nc, {
    hooks: {
      published: (e) =>
        log(
          "producer",
          `published  ${e.msgId} → ${e.subject} seq=${e.seq}${e.duplicate ? " (duplicate: the stream already had this key)" : ""}`,
        ),
      publishRetried: (e) =>
        log("producer", `publish retry ${e.attempt} in ${e.delayMs} ms: ${message(e.error)}`),
    },
  });

  // 3. A good order whose handler fails twice, then succeeds.
  const done = new Promise<void>((resolve) => {
    const off = consumer.events.on("acked", () => {
      if ((failuresLeft.get(good) ?? 0) === 0) {
        off();
        resolve();
      }
    });
  });
  await publisher.publish(order(good));
  await done;

  // 4. The same order again: the stream's duplicate window drops it (same Nats-Msg-Id).
  await publisher.publish(order(good));

  // 5. Same idempotency key under a new message id: stored, but the consumer's KV dedup skips it.
  const skipped = consumer.events.once("duplicateSkipped");
  await publisher.publish(order(good), { msgId: `${good}-resent` });
  await skipped;

  // 6. A poison message: a business rule rejects it, so it is dead-lettered at once.
  const deadLettered = consumer.events.once("deadLettered");
  await publisher.publish(order(poison, "BOOK-9999"));
  const dl = await deadLettered;

  const jsm = await jetstreamManager(nc);
  const stored = await jsm.streams.getMessage(dl.deadLetterStream ?? "ORDERS_DLQ", {
    seq: dl.deadLetterSeq ?? 0,
  });
  log(
    "dlq",
    `${dl.deadLetterStream} #${dl.deadLetterSeq} on ${stored?.subject}: payload orderId=${stored?.json<OrderPlacedPayload>().orderId}`,
  );
  for (const [key, values] of stored?.header ?? []) {
    if (Object.values(DeadLetterHeaders).includes(key as never))
      log("dlq", `  ${key}: ${values.join(", ")}`);
  }

  await consumer.stop({ deadlineMs: 2_000 });
  log("consumer", "stopped");
}

async function main(): Promise<number> {
  const local = await startLocalServer();
  const url = local?.url ?? process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  log(
    "demo",
    local ? `started a local nats-server at ${url}` : `using ${url} (no nats-server on the PATH)`,
  );
  const nc = await connect({ servers: url });
  const timer = setTimeout(() => {
    console.error(`demo did not finish within ${DEADLINE_MS / 1000}s`);
    process.exit(1);
  }, DEADLINE_MS);
  try {
    await run(nc);
    return 0;
  } catch (error) {
    console.error(`demo failed: ${message(error)}`);
    return 1;
  } finally {
    clearTimeout(timer);
    await nc.drain();
    await local?.stop();
  }
}

process.exitCode = await main();
