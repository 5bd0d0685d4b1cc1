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

interface Entry {
  done: boolean;
  /** The claiming message (`stream:sequence`), when the consumer said. */
  ref?: string | undefined;
  leaseUntilMs: number;
  token: ClaimToken;
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
    const token: ClaimToken = { key };
    this.#map.set(key, { done: false, ref, leaseUntilMs: now + this.leaseMs, token }, this.leaseMs);
    return { status: "claimed", token };
  }

  renew(token: ClaimToken): void {
    const entry = this.#map.get(token.key);
    if (entry && entry.token === token && !entry.done) {
      entry.leaseUntilMs = this.#now() + this.leaseMs;
      this.#map.set(token.key, entry, this.leaseMs);
    }
  }

  complete(token: ClaimToken): void {
    this.#map.set(token.key, { done: true, leaseUntilMs: 0, token });
  }

  release(token: ClaimToken): void {
    const entry = this.#map.get(token.key);
    if (entry && entry.token === token && !entry.done) this.#map.delete(token.key);
  }
}

/** A memory dedup store (bounded LRU with TTL). */
export function createMemoryDedupStore(options: MemoryDedupOptions): MemoryDedupStore {
  return new MemoryDedupStore(options);
}
