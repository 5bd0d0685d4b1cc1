/**
 * The verdict of one cluster chaos run, from what the processes logged and what the DLQ
 * holds. Pure: no IO, so each rule is tested on its own (tally.test.ts).
 */
import { type Effect, isPoisonId, type PublishOutcome } from "./protocol.js";

export interface Tally {
  /** Good messages whose publish the stream acknowledged. */
  readonly published: number;
  /** Good messages with at least one effect (a failed publish may still have been stored). */
  readonly handled: number;
  /** Acknowledged good messages with no effect. */
  readonly lost: readonly string[];
  /** Effects beyond the first, over every message. */
  readonly duplicates: number;
  readonly duplicateIds: readonly string[];
  /** Messages in the DLQ. */
  readonly dlq: number;
  /** DLQ problems: a poison message not there exactly once, a good message there, a poison handled. */
  readonly dlqMismatches: readonly string[];
  readonly publishFailures: readonly PublishOutcome[];
  /** Longest time with a message waiting and no effect (ms). */
  readonly maxGapMs: number;
}

export interface TallyInput {
  readonly publishes: readonly PublishOutcome[];
  readonly effects: readonly Effect[];
  /** The `orderId` of each DLQ message (undefined when its payload has none). */
  readonly dlqIds: readonly (string | undefined)[];
}

export function tally(input: TallyInput): Tally {
  const acked = new Map<string, number>();
  const publishFailures: PublishOutcome[] = [];
  for (const p of input.publishes) {
    if (p.ackedAtMs === undefined) publishFailures.push(p);
    else acked.set(p.id, p.ackedAtMs);
  }
  const effectCounts = countBy(input.effects.map((e) => e.id));
  const firstEffectAt = new Map<string, number>();
  for (const e of input.effects) {
    if (e.atMs < (firstEffectAt.get(e.id) ?? Number.POSITIVE_INFINITY))
      firstEffectAt.set(e.id, e.atMs);
  }
  const dlqCounts = countBy(input.dlqIds.map((id) => id ?? "(no orderId)"));

  const goodAcked = [...acked.keys()].filter((id) => !isPoisonId(id));
  const lost = goodAcked.filter((id) => !effectCounts.has(id));
  let duplicates = 0;
  const duplicateIds: string[] = [];
  for (const [id, count] of effectCounts) {
    if (count > 1) {
      duplicates += count - 1;
      duplicateIds.push(id);
    }
  }

  const dlqMismatches: string[] = [];
  const poisonIds = new Set(input.publishes.filter((p) => isPoisonId(p.id)).map((p) => p.id));
  for (const id of poisonIds) {
    const inDlq = dlqCounts.get(id) ?? 0;
    // A poison message whose publish failed may or may not have been stored.
    const expected = acked.has(id) ? "once" : "at most once";
    if (inDlq > 1 || (inDlq === 0 && acked.has(id)))
      dlqMismatches.push(`${id} is in the DLQ ${inDlq} times (expected ${expected})`);
    if (effectCounts.has(id)) dlqMismatches.push(`${id} (poison) was handled`);
  }
  for (const [id, count] of dlqCounts) {
    if (!poisonIds.has(id)) dlqMismatches.push(`${id} is in the DLQ ${count} times (not poison)`);
  }

  return {
    published: goodAcked.length,
    handled: [...effectCounts.keys()].filter((id) => !isPoisonId(id)).length,
    lost,
    duplicates,
    duplicateIds,
    dlq: input.dlqIds.length,
    dlqMismatches,
    publishFailures,
    maxGapMs: longestGap(
      goodAcked.map((id) => acked.get(id) ?? 0),
      goodAcked.map((id) => firstEffectAt.get(id) ?? Number.POSITIVE_INFINITY),
      input.effects.map((e) => e.atMs),
    ),
  };
}

/** True when the run kept every promise the issue asks of it. */
export function passed(t: Tally): boolean {
  return t.lost.length === 0 && t.duplicates === 0 && t.dlqMismatches.length === 0;
}

/**
 * The longest stretch between two consecutive effects (across every consumer) during which a
 * message was waiting: published (acknowledged) and not yet handled. Message `i` waits from
 * `ackedAtMs[i]` until `firstEffectMs[i]` (Infinity if never handled). For each gap
 * (t₁, t₂) the waiting part starts at max(t₁, earliest ack of a message first handled at or
 * after t₂); the first gap starts at the first ack.
 */
export function longestGap(
  ackedAtMs: readonly number[],
  firstEffectMs: readonly number[],
  effectTimesMs: readonly number[],
): number {
  const byFirstEffect = ackedAtMs
    .map((a, i) => ({ a, e: firstEffectMs[i] ?? Number.POSITIVE_INFINITY }))
    .sort((x, y) => x.e - y.e);
  // earliestAck[k]: the earliest ack among messages k.. (in first-effect order).
  const earliestAck = new Array<number>(byFirstEffect.length + 1).fill(Number.POSITIVE_INFINITY);
  for (let k = byFirstEffect.length - 1; k >= 0; k--) {
    earliestAck[k] = Math.min(
      byFirstEffect[k]?.a ?? Number.POSITIVE_INFINITY,
      earliestAck[k + 1] ?? Number.POSITIVE_INFINITY,
    );
  }
  const times = [...effectTimesMs].sort((x, y) => x - y);
  let longest = 0;
  let previous = Number.NEGATIVE_INFINITY;
  for (const t of times) {
    const k = firstIndexAtOrAfter(byFirstEffect, t);
    const waitingSince = Math.max(previous, earliestAck[k] ?? Number.POSITIVE_INFINITY);
    if (waitingSince < t) longest = Math.max(longest, t - waitingSince);
    previous = t;
  }
  return longest;
}

function firstIndexAtOrAfter(sorted: readonly { readonly e: number }[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid]?.e ?? Number.POSITIVE_INFINITY) < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
