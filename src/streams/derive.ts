import {
  DEFAULT_DEDUP,
  describeManaged,
  durableConsumerSettings,
  OWNER_METADATA_KEY,
} from "@jetcontract/runtime/internal";
import { DEFAULT_DUPLICATE_WINDOW_MS, duplicateWindowOf } from "../model/duplicate-window.js";
import type { Problem } from "../model/problem.js";
import type { Contract, ReceiveOperation, Stream, StreamSource } from "../model/types.js";
import { checkContract } from "../spec/rules/index.js";
import type {
  DesiredBucket,
  DesiredConsumer,
  DesiredSource,
  DesiredStream,
  JetStreamConfig,
} from "./types.js";

// The consumer config and the ownership marker are the runtime's (one definition, so
// `streams apply` and the runtime's `ensureConsumer` never undo each other).
export {
  managedOwner,
  maxDeliverFor,
  OWNER_METADATA_KEY,
  ownerMarker,
  RELEASE_ALLOWANCE,
} from "@jetcontract/runtime/internal";
export { DEFAULT_DUPLICATE_WINDOW_MS } from "../model/duplicate-window.js";

export interface DeriveOptions {
  /** Ownership marker; defaults to the contract's `info.title`. */
  readonly owner?: string;
}

export interface DeriveResult {
  /** Undefined when an error-severity problem makes the configuration unusable. */
  readonly config: JetStreamConfig | undefined;
  readonly problems: readonly Problem[];
}

/**
 * Derives the streams, dead-letter streams, KV bucket streams and durable consumers a
 * contract implies. Pure: reads only the model. First runs the rules the `streams` phase
 * shares with `validate` (same ids and severities); an error leaves `config` undefined.
 * Derivation (see docs/streams.md):
 * - duplicate window: `duplicateWindowOf` (the contract's value, else the default raised to
 *   the longest `x-publish` deadline into the stream, never above `max_age`);
 * - consumer: the runtime's `durableConsumerSettings` of the operation's resolved policy (the
 *   config its `ensureConsumer` creates): explicit ack, filter subject = channel subject,
 *   `max_deliver` = retry `maxAttempts` + the release allowance, no server `backoff` (retry
 *   delays are the runtime's nak delays);
 * - KV bucket per `kv` dedup store: stream `KV_<bucket>`, history 1, TTL = max_age.
 */
