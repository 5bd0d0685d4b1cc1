/** In-process dedup: a bounded LRU with TTL. Protects one process only. */
import { LruTtlMap } from "../lru.js";
import type { ClaimResult, ClaimToken, DedupStore } from "./types.js";

export interface MemoryDedupOptions {
  readonly maxEntries: number;
  /** How long a done marker is kept. */
  readonly ttlMs: number;
  /** How long a claim holds (default: 5 minutes). */
  readonly leaseMs?: number;
  readonly now?: () => number;
}

/** A key's state; the entry of a claim is also its token (one object per message, not two). */
interface Entry extends ClaimToken {
  done: boolean;
  /** The claiming message (`stream:sequence`), when the consumer said. */
  ref: string | undefined;
  leaseUntilMs: number;
}

export class MemoryDedupStore implements DedupStore {
  readonly kind = "memory";
  readonly leaseMs: number;
  readonly #map: LruTtlMap<string, Entry>;
  readonly #now: () => number;

  constructor(options: MemoryDedupOptions) {
    this.#now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? 300_000;
    this.#map = new LruTtlMap(options.maxEntries, options.ttlMs, this.#now);
  }

  get size(): number {
    return this.#map.size;
  }

  /** A live claim held by `supersedes` (the failed message a re-driven one replaces) is taken over. */
  claim(key: string, ref?: string, supersedes?: string): ClaimResult {
    const now = this.#now();
    const entry = this.#map.get(key);
    if (entry?.done) return { status: "done" };
    const replaced = supersedes !== undefined && entry?.ref === supersedes;
    if (entry && entry.leaseUntilMs > now && !replaced) {
      return { status: "busy", retryAfterMs: entry.leaseUntilMs - now };
    }
    const token: Entry = { key, done: false, ref, leaseUntilMs: now + this.leaseMs };
    this.#map.set(key, token, this.leaseMs);
    return { status: "claimed", token };
  }

  renew(token: ClaimToken): void {
    const entry = this.#map.get(token.key);
    if (entry === token && !entry.done) {
      entry.leaseUntilMs = this.#now() + this.leaseMs;
      this.#map.set(token.key, entry, this.leaseMs);
    }
  }

  /** Marks the claim's entry done in place, kept for the TTL from now. */
  complete(token: ClaimToken): void {
    const entry = this.#map.get(token.key);
    const done: Entry =
      entry === token ? entry : { key: token.key, done: true, ref: undefined, leaseUntilMs: 0 };
    done.done = true;
    done.ref = undefined;
    done.leaseUntilMs = 0;
    this.#map.set(token.key, done);
  }

  release(token: ClaimToken): void {
    const entry = this.#map.get(token.key);
    if (entry === token && !entry.done) this.#map.delete(token.key);
  }
}

/** A memory dedup store (bounded LRU with TTL). */
export function createMemoryDedupStore(options: MemoryDedupOptions): MemoryDedupStore {
  return new MemoryDedupStore(options);
}
