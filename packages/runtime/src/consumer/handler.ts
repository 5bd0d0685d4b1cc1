/**
 * Running a handler: its context (the AbortController made only when `signal` is read) and the
 * race against the handler timeout, with the consumer span active while it runs.
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { ClaimToken } from "../dedup/types.js";
import type { MessageHeaders } from "../descriptors.js";
import { HandlerTimeoutError } from "../errors.js";
import { context, type Span, trace } from "../telemetry.js";
import type { HandlerContext, MessageHandler } from "./types.js";

/** A delivery being handled here: what its heartbeats, lease renewals and stop need. */
export interface InFlight {
  readonly msg: JsMsg;
  /** The message's stream sequence (read once: nats.js parses it from the reply subject). */
  readonly seq: number;
  lastBeatMs: number;
  lastRenewMs: number;
  token: ClaimToken | undefined;
  controller: AbortController | undefined;
  /** Given back by a stop past its deadline (its outcome is no longer sent). */
  released: boolean;
}

export function inFlight(msg: JsMsg): InFlight {
  const now = Date.now();
  return {
    msg,
    seq: msg.seq,
    lastBeatMs: now,
    lastRenewMs: now,
    token: undefined,
    controller: undefined,
    released: false,
  };
}

export class MessageContext implements HandlerContext {
  readonly deliveryCount: number;
  readonly subject: string;
  readonly streamSequence: number;

  constructor(
    private readonly entry: InFlight,
    readonly stream: string,
    readonly consumer: string,
    readonly attempt: number,
    readonly idempotencyKey: string | undefined,
    readonly headers: MessageHeaders,
    readonly span: Span,
    private readonly beat: () => void,
  ) {
    this.deliveryCount = entry.msg.info.deliveryCount;
    this.subject = entry.msg.subject;
    this.streamSequence = entry.msg.seq;
  }

  get signal(): AbortSignal {
    this.entry.controller ??= new AbortController();
    return this.entry.controller.signal;
  }

  working(): void {
    this.entry.lastBeatMs = Date.now();
    this.beat();
  }
}

/**
 * Runs `handler`, with `span` active when one is given (see `ConsumerTracing.needsContext`). A
 * synchronous handler is done when it returns (undefined is returned); a promise races the
 * timeout: the first to settle wins, and the handler's outcome clears the timer, so a handler
 * that finishes in time is never aborted.
 */
export function runHandler<T>(
  handler: MessageHandler<T>,
  payload: T,
  ctx: MessageContext,
  entry: InFlight,
  span: Span | undefined,
  timeoutMs: number,
): Promise<void> | undefined {
  const result = span
    ? context.with(trace.setSpan(context.active(), span), () => handler(payload, ctx))
    : handler(payload, ctx);
  if (!(result instanceof Promise)) return undefined;
  return new Promise<void>((resolve, reject) => {
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            const error = new HandlerTimeoutError(timeoutMs);
            entry.controller?.abort(error);
            reject(error);
          }, timeoutMs)
        : undefined;
    result.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
