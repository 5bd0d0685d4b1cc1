/**
 * Circuit breaker state machine (pure; clock injected). Closed → open when the open condition
 * holds (consecutive failures, or a failure ratio over a sliding window with a minimum of
 * calls); open → half-open after `halfOpenAfterMs`; half-open lets `halfOpenProbes` calls
 * through: all succeed → closed, any fails → open again.
 */
import type { CircuitBreakerPolicy } from "./descriptors.js";

export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerSnapshot {
  readonly state: BreakerState;
  /** When an open breaker turns half-open (epoch ms), else undefined. */
  readonly halfOpenAtMs: number | undefined;
}

export class CircuitBreaker {
  #state: BreakerState = "closed";
  #consecutive = 0;
  #window: Array<{ atMs: number; failed: boolean }> = [];
  #openedAtMs = 0;
  #probesStarted = 0;
  #probesSucceeded = 0;

  constructor(
    readonly policy: CircuitBreakerPolicy,
    private readonly onChange: (state: BreakerState, previous: BreakerState) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  /** Current state, turning open → half-open when its time has come. */
  get state(): BreakerState {
    if (this.#state === "open" && this.now() >= this.#openedAtMs + this.policy.halfOpenAfterMs) {
      this.#transition("half-open");
    }
    return this.#state;
  }

  snapshot(): BreakerSnapshot {
    const state = this.state;
    return {
      state,
      halfOpenAtMs: state === "open" ? this.#openedAtMs + this.policy.halfOpenAfterMs : undefined,
    };
  }

  /** Milliseconds until an open breaker turns half-open (0 when not open). */
  msUntilHalfOpen(): number {
    if (this.state !== "open") return 0;
    return Math.max(0, this.#openedAtMs + this.policy.halfOpenAfterMs - this.now());
  }

  /** How many more calls may start now (Infinity when closed). */
  capacity(): number {
    switch (this.state) {
      case "closed":
        return Number.POSITIVE_INFINITY;
      case "open":
        return 0;
      case "half-open":
        return Math.max(0, this.policy.halfOpenProbes - this.#probesStarted);
    }
  }

  /** Asks to start a call; false when the breaker refuses it. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open") return false;
    if (this.#probesStarted >= this.policy.halfOpenProbes) return false;
    this.#probesStarted++;
    return true;
  }

  /** A call ended without telling anything about the dependency (duplicate, bad payload, ...). */
  onNeutral(): void {
    if (this.#state === "half-open" && this.#probesStarted > this.#probesSucceeded) {
      this.#probesStarted--;
    }
  }

  onSuccess(): void {
    const state = this.state;
    if (state === "half-open") {
      this.#probesSucceeded++;
      if (this.#probesSucceeded >= this.policy.halfOpenProbes) this.#transition("closed");
      return;
    }
    if (state === "closed") {
      this.#consecutive = 0;
      this.#record(false);
    }
  }

  onFailure(): void {
    const state = this.state;
    if (state === "half-open") {
      this.#transition("open");
      return;
    }
    if (state !== "closed") return;
    this.#consecutive++;
    this.#record(true);
    if (this.#shouldOpen()) this.#transition("open");
  }

  #record(failed: boolean): void {
    if (this.policy.open.kind !== "ratio") return;
    const now = this.now();
    this.#window.push({ atMs: now, failed });
    const from = now - this.policy.open.windowMs;
    let drop = 0;
    while (drop < this.#window.length && (this.#window[drop]?.atMs ?? now) < from) drop++;
    if (drop > 0) this.#window = this.#window.slice(drop);
  }

  #shouldOpen(): boolean {
    const open = this.policy.open;
    if (open.kind === "consecutive") return this.#consecutive >= open.failures;
    const calls = this.#window.length;
    if (calls < open.minCalls) return false;
    const failures = this.#window.reduce((n, c) => n + (c.failed ? 1 : 0), 0);
    return failures / calls >= open.failureRatio;
  }

  #transition(next: BreakerState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    if (next === "open") this.#openedAtMs = this.now();
    if (next === "half-open") {
      this.#probesStarted = 0;
      this.#probesSucceeded = 0;
    }
    if (next === "closed") {
      this.#consecutive = 0;
      this.#window = [];
    }
    this.onChange(next, previous);
  }
}
