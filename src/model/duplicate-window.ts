import type { Contract, SendOperation, Stream } from "./types.js";

/** The server's default duplicate window (2 minutes). */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

export interface DuplicateWindow {
  /** The `duplicate_window` the stream gets. */
  readonly windowMs: number;
  /** The longest `x-publish` deadline of the operations publishing into the stream. */
  readonly longestDeadline?: { readonly ms: number; readonly operation: SendOperation };
}

/**
 * The duplicate window of a stream, decided once for `validate` and `streams`: the contract's
 * value when it gives one; otherwise the server default, raised to the longest publish
 * deadline into the stream so retried publishes stay deduplicated, and never above `maxAge`
 * (the server refuses a window longer than the stream keeps messages).
 */
export function duplicateWindowOf(contract: Contract, stream: Stream): DuplicateWindow {
  let longest: DuplicateWindow["longestDeadline"];
  for (const op of contract.operations) {
    if (op.action !== "send" || !op.publish) continue;
    const channel = contract.channels.find((c) => c.id === op.channelId);
    if (channel?.stream !== stream.name) continue;
    if (!longest || op.publish.deadlineMs > longest.ms) {
      longest = { ms: op.publish.deadlineMs, operation: op };
    }
  }
  const extra = longest ? { longestDeadline: longest } : {};
  if (stream.duplicateWindowMs !== undefined) {
    return { windowMs: stream.duplicateWindowMs, ...extra };
  }
  const wanted = Math.max(DEFAULT_DUPLICATE_WINDOW_MS, longest?.ms ?? 0);
  const maxAge = stream.maxAgeMs ?? 0;
  return { windowMs: maxAge > 0 ? Math.min(wanted, maxAge) : wanted, ...extra };
}
