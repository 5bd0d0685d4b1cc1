/**
 * Small conveniences for using the runtime by hand: create or update the durable pull consumer
 * and the streams it needs. (Operators manage server config with the `streams` stage.)
 */
import {
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { type Connectable, jsHandles, supportsMetadata } from "./connection.js";
import {
  consumerConfigFor,
  consumerUpdate,
  type JetStreamConsumerConfig,
} from "./consumer-config.js";
import type { ConsumerDescriptor } from "./descriptors.js";
import { msToNanos } from "./duration.js";
import { ConfigurationError } from "./errors.js";

export interface EnsureConsumerOptions {
  /**
   * Server-side delivery limit instead of `retry.maxAttempts` + the release allowance (the value
   * `streams` derives; a different one makes `streams plan` report a change).
   */
  readonly maxDeliver?: number;
}

/** The consumer config `ensureConsumer` creates for a descriptor (pure; the `streams` derivation). */
function ensuredConsumerConfig<T>(
  descriptor: ConsumerDescriptor<T>,
  options: EnsureConsumerOptions = {},
): JetStreamConsumerConfig {
  const config = consumerConfigFor(descriptor);
  const maxDeliver = options.maxDeliver;
  if (maxDeliver === undefined) return config;
  if (maxDeliver !== -1 && maxDeliver < descriptor.retry.maxAttempts) {
    throw new ConfigurationError(
      `maxDeliver ${maxDeliver} is below retry.maxAttempts ${descriptor.retry.maxAttempts}`,
    );
  }
  return { ...config, max_deliver: maxDeliver };
}

/**
 * Creates the durable consumer with the config `streams` derives for the same operation, or
 * updates its mutable settings when it exists (`ack_policy` and `deliver_policy` cannot change
 * after creation and are left as they are; a `backoff` left by an older version is cleared).
 */
export async function ensureConsumer<T>(
  conn: Connectable | JetStreamManager,
  descriptor: ConsumerDescriptor<T>,
  options: EnsureConsumerOptions = {},
): Promise<ConsumerInfo> {
  if (descriptor.maxAckPending < 1) {
    throw new ConfigurationError("maxAckPending must be at least 1");
  }
  const jsm = await managerOf(conn);
  let config = ensuredConsumerConfig(descriptor, options);
  if (!supportsMetadata(connectionOf(conn, jsm))) {
    const { metadata: _metadata, ...rest } = config;
    config = rest;
  }
  try {
    await jsm.consumers.info(descriptor.stream, descriptor.durable);
  } catch (e) {
    if ((e as { code?: number }).code === 10014 || /consumer not found/i.test(String(e))) {
      return jsm.consumers.add(descriptor.stream, config as Partial<ConsumerConfig>);
    }
    throw e;
  }
  return jsm.consumers.update(
    descriptor.stream,
    descriptor.durable,
    consumerUpdate(config) as Partial<ConsumerConfig>,
  );
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

function connectionOf(
  conn: Connectable | JetStreamManager,
  jsm: JetStreamManager,
): NatsConnection | undefined {
  if ("streams" in conn && "consumers" in conn && "getAccountInfo" in conn) {
    return (jsm as { nc?: NatsConnection }).nc;
  }
  return jsHandles(conn as Connectable).nc;
}

async function managerOf(conn: Connectable | JetStreamManager): Promise<JetStreamManager> {
  if ("streams" in conn && "consumers" in conn && "getAccountInfo" in conn) {
    return conn as JetStreamManager;
  }
  return jsHandles(conn as Connectable).jsm();
}
