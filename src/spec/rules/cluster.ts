/**
 * Cluster layout: mirrors, sources and replicas that JetStream would refuse, or that would
 * leave a replicated stream depending on a less replicated piece.
 */
import { DEFAULT_DEDUP } from "@jetcontract/runtime/internal";
import type { ReceiveOperation, Stream, StreamSource } from "../../model/types.js";
import { channelOf, plural, receives, streamNamed } from "./context.js";
import { type ModelContext, modelRule } from "./types.js";

export const mirrorExclusive = modelRule({
  id: "jc-stream-mirror-exclusive",
  severity: "error",
  also: ["streams"],
  purpose:
    "A mirror stream only copies its origin: it captures no subjects and takes no sources (JetStream refuses both).",
  *check(ctx) {
    for (const s of ctx.contract.streams) {
      if (s.mirror === undefined) continue;
      const here = (...segments: (string | number)[]) =>
        ctx.locate("x-jetstream", "root", "", s.location, "streams", s.name, ...segments);
      if (s.sources.length > 0) {
        yield {
          message: `stream \`${s.name}\` is a mirror and also has \`sources\`: a mirror copies one stream only; make it a plain stream with both as sources, or drop \`sources\``,
          location: here("sources"),
        };
      }
      if (!s.subjectsDerived && s.subjects.length > 0) {
        yield {
          message: `stream \`${s.name}\` is a mirror and lists \`subjects\`: a mirror stores only what it copies; remove \`subjects\``,
          location: here("subjects"),
        };
      }
      for (const c of ctx.contract.channels) {
        if (c.stream !== s.name) continue;
        yield {
          message: `channel \`${c.id}\` names stream \`${s.name}\`, a mirror: messages published there would not be stored; point the channel at the mirror's origin \`${s.mirror.stream}\``,
          location: ctx.locate("x-jetstream", "channel", c.id, c.location, "stream"),
        };
      }
    }
  },
});

export const sourceIsItself = modelRule({
  id: "jc-stream-source-self",
  severity: "error",
  also: ["streams"],
  purpose: "A stream does not mirror or source itself (in its own domain).",
  *check(ctx) {
    for (const s of ctx.contract.streams) {
      for (const origin of origins(s)) {
        if (origin.stream !== s.name || origin.domain !== undefined) continue;
        yield {
          message: `stream \`${s.name}\` copies itself: name another stream, or add \`domain\` when the origin of that name lives in another JetStream domain`,
          location: origin.location,
        };
      }
    }
  },
});

export const sourceUndeclared = modelRule({
  id: "jc-stream-source-undeclared",
  severity: "warning",
  also: ["streams"],
  purpose:
    "A mirror or source in the same domain names a stream this contract declares (a misspelt origin would copy nothing).",
  *check(ctx) {
    const names = new Set(ctx.contract.streams.map((s) => s.name));
    for (const s of ctx.contract.streams) {
      for (const origin of origins(s)) {
        if (origin.domain !== undefined || names.has(origin.stream)) continue;
        yield {
          message: `stream \`${s.name}\` copies \`${origin.stream}\`, which this contract does not declare: it copies nothing until a stream of that name exists (add \`domain\` if it lives in another JetStream domain)`,
          location: origin.location,
        };
      }
    }
  },
});

export const consumerReplicasAboveStream = modelRule({
  id: "jc-consumer-replicas-above-stream",
  severity: "error",
  also: ["streams"],
  purpose: "A consumer has at most as many replicas as its stream (JetStream refuses more).",
  *check(ctx) {
    for (const { op, stream } of receivesWithStreams(ctx)) {
      if (op.consumer.replicas <= stream.replicas) continue;
      yield {
        message: `consumer of \`${op.id}\` asks for ${op.consumer.replicas} replicas, more than the ${stream.replicas} of its stream \`${stream.name}\`: lower \`replicas\` or leave it out (a consumer has as many as its stream)`,
        location: ctx.locate("x-consumer", "operation", op.id, op.consumer.location, "replicas"),
      };
    }
  },
});

export const dedupReplicasBelowStream = modelRule({
  id: "jc-dedup-replicas-below-stream",
  severity: "warning",
  also: ["streams"],
  purpose:
    "A KV dedup bucket is as replicated as the stream it guards: while an R1 bucket's one server is down, every claim fails and consumption stops.",
  *check(ctx) {
    for (const { op, stream } of receivesWithStreams(ctx)) {
      const dedup = op.dedup;
      if (dedup.store !== "kv") continue;
      const replicas = dedup.replicas ?? DEFAULT_DEDUP.kvReplicas;
      if (replicas >= stream.replicas) continue;
      yield {
        message: `dedup bucket \`${dedup.bucket}\` of \`${op.id}\` has ${plural(replicas, "replica")}, fewer than the ${stream.replicas} of stream \`${stream.name}\`: while its server is down the consumer stops; leave \`replicas\` out to match the stream`,
        location: ctx.locate("x-dedup", "operation", op.id, dedup.location, "replicas"),
      };
    }
  },
});

function origins(s: Stream): StreamSource[] {
  return s.mirror !== undefined ? [s.mirror, ...s.sources] : [...s.sources];
}

/** Each receive operation with the stream its channel is stored in. */
function* receivesWithStreams(
  ctx: ModelContext,
): Generator<{ op: ReceiveOperation; stream: Stream }> {
  for (const op of receives(ctx)) {
    const stream = streamNamed(ctx, channelOf(ctx, op)?.stream);
    if (stream) yield { op, stream };
  }
}

export const clusterRules = [
  mirrorExclusive,
  sourceIsItself,
  sourceUndeclared,
  consumerReplicasAboveStream,
  dedupReplicasBelowStream,
];
