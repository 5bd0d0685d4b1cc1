import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ConsumerDescriptor,
  ensureConsumer,
  type PublisherDescriptor,
} from "../../packages/runtime/src/index.js";
import { emitContract } from "../../src/codegen/index.js";
import type { Contract, ReceiveOperation, SendOperation } from "../../src/model/types.js";
import { loadContract } from "../../src/spec/index.js";
import {
  applyJetStream,
  deriveJetStreamConfig,
  type JetStreamConfig,
  planJetStream,
  toApiConsumerConfig,
} from "../../src/streams/index.js";
import { REPO, requireBuiltRuntime, writeFiles } from "../codegen/support.js";
import { type NatsServer, startNatsServer } from "../support/nats-server.js";

/**
 * One resolved policy per operation, over a matrix of annotation combinations: the consumer
 * config `streams` derives is what the runtime's `ensureConsumer` creates on a real server,
 * `streams plan` sees nothing to change after generated consumers created their own durables,
 * and the generated descriptors hold the model's policies.
 */

const CONSUMER = [
  undefined,
  "{ concurrency: 10, maxAckPending: 2 }",
  "{ durable: custom_DURABLE, ackWait: 10s, handlerTimeout: 2s, deliverPolicy: new }",
  "{ handlerTimeout: 40s }",
];
const RETRY = [
  undefined,
  "{ maxAttempts: 3, strategy: linear, initialDelay: 200ms }",
  "{ delays: [1s, 2s, 4s] }",
  "{ maxAttempts: 7 }",
];
const DEDUP = [undefined, "{ store: kv }", "{ store: memory, ttl: 1m }"];
const BREAKER = [undefined, "{ failureRatio: 0.5 }"];
const PUBLISH = [
  undefined,
  "{ timeout: 5s }",
  "{ timeout: 1s, deadline: 10s, retry: { maxAttempts: 4, jitter: none } }",
  "{ retry: { delays: [100ms, 200ms] } }",
];

interface Row {
  readonly id: string;
  readonly annotations: Readonly<Record<string, string | undefined>>;
}

/** Every combination of the receive annotations, and each publish variant. */
function rows(): { receives: Row[]; sends: Row[] } {
  const receives: Row[] = [];
  for (const [c, consumer] of CONSUMER.entries())
    for (const [r, retry] of RETRY.entries())
      for (const [d, dedup] of DEDUP.entries())
        for (const [b, breaker] of BREAKER.entries()) {
          const id = `r${c}${r}${d}${b}`;
          receives.push({
            id,
            annotations: {
              "x-consumer": consumer?.replace("DURABLE", id),
              "x-retry": retry,
              "x-dedup": dedup,
              "x-circuit-breaker": breaker,
            },
          });
        }
  const sends = PUBLISH.map((publish, i) => ({
    id: `s${i}`,
    annotations: { "x-publish": publish },
  }));
  return { receives, sends };
}

function specText(receives: readonly Row[], sends: readonly Row[]): string {
  const channel = (id: string) => `  ${id}:
    address: matrix.${id}
    x-jetstream: { stream: MATRIX }
    messages:
      job: { $ref: '#/components/messages/Job' }
`;
  const operation = (row: Row, action: string) =>
    [
      `  ${row.id}:`,
      `    action: ${action}`,
      `    channel: { $ref: '#/channels/${row.id}' }`,
      `    summary: Operation ${row.id}`,
      ...Object.entries(row.annotations)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `    ${k}: ${v}`),
      "",
    ].join("\n");
  return `asyncapi: 3.0.0
info: { title: Matrix, version: 1.0.0 }
x-jetstream:
  streams:
    MATRIX: { subjects: ["matrix.>"], duplicateWindow: 5m }
components:
  messages:
    Job:
      x-idempotency-key: $message.payload#/id
      payload: { type: object, required: [id], properties: { id: { type: string } } }
channels:
${[...receives, ...sends].map((r) => channel(r.id)).join("")}operations:
${receives.map((r) => operation(r, "receive")).join("")}${sends.map((r) => operation(r, "send")).join("")}`;
}

function withoutLocation<T extends { readonly location: unknown }>(p: T): Omit<T, "location"> {
  const { location: _at, ...rest } = p;
  return rest;
}

let server: NatsServer;
let nc: NatsConnection;
let dir: string;
let contract: Contract;
let config: JetStreamConfig;
let consumers: ConsumerDescriptor<unknown>[];
let publishers: PublisherDescriptor<unknown>[];

