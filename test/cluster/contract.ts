/**
 * The fixture contract of the cluster chaos run, through the project's own stages: loaded and
 * derived as `jetcontract streams` does, applied to the cluster as `streams apply` does, and
 * generated (`jetcontract generate`) into a temporary folder the child processes import.
 */
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateFromContract } from "../../src/codegen/index.js";
import { loadContract } from "../../src/spec/index.js";
import {
  type ApplyResult,
  applyJetStream,
  deriveJetStreamConfig,
  type JetStreamConfig,
} from "../../src/streams/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
export const CHAOS_CONTRACT = join(here, "fixtures", "chaos.asyncapi.yaml");

export interface ChaosContract {
  readonly config: JetStreamConfig;
  /** The consumer's stream and durable, the DLQ stream and the dedup bucket's stream. */
  readonly stream: string;
  readonly durable: string;
  readonly dlqStream: string;
  readonly kvStream: string;
  /** Folder with the generated code (`index.ts`). */
  readonly generatedDir: string;
  dispose(): Promise<void>;
}

export async function prepareChaosContract(): Promise<ChaosContract> {
  const { contract, problems } = await loadContract(CHAOS_CONTRACT);
  const derived = contract ? deriveJetStreamConfig(contract) : undefined;
  const config = derived?.config;
  if (!contract || !config) {
    const errors = [...problems, ...(derived?.problems ?? [])].filter(
      (p) => p.severity === "error",
    );
    throw new Error(
      `the chaos contract does not derive: ${errors.map((p) => p.message).join("; ")}`,
    );
  }
  const consumer = config.consumers[0];
  const dlq = config.streams.find((s) => s.role === "dead-letter");
  const bucket = config.buckets[0];
  if (!consumer || !dlq || !bucket || config.consumers.length !== 1) {
    throw new Error("the chaos contract must have one consumer, a DLQ stream and a KV bucket");
  }

  const dir = await mkdtemp(join(tmpdir(), "jetcontract-chaos-code-"));
  const generatedDir = join(dir, "generated");
  // The generated code imports `@jetcontract/runtime`: resolve it from this repository.
  await symlink(join(root, "node_modules"), join(dir, "node_modules"), "dir");
  const generated = await generateFromContract(contract, {
    spec: CHAOS_CONTRACT,
    outDir: generatedDir,
  });
  if (!generated.ok) throw new Error("generating code for the chaos contract failed");

  return {
    config,
    stream: consumer.stream,
    durable: consumer.durable,
    dlqStream: dlq.name,
    kvStream: bucket.stream,
    generatedDir,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** `jetcontract streams apply` of the contract against the cluster. */
export async function applyChaosContract(
  servers: readonly string[],
  contract: ChaosContract,
): Promise<void> {
  const result = await applyOnceAllPeersJoined(servers, contract.config);
  if (result.refused.length > 0) throw new Error("streams apply refused to re-create resources");

  if (result.plan.refusals.length > 0) throw new Error(result.plan.refusals.join("; "));
  // The dedup bucket is as replicated as the stream it guards, by the contract's default.
  const kv = contract.config.streams.find((s) => s.name === contract.kvStream);
  if (kv?.replicas !== 3) throw new Error(`dedup bucket ${contract.kvStream} is not R3`);
}

/**
 * A fresh cluster answers the JetStream API once it has a meta leader, possibly before every
 * node has joined the meta group; until then an R3 stream finds "no suitable peers for
 * placement". Nothing announces the join, so apply (idempotent) is tried again until it has.
 */
async function applyOnceAllPeersJoined(
  servers: readonly string[],
  config: JetStreamConfig,
): Promise<ApplyResult> {
  const until = Date.now() + 30_000;
  for (;;) {
    try {
      return await applyJetStream({ server: [...servers] }, config);
    } catch (error) {
      const early = error instanceof Error && /no suitable peers/.test(error.message);
      if (!early || Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
