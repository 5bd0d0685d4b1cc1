/**
 * Policy defaults and their resolution, in one place. The contract loader resolves every
 * annotation through these functions (so the model holds complete policies), and the runtime
 * uses the same defaults for descriptors written by hand. `schema/annotations.schema.json`
 * documents these values; keep the two in step.
 *
 * A partial policy merges field by field over the defaults: giving one field never changes
 * the others. Durations are milliseconds.
 */
import type {
  BreakerOpenCondition,
  CircuitBreakerPolicy,
  DedupConfig,
  PublishPolicy,
  RetryPolicy,
} from "./descriptors.js";

/** Retries of a receive operation without `x-retry`. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  strategy: "exponential",
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  multiplier: 2,
  jitter: "full",
};

/**
 * Publish policy of a send operation without `x-publish`: the 30 s deadline rides out a stream
 * leader election (4–6 s on 2.9.10), whose instant "no responders" refusals spend no attempts.
 */
export const DEFAULT_PUBLISH_POLICY: PublishPolicy = {
  timeoutMs: 5_000,
  deadlineMs: 30_000,
  retry: {
    maxAttempts: 10,
    strategy: "exponential",
    initialDelayMs: 100,
    maxDelayMs: 2_000,
    multiplier: 2,
    jitter: "full",
  },
};

/** Consumer settings of a receive operation without `x-consumer`. */
export const DEFAULT_CONSUMER = {
  ackWaitMs: 30_000,
  handlerTimeoutMs: 25_000,
  /** The ack wait exceeds the handler timeout by this much when only one of them is given. */
  handlerTimeoutMarginMs: 5_000,
  /** Shortest handler timeout derived from an ack wait. */
  minHandlerTimeoutMs: 1_000,
  maxAckPending: 1_000,
  concurrency: 1,
  deliverPolicy: "all",
  /** 0: the consumer has as many replicas as its stream (the server's own default). */
  replicas: 0,
  memoryStorage: false,
} as const;

export const DEFAULT_DEDUP = {
  kvTtlMs: 24 * 3_600_000,
  memoryTtlMs: 10 * 60_000,
  memoryMaxEntries: 10_000,
  /** A KV bucket without `replicas` has as many as the stream the consumer reads, else 1. */
  kvReplicas: 1,
  kvStorage: "file",
} as const;

export const DEFAULT_BREAKER = {
  consecutiveFailures: 5,
  windowMs: 60_000,
  minCalls: 10,
  halfOpenAfterMs: 30_000,
  halfOpenProbes: 1,
} as const;

/**
 * Thresholds operators' tools (`jetcontract status --check`) apply to a consumer when its
 * `x-monitor` leaves them out; `maxAckPending` defaults to the consumer's own limit.
 */
export const DEFAULT_MONITOR = {
  maxPending: 10_000,
  maxDlqDepth: 100,
  maxIdleMs: 5 * 60_000,
  warnAt: 0.8,
} as const;

/** A consumer's monitoring thresholds; above one: CRITICAL, above `warnAt` of one: WARNING. */
export interface MonitorSettings {
  /** Messages not yet delivered to the consumer (lag). */
  readonly maxPending: number;
  /** Delivered and not yet acknowledged. */
  readonly maxAckPending: number;
  /** Dead letters of this consumer in its DLQ stream. */
  readonly maxDlqDepth: number;
  /** Time since the last delivery or ack, counted only while messages wait. */
  readonly maxIdleMs: number;
  /** Fraction of each threshold above which the check warns (0 < warnAt <= 1). */
  readonly warnAt: number;
}

export type MonitorInput = Partially<MonitorSettings>;

export function resolveMonitor(
  given: MonitorInput,
  consumerMaxAckPending: number,
): MonitorSettings {
  const d = DEFAULT_MONITOR;
  return {
    maxPending: given.maxPending ?? d.maxPending,
    maxAckPending: given.maxAckPending ?? consumerMaxAckPending,
    maxDlqDepth: given.maxDlqDepth ?? d.maxDlqDepth,
    maxIdleMs: given.maxIdleMs ?? d.maxIdleMs,
    warnAt: given.warnAt ?? d.warnAt,
  };
}

