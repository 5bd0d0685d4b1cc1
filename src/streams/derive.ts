import { crashBackoffMs, maxDeliverFor } from "@jetcontract/runtime/internal";
import type { Problem, Severity } from "../model/problem.js";
import {
  isValidBucketName,
  isValidJetStreamName,
  subjectCovers,
  subjectsOverlap,
} from "../model/subjects.js";
import type {
  Channel,
  Contract,
  ReceiveOperation,
  SendOperation,
  SourceLocation,
  Stream,
} from "../model/types.js";
import type { DesiredBucket, DesiredConsumer, DesiredStream, JetStreamConfig } from "./types.js";

// The consumer delivery rules are the runtime's (one definition, so `streams apply` and the
// runtime's `ensureConsumer` never undo each other).
export {
  crashBackoffMs,
  MAX_BACKOFF_ENTRIES,
  maxDeliverFor,
  RELEASE_ALLOWANCE,
} from "@jetcontract/runtime/internal";

/** The server's default duplicate window (2 minutes). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
/** Ack wait used when a receive operation has no `x-consumer` (the server's default). */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** Max ack pending used when a receive operation has no `x-consumer` (the server's default). */
export const DEFAULT_MAX_ACK_PENDING = 1_000;

/** Metadata key holding the owner (servers 2.10+; older ones drop metadata). */
export const OWNER_METADATA_KEY = "jetcontract.owner";

const MARKER_PREFIX = "[managed by jetcontract: ";

/** The text appended to every description so `apply --prune` can recognise its own resources. */
export function ownerMarker(owner: string): string {
  return `${MARKER_PREFIX}${owner}]`;
}

/** The owner named by a description's marker, or undefined when the description has none. */
export function managedOwner(description: string | undefined): string | undefined {
  if (!description?.endsWith("]")) return undefined;
  const at = description.lastIndexOf(MARKER_PREFIX);
  if (at < 0) return undefined;
  return description.slice(at + MARKER_PREFIX.length, -1);
}

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
 * contract implies. Pure: reads only the model. Rules (see docs/streams.md):
 * - duplicate window: at least the longest `x-publish` deadline of the producers writing to
 *   the stream, at least the contract's value (else 2m), and never more than `max_age`;
 * - consumer: explicit ack, filter subject = channel subject, `max_deliver` = retry
 *   `maxAttempts` + the runtime's release allowance, `backoff[i]` = ack wait + the largest
 *   retry delay i (the crash case), ack wait = `backoff[0]`, `max_ack_pending` at least the
 *   bulkhead concurrency (the same rules as the runtime's `ensureConsumer`);
 * - KV bucket per `kv` dedup store: stream `KV_<bucket>`, history 1, TTL = max_age.
 */
export function deriveJetStreamConfig(
  contract: Contract,
  options: DeriveOptions = {},
): DeriveResult {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const report = (
    ruleId: string,
    severity: Severity,
    message: string,
    location: SourceLocation,
  ) => {
    // A channel reached by several operations is checked once per operation: report once.
    const key = JSON.stringify([ruleId, message, location]);
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ ruleId, severity, message, location });
  };

  const owner = options.owner ?? contract.info.title;
  const marker = ownerMarker(owner);
  const describe = (text: string | undefined) => (text ? `${text.trim()} ${marker}` : marker);
  const metadata = { [OWNER_METADATA_KEY]: owner };

  const channels = new Map(contract.channels.map((c) => [c.id, c]));
  const streamsByName = new Map(contract.streams.map((s) => [s.name, s]));

  // Stream subjects, overlaps and names.
  for (const stream of contract.streams) {
    if (!isValidJetStreamName(stream.name)) {
      report(
        "jc-streams-invalid-name",
        "error",
        `stream name "${stream.name}" is not a valid JetStream name (no whitespace, ".", "*", ">" or path separators)`,
        stream.location,
      );
    }
    if (stream.subjects.length === 0) {
      report(
        "jc-streams-no-subjects",
        "error",
        `stream "${stream.name}" has no subjects and no channel names it`,
        stream.location,
      );
    }
    if (stream.isDeadLetter && stream.retention !== "limits") {
      report(
        "jc-streams-dlq-retention",
        "error",
        `dead-letter stream "${stream.name}" must use "limits" retention so any consumer can inspect it, not "${stream.retention}"`,
        stream.location,
      );
    }
  }
  const sortedStreams = [...contract.streams].sort((a, b) => compare(a.name, b.name));
  for (let i = 0; i < sortedStreams.length; i++) {
    for (let j = i + 1; j < sortedStreams.length; j++) {
      const a = sortedStreams[i] as Stream;
      const b = sortedStreams[j] as Stream;
      for (const sa of a.subjects) {
        const clash = b.subjects.find((sb) => subjectsOverlap(sa, sb));
        if (clash !== undefined) {
          report(
            "jc-streams-subject-overlap",
            "error",
            `streams "${a.name}" (${sa}) and "${b.name}" (${clash}) capture overlapping subjects; JetStream rejects the second`,
            b.location,
          );
        }
      }
    }
  }

  /** The stream holding a channel's subject: the one it names, else the one capturing it. */
  const streamOf = (channel: Channel, at: SourceLocation): Stream | undefined => {
    const subject = channel.subject;
    if (subject === null) {
      report(
        "jc-streams-no-subject",
        "error",
        `channel "${channel.id}" has no address, so it has no NATS subject`,
        at,
      );
      return undefined;
    }
    if (channel.stream !== undefined) {
      const named = streamsByName.get(channel.stream);
      if (!named) {
        report(
          "jc-streams-unknown-stream",
          "error",
          `channel "${channel.id}" names stream "${channel.stream}", which x-jetstream.streams does not declare`,
          channel.location,
        );
        return undefined;
      }
      if (!named.subjects.some((s) => subjectCovers(s, subject))) {
        report(
          "jc-streams-subject-not-captured",
          "error",
          `stream "${named.name}" (${named.subjects.join(", ")}) does not capture subject "${subject}" of channel "${channel.id}"`,
          channel.location,
        );
        return undefined;
      }
      return named;
    }
    return sortedStreams.find((s) => s.subjects.some((p) => subjectCovers(p, subject)));
  };

  // Longest publish deadline per stream.
  const deadlines = new Map<string, { ms: number; op: SendOperation }>();
  for (const op of contract.operations) {
    if (op.action !== "send" || !op.publish) continue;
    const channel = channels.get(op.channelId);
    if (!channel || channel.subject === null) continue;
    const stream = streamOf(channel, op.location);
    if (!stream) continue;
    const known = deadlines.get(stream.name);
    if (!known || known.ms < op.publish.deadlineMs) {
      deadlines.set(stream.name, { ms: op.publish.deadlineMs, op });
    }
  }

  // Dead-letter subjects must be captured by their stream.
  for (const op of contract.operations) {
    if (op.action !== "receive" || !op.dlq) continue;
    const dlqStream = streamsByName.get(op.dlq.stream);
    if (!dlqStream) {
      report(
        "jc-streams-unknown-stream",
        "error",
        `x-dlq of operation "${op.id}" names stream "${op.dlq.stream}", which x-jetstream.streams does not declare`,
        op.dlq.location,
      );
    } else if (!dlqStream.subjects.some((s) => subjectCovers(s, op.dlq?.subject ?? ""))) {
      report(
        "jc-streams-dlq-not-captured",
        "error",
        `dead-letter stream "${dlqStream.name}" does not capture the DLQ subject "${op.dlq.subject}" of operation "${op.id}"`,
        op.dlq.location,
      );
    }
  }

  const streams: DesiredStream[] = [];
  for (const stream of sortedStreams) {
    const maxAgeMs = stream.maxAgeMs ?? 0;
    let windowMs = stream.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
    const deadline = deadlines.get(stream.name);
    if (deadline && deadline.ms > windowMs) {
      report(
        "jc-streams-duplicate-window-raised",
        "warning",
        `duplicate window of stream "${stream.name}" raised from ${windowMs}ms to ${deadline.ms}ms, the publish deadline of operation "${deadline.op.id}", so retried publishes stay deduplicated`,
        stream.location,
      );
      windowMs = deadline.ms;
    }
    if (maxAgeMs > 0 && windowMs > maxAgeMs) {
      if (deadline && deadline.ms > maxAgeMs) {
        report(
          "jc-streams-duplicate-window-max-age",
          "error",
          `stream "${stream.name}" keeps messages ${maxAgeMs}ms (maxAge), less than the ${deadline.ms}ms publish deadline of operation "${deadline.op.id}"; the duplicate window cannot exceed maxAge`,
          stream.location,
        );
      }
      windowMs = maxAgeMs;
    }
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
      location: stream.location,
    });
  }

  // Consumers and KV buckets, from receive operations.
  const consumers = new Map<string, DesiredConsumer>();
  const buckets = new Map<string, { bucket: DesiredBucket; op: ReceiveOperation; ops: string[] }>();
  const receives = contract.operations
    .filter((op): op is ReceiveOperation => op.action === "receive")
    .sort((a, b) => compare(a.id, b.id));
  for (const op of receives) {
    const channel = channels.get(op.channelId);
    if (!channel) continue;
    const stream = streamOf(channel, op.location);
    if (channel.subject === null) continue;
    if (!stream) {
      if (channel.stream === undefined) {
        report(
          "jc-streams-no-stream",
          "error",
          `no stream captures subject "${channel.subject}" of channel "${channel.id}", which operation "${op.id}" receives from`,
          op.location,
        );
      }
      continue;
    }
    const consumer = deriveConsumer(op, stream, channel.subject, describe, metadata, report);
    if (!consumer) continue;
    const key = `${consumer.stream}\u0000${consumer.durable}`;
    const existing = consumers.get(key);
    if (existing) {
      if (consumerSignature(existing) !== consumerSignature(consumer)) {
        report(
          "jc-streams-consumer-conflict",
          "error",
          `operations "${existing.operations.join(", ")}" and "${op.id}" both use durable "${consumer.durable}" on stream "${stream.name}" with different settings`,
          consumer.location,
        );
      } else {
        consumers.set(key, {
          ...existing,
          operations: [...existing.operations, op.id].sort(compare),
        });
      }
    } else {
      consumers.set(key, consumer);
    }

    if (op.dedup?.store === "kv") {
      const dedup = op.dedup;
      if (!isValidBucketName(dedup.bucket)) {
        report(
          "jc-streams-invalid-name",
          "error",
          `KV bucket name "${dedup.bucket}" is not valid (letters, digits, "_" and "-" only)`,
          dedup.location,
        );
        continue;
      }
      const bucket: DesiredBucket = {
        bucket: dedup.bucket,
        stream: `KV_${dedup.bucket}`,
        ttlMs: dedup.ttlMs,
        history: 1,
        storage: "file",
        replicas: 1,
        description: "",
        location: dedup.location,
      };
      const known = buckets.get(bucket.bucket);
      if (known) {
        if (known.bucket.ttlMs !== bucket.ttlMs) {
          report(
            "jc-streams-kv-conflict",
            "error",
            `operations "${known.op.id}" and "${op.id}" share KV bucket "${bucket.bucket}" with different TTLs (${known.bucket.ttlMs}ms, ${bucket.ttlMs}ms)`,
            dedup.location,
          );
        } else {
          known.ops.push(op.id);
        }
      } else {
        buckets.set(bucket.bucket, { bucket, op, ops: [op.id] });
      }
    }
  }

  // Work-queue streams deliver each message to one consumer: filters must not overlap.
  const consumerList = [...consumers.values()].sort(
    (a, b) => compare(a.stream, b.stream) || compare(a.durable, b.durable),
  );
  for (const stream of streams) {
    if (stream.retention !== "workqueue") continue;
    const onStream = consumerList.filter((c) => c.stream === stream.name);
    for (const c of onStream) {
      if (c.deliverPolicy !== "all") {
        report(
          "jc-streams-workqueue-deliver-policy",
          "error",
          `consumer "${c.durable}" on work-queue stream "${stream.name}" must deliver "all", not "${c.deliverPolicy}"; the server rejects it`,
          c.location,
        );
      }
    }
    for (let i = 0; i < onStream.length; i++) {
      for (let j = i + 1; j < onStream.length; j++) {
        const a = onStream[i] as DesiredConsumer;
        const b = onStream[j] as DesiredConsumer;
        if (subjectsOverlap(a.filterSubject, b.filterSubject)) {
          report(
            "jc-streams-workqueue-overlap",
            "error",
            `work-queue stream "${stream.name}" cannot have consumers "${a.durable}" (${a.filterSubject}) and "${b.durable}" (${b.filterSubject}) with overlapping filter subjects`,
            b.location,
          );
        }
      }
    }
  }

  const bucketList = [...buckets.values()]
    .map((b) => ({ ...b.bucket, description: describe(`Dedup store of ${b.ops.join(", ")}`) }))
    .sort((a, b) => compare(a.bucket, b.bucket));
  for (const bucket of bucketList) {
    const clash = streamsByName.get(bucket.stream);
    if (clash) {
      report(
        "jc-streams-kv-name-clash",
        "error",
        `KV bucket "${bucket.bucket}" needs stream "${bucket.stream}", which the contract already declares`,
        bucket.location,
      );
      continue;
    }
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
      location: bucket.location,
    });
  }
  streams.sort((a, b) => compare(a.name, b.name));

  const failed = problems.some((p) => p.severity === "error");
  return {
    config: failed
      ? undefined
      : {
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
  describe: (text: string | undefined) => string,
  metadata: Readonly<Record<string, string>>,
  report: (ruleId: string, severity: Severity, message: string, location: SourceLocation) => void,
): DesiredConsumer | undefined {
  const policy = op.consumer;
  const durable = policy?.durable ?? op.id;
  const location = policy?.location ?? op.location;
  if (!isValidJetStreamName(durable)) {
    report(
      "jc-streams-invalid-name",
      "error",
      `durable name "${durable}" of operation "${op.id}" is not a valid JetStream name`,
      location,
    );
    return undefined;
  }
  if (!policy) {
    report(
      "jc-streams-no-consumer-policy",
      "warning",
      `receive operation "${op.id}" has no x-consumer; its consumer uses durable "${durable}", ack wait ${DEFAULT_ACK_WAIT_MS}ms and max ack pending ${DEFAULT_MAX_ACK_PENDING}`,
      op.location,
    );
  }
  const ackWaitMs = policy?.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
  const handlerTimeoutMs = policy?.handlerTimeoutMs ?? 0;
  if (policy && ackWaitMs < handlerTimeoutMs) {
    report(
      "jc-streams-ack-wait-short",
      "warning",
      `ack wait ${ackWaitMs}ms of consumer "${durable}" is shorter than its handler timeout ${handlerTimeoutMs}ms; a slow handler is redelivered unless it heartbeats with working()`,
      policy.location,
    );
  }
  let maxAckPending = policy?.maxAckPending ?? DEFAULT_MAX_ACK_PENDING;
  if (policy && maxAckPending < policy.concurrency) {
    report(
      "jc-streams-max-ack-pending",
      "warning",
      `maxAckPending ${maxAckPending} of consumer "${durable}" is below its concurrency ${policy.concurrency}; raised to ${policy.concurrency} so the bulkhead can fill`,
      policy.location,
    );
    maxAckPending = policy.concurrency;
  }

  let maxDeliver = -1;
  let backoffMs: number[] = [];
  let effectiveAckWaitMs = ackWaitMs;
  if (op.retry) {
    maxDeliver = maxDeliverFor(op.retry);
    backoffMs = crashBackoffMs(op.retry, ackWaitMs);
    // The server sets ack_wait to backoff[0] when a backoff is given; say so up front.
    effectiveAckWaitMs = backoffMs[0] ?? ackWaitMs;
  }

  return {
    stream: stream.name,
    durable,
    filterSubject,
    ackPolicy: "explicit",
    deliverPolicy: policy?.deliverPolicy ?? "all",
    replayPolicy: "instant",
    ackWaitMs: effectiveAckWaitMs,
    maxDeliver,
    backoffMs,
    maxAckPending,
    description: describe(op.summary ?? op.title ?? `Consumer of operation ${op.id}`),
    metadata,
    operations: [op.id],
    location,
  };
}

/** The settings two operations must agree on to share one durable. */
function consumerSignature(c: DesiredConsumer): string {
  return JSON.stringify([
    c.filterSubject,
    c.deliverPolicy,
    c.ackWaitMs,
    c.maxDeliver,
    c.backoffMs,
    c.maxAckPending,
  ]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
