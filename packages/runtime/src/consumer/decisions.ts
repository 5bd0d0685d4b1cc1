/**
 * The consumer's decisions as pure functions: given what is known about a delivery (its attempt
 * number, the failure and its class, the retry policy, the breaker's state, the dedup claim),
 * what happens to the message. No IO and no clock; randomness is injected. The consumer
 * (consumer.ts) applies the outcome: ack, `nak(delay)`, or a dead-letter followed by `term`.
 */
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { backoffDelayMs, type RandomSource } from "../backoff.js";
import type { BreakerState } from "../breaker.js";
import type { DeadLetterReason } from "../dead-letter.js";
import type { ClaimResult } from "../dedup/types.js";
import type { RetryPolicy } from "../descriptors.js";
import { isPermanentError, isTransientError } from "../errors.js";
import type { ClosedReason, DuplicateSkippedEvent, ReleasedEvent } from "../events.js";
import type { Unanswered } from "../unanswered.js";

/** What this process knows about the earlier deliveries of one message. */
export interface DeliveryHistory {
  /** Deliveries given back unprocessed (a nak that spent no attempt). */
  readonly releases: number;
  /** Redeliveries that raced a delivery of the same message still in flight here. */
  readonly superseded?: number | undefined;
  /** The attempt number the last handler run here was given. */
  readonly lastAttempt?: number | undefined;
  /** The retry delay chosen after the last failed attempt (decorrelated jitter needs it). */
  readonly previousDelayMs?: number | undefined;
}

/**
 * The attempt number of a delivery: its delivery count less the deliveries known not to be
 * attempts (releases, superseded redeliveries), and never below the next number after the last
 * attempt run here (attempts only go up within a process, even when the server's count is off).
 */
export function attemptNumber(deliveryCount: number, history: DeliveryHistory | undefined): number {
  const counted = deliveryCount - (history?.releases ?? 0) - (history?.superseded ?? 0);
  return Math.max(1, counted, (history?.lastAttempt ?? 0) + 1);
}

export type ReleaseReason = ReleasedEvent["reason"];

/** What happens to a message. */
export type Outcome =
  /** Run the handler. */
  | { readonly action: "run" }
  /** Ack without running the handler. */
  | { readonly action: "skip"; readonly reason: DuplicateSkippedEvent["reason"] }
  /** `nak(delayMs)`: the attempt failed and another follows. */
  | { readonly action: "retry"; readonly delayMs: number }
  /** `nak(delayMs)` without spending an attempt. */
  | { readonly action: "release"; readonly reason: ReleaseReason; readonly delayMs: number }
  /** Publish to the dead-letter subject, then `term`. */
  | { readonly action: "dead-letter"; readonly reason: DeadLetterReason };

export type ReleaseOutcome = Extract<Outcome, { readonly action: "release" }>;

/**
 * Gives a message back without spending an attempt. The delay is at least 1 ms: a bare `nak()`
 * (or `nak(0)`) on nats-server 2.9 can rewind the delivery count to 1.
 */
export function release(reason: ReleaseReason, delayMs: number): ReleaseOutcome {
  return { action: "release", reason, delayMs: Math.max(1, Math.ceil(delayMs)) };
}

/**
 * A delivery the circuit breaker refuses. Its attempts already spent (a crashed process, a
 * forgotten ledger): dead-letter it without running the handler, since a release would bring it
 * back for ever. Otherwise give it back until the breaker half-opens, spending no attempt.
 */
export function whenBreakerRefuses(
  attempt: number,
  maxAttempts: number,
  msUntilHalfOpen: number,
): Outcome {
  if (attempt > maxAttempts) return { action: "dead-letter", reason: "attempts-exhausted" };
  return release("breaker-open", msUntilHalfOpen);
}

/**
 * The dedup store's answer to a claim (`undefined`: the store could not be reached). A key held
 * by another live consumer is looked at again when that holder has finished or timed out.
 */
export function afterClaim(
  claim: ClaimResult | undefined,
  ctx: {
    readonly handlerTimeoutMs: number;
    readonly retry: RetryPolicy;
    readonly random: RandomSource;
  },
): Outcome {
  if (claim === undefined) {
    return release("dedup-unavailable", backoffDelayMs(ctx.retry, 1, ctx.random));
  }
  switch (claim.status) {
    case "claimed":
      return { action: "run" };
    case "done":
      return { action: "skip", reason: "key-done" };
    case "busy":
      return release("claimed-elsewhere", Math.min(claim.retryAfterMs, ctx.handlerTimeoutMs + 100));
  }
}

/**
 * Whether a delivery is the last one the server makes (`max_deliver`). A nak of it brings
 * nothing back: the message would stay in the stream with no delivery and no dead letter, found
 * only by the max-deliveries advisory, which a process that is down or reconnecting misses. So a
 * retry or release of the last delivery is dead-lettered instead (reason `max-deliveries`).
 */
