/**
 * `@jetcontract/runtime/internal`: what the jetcontract generator and `streams` command share
 * with the runtime so that both stages compute the same server settings (one definition).
 * Not for application code; it may change in any release.
 */
export { msToNanos, nanosToMs } from "./duration.js";
export {
  crashBackoffMs,
  MAX_BACKOFF_ENTRIES,
  maxDeliverFor,
  RELEASE_ALLOWANCE,
} from "./ensure.js";
