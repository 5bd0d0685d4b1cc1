/**
 * The Contract model: the one representation every stage after validation reads.
 *
 * Plain, serialisable data (JSON.stringify round-trips it): no parser objects, no
 * classes, no functions. Durations are milliseconds and sizes are bytes, with the unit
 * in the field name. Every element keeps the location of the node it came from so that
 * later stages (codegen, streams, compat) can report problems at file:line:column.
 *
 * Arrays are sorted by their `id`/`name` so that output built from the model is
 * deterministic.
 */

import type {
  ConsumerSettings,
  DeadLetterTarget,
  DedupConfig,
  MonitorSettings,
  CircuitBreakerPolicy as RuntimeBreakerPolicy,
  PublishPolicy as RuntimePublishPolicy,
  RetryPolicy as RuntimeRetryPolicy,
} from "@jetcontract/runtime/internal";

/** A position in a source file. `line` and `column` are 1-based; `pointer` is the JSON pointer. */
export interface SourceLocation {
  /** Path as the user gave it (root file) or relative to the current directory (referenced files). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** JSON pointer of the node inside `file`, e.g. `/channels/orderCreated/x-jetstream`. */
  readonly pointer: string;
}

/**
 * A JSON Schema (draft-07 vocabulary as AsyncAPI uses it, plus `nullable`, `$defs`).
 *
 * Schemas in the model are self-contained and fully dereferenced: every `$ref` of the source
 * is inlined, except references that take part in a cycle. Those become
 * `{ "$ref": "#/$defs/<Name>" }` and the definition lives once in the `$defs` of the
 * root schema that holds them (a message's payload or headers), so recursion terminates.
 *
 * Two annotation keywords are added by the loader (both ignored by JSON Schema validators
 * running in non-strict mode; `stripAnnotations()` in `./schema.ts` removes them):
 * - `x-jc-name`: the node was reached through a named `$ref` (components/schemas key, or the
 *   last segment of a file reference); codegen emits it as one named type.
 * - `x-jc-at`: `"<file>:<line>:<column>"` of the node in its own source file.
 * Parser bookkeeping keys (`x-parser-*`) are removed.
 */
export type JsonSchema = boolean | JsonSchemaObject;
export interface JsonSchemaObject {
  readonly [keyword: string]: unknown;
}

/** Compatibility modes, as the Confluent Schema Registry names them. */
export type CompatibilityMode =
  | "BACKWARD"
  | "BACKWARD_TRANSITIVE"
  | "FORWARD"
  | "FORWARD_TRANSITIVE"
  | "FULL"
  | "FULL_TRANSITIVE"
  | "NONE";

export interface Contract {
  /** The `asyncapi` field of the document, e.g. `3.0.0` or `2.6.0`. */
  readonly asyncapiVersion: string;
  readonly info: {
    readonly title: string;
    readonly version: string;
    readonly description?: string;
  };
  /** Root document and every local file its `$ref`s reached, in load order (root first). */
  readonly files: readonly string[];
  /** Root `x-compatibility`, or `BACKWARD` when absent. */
  readonly defaultCompatibility: CompatibilityMode;
  readonly servers: readonly Server[];
  readonly streams: readonly Stream[];
  readonly channels: readonly Channel[];
  readonly messages: readonly Message[];
  readonly operations: readonly Operation[];
  readonly location: SourceLocation;
}

export interface Server {
  readonly id: string;
  /** `host` (3.x) or `url` (2.x) as written. */
  readonly host: string;
  readonly protocol: string;
  readonly description?: string;
  readonly location: SourceLocation;
}

export type RetentionPolicy = "limits" | "interest" | "workqueue";
export type StorageType = "file" | "memory";
export type DiscardPolicy = "old" | "new";

