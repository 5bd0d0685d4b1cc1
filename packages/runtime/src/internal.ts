/**
 * `@jetcontract/runtime/internal`: what the jetcontract generator and `streams` command share
 * with the runtime so that both stages compute the same policies and server settings (one
 * definition). Not for application code; it may change in any release.
 */

export { maxBackoffDelayMs } from "./backoff.js";
export * from "./consumer-config.js";
export type * from "./descriptors.js";
export { msToNanos, nanosToMs } from "./duration.js";
export * from "./policy.js";
