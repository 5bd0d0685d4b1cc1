import { type JetStreamManager, jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Problem } from "../model/problem.js";
import type { Contract } from "../model/types.js";
import {
  type ApiConsumerConfig,
  type ApiStreamConfig,
  toApiConsumerConfig,
  toApiStreamConfig,
} from "./api-config.js";
import { connectJetStream, type JetStreamConnectOptions, oneLine } from "./connect.js";
import { deriveJetStreamConfig, managedOwner, OWNER_METADATA_KEY } from "./derive.js";
import { StreamsConnectionError, StreamsError } from "./errors.js";
import { readInventory } from "./inventory.js";
import type { DesiredConsumer, DesiredStream, JetStreamConfig } from "./types.js";

/** What plan/apply does with one stream, consumer or bucket. */
export type PlanAction =
  | "create"
  /** Known to the server, but its info did not come back (its servers are down or electing). */
  | "unavailable"
  | "update"
  | "unchanged"
  | "needs-recreate"
  | "unmanaged-on-server"
  | "delete";

export type ResourceKind = "stream" | "consumer" | "bucket";

/** One field that differs; values are in API units (nanoseconds for durations). */
export interface FieldChange {
  readonly field: string;
  readonly server: unknown;
  readonly contract: unknown;
  /** JetStream cannot change this field in place. */
  readonly immutable: boolean;
}

export interface PlanItem {
  readonly kind: ResourceKind;
  /** Stream name, `STREAM/durable`, or bucket name. */
  readonly name: string;
  readonly stream: string;
  readonly durable?: string;
  readonly action: PlanAction;
  readonly changes: readonly FieldChange[];
  /** Owner named by the resource's description marker on the server, if any. */
  readonly managedBy?: string;
}

export interface JetStreamPlan {
  readonly server: ServerView;
  readonly owner: string;
  readonly items: readonly PlanItem[];
  /** Server too old for a field the contract uses, lowered replicas, offline replicas. */
  readonly warnings: readonly string[];
  /** What the server would refuse (more replicas than it has servers): apply does nothing. */
  readonly refusals: readonly string[];
  /** True when create, update, needs-recreate or delete items exist. */
  readonly pending: boolean;
}

export interface PlanOptions {
  /** Plan deletion of resources this contract's owner marked and no longer declares. */
  readonly prune?: boolean;
}

/** The server plan/apply talks to, as its INFO describes it. */
export interface ServerView {
  readonly version: string;
  /** The cluster's name; absent for a single server. */
  readonly cluster?: string;
  /**
   * Servers of the cluster this connection knows of: the client URLs the cluster advertises,
   * or the peers named by any stream's replicas when those are more (a server that is down
   * drops out of the first). 1 without a cluster.
   */
  readonly servers: number;
}

/** A live connection, an open JetStream manager, or options to connect with. */
export type JetStreamTarget = NatsConnection | JetStreamConnectOptions;

/** Raised when a contract given to plan/apply does not derive (problems attached). */
export class StreamsDeriveError extends StreamsError {
  override readonly name = "StreamsDeriveError";
  constructor(readonly problems: readonly Problem[]) {
    super(
      `the contract does not derive a JetStream configuration (${problems.filter((p) => p.severity === "error").length} errors)`,
      "derive",
    );
  }
}

/** Fields a server version needs before it stores them; older servers drop them silently. */
const FIELD_MIN_VERSION: Readonly<Record<string, string>> = {
  metadata: "2.10.0",
  filter_subjects: "2.10.0",
  compression: "2.10.0",
  first_seq: "2.10.0",
  subject_transform: "2.10.0",
  consumer_limits: "2.10.0",
  allow_msg_ttl: "2.11.0",
  subject_delete_marker_ttl: "2.11.0",
};

const STREAM_IMMUTABLE = new Set(["retention", "storage", "max_consumers"]);
const CONSUMER_IMMUTABLE = new Set([
  "ack_policy",
  "deliver_policy",
  "replay_policy",
  "deliver_subject",
]);

/**
 * Compares the configuration a contract implies with a live server and says, for each
 * stream, consumer and bucket, what `applyJetStream` would do. Read-only.
 */
