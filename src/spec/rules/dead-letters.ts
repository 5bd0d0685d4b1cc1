/** Dead letters: kept, in a stream of their own, and never consumed again by their source. */
import { subjectCovers, subjectsOverlap } from "../../model/subjects.js";
import { channelOf, receives, streamNamed } from "./context.js";
import { documentRule, modelRule } from "./types.js";

export const dlqNotAChannel = documentRule({
  id: "jc-dlq-not-a-channel",
  severity: "error",
  purpose: "`x-dlq.channel` is a `$ref` to a channel of the document.",
  *check(ctx) {
    for (const u of ctx.notes.unresolvedDlq) {
      yield {
        message: `\`x-dlq.channel\` of \`${u.operationId}\` must be a \`$ref\` to a channel of this document (e.g. \`#/channels/<id>\`)${u.ref ? `; \`${u.ref}\` is not one` : ""}`,
        location: u.location,
      };
    }
  },
});

export const dlqNoStream = modelRule({
  id: "jc-dlq-no-stream",
  severity: "error",
  also: ["streams"],
  purpose: "A dead-letter channel belongs to a stream, so dead letters are kept.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      if (op.dlq?.stream !== "") continue;
      yield {
        message: `dead-letter channel \`${op.dlq.channelId}\` of \`${op.id}\` belongs to no stream, so dead letters would be lost; give it \`x-jetstream.stream\` or set \`x-dlq.stream\``,
        location: op.dlq.location,
      };
    }
  },
});

export const dlqStreamMismatch = modelRule({
  id: "jc-dlq-stream-mismatch",
  severity: "error",
  also: ["streams"],
  purpose: "`x-dlq.stream` agrees with the dead-letter channel's own stream.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      if (!op.dlq) continue;
      const channel = ctx.contract.channels.find((c) => c.id === op.dlq?.channelId);
      if (channel?.stream === undefined || channel.stream === op.dlq.stream) continue;
      yield {
        message: `\`x-dlq.stream\` of \`${op.id}\` is \`${op.dlq.stream}\`, but the dead-letter channel \`${channel.id}\` belongs to stream \`${channel.stream}\``,
        location: ctx.locate("x-dlq", "operation", op.id, op.dlq.location, "stream"),
      };
    }
  },
});

export const dlqNotCaptured = modelRule({
  id: "jc-dlq-not-captured",
  severity: "error",
  also: ["streams"],
  purpose: "The dead-letter stream captures the dead-letter subject, so dead letters are stored.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      const dlq = op.dlq;
      const stream = streamNamed(ctx, dlq?.stream);
      const channel = ctx.contract.channels.find((c) => c.id === dlq?.channelId);
      // A channel in the stream is checked by jc-subject-not-in-stream, an address by jc-channel-no-address.
      if (!dlq || !stream || dlq.subject === "" || channel?.stream === stream.name) continue;
      if (stream.subjects.some((s) => subjectCovers(s, dlq.subject))) continue;
      yield {
        message: `dead-letter stream \`${stream.name}\` of \`${op.id}\` does not capture the dead-letter subject \`${dlq.subject}\`: give channel \`${dlq.channelId}\` \`x-jetstream: { stream: ${stream.name} }\` or list the subject in the stream's \`subjects\``,
        location: ctx.locate("x-dlq", "operation", op.id, dlq.location, "stream"),
      };
    }
  },
});

export const dlqCapturedBySource = modelRule({
  id: "jc-dlq-captured-by-source",
  severity: "error",
  also: ["streams"],
  purpose: "A DLQ subject is not captured by the stream it dead-letters from.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      const dlq = op.dlq;
      if (!dlq || dlq.subject === "") continue;
      const source = streamNamed(ctx, channelOf(ctx, op)?.stream);
      if (!source) continue;
      const captured = source.subjects.find((s) => subjectsOverlap(s, dlq.subject));
      if (captured === undefined) continue;
      yield {
        message: `dead-letter subject \`${dlq.subject}\` of \`${op.id}\` is captured by \`${captured}\` of stream \`${source.name}\`, the stream it dead-letters from: dead letters would be consumed again`,
        location: ctx.locate("x-dlq", "operation", op.id, dlq.location, "channel"),
      };
    }
  },
});

export const dlqStreamRetention = modelRule({
  id: "jc-dlq-stream-retention",
  severity: "error",
  also: ["streams"],
  purpose:
    "Dead-letter streams keep messages with limits retention, so they can be inspected and replayed.",
  *check(ctx) {
    for (const stream of ctx.contract.streams) {
      if (!stream.isDeadLetter || stream.retention === "limits") continue;
      yield {
        message: `dead-letter stream \`${stream.name}\` has ${stream.retention} retention: a dead letter would disappear once one consumer acks it (or at once when nobody listens); use \`retention: limits\` so any tool can inspect and replay them`,
        location: ctx.locate(
          "x-jetstream",
          "root",
          "",
          stream.location,
          "streams",
          stream.name,
          "retention",
        ),
      };
    }
  },
});

export const deadLetterRules = [
  dlqNotAChannel,
  dlqNoStream,
  dlqStreamMismatch,
  dlqNotCaptured,
  dlqCapturedBySource,
  dlqStreamRetention,
];
