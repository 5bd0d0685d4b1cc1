/**
 * Dead-lettering: the original payload and headers, plus origin and failure headers, published
 * to the DLQ subject with an id derived from stream and sequence (so a repeat after a crash is
 * removed by the DLQ stream's duplicate window). The caller terminates the original only after
 * this publish was acknowledged.
 */
import { headers as createHeaders, type MsgHdrs } from "@nats-io/nats-core";
import type { RandomSource } from "./backoff.js";
import type { JsHandles } from "./connection.js";
import { safeHeaderValue } from "./connection.js";
import type { DeadLetterTarget, PublishPolicy } from "./descriptors.js";
import { type PublishResult, publishWithRetry } from "./publisher.js";

/** Header names added to dead-lettered messages. */
export const DeadLetterHeaders = {
  originSubject: "Jetcontract-Origin-Subject",
  originStream: "Jetcontract-Origin-Stream",
  originSequence: "Jetcontract-Origin-Sequence",
  originConsumer: "Jetcontract-Origin-Consumer",
  originMsgId: "Jetcontract-Origin-Msg-Id",
  attempts: "Jetcontract-Attempts",
  deliveries: "Jetcontract-Deliveries",
  errorClass: "Jetcontract-Error-Class",
  errorMessage: "Jetcontract-Error-Message",
  firstFailure: "Jetcontract-First-Failure",
  lastFailure: "Jetcontract-Last-Failure",
  reason: "Jetcontract-Dead-Letter-Reason",
} as const;

export type DeadLetterReason = "permanent" | "attempts-exhausted" | "max-deliveries";

export interface DeadLetterMetadata {
  readonly originSubject: string;
  readonly originStream: string;
  readonly originSequence: number;
  readonly originConsumer: string;
  /** Handler attempts that failed (breaker and stop releases not counted). */
  readonly attempts: number;
  /** Deliveries the server made. */
  readonly deliveries: number;
  readonly errorClass: string;
  readonly errorMessage: string;
  readonly firstFailureAt: Date;
  readonly lastFailureAt: Date;
  readonly reason: DeadLetterReason;
}

/** Used for DLQ publishes unless the consumer is given another policy. */
export const DEFAULT_DEAD_LETTER_PUBLISH: PublishPolicy = {
  timeoutMs: 2_000,
  deadlineMs: 10_000,
  retry: {
    maxAttempts: 6,
    strategy: "exponential",
    initialDelayMs: 100,
    maxDelayMs: 1_000,
    multiplier: 2,
    jitter: "equal",
  },
};

/** The DLQ message id: one per source stream and sequence. */
export function deadLetterMsgId(stream: string, seq: number): string {
  return `dlq:${stream}:${seq}`;
}

// Headers that would change how the DLQ stream stores the copy.
const DROPPED = /^(nats-msg-id|nats-expected-.*|nats-rollup|nats-ttl)$/i;

/** Original headers (all values, minus store-control ones) plus the dead-letter metadata. */
export function buildDeadLetterHeaders(
  original: MsgHdrs | undefined,
  meta: DeadLetterMetadata,
): MsgHdrs {
  const h = createHeaders();
  if (original) {
    for (const [key, values] of original) {
      if (DROPPED.test(key)) continue;
      for (const v of values) h.append(key, v);
    }
    const id = original.get("Nats-Msg-Id");
    if (id) h.set(DeadLetterHeaders.originMsgId, safeHeaderValue(id));
  }
  h.set(DeadLetterHeaders.originSubject, meta.originSubject);
  h.set(DeadLetterHeaders.originStream, meta.originStream);
  h.set(DeadLetterHeaders.originSequence, String(meta.originSequence));
  h.set(DeadLetterHeaders.originConsumer, meta.originConsumer);
  h.set(DeadLetterHeaders.attempts, String(meta.attempts));
  h.set(DeadLetterHeaders.deliveries, String(meta.deliveries));
  h.set(DeadLetterHeaders.errorClass, safeHeaderValue(meta.errorClass, 256));
  h.set(DeadLetterHeaders.errorMessage, safeHeaderValue(meta.errorMessage || "(no message)", 1024));
  h.set(DeadLetterHeaders.firstFailure, meta.firstFailureAt.toISOString());
  h.set(DeadLetterHeaders.lastFailure, meta.lastFailureAt.toISOString());
  h.set(DeadLetterHeaders.reason, meta.reason);
  return h;
}

/** Publishes the dead-letter copy; resolves once the DLQ stream acknowledged it. */
export function publishDeadLetter(
  handles: JsHandles,
  target: DeadLetterTarget,
  data: Uint8Array,
  original: MsgHdrs | undefined,
  meta: DeadLetterMetadata,
  policy: PublishPolicy = DEFAULT_DEAD_LETTER_PUBLISH,
  random: RandomSource = Math.random,
): Promise<PublishResult> {
  return publishWithRetry(handles, {
    subject: target.subject,
    data,
    msgId: deadLetterMsgId(meta.originStream, meta.originSequence),
    headers: buildDeadLetterHeaders(original, meta),
    policy,
    random,
    stream: target.stream,
    expect: { streamName: target.stream },
  });
}