export async function planJetStream(
  target: JetStreamTarget,
  input: Contract | JetStreamConfig,
  options: PlanOptions = {},
): Promise<JetStreamPlan> {
  return withManager(target, (server) => computePlan(server, toConfig(input), options));
}

/** Resolves a contract to its configuration, throwing `StreamsDeriveError` on errors. */
export function toConfig(input: Contract | JetStreamConfig): JetStreamConfig {
  if ("consumers" in input && "owner" in input) return input;
  const result = deriveJetStreamConfig(input);
  if (!result.config) throw new StreamsDeriveError(result.problems);
  return result.config;
}

/** An open server: its connection, JetStream manager and API timeout. */
export interface ServerHandle {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly timeoutMs: number;
}

export async function withManager<T>(
  target: JetStreamTarget,
  body: (server: ServerHandle) => Promise<T>,
): Promise<T> {
  if (isConnection(target)) {
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(target);
    } catch (error) {
      throw new StreamsConnectionError(
        `JetStream is not available on ${target.getServer()}: ${oneLine(error)}`,
        "jetstream-unavailable",
        { cause: error },
      );
    }
    return body({ nc: target, jsm, timeoutMs: DEFAULT_API_TIMEOUT_MS });
  }
  const session = await connectJetStream(target);
  try {
    return await body({
      nc: session.nc,
      jsm: session.jsm,
      timeoutMs: target.timeoutMs ?? DEFAULT_API_TIMEOUT_MS,
    });
  } finally {
    await session.close();
  }
}

/**
 * A list request on a cluster waits for every stream leader's answer, up to about 4 s on
 * 2.9 when one is down, before it reports that stream as missing: allow for that.
 */
const DEFAULT_API_TIMEOUT_MS = 5_000;
const LIST_TIMEOUT_FLOOR_MS = 10_000;

/** The server as its INFO (and the streams' replica lists) describe it. */
export function serverView(nc: NatsConnection, peers: ReadonlySet<string> = new Set()): ServerView {
  const info = nc.info;
  const version = info?.version ?? "0.0.0";
  if (info?.cluster === undefined) return { version, servers: 1 };
  const urls = new Set(info.connect_urls ?? []).size;
  return { version, cluster: info.cluster, servers: Math.max(1, urls, peers.size) };
}

function isConnection(target: JetStreamTarget): target is NatsConnection {
  return typeof (target as NatsConnection).request === "function";
}

/** Version-dependent shaping of what is sent and compared. */
export interface ServerSupport {
  readonly version: string;
  readonly unsupported: ReadonlySet<string>;
}

export function serverSupport(version: string): ServerSupport {
  const unsupported = new Set<string>();
  for (const [field, min] of Object.entries(FIELD_MIN_VERSION)) {
    if (compareVersions(version, min) < 0) unsupported.add(field);
  }
  return { version, unsupported };
}

/** The stream config to send to this server: fields it does not know are left out. */
export function streamConfigFor(s: DesiredStream, support: ServerSupport): ApiStreamConfig {
  return stripUnsupported(toApiStreamConfig(s), support);
}

export function consumerConfigFor(c: DesiredConsumer, support: ServerSupport): ApiConsumerConfig {
  // An explicit empty backoff: consumers never get one (it would add to the runtime's nak
  // delays), so a list left on the server is reported and cleared (updates merge).
  return stripUnsupported({ backoff: [], ...toApiConsumerConfig(c) }, support);
}

function stripUnsupported<T extends object>(config: T, support: ServerSupport): T {
  const out = { ...config } as Record<string, unknown>;
  for (const field of support.unsupported) delete out[field];
  return out as unknown as T;
}