/** A JetStream stream declared under root `x-jetstream.streams.<name>`. */
export interface Stream {
  readonly name: string;
  /**
   * NATS subjects the stream captures. When the annotation omits them, these are the
   * subjects of the channels that name this stream (`subjectsDerived` is then true).
   */
  readonly subjects: readonly string[];
  readonly subjectsDerived: boolean;
  readonly retention: RetentionPolicy;
  readonly storage: StorageType;
  readonly replicas: number;
  readonly discard: DiscardPolicy;
  readonly maxAgeMs?: number;
  readonly maxBytes?: number;
  readonly maxMsgs?: number;
  readonly maxMsgSizeBytes?: number;
  /** Publish dedup window (`duplicate_window`); absent means the server default (2 minutes). */
  readonly duplicateWindowMs?: number;
  readonly description?: string;
  /** True when some operation's `x-dlq` names this stream as its dead-letter stream. */
  readonly isDeadLetter: boolean;
  /** Where the stream's replicas live (`placement`); absent: anywhere the server picks. */
  readonly placement?: StreamPlacement;
  /** The stream this one mirrors (then it captures no subjects of its own). */
  readonly mirror?: StreamSource;
  /** Streams this one also copies from, in the order written. */
  readonly sources: readonly StreamSource[];
  readonly location: SourceLocation;
}

export interface StreamPlacement {
  readonly cluster?: string;
  /** Sorted. */
  readonly tags: readonly string[];
}

/** A stream copied by a mirror or a source. */
export interface StreamSource {
  readonly stream: string;
  /** JetStream domain of the origin; absent: the same domain. */
  readonly domain?: string;
  readonly filterSubject?: string;
  readonly startSeq?: number;
  readonly location: SourceLocation;
}

export interface ChannelParameter {
  readonly name: string;
  readonly description?: string;
  readonly enum?: readonly string[];
  readonly location: SourceLocation;
}

export interface Channel {
  /** Channel key in 3.x; the address (the channel key) in 2.x. */
  readonly id: string;
  /** AsyncAPI address as written, e.g. `orders.{region}.created`; null when the document has none. */
  readonly address: string | null;
  /** NATS subject: the address with each `{param}` replaced by `*`; null when address is null. */
  readonly subject: string | null;
  readonly parameters: readonly ChannelParameter[];
  /** `x-jetstream.stream` of the channel. */
  readonly stream?: string;
  /** Ids of the messages the channel carries, sorted. */
  readonly messageIds: readonly string[];
  readonly title?: string;
  readonly description?: string;
  /** True when some receive operation's `x-dlq` points at this channel. */
  readonly isDeadLetter: boolean;
  readonly location: SourceLocation;
}

/** One part of an idempotency key: a value read from the payload or a header. */
export interface IdempotencyKeyPart {
  /** The runtime expression as written, e.g. `$message.payload#/orderId`. */
  readonly expression: string;
  readonly source: "payload" | "header";
  /** JSON pointer into the payload or headers object, e.g. `/orderId` or `/customer/id`. */
  readonly pointer: string;
  /** The pointer split into unescaped segments, e.g. `["customer", "id"]`. */
  readonly path: readonly string[];
}

export interface IdempotencyKey {
  /** One or more parts; a composite key joins the parts' string values with `separator`. */
  readonly parts: readonly IdempotencyKeyPart[];
  readonly separator: string;
  readonly location: SourceLocation;
}

export interface MessageExample {
  readonly name?: string;
  readonly payload?: unknown;
  readonly headers?: unknown;
}

export interface Message {
  /**
   * Unique id: the components/messages key; else (2.x) its `messageId`; else, for a message
   * reached through a `$ref` into another file, the last segment of the reference (e.g.
   * `./messages.yaml#/ShipmentDispatched` → `ShipmentDispatched`); else `<channelId>.<messageKey>`
   * (3.x) or `<operationId>.message` (2.x, `.message<i>` for each `oneOf` entry).
   * A clash gets a numeric suffix.
   */
  readonly id: string;
  /** `name` of the message when set, else the id. */
  readonly name: string;
  readonly title?: string;
  readonly summary?: string;
  readonly description?: string;
  /** The message's content type, else the document's `defaultContentType`, else `application/json`. */
  readonly contentType: string;
  /** Absent when the message has no payload, or when its schema is not JSON Schema (see `schemaFormat`). */
  readonly payload?: JsonSchema;
  readonly headers?: JsonSchema;
  /**
   * The payload's `schemaFormat` when it is not JSON Schema / AsyncAPI Schema (e.g. Avro);
   * `payload` is then absent. Added by the loader (additive).
   */
  readonly schemaFormat?: string;
  readonly idempotencyKey?: IdempotencyKey;
  /** Effective mode: the message's own `x-compatibility`, else the root default. */
  readonly compatibility: CompatibilityMode;
  /** True when the message sets `x-compatibility` itself. */
  readonly compatibilityExplicit: boolean;
  readonly examples: readonly MessageExample[];
  /** Ids of channels that carry this message, sorted. */
  readonly channelIds: readonly string[];
  readonly location: SourceLocation;
  readonly payloadLocation?: SourceLocation;
  readonly headersLocation?: SourceLocation;
}

