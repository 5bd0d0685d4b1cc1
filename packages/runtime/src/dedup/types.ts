/**
 * One small interface for consumer-side dedup. A handler runs only after `claim()` returned
 * `claimed`; on success the consumer calls `complete()` (done marker, kept for the TTL) before
 * acking; on failure `release()` so the retry can claim again. A claim whose holder died
 * becomes claimable again after its lease.
 */
export type ClaimResult =
  | { readonly status: "claimed"; readonly token: ClaimToken }
  /** Already processed within the TTL: skip and ack. */
  | { readonly status: "done" }
  /** Claimed by another live holder: try again after `retryAfterMs`. */
  | { readonly status: "busy"; readonly retryAfterMs: number };

/** Opaque handle of a claim. */
export interface ClaimToken {
  readonly key: string;
}

export type MaybePromise<T> = T | Promise<T>;

export interface DedupStore {
  readonly kind: string;
  /** How long a claim holds without renewal. */
  readonly leaseMs: number;
  /**
   * Claims `key` for the message `ref` (`stream:sequence`, given by the consumer). Stores with
   * `doneOnAck` treat a claim by another message as a duplicate of it. `supersedes`: the ref of
   * a failed message this one replaces (a re-driven dead letter); a claim that message still
   * holds is taken over, whatever its lease.
   */
  claim(key: string, ref?: string, supersedes?: string): MaybePromise<ClaimResult>;
  /**
   * When true, a claim made with a `ref` already marks the key done once its message is acked;
   * the consumer then calls `complete()` only when it could not confirm the ack, or for the
   * messages it acked just before a disconnect (a crashing server can lose recent acks), and
   * remembers what it completed so a redelivery is not run again (one write per message).
   */
  readonly doneOnAck?: boolean;
  /** Extends the lease of a claim (long handlers). */
  renew(token: ClaimToken): MaybePromise<void>;
  /** Records the key as done (for the store's TTL) and ends the claim. */
  complete(token: ClaimToken): MaybePromise<void>;
  /** Ends the claim without recording it done. */
  release(token: ClaimToken): MaybePromise<void>;
}