export async function computePlan(
  server: ServerHandle,
  config: JetStreamConfig,
  options: PlanOptions,
): Promise<JetStreamPlan> {
  const inventory = await readInventory(
    server.nc,
    server.jsm.jetstream().apiPrefix,
    config.consumers.map((c) => c.stream),
    Math.max(server.timeoutMs, LIST_TIMEOUT_FLOOR_MS),
  );
  const view = serverView(server.nc, inventory.peers);
  const support = serverSupport(view.version);
  const warnings = versionWarnings(config, support);
  const refusals = replicaRefusals(config, view);
  const items: PlanItem[] = [];
  const serverStreams = inventory.streams;

  const desiredNames = new Set(config.streams.map((s) => s.name));
  for (const s of config.streams) {
    const kind = s.role === "kv" ? "bucket" : "stream";
    const name = s.role === "kv" ? s.name.replace(/^KV_/, "") : s.name;
    const have = serverStreams.get(s.name);
    if (!have) {
      const action = inventory.unavailableStreams.has(s.name) ? "unavailable" : "create";
      items.push({ kind, name, stream: s.name, action, changes: [] });
      continue;
    }
    const changes = diff(
      streamConfigFor(s, support) as unknown as Record<string, unknown>,
      have.config as unknown as Record<string, unknown>,
      STREAM_IMMUTABLE,
      ["name"],
    );
    warnings.push(...replicaWarnings(kind, name, have, s.replicas));
    items.push({
      kind,
      name,
      stream: s.name,
      action: actionFor(changes),
      changes,
      ...managedByOf(have.config.description),
    });
  }

  // Consumers on streams the contract declares.
  const desiredConsumers = new Map(config.consumers.map((c) => [`${c.stream}/${c.durable}`, c]));
  const serverConsumers = inventory.consumers;
  for (const [key, c] of desiredConsumers) {
    const have = serverConsumers.get(key);
    if (!have) {
      const unavailable =
        inventory.unavailableConsumers.has(key) || inventory.unavailableStreams.has(c.stream);
      items.push({
        kind: "consumer",
        name: key,
        stream: c.stream,
        durable: c.durable,
        action: unavailable ? "unavailable" : "create",
        changes: [],
      });
      continue;
    }
    const changes = diff(
      { ...consumerConfigFor(c, support), deliver_subject: "" } as unknown as Record<
        string,
        unknown
      >,
      have.config as unknown as Record<string, unknown>,
      CONSUMER_IMMUTABLE,
      ["durable_name"],
    );
    items.push({
      kind: "consumer",
      name: key,
      stream: c.stream,
      durable: c.durable,
      action: actionFor(changes),
      changes,
      ...managedByOf(have.config.description),
    });
  }

  // On the server, not in the contract.
  const extra = (managedBy: string | undefined): PlanAction =>
    options.prune === true && managedBy === config.owner ? "delete" : "unmanaged-on-server";
  for (const [key, ci] of [...serverConsumers].sort(([a], [b]) => compare(a, b))) {
    if (desiredConsumers.has(key)) continue;
    const managedBy = managedOwner(ci.config.description);
    items.push({
      kind: "consumer",
      name: key,
      stream: ci.stream_name,
      durable: ci.config.durable_name ?? ci.name,
      action: extra(managedBy),
      changes: [],
      ...(managedBy !== undefined ? { managedBy } : {}),
    });
  }
  for (const [name, si] of [...serverStreams].sort(([a], [b]) => compare(a, b))) {
    if (desiredNames.has(name)) continue;
    const managedBy = managedOwner(si.config.description);
    const isKv = name.startsWith("KV_");
    items.push({
      kind: isKv ? "bucket" : "stream",
      name: isKv ? name.slice(3) : name,
      stream: name,
      action: extra(managedBy),
      changes: [],
      ...(managedBy !== undefined ? { managedBy } : {}),
    });
  }

  const order: Record<ResourceKind, number> = { stream: 0, bucket: 1, consumer: 2 };
  items.sort((a, b) => order[a.kind] - order[b.kind] || compare(a.name, b.name));
  return {
    server: view,
    owner: config.owner,
    items,
    warnings,
    refusals,
    pending: items.some((i) => isPending(i.action)),
  };
}

export function isPending(action: PlanAction): boolean {
  return (
    action === "create" || action === "update" || action === "needs-recreate" || action === "delete"
  );
}

function actionFor(changes: readonly FieldChange[]): PlanAction {
  if (changes.length === 0) return "unchanged";
  return changes.some((c) => c.immutable) ? "needs-recreate" : "update";
}

function managedByOf(description: string | undefined): { managedBy?: string } {
  const owner = managedOwner(description);
  return owner !== undefined ? { managedBy: owner } : {};
}

