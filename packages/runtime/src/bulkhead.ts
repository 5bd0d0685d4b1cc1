/** Bulkhead: at most `limit` handlers at once; waiters are woken in order as slots free up. */
export class Bulkhead {
  #inUse = 0;
  #waiters: Array<() => void> = [];
  #peak = 0;

  constructor(readonly limit: number) {
    if (!(limit >= 1)) throw new RangeError("bulkhead limit must be at least 1");
  }

  get inUse(): number {
    return this.#inUse;
  }

  get free(): number {
    return this.limit - this.#inUse;
  }

  /** Highest concurrent use seen. */
  get peak(): number {
    return this.#peak;
  }

  /** Takes a slot if one is free. */
  tryAcquire(): boolean {
    if (this.#inUse >= this.limit) return false;
    this.#inUse++;
    if (this.#inUse > this.#peak) this.#peak = this.#inUse;
    return true;
  }

  release(): void {
    if (this.#inUse > 0) this.#inUse--;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves the next time a slot is released (or at once when one is free). */
  whenSlotFree(): Promise<void> {
    if (this.#inUse < this.limit) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Resolves when nothing is in use. */
  async idle(): Promise<void> {
    while (this.#inUse > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}
