/** Streams declared under root `x-jetstream.streams`, with subjects derived from channels. */
import type { Stream } from "../../model/types.js";
import { isRecord, joinPointer } from "../pointer.js";
import type { MutableChannel } from "./channels.js";
import { type BuildContext, dur, entries, locate, oneOf, opt, size, str } from "./context.js";
import type { MutableOperation } from "./operations.js";

export function buildStreams(
  ctx: BuildContext,
  channels: readonly MutableChannel[],
  operations: readonly MutableOperation[],
): Stream[] {
  const streams: Stream[] = [];
  const jet = isRecord(ctx.doc["x-jetstream"]) ? ctx.doc["x-jetstream"] : undefined;
  for (const [name, raw] of entries(jet?.streams)) {
    if (!isRecord(raw)) continue;
    const explicit = Array.isArray(raw.subjects) ? raw.subjects.map(String) : undefined;
    const derived = channels
      .filter((c) => c.stream === name && c.subject !== null)
      .map((c) => c.subject as string);
    streams.push({
      name,
      subjects: explicit ?? [...new Set(derived)].sort(),
      subjectsDerived: explicit === undefined,
      retention: oneOf(raw.retention, ["limits", "interest", "workqueue"] as const) ?? "limits",
      storage: oneOf(raw.storage, ["file", "memory"] as const) ?? "file",
      replicas: typeof raw.replicas === "number" ? raw.replicas : 1,
      discard: oneOf(raw.discard, ["old", "new"] as const) ?? "old",
      ...opt("maxAgeMs", dur(raw.maxAge)),
      ...opt("maxBytes", size(raw.maxBytes)),
      ...opt("maxMsgs", typeof raw.maxMsgs === "number" ? raw.maxMsgs : undefined),
      ...opt("maxMsgSizeBytes", size(raw.maxMsgSize)),
      ...opt("duplicateWindowMs", dur(raw.duplicateWindow)),
      ...opt("description", str(raw.description)),
      isDeadLetter: operations.some((o) => o.action === "receive" && o.dlq?.stream === name),
      location: locate(ctx, joinPointer("/x-jetstream/streams", name)),
    });
  }
  return streams;
}
