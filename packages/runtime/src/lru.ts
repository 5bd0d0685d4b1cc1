/** A bounded least-recently-used map whose entries expire after a TTL. Clock injected. */
export class LruTtlMap<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAtMs: number }>();

  constructor(
    readonly maxEntries: number,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError("maxEntries must be at least 1");
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live value for `key` (refreshing its recency), or undefined when absent or expired. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Sets `key`, expiring after `ttlMs` (default: the map's TTL); evicts the oldest when full. */
  set(key: K, value: V, ttlMs: number = this.ttlMs): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAtMs: this.now() + ttlMs });
    while (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** The live entries, oldest first (recency is not refreshed). */
  *entries(): IterableIterator<[K, V]> {
    const now = this.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAtMs > now) yield [key, entry.value];
    }
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
