/**
 * The consumer's spans, after the messaging semantic conventions (v1.44): a `process` span per
 * handler run (CONSUMER, a child of the producer's span carried in the headers) and a settle
 * span per ack, nak or term (`{op} {destination template}`, CLIENT, a child of the process span
 * when there is one); both link to the message's creation context.
 */
import type { JsMsg } from "@nats-io/jetstream";
import { headersToRecord } from "../connection.js";
import type { MessageHeaders } from "../descriptors.js";
import {
  Attr,
  type Attributes,
  type Context,
  creationLinks,
  extractTraceContext,
  type Link,
  type Span,
  SpanKind,
  trace,
  tracer,
} from "../telemetry.js";
import type { SettleKind } from "./decisions.js";

/** The trace contexts of one message: its creation context and, once started, its process span. */
export interface MessageTrace {
  readonly creation: Context;
  /** The links to the creation context (none when the message carried none). */
  readonly links: readonly Link[];
  process?: Span;
  /** Whether the process span recorded when it started (an ended span no longer says). */
  recording?: boolean;
}

/** The options of a process span with nothing to link to (shared: one per message otherwise). */
const UNLINKED_PROCESS_SPAN = { kind: SpanKind.CONSUMER } as const;

export class ConsumerTracing {
  readonly #tracer = tracer();
  readonly #processName: string;

  constructor(
    /** The subject pattern that names spans (low-cardinality). */
    private readonly template: string,
    /** Attributes every span and metric of the consumer carries. */
    private readonly attrs: Attributes,
    private readonly stream: string,
  ) {
    this.#processName = `process ${template}`;
  }

  /**
   * Whether a handler must run with its process span active: when the span records, or carries
   * the producer's trace (an unsampled one is still passed on by the handler's own publishes).
   * Otherwise the span is the invalid one and activating it would change nothing.
   */
  needsContext(traced: MessageTrace): boolean {
    return traced.recording === true || traced.links.length > 0;
  }

  /** The trace of a message from its headers (the creation context the producer injected). */
  trace(headers: MessageHeaders): MessageTrace {
    const creation = extractTraceContext(headers);
    return { creation, links: creationLinks(creation) };
  }

  /** The trace of a message whose headers were not read yet. */
  traceOf(m: JsMsg): MessageTrace {
    return this.trace(headersToRecord(m.headers));
  }

  /** Starts the process span of a handler run (attributes only when it records). */
  startProcess(traced: MessageTrace, m: JsMsg, attempt: number, key: string | undefined): Span {
    const span = this.#tracer.startSpan(
      this.#processName,
      traced.links.length > 0
        ? { kind: SpanKind.CONSUMER, links: [...traced.links] } // a span may add to its own
        : UNLINKED_PROCESS_SPAN,
      traced.creation,
    );
    traced.process = span;
    traced.recording = span.isRecording();
    if (traced.recording) {
      span.setAttributes({
        ...this.attrs,
        [Attr.destination]: m.subject,
        [Attr.stream]: this.stream,
        [Attr.streamSequence]: m.seq,
        [Attr.deliveryCount]: m.info.deliveryCount,
        [Attr.attempt]: attempt,
        ...(key !== undefined ? { [Attr.messageId]: key } : {}),
      });
    }
    return span;
  }

  /** Starts a settle span; undefined when nothing records (no SDK, or not sampled). */
  startSettle(op: SettleKind, m: JsMsg, traced: MessageTrace): Span | undefined {
    // Tracing is off when the process span did not record: no settle span either.
    if (traced.recording === false) return undefined;
    const parent = traced.process
      ? trace.setSpan(traced.creation, traced.process)
      : traced.creation;
    const span = this.#tracer.startSpan(
      `${op} ${this.template}`,
      { kind: SpanKind.CLIENT, links: [...traced.links] },
      parent,
    );
    if (!span.isRecording()) return undefined;
    span.setAttributes({
      ...this.attrs,
      [Attr.operationName]: op,
      [Attr.operationType]: "settle",
      [Attr.destination]: m.subject,
      [Attr.stream]: this.stream,
      [Attr.streamSequence]: m.seq,
    });
    return span;
  }
}
