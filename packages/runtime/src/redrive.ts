/**
 * Re-driven dead letters. `jetcontract dlq redrive` publishes a dead letter back to its origin
 * subject with the dead-letter headers it carried (origin stream and sequence among them) plus
 * the headers below. The consumer's dedup step reads them: the key's claim may still be held by
 * the failed original (a process that died in the handler leaves its claim behind), and a
 * claim held by the message this one replaces is taken over instead of counting as a duplicate.
 */
import { DeadLetterHeaders } from "./dead-letter.js";
import type { MessageHeaders as Headers } from "./descriptors.js";

/** Header names added to re-driven messages. */
export const RedriveHeaders = {
  /** How many times this message was re-driven (1 on the first re-drive). */
  count: "Jetcontract-Redrive-Count",
  dlqStream: "Jetcontract-Redrive-Dlq-Stream",
  dlqSequence: "Jetcontract-Redrive-Dlq-Sequence",
  /** When the re-drive published it (ISO 8601). */
  at: "Jetcontract-Redrive-At",
} as const;

/**
 * The `Nats-Msg-Id` of a re-drive: one per DLQ stream and sequence, so the origin stream's
 * duplicate window does not drop it as the original, and a re-run after a crash does not
 * publish it twice.
 */
export function redriveMsgId(dlqStream: string, dlqSequence: number): string {
  return `redrive:${dlqStream}:${dlqSequence}`;
}

/** How the consumer names a message in dedup claims: `stream:sequence`. */
export function messageRef(stream: string, sequence: number): string {
  return `${stream}:${sequence}`;
}

/** For a re-driven message, the ref of the failed original it replaces; otherwise undefined. */
export function supersededRef(headers: Headers): string | undefined {
  if (headers[RedriveHeaders.count] === undefined) return undefined;
  const stream = headers[DeadLetterHeaders.originStream];
  const sequence = Number(headers[DeadLetterHeaders.originSequence]);
  if (!stream || !Number.isSafeInteger(sequence) || sequence <= 0) return undefined;
  return messageRef(stream, sequence);
}
