/**
 * `@jetcontract/runtime/internal`: what the jetcontract generator and CLI (`streams`, `dlq`)
 * share with the runtime so that both compute the same server settings and wire formats (one
 * definition). Not for application code; it may change in any release.
 */

export { buildDeadLetterHeaders, deadLetterMsgId } from "./dead-letter.js";
export { kvKeyFor } from "./dedup/kv.js";
export { msToNanos, nanosToMs } from "./duration.js";
export {
  crashBackoffMs,
  MAX_BACKOFF_ENTRIES,
  maxDeliverFor,
  RELEASE_ALLOWANCE,
} from "./ensure.js";
