/**
 * `@jetcontract/runtime/testing`: helpers for testing message handlers.
 *
 * - `fakeHandlerContext()` — a `HandlerContext` for calling a handler directly in a unit test
 *   (no server), with `working()` calls counted and the signal under the test's control.
 * - `runHandlerOnce()` — runs a generated consumer's handler against a real (local) nats-server:
 *   publishes one message with the generated publisher's descriptor, consumes it with the real
 *   consumer (decode, validate, dedup, retry, dead-letter) and resolves with what happened.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import {
  createConsumer,
  type HandlerContext,
  type HandlerSpan,
  type MessageConsumer,
  type MessageHandler,
} from "./consumer.js";
import type { ConsumerDescriptor, MessageHeaders } from "./descriptors.js";
import { ensureConsumer } from "./ensure.js";
import type { DeadLetteredEvent } from "./events.js";
import { createPublisher } from "./publisher.js";

const noopSpan: HandlerSpan = {
  spanContext: () => ({ traceId: "0".repeat(32), spanId: "0".repeat(16) }),
  setAttribute: () => noopSpan,
  addEvent: () => noopSpan,
  isRecording: () => false,
};

/** A fake context plus what the handler did with it. */
export interface FakeHandlerContext extends HandlerContext {
  /** How many times the handler called `working()`. */
  readonly workingCalls: number;
  /** Aborts `signal` (as a handler timeout or a stop past its deadline would). */
  abort(reason?: unknown): void;
}

/** A `HandlerContext` for calling a handler directly; every field can be overridden. */
export function fakeHandlerContext(
  overrides: Partial<Omit<HandlerContext, "working" | "signal">> = {},
): FakeHandlerContext {
  const controller = new AbortController();
  let workingCalls = 0;
  return {
    attempt: 1,
    deliveryCount: 1,
    idempotencyKey: undefined,
    subject: "test.subject",
    headers: {},
    stream: "TEST",
    streamSequence: 1,
    consumer: "test",
    span: noopSpan,
    ...overrides,
    signal: controller.signal,
    working() {
      workingCalls++;
    },
    get workingCalls() {
      return workingCalls;
    },
    abort(reason?: unknown) {
      controller.abort(reason);
    },
  };
}

/** What happened to the one message `runHandlerOnce` sent. */
export type HandlerOutcome =
  | { readonly outcome: "acked"; readonly attempts: number }
  | {
      readonly outcome: "dead-lettered";
      readonly attempts: number;
      readonly event: DeadLetteredEvent;
    };

export interface RunHandlerOnceOptions {
  /** Headers to publish the message with. */
  readonly headers?: MessageHeaders;
  /** Values of the subject's `*` tokens (parameterised channels). */
  readonly params?: readonly string[] | Readonly<Record<string, string>>;
  /** Give up after this long (ms, default 10 000). */
  readonly timeoutMs?: number;
}

/**
 * Publishes `payload` to the consumer's subject and runs `handler` on it with the real consumer
 * until the message is acked or dead-lettered. The stream (and DLQ stream) must exist, e.g. from
 * `jetcontract streams apply`; the durable is created or updated from the descriptor.
 */
export async function runHandlerOnce<T>(
  nc: NatsConnection,
  descriptor: ConsumerDescriptor<T>,
  handler: MessageHandler<T>,
  payload: T,
  options: RunHandlerOnceOptions = {},
): Promise<HandlerOutcome> {
  await ensureConsumer(nc, descriptor);
  const publisher = createPublisher<T>(nc, {
    operationId: `${descriptor.operationId}.test`,
    subject: descriptor.subject,
    message: descriptor.message,
    stream: descriptor.stream,
  });
  const consumer: MessageConsumer = createConsumer(nc, descriptor, handler, {
    catchExhausted: false,
  });
  let attempts = 0;
  const off = consumer.events.on("handlerStarted", () => void attempts++);
  const ac = new AbortController();
  const timer = setTimeout(
    () => ac.abort(new Error("runHandlerOnce: no outcome in time")),
    options.timeoutMs ?? 10_000,
  );
  try {
    await consumer.start();
    const sent = await publisher.publish(payload, {
      ...(options.headers ? { headers: options.headers } : {}),
      ...(options.params ? { params: options.params } : {}),
    });
    const mine = (e: { streamSequence: number }) => e.streamSequence === sent.seq;
    return await Promise.race([
      consumer.events
        .once("acked", mine, ac.signal)
        .then((): HandlerOutcome => ({ outcome: "acked", attempts })),
      consumer.events
        .once("deadLettered", mine, ac.signal)
        .then((event): HandlerOutcome => ({ outcome: "dead-lettered", attempts, event })),
    ]);
  } finally {
    clearTimeout(timer);
    ac.abort();
    off();
    await consumer.stop();
  }
}