// Policy shapes are the runtime's (the descriptors generated code hands it), plus where the
// annotation was written: the model holds what runs, and codegen prints it as it is.
export type {
  BackoffStrategy,
  BreakerOpenCondition,
  Jitter,
} from "@jetcontract/runtime/internal";

/**
 * Delay schedule between attempts. Either computed (`strategy` with its parameters) or an
 * explicit list (`delaysMs`; when shorter than the retries, its last entry repeats).
 * `maxAttempts` counts every delivery/attempt, including the first.
 */
export interface RetryPolicy extends RuntimeRetryPolicy {
  readonly location: SourceLocation;
}

/** The durable consumer of a receive operation (`x-consumer` over the defaults). */
export interface ConsumerPolicy extends ConsumerSettings {
  /** Description of the durable on the server: the operation's summary, else title, else a default. */
  readonly description: string;
  /** Owner marked on the durable (the contract's title). */
  readonly managedBy: string;
  readonly location: SourceLocation;
}

/** Thresholds `jetcontract status --check` applies (`x-monitor`); above one: CRITICAL. */
export interface MonitorPolicy extends MonitorSettings {
  readonly location: SourceLocation;
}

export interface DeadLetterPolicy extends DeadLetterTarget {
  /** Channel the `$ref` points at; its subject is the DLQ subject. */
  readonly channelId: string;
  readonly location: SourceLocation;
}

export type DedupPolicy = DedupConfig & { readonly location: SourceLocation };

export interface CircuitBreakerPolicy extends RuntimeBreakerPolicy {
  readonly location: SourceLocation;
}

export interface PublishPolicy extends Omit<RuntimePublishPolicy, "retry"> {
  /** Retries of transient publish failures, under the same `Nats-Msg-Id`. */
  readonly retry: RetryPolicy;
  readonly location: SourceLocation;
}

/** Operation annotations (the others are defaults). */
export type OperationAnnotation =
  | "x-consumer"
  | "x-retry"
  | "x-dlq"
  | "x-dedup"
  | "x-circuit-breaker"
  | "x-monitor"
  | "x-publish";

interface OperationBase {
  /**
   * 3.x: the operations key. 2.x: `operationId`, else `<channel address>.publish|subscribe`
   * (not an identifier: emitters must make it one).
   */
  readonly id: string;
  readonly channelId: string;
  /** Messages of the operation (all the channel's messages when the operation lists none), sorted. */
  readonly messageIds: readonly string[];
  readonly title?: string;
  readonly summary?: string;
  readonly description?: string;
  /**
   * The operation annotations written in the document, sorted. Every policy is resolved either
   * way (the runtime's defaults fill what is not written); rules and diffs that care whether
   * the author chose a policy read this.
   */
  readonly annotated: readonly OperationAnnotation[];
  /** The operation's location; a defaulted policy's location is this too. */
  readonly location: SourceLocation;
}

/** Policies are fully resolved: later stages read them as they are and never default them. */
export interface SendOperation extends OperationBase {
  readonly action: "send";
  readonly publish: PublishPolicy;
}

export interface ReceiveOperation extends OperationBase {
  readonly action: "receive";
  readonly consumer: ConsumerPolicy;
  /** `x-monitor` resolved over its defaults: what `jetcontract status --check` applies. */
  readonly monitor: MonitorPolicy;
  readonly retry: RetryPolicy;
  /** Null when the operation has no `x-dlq` (a failed message is then terminated). */
  readonly dlq: DeadLetterPolicy | null;
  readonly dedup: DedupPolicy;
  /** Null when the operation has no `x-circuit-breaker`. */
  readonly circuitBreaker: CircuitBreakerPolicy | null;
}

export type Operation = SendOperation | ReceiveOperation;
