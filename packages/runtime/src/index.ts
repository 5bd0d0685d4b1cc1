/**
 * `@jetcontract/runtime`: resilient publish and consume on JetStream. Usable by hand,
 * without the generator; generated code is a thin typed layer over it.
 *
 * The curated public surface. Also: `@jetcontract/runtime/testing` (handler test helpers) and
 * `@jetcontract/runtime/internal` (what jetcontract's generator and CLI share with the runtime;
 * not for application code, it may change in any release).
 */

export { type Backoff, backoffDelayMs, createBackoff, type RandomSource } from "./backoff.js";
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
  type HandlerSpan,
  type MessageConsumer,
  type MessageHandler,
  type StopOptions,
} from "./consumer.js";
// The JetStream consumer config a descriptor stands for (what `ensureConsumer` and `jetcontract
// streams` create); the rest of consumer-config.ts is the CLI's (`./internal`).
export { consumerConfigFor, type JetStreamConsumerConfig } from "./consumer-config.js";
export {
  DEFAULT_DEAD_LETTER_PUBLISH,
  DeadLetterHeaders,
  type DeadLetterMetadata,
  type DeadLetterReason,
} from "./dead-letter.js";
// One way to make each store: its factory (the classes are exported as types only).
export { createKvDedupStore, type KvDedupOptions, type KvDedupStore } from "./dedup/kv.js";
export {
  createMemoryDedupStore,
  type MemoryDedupOptions,
  type MemoryDedupStore,
} from "./dedup/memory.js";
export type { ClaimResult, ClaimToken, DedupStore } from "./dedup/types.js";
export type * from "./descriptors.js";
export {
  type EnsureConsumerOptions,
  type EnsureStreamOptions,
  ensureConsumer,
  ensureStream,
} from "./ensure.js";
export * from "./errors.js";
export type * from "./events.js";
export {
  type ConnectionState,
  type ConsumerHealth,
  evaluateHealth,
  type Health,
} from "./health.js";
export { keyPart } from "./key.js";
export {
  type BreakerInput,
  type ConsumerInput,
  type ConsumerSettings,
  DEFAULT_BREAKER,
  DEFAULT_CONSUMER,
  DEFAULT_DEDUP,
  DEFAULT_KEY_SEPARATOR,
  DEFAULT_PUBLISH_POLICY,
  DEFAULT_RETRY_POLICY,
  type DedupInput,
  durableFromId,
  type PublishInput,
  type RetryInput,
  resolveBreaker,
  resolveConsumer,
  resolveDedup,
  resolvePublishPolicy,
  resolveRetryPolicy,
} from "./policy.js";
export {
  createPublisher,
  fillSubject,
  type PublishExpectations,
  type Publisher,
  type PublisherOptions,
  type PublishOptions,
  type PublishResult,
} from "./publisher.js";
export { messageRef, RedriveHeaders, redriveMsgId, supersededRef } from "./redrive.js";
export { Attr as TelemetryAttributes, INSTRUMENTATION_NAME } from "./semconv.js";
export { createService, type Service, type ServiceOptions } from "./service.js";
