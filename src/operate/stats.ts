/**
 * `dlq stats`: a summary of dead letters, per DLQ stream and per origin consumer: counts, oldest
 * and newest, by reason and error class, and failure groups (normalised error messages). Pure:
 * fed one dead letter at a time (so 100 000 need no array), read with `summary()`.
 */
import type { StreamInfo } from "@nats-io/jetstream";
import type { DeadLetter } from "./dead-letter.js";
import { groupOf } from "./normalise.js";

export interface FailureGroup {
  readonly id: string;
  readonly errorClass: string;
  /** The error message with numbers, ids and quoted values folded. */
  readonly pattern: string;
  readonly count: number;
  /** One message of the group as it was written. */
  readonly example: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

export interface ConsumerDeadLetters {
  /** Origin consumer (durable); `(unknown)` when the header is missing. */
  readonly consumer: string;
  readonly originStream: string | undefined;
  readonly count: number;
  readonly bytes: number;
  /** When the oldest and newest were dead-lettered (ISO 8601). */
  readonly oldest: string;
  readonly newest: string;
  readonly byReason: Readonly<Record<string, number>>;
  readonly byErrorClass: Readonly<Record<string, number>>;
  /** Largest first, then by id. */
  readonly groups: readonly FailureGroup[];
}

export interface StreamUsage {
  readonly messages: number;
  readonly bytes: number;
  /** Limits; absent when unlimited. */
  readonly maxMessages?: number;
  readonly maxBytes?: number;
  readonly maxAgeMs?: number;
  /** Age of the oldest message against max age, messages and bytes against theirs (0..1). */
  readonly messagesRatio?: number;
  readonly bytesRatio?: number;
  readonly ageRatio?: number;
}

export interface DlqStreamStats {
  readonly stream: string;
  readonly count: number;
  readonly usage: StreamUsage;
  readonly consumers: readonly ConsumerDeadLetters[];
}

interface MutableGroup {
  id: string;
  errorClass: string;
  pattern: string;
  count: number;
  example: string;
  firstSeq: number;
  lastSeq: number;
}

interface MutableConsumer {
  consumer: string;
  originStream: string | undefined;
  count: number;
  bytes: number;
  oldestMs: number;
  newestMs: number;
  byReason: Map<string, number>;
  byErrorClass: Map<string, number>;
  groups: Map<string, MutableGroup>;
}

const UNKNOWN = "(unknown)";

export class DlqStatsBuilder {
  readonly #consumers = new Map<string, MutableConsumer>();
  #count = 0;
  #oldestMs = Number.POSITIVE_INFINITY;
  /** Group by exact message: a cause repeats, and folding costs a dozen regex passes. */
  readonly #groupOf = new Map<string, { readonly id: string; readonly pattern: string }>();

  constructor(readonly stream: string) {}

  add(d: DeadLetter): void {
    this.#count++;
    this.#oldestMs = Math.min(this.#oldestMs, d.storedAtMs);
    const name = d.originConsumer ?? UNKNOWN;
    let c = this.#consumers.get(name);
    if (!c) {
      c = {
        consumer: name,
        originStream: d.originStream,
        count: 0,
        bytes: 0,
        oldestMs: d.storedAtMs,
        newestMs: d.storedAtMs,
        byReason: new Map(),
        byErrorClass: new Map(),
        groups: new Map(),
      };
      this.#consumers.set(name, c);
    }
    c.count++;
    c.bytes += d.size;
    c.oldestMs = Math.min(c.oldestMs, d.storedAtMs);
    c.newestMs = Math.max(c.newestMs, d.storedAtMs);
    c.byReason.set(d.reason, (c.byReason.get(d.reason) ?? 0) + 1);
    c.byErrorClass.set(d.errorClass, (c.byErrorClass.get(d.errorClass) ?? 0) + 1);
    const cacheKey = `${name}\u0000${d.errorClass}\u0000${d.errorMessage}`;
    let group = this.#groupOf.get(cacheKey);
    if (!group) {
      if (this.#groupOf.size >= 10_000) this.#groupOf.clear();
      group = groupOf(d);
      this.#groupOf.set(cacheKey, group);
    }
    const { id, pattern } = group;
    const g = c.groups.get(id);
    if (g) {
      g.count++;
      g.lastSeq = Math.max(g.lastSeq, d.seq);
      g.firstSeq = Math.min(g.firstSeq, d.seq);
    } else {
      c.groups.set(id, {
        id,
        errorClass: d.errorClass,
        pattern,
        count: 1,
        example: d.errorMessage,
        firstSeq: d.seq,
        lastSeq: d.seq,
      });
    }
  }

  summary(info: StreamInfo, nowMs: number): DlqStreamStats {
    const consumers = [...this.#consumers.values()]
      .sort((a, b) => a.consumer.localeCompare(b.consumer))
      .map(
        (c): ConsumerDeadLetters => ({
          consumer: c.consumer,
          originStream: c.originStream,
          count: c.count,
          bytes: c.bytes,
          oldest: new Date(c.oldestMs).toISOString(),
          newest: new Date(c.newestMs).toISOString(),
          byReason: sortedRecord(c.byReason),
          byErrorClass: sortedRecord(c.byErrorClass),
          groups: [...c.groups.values()].sort(
            (a, b) => b.count - a.count || a.id.localeCompare(b.id),
          ),
        }),
      );
    return {
      stream: this.stream,
      count: this.#count,
      usage: streamUsage(info, this.#count > 0 ? nowMs - this.#oldestMs : 0),
      consumers,
    };
  }
}

/** Usage of a stream against its limits (JetStream reports -1 or 0 for "no limit"). */
export function streamUsage(info: StreamInfo, oldestAgeMs: number): StreamUsage {
  const limit = (v: number | undefined) => (v !== undefined && v > 0 ? v : undefined);
  const maxMessages = limit(info.config.max_msgs);
  const maxBytes = limit(info.config.max_bytes);
  const maxAgeNanos = limit(info.config.max_age);
  const maxAgeMs = maxAgeNanos === undefined ? undefined : Math.round(maxAgeNanos / 1e6);
  const messages = info.state.messages;
  const bytes = info.state.bytes;
  return {
    messages,
    bytes,
    ...(maxMessages !== undefined ? { maxMessages, messagesRatio: messages / maxMessages } : {}),
    ...(maxBytes !== undefined ? { maxBytes, bytesRatio: bytes / maxBytes } : {}),
    ...(maxAgeMs !== undefined ? { maxAgeMs, ageRatio: oldestAgeMs / maxAgeMs } : {}),
  };
}

function sortedRecord(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));
}
