/**
 * Small conveniences for using the runtime by hand: create or update the durable pull consumer
 * and the streams it needs. (Operators manage server config with the `streams` stage.)
 */
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import { maxBackoffDelayMs } from "./backoff.js";
import { type Connectable, jsHandles } from "./connection.js";
import type { ConsumerDescriptor, RetryPolicy } from "./descriptors.js";
import { msToNanos } from "./duration.js";
import { ConfigurationError } from "./errors.js";

/**
 * Deliveries allowed beyond `maxAttempts`: breaker, stop and claimed-elsewhere releases are
 * naks the server counts as deliveries but the runtime does not count as attempts.
 */
export const RELEASE_ALLOWANCE = 10;
/** Most `backoff` entries set on a consumer. */
export const MAX_BACKOFF_ENTRIES = 20;

/** Server-side delivery limit for a retry policy: its attempts plus the release allowance. */
export function maxDeliverFor(retry: RetryPolicy): number {
  return Math.max(1, retry.maxAttempts) + RELEASE_ALLOWANCE;
}

/**
 * The consumer's `backoff` in ms, used by the server only when a delivery is never acknowledged
 * (the process died; handler failures are nak'd with the runtime's own delays): entry i is the
 * ack wait plus the largest delay the runtime could pick before retry i, so a redelivery after a
 * crash never comes sooner than a live handler's ack deadline plus its retry delay.
 * `maxAttempts - 1` entries, at most `limit` (the server needs fewer than `max_deliver`).
 */
export function crashBackoffMs(
  retry: RetryPolicy,
  ackWaitMs: number,
  limit = MAX_BACKOFF_ENTRIES,
): number[] {
  const entries = Math.min(Math.max(1, retry.maxAttempts) - 1, limit);
  const out: number[] = [];
  for (let i = 1; i <= entries; i++) out.push(ackWaitMs + maxBackoffDelayMs(retry, i));
  return out;
}

export interface EnsureConsumerOptions {
  /**
   * Server-side delivery limit. Default: `retry.maxAttempts + releaseAllowance`: breaker and stop
   * releases count as deliveries on the server but not as attempts in the runtime.
   */
  readonly maxDeliver?: number;
  /** Deliveries allowed beyond `maxAttempts` for releases (default `RELEASE_ALLOWANCE`). */
  readonly releaseAllowance?: number;
  /**
   * Set the consumer's `backoff` for the crash case (no ack at all): entry i is
   * `ackWaitMs + retry delay i` (the server then uses backoff[0] as the first ack wait).
   * Default true. Handler failures never rely on it: the runtime naks with its own delays.
   */
  readonly serverBackoff?: boolean;
}

/** The consumer config the runtime expects for a descriptor (pure). */
export function consumerConfigFor<T>(
  descriptor: ConsumerDescriptor<T>,
  options: EnsureConsumerOptions = {},
): Partial<ConsumerConfig> & { durable_name: string } {
  const maxAttempts = Math.max(1, descriptor.retry.maxAttempts);
  const maxDeliver =
    options.maxDeliver ?? maxAttempts + (options.releaseAllowance ?? RELEASE_ALLOWANCE);
  if (maxDeliver !== -1 && maxDeliver < maxAttempts) {
    throw new ConfigurationError(
      `maxDeliver ${maxDeliver} is below retry.maxAttempts ${maxAttempts}`,
    );
  }
  if (descriptor.maxAckPending < 1) {
    throw new ConfigurationError("maxAckPending must be at least 1");
  }
  const config: Partial<ConsumerConfig> & { durable_name: string } = {
    durable_name: descriptor.durable,
    filter_subject: descriptor.subject,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: deliverPolicyOf(descriptor.deliverPolicy),
    ack_wait: msToNanos(descriptor.ackWaitMs),
    max_deliver: maxDeliver,
    max_ack_pending: descriptor.maxAckPending,
  };
  if (options.serverBackoff !== false && maxAttempts > 1) {
    // max_deliver must exceed the number of backoff entries.
    const limit =
      maxDeliver === -1 ? MAX_BACKOFF_ENTRIES : Math.min(MAX_BACKOFF_ENTRIES, maxDeliver - 1);
    const backoff = crashBackoffMs(descriptor.retry, descriptor.ackWaitMs, limit).map(msToNanos);
    if (backoff.length > 0) config.backoff = backoff;
  }
  return config;
}

function deliverPolicyOf(policy: ConsumerDescriptor<unknown>["deliverPolicy"]): DeliverPolicy {
  switch (policy) {
    case "new":
      return DeliverPolicy.New;
    case "last":
      return DeliverPolicy.Last;
    default:
      return DeliverPolicy.All;
  }
}

/**
 * Creates the durable consumer, or updates its mutable settings when it exists (`ack_policy`
 * and `deliver_policy` cannot change after creation and are left as they are).
 */
export async function ensureConsumer<T>(
  conn: Connectable | JetStreamManager,
  descriptor: ConsumerDescriptor<T>,
  options: EnsureConsumerOptions = {},
): Promise<ConsumerInfo> {
  const jsm = await managerOf(conn);
  const config = consumerConfigFor(descriptor, options);
  try {
    await jsm.consumers.info(descriptor.stream, descriptor.durable);
  } catch (e) {
    if ((e as { code?: number }).code === 10014 || /consumer not found/i.test(String(e))) {
      return jsm.consumers.add(descriptor.stream, config);
    }
    throw e;
  }
  const { durable_name: _name, deliver_policy: _dp, ack_policy: _ap, ...mutable } = config;
  return jsm.consumers.update(descriptor.stream, descriptor.durable, mutable);
}

export interface EnsureStreamOptions {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly duplicateWindowMs?: number;
  readonly maxAgeMs?: number;
  readonly storage?: "file" | "memory";
  readonly retention?: "limits" | "workqueue" | "interest";
  readonly replicas?: number;
}

/** Creates the stream, or updates subjects and limits when it exists. */
export async function ensureStream(
  conn: Connectable | JetStreamManager,
  options: EnsureStreamOptions,
): Promise<StreamInfo> {
  const jsm = await managerOf(conn);
  const config: Partial<StreamConfig> & { name: string } = {
    name: options.name,
    subjects: [...options.subjects],
    ...(options.duplicateWindowMs !== undefined
      ? { duplicate_window: msToNanos(options.duplicateWindowMs) }
      : {}),
    ...(options.maxAgeMs !== undefined ? { max_age: msToNanos(options.maxAgeMs) } : {}),
    ...(options.replicas !== undefined ? { num_replicas: options.replicas } : {}),
  };
  try {
    await jsm.streams.info(options.name);
  } catch (e) {
    if ((e as { code?: number }).code === 10059 || /stream not found/i.test(String(e))) {
      return jsm.streams.add({
        ...config,
        storage: options.storage === "memory" ? StorageType.Memory : StorageType.File,
        retention:
          options.retention === "workqueue"
            ? RetentionPolicy.Workqueue
            : options.retention === "interest"
              ? RetentionPolicy.Interest
              : RetentionPolicy.Limits,
      });
    }
    throw e;
  }
  const { name: _n, ...update } = config;
  return jsm.streams.update(options.name, update);
}

async function managerOf(conn: Connectable | JetStreamManager): Promise<JetStreamManager> {
  if ("streams" in conn && "consumers" in conn && "getAccountInfo" in conn) {
    return conn as JetStreamManager;
  }
  return jsHandles(conn as Connectable).jsm();
}
