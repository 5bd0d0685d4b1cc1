/**
 * Backoff: pure functions of a retry policy, a retry number and an injected random source.
 * `retry` is 1 for the delay before the second attempt, 2 before the third, ...
 */
import type { RetryPolicy } from "./descriptors.js";

/** Uniform random number in [0, 1). Inject a seeded one in tests. */
export type RandomSource = () => number;

/** The delay before retry `retry` without jitter, capped at `maxDelayMs`. */
export function baseDelayMs(policy: RetryPolicy, retry: number): number {
  const n = Math.max(1, Math.floor(retry));
  const explicit = policy.delaysMs;
  if (explicit !== undefined && explicit.length > 0) {
    return explicit[Math.min(n, explicit.length) - 1] ?? 0;
  }
  let raw: number;
  switch (policy.strategy) {
    case "fixed":
      raw = policy.initialDelayMs;
      break;
    case "linear":
      raw = policy.initialDelayMs * n;
      break;
    case "exponential":
      raw = policy.initialDelayMs * policy.multiplier ** (n - 1);
      break;
  }
  return Math.max(0, Math.min(policy.maxDelayMs, raw));
}

/**
 * The delay before retry `retry`, jitter applied:
 * - `none`: the base delay;
 * - `full`: uniform in [0, base];
 * - `equal`: uniform in [base/2, base];
 * - `decorrelated`: uniform in [initial, 3 × previous delay] capped at max (previous defaults to initial).
 * Explicit `delaysMs` are used as given (no jitter).
 */
export function backoffDelayMs(
  policy: RetryPolicy,
  retry: number,
  random: RandomSource = Math.random,
  previousDelayMs?: number,
): number {
  const base = baseDelayMs(policy, retry);
  if (policy.delaysMs !== undefined && policy.delaysMs.length > 0) return base;
  switch (policy.jitter) {
    case "none":
      return base;
    case "full":
      return Math.round(random() * base);
    case "equal":
      return Math.round(base / 2 + (random() * base) / 2);
    case "decorrelated": {
      const low = Math.min(policy.initialDelayMs, policy.maxDelayMs);
      const prev = Math.max(previousDelayMs ?? low, low);
      const high = Math.min(policy.maxDelayMs, prev * 3);
      return Math.round(low + random() * Math.max(0, high - low));
    }
  }
}

/** Largest delay `backoffDelayMs` can return for `retry` (for deadlines and consumer config). */
export function maxBackoffDelayMs(policy: RetryPolicy, retry: number): number {
  if (policy.jitter === "decorrelated" && !(policy.delaysMs && policy.delaysMs.length > 0)) {
    return policy.maxDelayMs;
  }
  return baseDelayMs(policy, retry);
}

/** An immutable backoff position (cockatiel style): `next()` gives the following one. */
export interface Backoff {
  /** Retry number this delay precedes (1-based). */
  readonly retry: number;
  readonly delayMs: number;
  next(): Backoff;
}

/** Starts a backoff sequence; `first.delayMs` is the delay before retry 1. */
export function createBackoff(policy: RetryPolicy, random: RandomSource = Math.random): Backoff {
  const at = (retry: number, prev: number | undefined): Backoff => {
    const delayMs = backoffDelayMs(policy, retry, random, prev);
    return { retry, delayMs, next: () => at(retry + 1, delayMs) };
  };
  return at(1, undefined);
}

/** A deterministic random source (mulberry32) for tests and reproducible runs. */
export function seededRandom(seed: number): RandomSource {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
