/**
 * `@jetcontract/runtime/internal`: what the jetcontract generator and CLI (`streams`, `dlq`)
 * share with the runtime so that both compute the same policies, server settings and wire
 * formats (one definition), and the ajv helpers generated validators import. Not for
 * application code; it may change in any release (generated code is regenerated with it).
 *
 * Nothing here loads a NATS client: `validate` and `generate` import this entry point, and the
 * NATS modules cost them about 0.1 s of start-up for nothing.
 */

export { maxBackoffDelayMs } from "./backoff.js";
export * from "./consumer-config.js";
export type * from "./descriptors.js";
export { msToNanos, nanosToMs } from "./duration.js";
export * from "./policy.js";
export {
  AjvValidationError,
  ajvEqual,
  ajvFastFormats,
  ajvFullFormats,
  ajvUcs2length,
  ajvUri,
} from "./validation-support.js";
