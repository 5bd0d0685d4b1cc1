/**
 * Operation policies: each annotation read into the runtime's units and resolved over the
 * runtime's defaults (`src/runtime/policy.ts`, the one owner of defaults), so the model holds
 * complete policies and no later stage defaults anything.
 */

import {
  type RetryInput,
  resolveBreaker,
  resolveConsumer,
  resolveDedup,
  resolveMonitor,
  resolvePublishPolicy,
  resolveRetryPolicy,
} from "@jetcontract/runtime/internal";
import type {
  CircuitBreakerPolicy,
  ConsumerPolicy,
  DedupPolicy,
  MonitorPolicy,
  PublishPolicy,
  RetryPolicy,
  SourceLocation,
} from "../../model/types.js";
import { isRecord } from "../pointer.js";
import { dur, int, num, oneOf, str } from "./context.js";

type Raw = Record<string, unknown>;

const STRATEGIES = ["fixed", "linear", "exponential"] as const;
const JITTERS = ["none", "full", "equal", "decorrelated"] as const;
const DELIVER_POLICIES = ["all", "new", "last"] as const;
const STORES = ["kv", "memory", "none"] as const;
const STORAGES = ["file", "memory"] as const;

/** The fields of an operation that name its consumer. */
export interface ConsumerOwner {
  readonly id: string;
  readonly title?: string | undefined;
  readonly summary?: string | undefined;
}

export function consumerPolicy(
  op: ConsumerOwner,
  raw: unknown,
  managedBy: string,
  location: SourceLocation,
): ConsumerPolicy {
  const r = isRecord(raw) ? raw : {};
  const settings = resolveConsumer(op.id, {
    durable: str(r.durable),
    ackWaitMs: dur(r.ackWait),
    handlerTimeoutMs: dur(r.handlerTimeout),
    maxAckPending: int(r.maxAckPending),
    concurrency: int(r.concurrency),
    deliverPolicy: oneOf(r.deliverPolicy, DELIVER_POLICIES),
    replicas: int(r.replicas),
    memoryStorage: typeof r.memoryStorage === "boolean" ? r.memoryStorage : undefined,
  });
  const description = (op.summary ?? op.title ?? "").trim() || `Consumer of operation ${op.id}`;
  return { ...settings, description, managedBy, location };
}

/** `x-monitor`: the thresholds `jetcontract status --check` applies to this consumer. */
export function monitorPolicy(
  raw: unknown,
  consumer: ConsumerPolicy,
  location: SourceLocation,
): MonitorPolicy {
  const r = isRecord(raw) ? raw : {};
  const settings = resolveMonitor(
    {
      maxPending: int(r.maxPending),
      maxAckPending: int(r.maxAckPending),
      maxDlqDepth: int(r.maxDlqDepth),
      maxIdleMs: dur(r.maxIdle),
      warnAt: num(r.warnAt),
    },
    consumer.maxAckPending,
  );
  return { ...settings, location };
}

function retryInput(r: Raw): RetryInput {
  return {
    maxAttempts: int(r.maxAttempts),
    strategy: oneOf(r.strategy, STRATEGIES),
    initialDelayMs: dur(r.initialDelay),
    maxDelayMs: dur(r.maxDelay),
    multiplier: num(r.multiplier),
    jitter: oneOf(r.jitter, JITTERS),
    delaysMs: Array.isArray(r.delays) ? r.delays.map((x) => dur(x) ?? 0) : undefined,
  };
}

export function retryPolicy(raw: unknown, location: SourceLocation): RetryPolicy {
  return { ...resolveRetryPolicy(retryInput(isRecord(raw) ? raw : {})), location };
}

export function publishPolicy(raw: unknown, location: SourceLocation): PublishPolicy {
  const r = isRecord(raw) ? raw : {};
  const policy = resolvePublishPolicy({
    timeoutMs: dur(r.timeout),
    deadlineMs: dur(r.deadline),
    retry: isRecord(r.retry) ? retryInput(r.retry) : undefined,
  });
  return { ...policy, retry: { ...policy.retry, location }, location };
}

/** `x-dedup`; a KV bucket's replicas default to `streamReplicas` (the stream the consumer reads). */
export function dedupPolicy(
  raw: unknown,
  consumer: ConsumerPolicy,
  streamReplicas: number | undefined,
  location: SourceLocation,
): DedupPolicy {
  const r = isRecord(raw) ? raw : {};
  const dedup = resolveDedup(
    {
      store: oneOf(r.store, STORES),
      bucket: str(r.bucket),
      ttlMs: dur(r.ttl),
      leaseMs: dur(r.lease),
      maxEntries: int(r.maxEntries),
      replicas: int(r.replicas),
      storage: oneOf(r.storage, STORAGES),
    },
    consumer,
    streamReplicas,
  );
  return { ...dedup, location };
}

export function breakerPolicy(raw: Raw, location: SourceLocation): CircuitBreakerPolicy {
  const breaker = resolveBreaker({
    consecutiveFailures: int(raw.consecutiveFailures),
    failureRatio: num(raw.failureRatio),
    windowMs: dur(raw.window),
    minCalls: int(raw.minCalls),
    halfOpenAfterMs: dur(raw.halfOpenAfter),
    halfOpenProbes: int(raw.halfOpenProbes),
  });
  return { ...breaker, location };
}