beforeAll(async () => {
  requireBuiltRuntime();
  const { receives, sends } = rows();
  // Generated code imports `jetcontract/runtime`: it must live inside the package.
  await mkdir(path.join(REPO, "test/streams/out"), { recursive: true });
  dir = await mkdtemp(path.join(REPO, "test/streams/out/matrix-"));
  const file = path.join(dir, "matrix.yaml");
  await writeFile(file, specText(receives, sends));
  const loaded = await loadContract(file);
  expect(loaded.problems.filter((p) => p.severity === "error")).toEqual([]);
  contract = loaded.contract as Contract;
  expect(contract.operations).toHaveLength(receives.length + sends.length);
  const derived = deriveJetStreamConfig(contract);
  if (!derived.config) throw new Error(JSON.stringify(derived.problems));
  config = derived.config;

  const emitted = emitContract(contract, { source: "matrix.yaml" });
  expect(emitted.problems).toEqual([]);
  await writeFiles(path.join(dir, "generated"), emitted.files);
  const module: Record<string, unknown> = await import(
    pathToFileURL(path.join(dir, "generated", "descriptors.ts")).href
  );
  const values = Object.values(module) as Record<string, unknown>[];
  consumers = values.filter((v) => "durable" in v) as unknown as ConsumerDescriptor<unknown>[];
  publishers = values.filter(
    (v) => "operationId" in v && !("durable" in v),
  ) as unknown as PublisherDescriptor<unknown>[];

  server = await startNatsServer();
  nc = await connect({ servers: server.url });
}, 120_000);

afterAll(async () => {
  await nc?.close();
  await server?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("one resolved policy per operation, over a matrix of annotations", () => {
  it("the generated descriptors hold the model's resolved policies", () => {
    const receives = contract.operations.filter(
      (o): o is ReceiveOperation => o.action === "receive",
    );
    expect(consumers.map((c) => c.operationId).sort()).toEqual(receives.map((o) => o.id).sort());
    for (const op of receives) {
      const d = consumers.find((c) => c.operationId === op.id);
      const { location: _at, ...consumer } = op.consumer;
      expect(d, op.id).toMatchObject({
        ...consumer,
        retry: withoutLocation(op.retry),
        dedup: withoutLocation(op.dedup),
      });
      expect(d?.retry, op.id).toEqual(withoutLocation(op.retry));
      expect(d?.dedup, op.id).toEqual(withoutLocation(op.dedup));
      expect(d?.breaker, op.id).toEqual(
        op.circuitBreaker ? withoutLocation(op.circuitBreaker) : undefined,
      );
    }
    const sends = contract.operations.filter((o): o is SendOperation => o.action === "send");
    for (const op of sends) {
      const d = publishers.find((p) => p.operationId === op.id);
      const { location: _at, retry, ...publish } = op.publish;
      expect(d?.publish, op.id).toEqual({ ...publish, retry: withoutLocation(retry) });
    }
    // A default value written is the default: no silent change of the other fields.
    const publishOf = (id: string) => publishers.find((p) => p.operationId === id)?.publish;
    expect(publishOf("s1")).toEqual(publishOf("s0"));
  });

  it("ensureConsumer creates exactly the consumer streams derives, and plan then sees no change", async () => {
    // `streams apply` creates only the streams; each generated consumer creates its own durable.
    await applyJetStream(nc, { ...config, consumers: [] });
    for (const d of consumers) await ensureConsumer(nc, d);

    const jsm = await jetstreamManager(nc);
    expect(config.consumers).toHaveLength(consumers.length);
    for (const c of config.consumers) {
      // nats-server 2.9 has no metadata (streams leaves it out there too).
      const want = toApiConsumerConfig(c, { metadata: false }) as unknown as Record<
        string,
        unknown
      >;
      const have = (await jsm.consumers.info(c.stream, c.durable)).config as unknown as Record<
        string,
        unknown
      >;
      const got = Object.fromEntries(Object.keys(want).map((k) => [k, have[k]]));
      expect(got, `${c.stream}/${c.durable}`).toEqual(want);
      expect(have.backoff ?? [], `${c.stream}/${c.durable}`).toEqual([]);
    }

    const plan = await planJetStream(nc, config);
    const changed = plan.items.filter((i) => i.action !== "unchanged");
    expect(changed).toEqual([]);
    expect(plan.pending).toBe(false);
  });
});
