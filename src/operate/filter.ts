/**
 * Which dead letters a command acts on. Every field narrows; an empty filter selects all.
 * Lists match any of their values. Pure: the CLI parses flags into a filter with
 * `parseTimeBound`, commands test each dead letter with `matchesFilter`.
 */
import { subjectCovers } from "../model/subjects.js";
import { parseDuration, UnitParseError } from "../spec/units.js";
import type { DeadLetter } from "./dead-letter.js";
import { OperateInputError } from "./errors.js";
import { groupOf } from "./normalise.js";

export interface DlqFilter {
  /** Origin consumers (durable names). */
  readonly consumers?: readonly string[];
  /** Origin subjects, NATS wildcards allowed. */
  readonly subjects?: readonly string[];
  readonly reasons?: readonly string[];
  readonly errorClasses?: readonly string[];
  /** Case-insensitive text in the error message. */
  readonly text?: string;
  /** Dead-lettered at or after (epoch ms). */
  readonly sinceMs?: number;
  /** Dead-lettered before (epoch ms). */
  readonly untilMs?: number;
  /** DLQ sequence range, both ends included. */
  readonly fromSeq?: number;
  readonly toSeq?: number;
  /** Failure group ids from `dlq stats`. */
  readonly groups?: readonly string[];
}

export function matchesFilter(d: DeadLetter, f: DlqFilter): boolean {
  if (f.fromSeq !== undefined && d.seq < f.fromSeq) return false;
  if (f.toSeq !== undefined && d.seq > f.toSeq) return false;
  if (f.sinceMs !== undefined && d.storedAtMs < f.sinceMs) return false;
  if (f.untilMs !== undefined && d.storedAtMs >= f.untilMs) return false;
  if (f.consumers && !f.consumers.includes(d.originConsumer ?? "")) return false;
  if (f.reasons && !f.reasons.includes(d.reason)) return false;
  if (f.errorClasses && !f.errorClasses.includes(d.errorClass)) return false;
  if (f.subjects && !f.subjects.some((s) => subjectCovers(s, d.originSubject ?? d.subject)))
    return false;
  if (f.text !== undefined && !d.errorMessage.toLowerCase().includes(f.text.toLowerCase()))
    return false;
  if (f.groups && !f.groups.includes(groupOf(d).id)) return false;
  return true;
}

/**
 * A time bound as operators write it: an ISO 8601 date-time (`2026-12-01T10:00:00Z`), or a
 * duration ago (`2h`, `7d`, `PT30M`) counted back from `nowMs`.
 */
export function parseTimeBound(text: string, nowMs: number, flag: string): number {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (!Number.isNaN(ms)) return ms;
  } else {
    try {
      return nowMs - parseDuration(trimmed);
    } catch (error) {
      if (!(error instanceof UnitParseError)) throw error;
    }
  }
  throw new OperateInputError(
    `${flag} "${text}" is neither a date-time (2026-12-01T10:00:00Z) nor a duration ago (30m, 2h, 7d)`,
  );
}
