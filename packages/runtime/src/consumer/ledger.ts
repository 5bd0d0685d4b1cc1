/**
 * The attempt ledger: per stream sequence, what this process knows about a message's earlier
 * deliveries (releases, racing redeliveries, failed attempts and their times). Bounded and
 * in-process: releases made by a process that has since died are not known, so after a restart
 * an attempt can be over-counted by those, never under-counted. Every change goes through here.
 */
import { LruTtlMap } from "../lru.js";
import { attemptNumber, type DeliveryHistory } from "./decisions.js";

export interface LedgerEntry extends DeliveryHistory {
  readonly firstFailureAtMs?: number | undefined;
  readonly lastFailureAtMs?: number | undefined;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Messages remembered at most, and for how long without a change. */
const LEDGER_MAX_ENTRIES = 10_000;
const LEDGER_TTL_MS = 3_600_000;

export class AttemptLedger {
  readonly #entries = new LruTtlMap<number, Mutable<LedgerEntry>>(
    LEDGER_MAX_ENTRIES,
    LEDGER_TTL_MS,
  );

  get(seq: number): LedgerEntry | undefined {
    return this.#entries.get(seq);
  }

  /** The attempt number of a delivery of `seq` with the server's `deliveryCount`. */
  attemptOf(seq: number, deliveryCount: number): number {
    return attemptNumber(deliveryCount, this.#entries.get(seq));
  }

  /** A delivery was given back without running (a release): not an attempt. */
  released(seq: number): void {
    const entry = this.#entry(seq);
    entry.releases++;
  }

  /** A redelivery arrived while a delivery of the same message was in flight here. */
  superseded(seq: number): void {
    const entry = this.#entry(seq);
    entry.superseded = (entry.superseded ?? 0) + 1;
  }

  /**
   * Attempt `attempt` failed at `atMs` and counts as spent: a later delivery here gets a higher
   * number, whatever its delivery count. `started` is the entry as the run began, in case it was
   * evicted meanwhile. Returns the entry (for the dead-letter headers' failure times).
   */
  failed(seq: number, attempt: number, atMs: number, started?: LedgerEntry): LedgerEntry {
    const entry = this.#entries.get(seq) ?? { releases: 0, ...started };
    entry.firstFailureAtMs ??= atMs;
    entry.lastFailureAtMs = atMs;
    entry.lastAttempt = Math.max(entry.lastAttempt ?? 0, attempt);
    this.#entries.set(seq, entry);
    return entry;
  }

  /** The retry delay chosen after the last failure. */
  delayed(seq: number, delayMs: number): void {
    const entry = this.#entries.get(seq);
    if (entry) entry.previousDelayMs = delayMs;
  }

  /** The message is settled for good (acked, skipped or terminated): forget it. */
  forget(seq: number): void {
    this.#entries.delete(seq);
  }

  #entry(seq: number): Mutable<LedgerEntry> {
    const entry = this.#entries.get(seq) ?? { releases: 0 };
    this.#entries.set(seq, entry);
    return entry;
  }
}
