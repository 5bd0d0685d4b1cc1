import type { Contract, IdempotencyKey, Message, Operation } from "./types.js";

/**
 * Why `generate` writes no publisher or consumer for an operation (undefined: it writes one).
 * One decision for codegen, which skips the operation, and for `validate`, which says so.
 */
export function notGeneratedBecause(contract: Contract, op: Operation): string | undefined {
  const channel = contract.channels.find((c) => c.id === op.channelId);
  if (!channel || channel.subject === null)
    return "its channel has no address, so there is no subject";
  if (!op.messageIds.some((id) => contract.messages.some((m) => m.id === id)))
    return "it carries no message";
  if (op.action === "receive" && channel.stream === undefined)
    return `channel '${channel.id}' names no stream (x-jetstream.stream)`;
  return undefined;
}

/** The idempotency key all messages share, undefined when none has one, "mixed" otherwise. */
export function sharedIdempotencyKey(
  messages: readonly Message[],
): IdempotencyKey | undefined | "mixed" {
  const keys = messages.map((m) => m.idempotencyKey);
  const first = keys[0];
  const sig = (k: IdempotencyKey | undefined) =>
    k === undefined ? "" : JSON.stringify([k.separator, k.parts.map((p) => [p.source, p.path])]);
  return keys.every((k) => sig(k) === sig(first)) ? first : "mixed";
}