/** Streams and buckets asking for more replicas than the server has peers. */
function replicaRefusals(config: JetStreamConfig, view: ServerView): string[] {
  const out: string[] = [];
  for (const s of config.streams) {
    if (s.replicas <= view.servers) continue;
    const what = s.role === "kv" ? `bucket ${s.name.replace(/^KV_/, "")}` : `stream ${s.name}`;
    out.push(
      view.cluster === undefined
        ? `${what} asks for ${s.replicas} replicas, but the server is not part of a JetStream cluster (it stores 1): lower replicas for this server, or point --server at a cluster`
        : `${what} asks for ${s.replicas} replicas, but cluster ${view.cluster} has ${view.servers} servers as far as this connection sees: lower replicas, or add servers`,
    );
  }
  return out;
}

/** Lowered replicas, and replicas that are offline or behind right now. */
function replicaWarnings(
  kind: ResourceKind,
  name: string,
  have: StreamInfo,
  wanted: number,
): string[] {
  const out: string[] = [];
  const current = have.config.num_replicas ?? 1;
  if (wanted < current) {
    out.push(
      `${kind} ${name}: apply lowers its replicas from ${current} to ${wanted}; it then survives ${Math.floor((wanted - 1) / 2)} server failure(s) instead of ${Math.floor((current - 1) / 2)}`,
    );
  }
  for (const r of have.cluster?.replicas ?? []) {
    // 2.9 reports a stopped peer as not current (and only later as offline).
    if (r.offline || !r.current) {
      out.push(`${kind} ${name}: its replica on ${r.name} is not current (offline or catching up)`);
    }
  }
  return out;
}

function versionWarnings(config: JetStreamConfig, support: ServerSupport): string[] {
  const used = new Set<string>();
  const all = [
    ...config.streams.map((s) => toApiStreamConfig(s) as unknown as Record<string, unknown>),
    ...config.consumers.map((c) => toApiConsumerConfig(c) as unknown as Record<string, unknown>),
  ];
  for (const cfg of all) {
    for (const field of support.unsupported) {
      if (!isEmpty(cfg[field])) used.add(field);
    }
  }
  return [...used].sort().map((field) => {
    const hint =
      field === "metadata"
        ? `; ownership stays in the description marker (${OWNER_METADATA_KEY} is not stored)`
        : "";
    return `server ${support.version} does not support "${field}" (needs ${FIELD_MIN_VERSION[field]}); it would silently drop it, so it is left out${hint}`;
  });
}

/**
 * Field-by-field comparison of the fields the contract manages (the keys of `want`).
 * Server-side absence is normalised: missing booleans are false, missing strings "",
 * missing lists [] and missing maps {}. Metadata compares only the keys the contract sets
 * (servers 2.10+ add their own `_nats.*` keys).
 */
function diff(
  want: Record<string, unknown>,
  have: Record<string, unknown>,
  immutable: ReadonlySet<string>,
  skip: readonly string[],
): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of Object.keys(want).sort()) {
    if (skip.includes(field)) continue;
    let wanted = want[field];
    let server = normalise(have[field], wanted);
    if (field === "subjects" && Array.isArray(wanted) && Array.isArray(server)) {
      wanted = [...wanted].sort();
      server = [...server].sort();
    }
    if (field === "metadata" && isRecord(wanted)) {
      const theirs = isRecord(server) ? server : {};
      server = Object.fromEntries(
        Object.keys(wanted)
          .map((k) => [k, theirs[k]])
          .filter(([, v]) => v !== undefined),
      );
    }
    if (!sameValue(wanted, server)) {
      changes.push({ field, server, contract: wanted, immutable: immutable.has(field) });
    }
  }
  return changes;
}

function normalise(value: unknown, like: unknown): unknown {
  if (value !== undefined && value !== null) return value;
  if (typeof like === "boolean") return false;
  if (typeof like === "string") return "";
  if (Array.isArray(like)) return [];
  if (isRecord(like)) return {};
  return value;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value)) return Object.keys(value).length === 0;
  return false;
}

/** Compares `major.minor.patch` versions (pre-release suffixes ignored). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) =>
    v
      .split(/[.-]/)
      .slice(0, 3)
      .map((n) => Number.parseInt(n, 10) || 0);
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
