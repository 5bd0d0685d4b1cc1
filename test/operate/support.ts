/**
 * A small contract per test (own stream, DLQ stream, durable and bucket names), written to a
 * temporary file, and the runtime descriptor that matches it, for a real consumer.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConsumerDescriptor, DedupConfig } from "../../packages/runtime/src/index.js";
import { consumerDescriptor, type names, type Order } from "../runtime/support.js";

export type Names = ReturnType<typeof names>;

export interface SpecOptions {
  readonly dedup: "kv" | "memory";
  readonly monitor?: string;
}

/** The contract's YAML: one receive operation reading `n.subject` with a DLQ. */
export function specYaml(n: Names, options: SpecOptions): string {
  const dedup =
    options.dedup === "kv"
      ? `store: kv\n      bucket: ${n.bucket}\n      ttl: 1h\n      lease: 1s`
      : "store: memory\n      ttl: 10m";
  return `asyncapi: 3.0.0
info: { title: Shop, version: 1.0.0 }
defaultContentType: application/json
x-jetstream:
  streams:
    ${n.stream}:
      retention: limits
      subjects: [${n.subject}]
    ${n.dlqStream}:
      retention: limits
      subjects: [${n.dlqSubject}]
channels:
  orders:
    address: ${n.subject}
    messages:
      order: { $ref: '#/components/messages/Order' }
    x-jetstream: { stream: ${n.stream} }
  dead:
    address: ${n.dlqSubject}
    messages:
      order: { $ref: '#/components/messages/Order' }
    x-jetstream: { stream: ${n.dlqStream} }
operations:
  handleOrder:
    action: receive
    channel: { $ref: '#/channels/orders' }
    messages: [{ $ref: '#/channels/orders/messages/order' }]
    x-consumer: { durable: ${n.durable}, ackWait: 2s, maxAckPending: 100, concurrency: 4 }
    x-retry: { maxAttempts: 2, strategy: fixed, initialDelay: 10ms }
    x-dlq:
      channel: { $ref: '#/channels/dead' }
    x-dedup:
      ${dedup}
${options.monitor ? `    x-monitor: ${options.monitor}\n` : ""}components:
  messages:
    Order:
      x-idempotency-key: $message.payload#/id
      payload:
        type: object
        required: [id, qty]
        properties:
          id: { type: string }
          qty: { type: integer, minimum: 1 }
          note: { type: string }
`;
}

export async function writeSpec(n: Names, options: SpecOptions): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "jetcontract-operate-"));
  const file = join(dir, "shop.asyncapi.yaml");
  await writeFile(file, specYaml(n, options));
  return file;
}

/** The runtime descriptor the contract above implies (the runtime tests' order message). */
export function descriptorFor(
  n: Names,
  options: SpecOptions,
  over: Partial<ConsumerDescriptor<Order>> = {},
): ConsumerDescriptor<Order> {
  const dedup: DedupConfig =
    options.dedup === "kv"
      ? { store: "kv", bucket: n.bucket, ttlMs: 3_600_000, leaseMs: 1_000 }
      : { store: "memory", maxEntries: 1_000, ttlMs: 600_000 };
  return consumerDescriptor(n, {
    retry: {
      maxAttempts: 2,
      strategy: "fixed",
      initialDelayMs: 10,
      maxDelayMs: 10,
      multiplier: 1,
      jitter: "none",
    },
    dedup,
    ackWaitMs: 2_000,
    ...over,
  });
}

/** Runs the CLI in this process and captures what it prints. */
export async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { main } = await import("../../src/cli/main.js");
  let out = "";
  let err = "";
  const code = await main(argv, {
    out: (t) => {
      out += t.endsWith("\n") ? t : `${t}\n`;
    },
    err: (t) => {
      err += t.endsWith("\n") ? t : `${t}\n`;
    },
    cwd: process.cwd(),
  });
  return { code, out, err };
}