/** Joins the parts of a composite idempotency key. */
export const DEFAULT_KEY_SEPARATOR = ":";

type Partially<T> = { readonly [K in keyof T]?: T[K] | undefined };

/** What an `x-retry` (or `x-publish.retry`) annotation says, durations in ms. */
export type RetryInput = Partially<RetryPolicy>;

/**
 * A retry policy: `given` over `defaults`. With explicit `delaysMs` the delays are the
 * schedule: attempts default to one more than the delays, jitter to `none`, and the computed
 * strategy's fields describe the same delays (`fixed` from the first, capped by the largest).
 */
export function resolveRetryPolicy(
  given: RetryInput,
  defaults: RetryPolicy = DEFAULT_RETRY_POLICY,
): RetryPolicy {
  const delays = given.delaysMs;
  if (delays !== undefined && delays.length > 0) {
    return {
      maxAttempts: given.maxAttempts ?? delays.length + 1,
      strategy: given.strategy ?? "fixed",
      initialDelayMs: given.initialDelayMs ?? (delays[0] as number),
      maxDelayMs: given.maxDelayMs ?? Math.max(...delays),
      multiplier: given.multiplier ?? 1,
      jitter: given.jitter ?? "none",
      delaysMs: [...delays],
    };
  }
  const strategy = given.strategy ?? defaults.strategy;
  return {
    maxAttempts: given.maxAttempts ?? defaults.maxAttempts,
    strategy,
    initialDelayMs: given.initialDelayMs ?? defaults.initialDelayMs,
    maxDelayMs: given.maxDelayMs ?? defaults.maxDelayMs,
    // A multiplier means nothing to fixed and linear delays.
    multiplier: given.multiplier ?? (strategy === "exponential" ? defaults.multiplier : 1),
    jitter: given.jitter ?? defaults.jitter,
  };
}

export interface PublishInput {
  readonly timeoutMs?: number | undefined;
  readonly deadlineMs?: number | undefined;
  readonly retry?: RetryInput | undefined;
}

/** A publish policy: `given` over `DEFAULT_PUBLISH_POLICY`; the deadline is at least one timeout. */
export function resolvePublishPolicy(given: PublishInput = {}): PublishPolicy {
  const d = DEFAULT_PUBLISH_POLICY;
  const timeoutMs = given.timeoutMs ?? d.timeoutMs;
  return {
    timeoutMs,
    deadlineMs: given.deadlineMs ?? Math.max(d.deadlineMs, timeoutMs),
    retry: resolveRetryPolicy(given.retry ?? {}, d.retry),
  };
}

/** The consumer settings of a receive operation (the descriptor's flat consumer fields). */
export interface ConsumerSettings {
  readonly durable: string;
  readonly ackWaitMs: number;
  readonly handlerTimeoutMs: number;
  readonly maxAckPending: number;
  readonly concurrency: number;
  readonly deliverPolicy: "all" | "new" | "last";
  /** Replicas of the consumer's state; 0 means as many as its stream. */
  readonly replicas: number;
  /** Keep the consumer's state in memory (`mem_storage`) even on a file stream. */
  readonly memoryStorage: boolean;
}

export type ConsumerInput = Partially<ConsumerSettings>;

/**
 * Consumer settings: `given` over `DEFAULT_CONSUMER`. Ack wait and handler timeout keep a
 * margin when only one is given; `maxAckPending` defaults to at least the concurrency, and an
 * explicit one is kept as written (it also caps concurrency: it is the limit across processes).
 */
