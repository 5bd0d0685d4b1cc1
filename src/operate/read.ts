/**
 * Reading DLQ streams (IO). A whole stream is read with one ordered consumer (the fastest way
 * nats.js offers to scan a stream; nothing is acked, the stream is left as it was); a single
 * dead letter with a direct get by sequence.
 */
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type StreamInfo,
} from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";
import { type DeadLetter, toDeadLetter } from "./dead-letter.js";
import { OperateInputError, OperateServerError } from "./errors.js";

export interface ReadOptions {
  readonly fromSeq?: number;
  readonly toSeq?: number;
  /** Read headers only (stats, ls, purge): much less to transfer. */
  readonly headersOnly?: boolean;
  readonly signal?: AbortSignal;
}

/** Stream info, or an `OperateInputError` when the stream does not exist. */
export async function streamInfo(jsm: JetStreamManager, stream: string): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(stream);
  } catch (error) {
    if (isNotFound(error)) {
      throw new OperateInputError(`stream ${stream} does not exist on the server`);
    }
    throw new OperateServerError(`cannot read stream ${stream}: ${oneLine(error)}`, {
      cause: error,
    });
  }
}

/** Every dead letter of `stream` in sequence order (between `fromSeq` and `toSeq` if given). */
export async function* readDeadLetters(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  options: ReadOptions = {},
): AsyncGenerator<DeadLetter> {
  const info = await streamInfo(jsm, stream);
  const start = Math.max(info.state.first_seq, options.fromSeq ?? 1);
  const last = Math.min(info.state.last_seq, options.toSeq ?? Number.MAX_SAFE_INTEGER);
  if (info.state.messages === 0 || start > last) return;
  const consumer = await js.consumers.get(stream, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
    headers_only: options.headersOnly === true,
  });
  const toDead = (m: JsMsg) =>
    toDeadLetter({
      stream,
      seq: m.seq,
      subject: m.subject,
      storedAtMs: m.time.getTime(),
      headers: headerRecord(m.headers),
      size: options.headersOnly ? Number(m.headers?.get("Nats-Msg-Size") ?? 0) : m.data.length,
      ...(options.headersOnly ? {} : { data: m.data }),
    });
  // `consume()` keeps pulls in flight (about twice the speed of fetch after fetch) but waits
  // for new messages when none is left from `start` on: use it when a message exists at
  // `start` (the stream's first, or one the caller named that was not deleted).
  const safe = start === info.state.first_seq || (await messageExists(jsm, stream, start));
  for (;;) {
    const batch = safe
      ? await consumer.consume({ max_messages: 2_048 })
      : await consumer.fetch({ max_messages: 2_048, expires: 1_000 });
    let received = 0;
    let done = false;
    try {
      for await (const m of batch) {
        received++;
        if (options.signal?.aborted) {
          done = true;
          break;
        }
        yield toDead(m);
        if (m.seq >= last || m.info.pending === 0) {
          done = true;
          break;
        }
      }
    } finally {
      await batch.close();
    }
    // A fetch that came back empty: nothing is left from `start` on.
    if (done || received === 0) return;
  }
}

async function messageExists(jsm: JetStreamManager, stream: string, seq: number) {
  try {
    return (await jsm.streams.getMessage(stream, { seq })) !== null;
  } catch {
    return false;
  }
}

/** One dead letter by sequence, with its payload. */
export async function readDeadLetter(
  jsm: JetStreamManager,
  stream: string,
  seq: number,
): Promise<DeadLetter> {
  let stored: Awaited<ReturnType<JetStreamManager["streams"]["getMessage"]>>;
  try {
    stored = await jsm.streams.getMessage(stream, { seq });
  } catch (error) {
    if (!isNotFound(error)) {
      throw new OperateServerError(`cannot read ${stream} #${seq}: ${oneLine(error)}`, {
        cause: error,
      });
    }
    stored = null;
  }
  if (!stored) throw new OperateInputError(`${stream} has no message #${seq}`);
  return toDeadLetter({
    stream,
    seq: stored.seq,
    subject: stored.subject,
    storedAtMs: stored.time.getTime(),
    headers: headerRecord(stored.header),
    size: stored.data.length,
    data: stored.data,
  });
}

// Added by the server to headers-only deliveries; not the message's own.
const SERVER_ADDED = new Set(["nats-msg-size"]);

/** Headers as a record, first value of each. */
export function headerRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [key, values] of h) {
    if (SERVER_ADDED.has(key.toLowerCase()) || values[0] === undefined) continue;
    out[key] = values[0];
  }
  return out;
}

export function isNotFound(error: unknown): boolean {
  const e = error as { code?: unknown; api_error?: { err_code?: number } } | undefined;
  const code = e?.api_error?.err_code;
  return code === 10059 || code === 10037 || code === 10014 || /not found/i.test(oneLine(error));
}

export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, " ").trim();
}
