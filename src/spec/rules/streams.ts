/** Streams and subjects: what JetStream would refuse, or where messages would not be stored. */
import { DEFAULT_DUPLICATE_WINDOW_MS, duplicateWindowOf } from "../../model/duplicate-window.js";
import {
  jetStreamNameError,
  subjectCovers,
  subjectError,
  subjectsOverlap,
} from "../../model/subjects.js";
import type { Stream } from "../../model/types.js";
import { channelOf, didYouMean, ms, receives, sends, streamNamed } from "./context.js";
import { modelRule } from "./types.js";

/** JetStream's largest stream replication factor. */
export const MAX_REPLICAS = 5;

export const streamUndeclared = modelRule({
  id: "jc-stream-undeclared",
  severity: "error",
  also: ["streams"],
  purpose: "A stream named by a channel or an `x-dlq` is declared under `x-jetstream.streams`.",
  *check(ctx) {
    const names = ctx.contract.streams.map((s) => s.name);
    for (const c of ctx.contract.channels) {
      if (c.stream === undefined || names.includes(c.stream)) continue;
      yield {
        message: `channel \`${c.id}\` names stream \`${c.stream}\`, which is not declared under the root \`x-jetstream.streams\`${didYouMean(c.stream, names)}`,
        location: ctx.locate("x-jetstream", "channel", c.id, c.location, "stream"),
      };
    }
    for (const op of receives(ctx)) {
      const stream = op.dlq?.stream;
      const own = ctx.contract.channels.find((c) => c.id === op.dlq?.channelId)?.stream;
      // A DLQ channel's own undeclared stream is reported on the channel above.
      if (!op.dlq || !stream || names.includes(stream) || stream === own) continue;
      yield {
        message: `\`x-dlq.stream\` of \`${op.id}\` names stream \`${stream}\`, which is not declared under the root \`x-jetstream.streams\`${didYouMean(stream, names)}`,
        location: ctx.locate("x-dlq", "operation", op.id, op.dlq.location, "stream"),
      };
    }
  },
});

export const streamNameInvalid = modelRule({
  id: "jc-stream-name-invalid",
  severity: "error",
  also: ["streams"],
  purpose: "Stream names are valid JetStream names.",
  *check(ctx) {
    for (const s of ctx.contract.streams) {
      const why = jetStreamNameError(s.name);
      if (why)
        yield {
          message: `stream name \`${s.name}\` is not a valid JetStream name: ${why}`,
          location: s.location,
        };
    }
  },
});

export const streamNoSubjects = modelRule({
  id: "jc-stream-no-subjects",
  severity: "error",
  also: ["streams"],
  purpose:
    "Every stream captures at least one subject (listed or derived from its channels), unless it copies other streams (a mirror or sources).",
  *check(ctx) {
    for (const s of ctx.contract.streams) {
      if (s.subjects.length > 0 || s.mirror !== undefined || s.sources.length > 0) continue;
      yield {
        message: `stream \`${s.name}\` has no subjects: no channel names it in \`x-jetstream.stream\` and it lists no \`subjects\``,
        location: s.location,
      };
    }
  },
});

export const streamsOverlap = modelRule({
  id: "jc-stream-subjects-overlap",
  severity: "error",
  also: ["streams"],
  purpose: "No two streams capture the same subject (JetStream refuses overlapping streams).",
  *check(ctx) {
    const streams = ctx.contract.streams;
    for (let i = 0; i < streams.length; i++) {
      for (let j = i + 1; j < streams.length; j++) {
        const a = streams[i] as Stream;
        const b = streams[j] as Stream;
        for (const sa of a.subjects) {
          const sb = b.subjects.find((s) => subjectsOverlap(sa, s));
          if (sb === undefined) continue;
          const later = a.location.line > b.location.line ? a : b;
          yield {
            message: `streams \`${a.name}\` (\`${sa}\`) and \`${b.name}\` (\`${sb}\`) capture overlapping subjects; JetStream refuses the second`,
            location: later.location,
          };
          break;
        }
      }
    }
  },
});

export const subjectInvalid = modelRule({
  id: "jc-subject-invalid",
  severity: "error",
  also: ["streams"],
  purpose: "Channel addresses and stream subjects are valid NATS subjects.",
  *check(ctx) {
    for (const c of ctx.contract.channels) {
      if (c.stream === undefined || c.subject === null) continue;
      const why = subjectError(c.subject);
      if (!why) continue;
      yield {
        message: `address \`${c.address}\` of channel \`${c.id}\` is not a valid NATS subject (\`${c.subject}\`): ${why}`,
        location: ctx.locateIn("channel", c.id, c.location, "address"),
      };
    }
    for (const s of ctx.contract.streams) {
      if (s.subjectsDerived) continue;
      for (const [i, subject] of s.subjects.entries()) {
        const why = subjectError(subject);
        if (!why) continue;
        yield {
          message: `subject \`${subject}\` of stream \`${s.name}\` is not a valid NATS subject: ${why}`,
          location: ctx.locate(
            "x-jetstream",
            "root",
            "",
            s.location,
            "streams",
            s.name,
            "subjects",
            i,
          ),
        };
      }
    }
  },
});

export const channelWithoutAddress = modelRule({
  id: "jc-channel-no-address",
  severity: "error",
  also: ["streams"],
  purpose: "A channel in a stream has an address to derive its subject from.",
  *check(ctx) {
    for (const c of ctx.contract.channels) {
      if (c.stream === undefined || c.subject !== null) continue;
      yield {
        message: `channel \`${c.id}\` is in stream \`${c.stream}\` but has no \`address\`, so it has no subject`,
        location: c.location,
      };
    }
  },
});