export function resolveConsumer(operationId: string, given: ConsumerInput = {}): ConsumerSettings {
  const d = DEFAULT_CONSUMER;
  const concurrency = given.concurrency ?? d.concurrency;
  const { ackWaitMs, handlerTimeoutMs } = given;
  return {
    durable: given.durable ?? durableFromId(operationId),
    ackWaitMs:
      ackWaitMs ?? Math.max(d.ackWaitMs, (handlerTimeoutMs ?? 0) + d.handlerTimeoutMarginMs),
    handlerTimeoutMs:
      handlerTimeoutMs ??
      (ackWaitMs !== undefined
        ? Math.max(d.minHandlerTimeoutMs, ackWaitMs - d.handlerTimeoutMarginMs)
        : d.handlerTimeoutMs),
    maxAckPending: given.maxAckPending ?? Math.max(d.maxAckPending, concurrency),
    concurrency,
    deliverPolicy: given.deliverPolicy ?? d.deliverPolicy,
    replicas: given.replicas ?? d.replicas,
    memoryStorage: given.memoryStorage ?? d.memoryStorage,
  };
}

/** An operation id made into a valid JetStream durable name. */
export function durableFromId(id: string): string {
  const name = jetStreamSafe(id).slice(0, 255);
  return name === "" ? "consumer" : name;
}

function jetStreamSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "_");
}

export interface DedupInput {
  readonly store?: "kv" | "memory" | "none" | undefined;
  readonly bucket?: string | undefined;
  readonly ttlMs?: number | undefined;
  readonly leaseMs?: number | undefined;
  readonly maxEntries?: number | undefined;
  readonly replicas?: number | undefined;
  readonly storage?: "file" | "memory" | undefined;
}

/**
 * A dedup store: `none` unless a store is named. A KV bucket defaults to `<durable>_dedup`,
 * its lease to the consumer's ack wait (a crashed owner's claim expires with its delivery) and
 * its replicas to those of the stream the consumer reads (`streamReplicas`): an R1 bucket
 * guarding an R3 stream stops all consumption when its one node is down.
 */
export function resolveDedup(
  given: DedupInput | undefined,
  consumer: Pick<ConsumerSettings, "durable" | "ackWaitMs">,
  streamReplicas?: number,
): DedupConfig {
  switch (given?.store) {
    case "kv":
      return {
        store: "kv",
        bucket: given.bucket ?? jetStreamSafe(`${consumer.durable}_dedup`),
        ttlMs: given.ttlMs ?? DEFAULT_DEDUP.kvTtlMs,
        leaseMs: given.leaseMs ?? consumer.ackWaitMs,
        replicas: given.replicas ?? streamReplicas ?? DEFAULT_DEDUP.kvReplicas,
        storage: given.storage ?? DEFAULT_DEDUP.kvStorage,
      };
    case "memory":
      return {
        store: "memory",
        maxEntries: given.maxEntries ?? DEFAULT_DEDUP.memoryMaxEntries,
        ttlMs: given.ttlMs ?? DEFAULT_DEDUP.memoryTtlMs,
      };
    default:
      return { store: "none" };
  }
}

export interface BreakerInput {
  readonly consecutiveFailures?: number | undefined;
  readonly failureRatio?: number | undefined;
  readonly windowMs?: number | undefined;
  readonly minCalls?: number | undefined;
  readonly halfOpenAfterMs?: number | undefined;
  readonly halfOpenProbes?: number | undefined;
}

/** A circuit breaker: opens on a failure ratio when one is given, else on consecutive failures. */
export function resolveBreaker(given: BreakerInput): CircuitBreakerPolicy {
  const d = DEFAULT_BREAKER;
  const open: BreakerOpenCondition =
    given.failureRatio !== undefined
      ? {
          kind: "ratio",
          failureRatio: given.failureRatio,
          windowMs: given.windowMs ?? d.windowMs,
          minCalls: given.minCalls ?? d.minCalls,
        }
      : { kind: "consecutive", failures: given.consecutiveFailures ?? d.consecutiveFailures };
  return {
    open,
    halfOpenAfterMs: given.halfOpenAfterMs ?? d.halfOpenAfterMs,
    halfOpenProbes: given.halfOpenProbes ?? d.halfOpenProbes,
  };
}
