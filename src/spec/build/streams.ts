/** Streams declared under root `x-jetstream.streams`, with subjects derived from channels. */
import type { Stream, StreamPlacement, StreamSource } from "../../model/types.js";
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
    const at = joinPointer("/x-jetstream/streams", name);
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
      replicas: streamReplicas(raw),
      discard: oneOf(raw.discard, ["old", "new"] as const) ?? "old",
      ...opt("maxAgeMs", dur(raw.maxAge)),
      ...opt("maxBytes", size(raw.maxBytes)),
      ...opt("maxMsgs", typeof raw.maxMsgs === "number" ? raw.maxMsgs : undefined),
      ...opt("maxMsgSizeBytes", size(raw.maxMsgSize)),
      ...opt("duplicateWindowMs", dur(raw.duplicateWindow)),
      ...opt("description", str(raw.description)),
      isDeadLetter: operations.some((o) => o.action === "receive" && o.dlq?.stream === name),
      ...opt("placement", placementOf(raw.placement)),
      ...opt("mirror", sourceOf(ctx, raw.mirror, joinPointer(at, "mirror"))),
      sources: Array.isArray(raw.sources)
        ? raw.sources.flatMap((s, i) => sourceOf(ctx, s, joinPointer(at, "sources", i)) ?? [])
        : [],
      location: locate(ctx, at),
    });
  }
  return streams;
}

/** The replicas a stream annotation asks for (1 when it says nothing). */
export function streamReplicas(raw: Record<string, unknown> | undefined): number {
  return typeof raw?.replicas === "number" ? raw.replicas : 1;
}

/** The raw annotation of stream `name` under the root `x-jetstream.streams`, if declared. */
export function rawStream(
  ctx: BuildContext,
  name: string | undefined,
): Record<string, unknown> | undefined {
  const jet = isRecord(ctx.doc["x-jetstream"]) ? ctx.doc["x-jetstream"] : undefined;
  const streams = isRecord(jet?.streams) ? jet.streams : undefined;
  const raw = name === undefined ? undefined : streams?.[name];
  return isRecord(raw) ? raw : undefined;
}

function placementOf(raw: unknown): StreamPlacement | undefined {
  if (!isRecord(raw)) return undefined;
  const tags = Array.isArray(raw.tags) ? raw.tags.map(String).sort() : [];
  return { ...opt("cluster", str(raw.cluster)), tags };
}

function sourceOf(ctx: BuildContext, raw: unknown, pointer: string): StreamSource | undefined {
  if (!isRecord(raw) || typeof raw.stream !== "string") return undefined;
  return {
    stream: raw.stream,
    ...opt("domain", str(raw.domain)),
    ...opt("filterSubject", str(raw.filterSubject)),
    ...opt("startSeq", typeof raw.startSeq === "number" ? raw.startSeq : undefined),
    location: locate(ctx, pointer),
  };
}