export function deriveJetStreamConfig(
  contract: Contract,
  options: DeriveOptions = {},
): DeriveResult {
  const problems = checkContract(contract, "streams");
  if (problems.some((p) => p.severity === "error")) return { config: undefined, problems };

  const owner = options.owner ?? contract.info.title;
  const describe = (text: string | undefined) => describeManaged(text, owner);
  const metadata = { [OWNER_METADATA_KEY]: owner };

  const channels = new Map(contract.channels.map((c) => [c.id, c]));
  const streamsByName = new Map(contract.streams.map((s) => [s.name, s]));

  const sortedStreams = [...contract.streams].sort((a, b) => compare(a.name, b.name));

  const streams: DesiredStream[] = [];
  for (const stream of sortedStreams) {
    const maxAgeMs = stream.maxAgeMs ?? 0;
    const windowMs = duplicateWindowOf(contract, stream).windowMs;
    streams.push({
      role: stream.isDeadLetter ? "dead-letter" : "stream",
      name: stream.name,
      subjects: [...stream.subjects].sort(compare),
      retention: stream.retention,
      storage: stream.storage,
      replicas: stream.replicas,
      discard: stream.discard,
      maxAgeMs,
      maxBytes: stream.maxBytes ?? -1,
      maxMsgs: stream.maxMsgs ?? -1,
      maxMsgSizeBytes: stream.maxMsgSizeBytes ?? -1,
      maxMsgsPerSubject: -1,
      maxConsumers: -1,
      duplicateWindowMs: windowMs,
      allowRollupHeaders: false,
      allowDirect: false,
      denyDelete: false,
      denyPurge: false,
      description: describe(stream.description),
      metadata,
      ...(stream.placement ? { placement: stream.placement } : {}),
      ...(stream.mirror ? { mirror: desiredSource(stream.mirror) } : {}),
      sources: stream.sources.map(desiredSource),
      location: stream.location,
    });
  }

  // Consumers and KV buckets, from receive operations.
  const consumers = new Map<string, DesiredConsumer>();
  const buckets = new Map<string, { bucket: DesiredBucket; ops: string[] }>();
  const receives = contract.operations
    .filter((op): op is ReceiveOperation => op.action === "receive")
    .sort((a, b) => compare(a.id, b.id));
  for (const op of receives) {
    const channel = channels.get(op.channelId);
    // Plain AsyncAPI (no annotations) leaves channels out of streams: nothing to derive.
    const stream = channel?.stream === undefined ? undefined : streamsByName.get(channel.stream);
    if (!channel || channel.subject === null || !stream) continue;
    // jc-durable-duplicate: one durable per stream, so one consumer per key.
    const consumer = deriveConsumer(op, stream, channel.subject, owner);
    consumers.set(`${consumer.stream}\u0000${consumer.durable}`, consumer);

    if (op.dedup?.store === "kv") {
      const dedup = op.dedup;
      const bucket: DesiredBucket = {
        bucket: dedup.bucket,
        stream: `KV_${dedup.bucket}`,
        ttlMs: dedup.ttlMs,
        history: 1,
        storage: dedup.storage ?? DEFAULT_DEDUP.kvStorage,
        replicas: dedup.replicas ?? DEFAULT_DEDUP.kvReplicas,
        description: "",
        location: dedup.location,
      };
      // jc-kv-bucket-conflict: operations sharing a bucket agree on its TTL.
      const known = buckets.get(bucket.bucket);
      if (known) known.ops.push(op.id);
      else buckets.set(bucket.bucket, { bucket, ops: [op.id] });
    }
  }

  const consumerList = [...consumers.values()].sort(
    (a, b) => compare(a.stream, b.stream) || compare(a.durable, b.durable),
  );

  const bucketList = [...buckets.values()]
    .map((b) => ({ ...b.bucket, description: describe(`Dedup store of ${b.ops.join(", ")}`) }))
    .sort((a, b) => compare(a.bucket, b.bucket));
  for (const bucket of bucketList) {
    streams.push({
      role: "kv",
      name: bucket.stream,
      subjects: [`$KV.${bucket.bucket}.>`],
      retention: "limits",
      storage: bucket.storage,
      replicas: bucket.replicas,
      discard: "new",
      maxAgeMs: bucket.ttlMs,
      maxBytes: -1,
      maxMsgs: -1,
      maxMsgSizeBytes: -1,
      maxMsgsPerSubject: bucket.history,
      maxConsumers: -1,
      duplicateWindowMs: Math.min(
        DEFAULT_DUPLICATE_WINDOW_MS,
        bucket.ttlMs || DEFAULT_DUPLICATE_WINDOW_MS,
      ),
      allowRollupHeaders: true,
      allowDirect: true,
      denyDelete: false,
      denyPurge: false,
      description: bucket.description,
      metadata,
      sources: [],
      location: bucket.location,
    });
  }
  streams.sort((a, b) => compare(a.name, b.name));

  return {
    config: {
      owner,
      source: contract.files[0] ?? contract.location.file,
      streams,
      consumers: consumerList,
      buckets: bucketList,
    },
    problems,
  };
}

function deriveConsumer(
  op: ReceiveOperation,
  stream: Stream,
  filterSubject: string,
  owner: string,
): DesiredConsumer {
  const policy = op.consumer;
  const settings = durableConsumerSettings({
    ...policy,
    subject: filterSubject,
    retry: op.retry,
    managedBy: owner,
  });
  return { ...settings, stream: stream.name, operations: [op.id], location: policy.location };
}

function desiredSource(s: StreamSource): DesiredSource {
  const { location: _location, stream, ...rest } = s;
  return { name: stream, ...rest };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
