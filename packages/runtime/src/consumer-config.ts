/**
 * The durable JetStream consumer a resolved consumer policy needs. One derivation, called by
 * the runtime's `ensureConsumer` and by the `streams` stage (files, plan, apply), so a starting
 * consumer and `streams apply` never undo each other's settings.
 *
 * Retry delays come from one mechanism: the runtime's `nak(delay)`. The consumer gets no
 * server-side `backoff` list: on the server it would add to every nak delay (1 s/2 s/4 s
 * became gaps of 1 s/3 s/7 s on nats-server 2.9.10). A delivery that is never acknowledged
 * (the process died) is redelivered after `ack_wait`.
 */
import type { RetryPolicy } from "./descriptors.js";
import { msToNanos } from "./duration.js";
import { DEFAULT_CONSUMER } from "./policy.js";

/**
 * Deliveries allowed beyond `maxAttempts`: breaker, stop and claimed-elsewhere releases are
 * naks the server counts as deliveries but the runtime does not count as attempts.
 */
export const RELEASE_ALLOWANCE = 10;

/** Server-side delivery limit for a retry policy: its attempts plus the release allowance. */
export function maxDeliverFor(retry: Pick<RetryPolicy, "maxAttempts">): number {
  return Math.max(1, retry.maxAttempts) + RELEASE_ALLOWANCE;
}

/** Metadata key naming the owner (servers 2.10+; older ones drop metadata). */
export const OWNER_METADATA_KEY = "jetcontract.owner";

const MARKER_PREFIX = "[managed by jetcontract: ";

/** The text appended to a description so `streams apply --prune` recognises its own resources. */
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

/** A description with its owner's marker (the marker alone when the text is blank). */
export function describeManaged(text: string | undefined, owner: string | undefined): string {
  const parts = [text?.trim(), owner === undefined ? undefined : ownerMarker(owner)];
  return parts.filter((p): p is string => p !== undefined && p !== "").join(" ");
}

/** What the consumer config is derived from: a consumer descriptor, or a contract operation. */
export interface ConsumerConfigInput {
  readonly durable: string;
  /** Filter subject (a NATS subject, may hold wildcards). */
  readonly subject: string;
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
  readonly deliverPolicy?: "all" | "new" | "last" | undefined;
  /** 0 or absent: as many replicas as the stream. */
  readonly replicas?: number | undefined;
  readonly memoryStorage?: boolean | undefined;
  readonly retry: Pick<RetryPolicy, "maxAttempts">;
  /** Human text of the consumer; the owner's marker is appended. */
  readonly description?: string | undefined;
  /** Owner of the resource (the contract's title), written as a marker and as metadata. */
  readonly managedBy?: string | undefined;
}

/** The durable consumer's settings in the runtime's units (milliseconds). */
export interface DurableConsumerSettings {
  readonly durable: string;
  readonly filterSubject: string;
  readonly ackPolicy: "explicit";
  readonly deliverPolicy: "all" | "new" | "last";
  readonly replayPolicy: "instant";
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly maxAckPending: number;
  /** 0: as many as the stream. */
  readonly replicas: number;
  readonly memoryStorage: boolean;
  readonly description: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * The settings a consumer policy implies: explicit ack; `max_deliver` = attempts + release
 * allowance; `ack_wait` as resolved (it alone times a crashed delivery); `max_ack_pending` as
 * resolved (the loader's default is at least the concurrency; an explicit lower value is a
 * deliberate limit across all processes and is kept).
 */
export function durableConsumerSettings(input: ConsumerConfigInput): DurableConsumerSettings {
  return {
    durable: input.durable,
    filterSubject: input.subject,
    ackPolicy: "explicit",
    deliverPolicy: input.deliverPolicy ?? DEFAULT_CONSUMER.deliverPolicy,
    replayPolicy: "instant",
    ackWaitMs: input.ackWaitMs,
    maxDeliver: maxDeliverFor(input.retry),
    maxAckPending: input.maxAckPending,
    replicas: input.replicas ?? DEFAULT_CONSUMER.replicas,
    memoryStorage: input.memoryStorage ?? DEFAULT_CONSUMER.memoryStorage,
    description: describeManaged(input.description, input.managedBy),
    metadata: input.managedBy === undefined ? {} : { [OWNER_METADATA_KEY]: input.managedBy },
  };
}

/**
 * A consumer config as the JetStream API takes it (`$JS.API.CONSUMER.CREATE`, `nats consumer
 * add --config`): durations in nanoseconds, keys in a fixed order so files are byte-stable.
 */
export interface JetStreamConsumerConfig {
  readonly durable_name: string;
  readonly description: string;
  readonly deliver_policy: "all" | "new" | "last";
  readonly ack_policy: "explicit";
  readonly ack_wait: number;
  readonly max_deliver: number;
  readonly filter_subject: string;
  readonly replay_policy: "instant";
  readonly max_ack_pending: number;
  /** Only when the contract sets it: 0 (the server's default) is "as many as the stream". */
  readonly num_replicas?: number;
  /** Only when true. */
  readonly mem_storage?: boolean;
  /** Servers 2.10+ only: leave it out for older ones (they drop it; nats.js refuses it). */
  readonly metadata?: Record<string, string>;
}

/** The API form of consumer settings (the one place consumer fields become wire fields). */
export function toJetStreamConsumerConfig(s: DurableConsumerSettings): JetStreamConsumerConfig {
  return {
    durable_name: s.durable,
    description: s.description,
    deliver_policy: s.deliverPolicy,
    ack_policy: s.ackPolicy,
    ack_wait: msToNanos(s.ackWaitMs),
    max_deliver: s.maxDeliver,
    filter_subject: s.filterSubject,
    replay_policy: s.replayPolicy,
    max_ack_pending: s.maxAckPending,
    ...(s.replicas > 0 ? { num_replicas: s.replicas } : {}),
    ...(s.memoryStorage ? { mem_storage: true } : {}),
    ...(Object.keys(s.metadata).length > 0 ? { metadata: { ...s.metadata } } : {}),
  };
}

/** The JetStream consumer config of a consumer policy. */
export function consumerConfigFor(input: ConsumerConfigInput): JetStreamConsumerConfig {
  return toJetStreamConsumerConfig(durableConsumerSettings(input));
}

/**
 * The part of a consumer config an update may send (the durable, ack, deliver and replay
 * policies are fixed at creation), with `backoff` cleared: an update merges into the server's
 * config, and a `backoff` list left by an older version would add to every nak delay.
 */
export function consumerUpdate<C extends JetStreamConsumerConfig>(
  config: C,
): Omit<C, "durable_name" | "deliver_policy" | "ack_policy" | "replay_policy"> & {
  backoff: number[];
} {
  const {
    durable_name: _durable,
    deliver_policy: _deliver,
    ack_policy: _ack,
    replay_policy: _replay,
    ...rest
  } = config;
  return { ...rest, backoff: [] };
}
