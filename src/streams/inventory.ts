/**
 * What a server has, read for plan/apply: streams and durable consumers with their info, and
 * the ones the server knows of but could not describe. On a JetStream cluster a stream whose
 * servers are all down (or that has no leader) is still listed by name, with its info
 * "missing"; planning it as absent would propose creating it again.
 */
import type { ConsumerInfo, StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { oneLine } from "./connect.js";
import { StreamsApiError } from "./errors.js";

export interface Inventory {
  readonly streams: ReadonlyMap<string, StreamInfo>;
  /** Streams listed by name whose info did not come back (no leader, servers down). */
  readonly unavailableStreams: ReadonlySet<string>;
  /** Durable consumers by `STREAM/durable`. */
  readonly consumers: ReadonlyMap<string, ConsumerInfo>;
  /** `STREAM/durable` of durables whose info did not come back. */
  readonly unavailableConsumers: ReadonlySet<string>;
  /** Server names seen hosting a replica of any stream (also offline ones). */
  readonly peers: ReadonlySet<string>;
}

interface ListPage<T> {
  readonly total?: number;
  readonly offset?: number;
  readonly limit?: number;
  readonly missing?: string[];
  readonly error?: { code?: number; description?: string };
  readonly streams?: T[] | null;
  readonly consumers?: T[] | null;
}

/**
 * Reads the inventory through the JetStream API at `prefix` (`$JS.API`, or a domain's).
 * `consumersOf` names the streams whose durables matter (the contract's).
 */
export async function readInventory(
  nc: NatsConnection,
  prefix: string,
  consumersOf: Iterable<string>,
  timeoutMs: number,
): Promise<Inventory> {
  const streams = new Map<string, StreamInfo>();
  const unavailableStreams = new Set<string>();
  const peers = new Set<string>();
  const listed = await listAll<StreamInfo>(nc, `${prefix}.STREAM.LIST`, "streams", timeoutMs);
  for (const si of listed.items) {
    streams.set(si.config.name, si);
    if (si.cluster?.leader) peers.add(si.cluster.leader);
    for (const r of si.cluster?.replicas ?? []) peers.add(r.name);
  }
  for (const name of listed.missing) if (!streams.has(name)) unavailableStreams.add(name);

  const consumers = new Map<string, ConsumerInfo>();
  const unavailableConsumers = new Set<string>();
  for (const stream of new Set(consumersOf)) {
    if (!streams.has(stream)) continue;
    const page = await listAll<ConsumerInfo>(
      nc,
      `${prefix}.CONSUMER.LIST.${stream}`,
      "consumers",
      timeoutMs,
    );
    for (const ci of page.items) {
      // Ephemeral consumers (KV watchers, ordered consumers) come and go with clients.
      if (ci.config.durable_name === undefined) continue;
      consumers.set(`${stream}/${ci.config.durable_name}`, ci);
    }
    for (const durable of page.missing) unavailableConsumers.add(`${stream}/${durable}`);
  }
  return { streams, unavailableStreams, consumers, unavailableConsumers, peers };
}

/** Every page of a JetStream list request, with the names it reported as missing. */
async function listAll<T>(
  nc: NatsConnection,
  subject: string,
  key: "streams" | "consumers",
  timeoutMs: number,
): Promise<{ items: T[]; missing: string[] }> {
  const items: T[] = [];
  const missing: string[] = [];
  for (let offset = 0; ; ) {
    let page: ListPage<T>;
    try {
      const reply = await nc.request(subject, JSON.stringify({ offset }), { timeout: timeoutMs });
      page = reply.json<ListPage<T>>();
    } catch (error) {
      throw new StreamsApiError(`cannot list ${key}: ${oneLine(error)}`, `list-${key}`, {
        cause: error,
      });
    }
    if (page.error) {
      throw new StreamsApiError(
        `cannot list ${key}: ${page.error.description ?? `error ${page.error.code}`}`,
        `list-${key}`,
      );
    }
    const got = page[key] ?? [];
    items.push(...got);
    missing.push(...(page.missing ?? []));
    offset += got.length;
    if (got.length === 0 || offset >= (page.total ?? 0)) break;
  }
  return { items, missing };
}