export const subjectNotInStream = modelRule({
  id: "jc-subject-not-in-stream",
  severity: "error",
  also: ["streams"],
  purpose: "A channel's subject is captured by the explicit subjects of its stream.",
  *check(ctx) {
    for (const c of ctx.contract.channels) {
      const stream = streamNamed(ctx, c.stream);
      if (!stream || stream.subjectsDerived || c.subject === null || subjectError(c.subject))
        continue;
      if (stream.subjects.some((s) => subjectCovers(s, c.subject as string))) continue;
      yield {
        message: `channel \`${c.id}\` (subject \`${c.subject}\`) names stream \`${stream.name}\`, whose subjects (${stream.subjects.map((s) => `\`${s}\``).join(", ")}) do not capture it`,
        location: ctx.locate("x-jetstream", "channel", c.id, c.location, "stream"),
      };
    }
  },
});

export const receiveWithoutStream = modelRule({
  id: "jc-receive-without-stream",
  severity: "error",
  also: ["streams"],
  purpose: "Every channel with a receive operation belongs to a stream.",
  *check(ctx) {
    if (!ctx.usesJetcontract) return;
    for (const op of receives(ctx)) {
      const channel = channelOf(ctx, op);
      if (!channel || channel.stream !== undefined) continue;
      yield {
        message: `receive operation \`${op.id}\` consumes channel \`${channel.id}\`, which belongs to no stream; add \`x-jetstream: { stream: <NAME> }\` to the channel`,
        location: op.location,
      };
    }
  },
});

export const sendWithoutStream = modelRule({
  id: "jc-send-without-stream",
  severity: "error",
  purpose:
    "Every channel with a send operation belongs to a stream (JetStream publishes need one).",
  *check(ctx) {
    if (!ctx.usesJetcontract) return;
    for (const op of sends(ctx)) {
      const channel = channelOf(ctx, op);
      if (!channel || channel.stream !== undefined) continue;
      yield {
        message: `send operation \`${op.id}\` publishes to channel \`${channel.id}\`, which belongs to no stream: a JetStream publish there fails with "no responders"; add \`x-jetstream: { stream: <NAME> }\` to the channel`,
        location: op.location,
      };
    }
  },
});

export const duplicateWindowExceedsMaxAge = modelRule({
  id: "jc-duplicate-window-exceeds-max-age",
  severity: "error",
  also: ["streams"],
  purpose: "A stream's duplicate window is not longer than its max age (JetStream refuses it).",
  *check(ctx) {
    for (const s of ctx.contract.streams) {
      if (!s.maxAgeMs || s.duplicateWindowMs === undefined || s.duplicateWindowMs <= s.maxAgeMs)
        continue;
      yield {
        message: `stream \`${s.name}\`: duplicate window ${ms(s.duplicateWindowMs)} is longer than maxAge ${ms(s.maxAgeMs)}; JetStream refuses it`,
        location: ctx.locate(
          "x-jetstream",
          "root",
          "",
          s.location,
          "streams",
          s.name,
          "duplicateWindow",
        ),
      };
    }
  },
});

export const duplicateWindowShort = modelRule({
  id: "jc-duplicate-window-short",
  severity: "warning",
  also: ["streams"],
  purpose:
    "Publish retries end within the stream's duplicate window, so a retry is never stored twice.",
  *check(ctx) {
    for (const s of ctx.contract.streams) {
      const { windowMs, longestDeadline } = duplicateWindowOf(ctx.contract, s);
      if (!longestDeadline || longestDeadline.ms <= windowMs) continue;
      const op = longestDeadline.operation;
      const why =
        s.duplicateWindowMs !== undefined
          ? `the duplicate window ${ms(windowMs)} of stream \`${s.name}\``
          : `stream \`${s.name}\`'s duplicate window, which cannot exceed its maxAge ${ms(windowMs)}`;
      yield {
        message: `\`${op.id}\` may retry a publish for up to ${ms(longestDeadline.ms)}, longer than ${why}: a retry after the window is stored twice`,
        location: op.publish?.location ?? op.location,
      };
    }
  },
});

export const replicasNeedCluster = modelRule({
  id: "jc-stream-replicas-cluster",
  severity: "info",
  also: ["streams"],
  purpose: `A stream with more than one replica (at most ${MAX_REPLICAS}) needs a JetStream cluster of at least that many servers.`,
  *check(ctx) {
    for (const s of ctx.contract.streams) {
      if (s.replicas <= 1) continue;
      yield {
        message: `stream \`${s.name}\` has ${s.replicas} replicas: it needs a JetStream cluster of at least ${s.replicas} servers (a single server refuses it at \`streams apply\`)`,
        location: ctx.locate("x-jetstream", "root", "", s.location, "streams", s.name, "replicas"),
      };
    }
  },
});

export { DEFAULT_DUPLICATE_WINDOW_MS };

export const streamRules = [
  streamUndeclared,
  streamNameInvalid,
  streamNoSubjects,
  streamsOverlap,
  subjectInvalid,
  channelWithoutAddress,
  subjectNotInStream,
  receiveWithoutStream,
  sendWithoutStream,
  duplicateWindowExceedsMaxAge,
  duplicateWindowShort,
  replicasNeedCluster,
];
