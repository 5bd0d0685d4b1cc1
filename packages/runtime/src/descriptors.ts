/**
 * Descriptors: what generated code (or a person using the runtime by hand) hands the
 * runtime. Plain data plus a few precompiled functions (validators, key extractors).
 * The runtime never imports generator code; these types are its side of the contract.
 *
 * Durations are milliseconds; the runtime converts to nanoseconds for JetStream in one place.
 */

/** Shape of an ajv standalone validator (precompiled; no `eval` at run time). */
export interface SchemaValidator<T> {
  (data: unknown): data is T;
  errors?: readonly ValidationIssue[] | null;
}

export interface ValidationIssue {
  readonly instancePath: string;
  readonly message?: string;
  readonly keyword?: string;
}

/** Message headers as a plain record (named so as not to shadow the global `Headers`). */
export type MessageHeaders = Readonly<Record<string, string>>;

export interface MessageDescriptor<T> {
  /** Message id in the contract, e.g. `OrderCreated`. */
  readonly name: string;
  /** Defaults to `application/json`: payload is UTF-8 JSON. */
  readonly contentType?: string;
  readonly validate?: SchemaValidator<T>;
  readonly validateHeaders?: SchemaValidator<MessageHeaders>;
  /**
   * The idempotency key of a message, used as `Nats-Msg-Id` and as the dedup key.
   * Undefined when the message has none (the runtime then uses the `Nats-Msg-Id` header if
   * present and otherwise skips dedup).
   */
  readonly idempotencyKey?: (payload: T, headers: MessageHeaders) => string;
  /**
   * Optional codec for payloads that are not UTF-8 JSON (added by the runtime; optional).
   * `decode` returns an unvalidated value; `validate` still runs on it.
   */
  readonly codec?: PayloadCodec<T>;
}

/** Encodes and decodes payloads that are not UTF-8 JSON. */
export interface PayloadCodec<T> {
  encode(payload: T): Uint8Array;
  decode(data: Uint8Array): unknown;
}

export type BackoffStrategy = "fixed" | "linear" | "exponential";
export type Jitter = "none" | "full" | "equal" | "decorrelated";

export interface RetryPolicy {
  /** Total attempts, including the first. */
  readonly maxAttempts: number;
  readonly strategy: BackoffStrategy;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: Jitter;
  /** Explicit delays before retry 1, 2, ...; the last repeats. Overrides `strategy`. */
  readonly delaysMs?: readonly number[];
}

export interface PublishPolicy {
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly deadlineMs: number;
}

export interface PublisherDescriptor<T> {
  readonly operationId: string;
  /** Concrete subject, or a NATS subject with `*` tokens filled from `params` at publish time. */
  readonly subject: string;
  readonly message: MessageDescriptor<T>;
  readonly publish?: PublishPolicy;
  /** Stream the subject belongs to, when known; used in events and errors only. */
  readonly stream?: string;
  /**
   * Names of the subject's `*` tokens in order (e.g. `["region"]` for `orders.*.created`), so
   * `publish(payload, { params: { region: "eu" } })` can fill them. Positional arrays work without it.
   */
  readonly subjectParams?: readonly string[];
}

export type DedupConfig =
  | {
      readonly store: "kv";
      readonly bucket: string;
      readonly ttlMs: number;
      readonly leaseMs: number;
      /** Replicas of the bucket the runtime creates when it is missing (default 1). */
      readonly replicas?: number;
      /** Storage of the bucket the runtime creates when it is missing (default file). */
      readonly storage?: "file" | "memory";
      /**
       * Added by the runtime (optional). `"ack"` (default): the acked claim stands for the done
       * marker (one KV write per message); the consumer remembers what it completed and writes
       * done markers for the messages it acked just before a disconnect, since a server killed
       * with SIGKILL can lose recent acks. `"write"`: a done marker before every ack (two
       * writes; exact even if the consumer process dies together with the server).
       */
      readonly doneMarker?: "write" | "ack";
    }
  | { readonly store: "memory"; readonly maxEntries: number; readonly ttlMs: number }
  | { readonly store: "none" };

export type BreakerOpenCondition =
  | { readonly kind: "consecutive"; readonly failures: number }
  | {
      readonly kind: "ratio";
      readonly failureRatio: number;
      readonly windowMs: number;
      readonly minCalls: number;
    };

export interface CircuitBreakerPolicy {
  readonly open: BreakerOpenCondition;
  readonly halfOpenAfterMs: number;
  readonly halfOpenProbes: number;
}

export interface DeadLetterTarget {
  readonly subject: string;
  readonly stream: string;
}

export interface ConsumerDescriptor<T> {
  readonly operationId: string;
  readonly stream: string;
  readonly durable: string;
  /** Filter subject of the consumer (NATS subject, may hold wildcards). */
  readonly subject: string;
  readonly message: MessageDescriptor<T>;
  readonly retry: RetryPolicy;
  /** Where dead letters go (none: a message that cannot be handled is terminated and logged). */
  readonly deadLetter?: DeadLetterTarget;
  readonly dedup: DedupConfig;
  readonly breaker?: CircuitBreakerPolicy;
  /** Bulkhead: handlers at once. */
  readonly concurrency: number;
  readonly handlerTimeoutMs: number;
  readonly ackWaitMs: number;
  readonly maxAckPending: number;
  /**
   * Where a new durable consumer starts (default `"all"`): every stored message, only those
   * published after it was created, or the last one per subject. Fixed at creation: changing
   * it later does not alter an existing consumer.
   */
  readonly deliverPolicy?: "all" | "new" | "last";
  /** Replicas of the consumer's state (default 0: as many as its stream). */
  readonly replicas?: number;
  /** Keep the consumer's state in memory (default false). */
  readonly memoryStorage?: boolean;
  /** Description of the durable consumer on the server (the owner's marker is appended). */
  readonly description?: string;
  /**
   * Owner of the durable consumer (the contract's title), as `streams` writes it: a marker in
   * the description and `metadata` on servers 2.10+, so `streams plan` sees no difference.
   */
  readonly managedBy?: string;
}