export function isLastDelivery(deliveryCount: number, maxDeliver: number): boolean {
  return deliveryCount >= maxDeliver;
}

/** A dead-letter publish that failed: give the message back; a later delivery dead-letters it. */
export function whenDeadLetterFails(retry: RetryPolicy, random: RandomSource): ReleaseOutcome {
  return release("dead-letter-unavailable", backoffDelayMs(retry, 1, random));
}

export interface FailureInput {
  /** What the handler threw (or the decode/validate step). */
  readonly failure: unknown;
  readonly attempt: number;
  readonly retry: RetryPolicy;
  /** The breaker before this failure is recorded; undefined without a breaker. */
  readonly breaker?: { readonly state: BreakerState; readonly msUntilHalfOpen: number } | undefined;
  readonly previousDelayMs: number | undefined;
  readonly random: RandomSource;
}

export interface FailureDecision {
  readonly outcome: Outcome;
  /** What the breaker is told: a failure of the dependency, or nothing about it. */
  readonly breaker: "failure" | "neutral";
  /** Whether the attempt counts as spent (the ledger records it; attempts never go back). */
  readonly spent: boolean;
}

/**
 * A failed handler run (or a payload that cannot be handled):
 * - a permanent failure is dead-lettered now and says nothing about the dependency;
 * - with the breaker already open (tripped by other messages while this one ran) the failure is
 *   put down to the dead dependency: the message is given back without spending an attempt;
 * - otherwise it is this message's own attempt, even when it is the failure that opens the
 *   breaker (so a poison message whose failures trip the breaker still reaches the DLQ): retried
 *   with its backoff (or the error's `retryAfterMs`), or dead-lettered once its attempts are spent.
 */
export function afterFailure(input: FailureInput): FailureDecision {
  if (isPermanentError(input.failure)) {
    return {
      outcome: { action: "dead-letter", reason: "permanent" },
      breaker: "neutral",
      spent: false,
    };
  }
  if (input.breaker?.state === "open") {
    return {
      outcome: release("breaker-open", input.breaker.msUntilHalfOpen),
      breaker: "failure",
      spent: false,
    };
  }
  if (input.attempt >= input.retry.maxAttempts) {
    return {
      outcome: { action: "dead-letter", reason: "attempts-exhausted" },
      breaker: "failure",
      spent: true,
    };
  }
  const delayMs =
    isTransientError(input.failure) && input.failure.retryAfterMs !== undefined
      ? input.failure.retryAfterMs
      : backoffDelayMs(input.retry, input.attempt, input.random, input.previousDelayMs);
  return { outcome: { action: "retry", delayMs }, breaker: "failure", spent: true };
}

/** The state of the gates that bound how many messages a pull may ask for. */
export interface PullGates {
  /** Handler slots (the bulkhead), in use, and messages asked for but not yet received. */
  readonly limit: number;
  readonly inUse: number;
  readonly requested: number;
  readonly breaker?: { readonly state: BreakerState; readonly capacity: number } | undefined;
}

/**
 * How many messages to pull now: none while the breaker is open, its probes while half-open,
 * otherwise the free slots, in batches of at least half the bulkhead (like a consume threshold).
 */
export function pullSize(g: PullGates): number {
  if (g.breaker?.state === "open") return 0;
  if (g.breaker?.state === "half-open") return Math.max(0, g.breaker.capacity - g.requested);
  const free = g.limit - g.inUse - g.requested;
  return free >= Math.max(1, Math.floor(g.limit / 2)) ? free : 0;
}

export type SettleKind = "ack" | "nak" | "term";

/**
 * Whether to send an unconfirmed ack, nak or term again: only when it went unanswered (no
 * responders, a timeout: a consumer leader election while the connection stays up) and before
 * its deadline (the ack wait: after it the server redelivers the message anyway). A nak that
 * timed out may have been applied, and a second one would reschedule a redelivery already made:
 * it is not re-sent (if it was lost, the message comes back after the ack wait). "No responders"
 * proves nobody received it. Acks and terms are safe to repeat.
 */
export function shouldResend(
  kind: SettleKind,
  failure: Unanswered | undefined,
  nowMs: number,
  deadlineAtMs: number,
): boolean {
  if (failure === undefined || nowMs >= deadlineAtMs) return false;
  return !(kind === "nak" && failure === "timeout");
}

/** Whether a JetStream API error says the durable or its stream does not exist. */
export function goneReason(error: unknown): ClosedReason | undefined {
  if (!(error instanceof JetStreamApiError)) return undefined;
  if (error.code === JetStreamApiCodes.StreamNotFound) return "stream-not-found";
  if (error.code === JetStreamApiCodes.ConsumerNotFound) return "consumer-not-found";
  return undefined;
}
