/**
 * `@jetcontract/runtime`: resilient publish and consume on JetStream. Usable by hand,
 * without the generator; generated code is a thin typed layer over it.
 */

export {
  type Backoff,
  backoffDelayMs,
  baseDelayMs,
  createBackoff,
  maxBackoffDelayMs,
  type RandomSource,
  seededRandom,
} from "./backoff.js";
export { type BreakerSnapshot, type BreakerState, CircuitBreaker } from "./breaker.js";
export { Bulkhead } from "./bulkhead.js";
export {
  type CatcherOptions,
  type DeadLetterCatcher,
  maxDeliveriesAdvisorySubject,
  startDeadLetterCatcher,
} from "./catcher.js";
export type { Connectable } from "./connection.js";
export {
  type ConsumerFaults,
  type ConsumerOptions,
  createConsumer,
  type HandlerContext,
  type MessageConsumer,
  type MessageHandler,
  type StopOptions,
} from "./consumer.js";
export {
  buildDeadLetterHeaders,
  DEFAULT_DEAD_LETTER_PUBLISH,
  DeadLetterHeaders,
  type DeadLetterMetadata,
  type DeadLetterReason,
  deadLetterMsgId,
} from "./dead-letter.js";
export { createKvDedupStore, type KvDedupOptions, KvDedupStore, kvKeyFor } from "./dedup/kv.js";
export {
  createMemoryDedupStore,
  type MemoryDedupOptions,
  MemoryDedupStore,
} from "./dedup/memory.js";
export type { ClaimResult, ClaimToken, DedupStore } from "./dedup/types.js";
export type * from "./descriptors.js";
export { msToNanos, nanosToMs } from "./duration.js";
export {
  consumerConfigFor,
  type EnsureConsumerOptions,
  type EnsureStreamOptions,
  ensureConsumer,
  ensureStream,
} from "./ensure.js";
export * from "./errors.js";
export type * from "./events.js";
export { keyPart } from "./key.js";
export { LruTtlMap } from "./lru.js";
export {
  createPublisher,
  DEFAULT_PUBLISH_POLICY,
  fillSubject,
  type PublishExpectations,
  type Publisher,
  type PublisherOptions,
  type PublishOptions,
  type PublishResult,
} from "./publisher.js";
export { messageRef, RedriveHeaders, redriveMsgId, supersededRef } from "./redrive.js";
export { Attr as TelemetryAttributes, INSTRUMENTATION_NAME } from "./telemetry.js";
export {
  AjvValidationError,
  ajvEqual,
  ajvFastFormats,
  ajvFullFormats,
  ajvUcs2length,
  ajvUri,
} from "./validation-support.js";
