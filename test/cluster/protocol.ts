/**
 * What the cluster chaos run's parent and its child processes (producer, consumers) say to
 * each other: the child's configuration (JSON in an environment variable) and the IPC
 * messages. The counts that the verdict rests on are in the children's log files, which
 * survive a kill -9; IPC carries progress and hand-shakes only.
 */
import { pathToFileURL } from "node:url";
import type { ConsumerDescriptor, PublisherDescriptor } from "@jetcontract/runtime";

export const DEDUP_MODES = ["memory", "kv", "kv-write"] as const;
/** `kv`: the contract's KV store (done marker "ack", the default); `kv-write`: done marker "write". */
export type DedupMode = (typeof DEDUP_MODES)[number];

export function isDedupMode(value: string): value is DedupMode {
  return (DEDUP_MODES as readonly string[]).includes(value);
}

/** Environment variable holding a child's configuration as JSON. */
export const CHILD_CONFIG_ENV = "CHAOS_CHILD_CONFIG";

export interface ConsumerProcessConfig {
  readonly servers: readonly string[];
  /** Folder of the code generated from the fixture contract. */
  readonly generatedDir: string;
  readonly mode: DedupMode;
  /** One line per handler effect: `<orderId> <epoch ms>`. */
  readonly effectsFile: string;
  readonly name: string;
}

export interface ProducerProcessConfig {
  readonly servers: readonly string[];
  readonly generatedDir: string;
  readonly messages: number;
  readonly poison: number;
  /** Publishes in flight at once. */
  readonly concurrency: number;
  /** One line per settled publish (`publishLogLine`). */
  readonly publishedFile: string;
}

/** Child → parent. */
export type ChildMessage =
  | { readonly type: "ready" }
  /** A consumer ran its handler's effect. */
  | { readonly type: "effect" }
  /** The producer settled one publish. */
  | { readonly type: "published"; readonly ok: boolean }
  /** The producer settled every publish. */
  | { readonly type: "done"; readonly publishRetries: number }
  /**
   * A stalled consumer: every effect it made has its ack settled (confirmed or failed), and
   * `held` handlers are parked before their effect, holding their messages (and KV claims).
   */
  | { readonly type: "stalled"; readonly held: number; readonly unsettled: number }
  /** A consumer stopping: how often each notable runtime event happened in it. */
  | { readonly type: "events"; readonly counts: Readonly<Record<string, number>> };

/** Parent → child. */
export type ParentMessage =
  /** Park every handler before its effect from now on; answer `stalled` when settled. */
  | { readonly type: "stall" }
  /** Stop gracefully and exit 0. */
  | { readonly type: "stop" };

/** The fixture's message, as generated (`OrderPlacedPayload`). */
export interface OrderPlaced {
  readonly orderId: string;
  readonly quantity: number;
}

/** What the run needs from the code generated for the fixture contract. */
export interface GeneratedChaosCode {
  readonly fulfilOrderConsumerDescriptor: ConsumerDescriptor<OrderPlaced>;
  readonly placeOrderPublisherDescriptor: PublisherDescriptor<OrderPlaced>;
}

export async function importGenerated(dir: string): Promise<GeneratedChaosCode> {
  // Generated at run time from the fixture, so its type is known only by this contract.
  return (await import(pathToFileURL(`${dir}/index.ts`).href)) as GeneratedChaosCode;
}

/** Good orders are `O<i>`, poison ones (they fail the schema) `P<j>`. */
export const orderId = (i: number): string => `O${i}`;
export const poisonId = (j: number): string => `P${j}`;
export const isPoisonId = (id: string): boolean => id.startsWith("P");

/** A line of the producer's log: `ok <id> <epoch ms>` or `failed <id> <reason>`. */
export function publishLogLine(
  outcome: "ok" | "failed",
  id: string,
  detail: number | string,
): string {
  return `${outcome} ${id} ${String(detail).replace(/\s+/g, " ")}\n`;
}

export function effectLogLine(id: string, atMs: number): string {
  return `${id} ${atMs}\n`;
}

export interface PublishOutcome {
  readonly id: string;
  /** Epoch ms of the stream's ack; undefined when the publish failed. */
  readonly ackedAtMs: number | undefined;
  /** Why it failed (the runtime's error message). */
  readonly failure: string | undefined;
}

export function parsePublishLog(text: string): PublishOutcome[] {
  return lines(text).map((line) => {
    const [outcome = "", id = "", ...rest] = line.split(" ");
    const detail = rest.join(" ");
    return outcome === "ok"
      ? { id, ackedAtMs: Number(detail), failure: undefined }
      : { id, ackedAtMs: undefined, failure: detail };
  });
}

export interface Effect {
  readonly id: string;
  readonly atMs: number;
}

export function parseEffectLog(text: string): Effect[] {
  return lines(text).map((line) => {
    const [id = "", at = ""] = line.split(" ");
    return { id, atMs: Number(at) };
  });
}

/** Each line was one `writeSync` to a file opened for append: whole even after a kill -9. */
function lines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "");
}

export function readConfig<T>(): T {
  const text = process.env[CHILD_CONFIG_ENV];
  if (text === undefined) throw new Error(`${CHILD_CONFIG_ENV} is not set`);
  return JSON.parse(text) as T;
}

/** Sends to the parent; a child whose parent is gone has no one to report to, so it exits. */
export function tell(message: ChildMessage): void {
  if (!process.send || !process.connected) process.exit(1);
  process.send(message);
}
