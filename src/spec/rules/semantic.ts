import { closest, distance } from "fastest-levenshtein";
import {
  isValidBucketName,
  jetStreamNameError,
  subjectCovers,
  subjectError,
  subjectsOverlap,
} from "../../model/subjects.js";
import type {
  JsonSchema,
  Message,
  Operation,
  ReceiveOperation,
  SendOperation,
  SourceLocation,
  Stream,
} from "../../model/types.js";
import type { AnnotationSite } from "../build.js";
import { isRecord, joinPointer } from "../pointer.js";
import type { Finding, Rule, RuleContext } from "./types.js";

// ---------------------------------------------------------------------------------------------
// Helpers

function site(ctx: RuleContext, key: string, owner: AnnotationSite["owner"], id: string) {
  return ctx.notes.annotations.find((a) => a.key === key && a.owner === owner && a.ownerId === id);
}

/** Location of a key inside an annotation, falling back to the annotation, then to `fallback`. */
function at(
  ctx: RuleContext,
  key: string,
  owner: AnnotationSite["owner"],
  id: string,
  fallback: SourceLocation,
  ...segments: (string | number)[]
): SourceLocation {
  const s = site(ctx, key, owner, id);
  if (!s) return fallback;
  return ctx.ws.locateKey(s.absolutePath, joinPointer(s.pointer, ...segments));
}

function raw(
  ctx: RuleContext,
  key: string,
  owner: AnnotationSite["owner"],
  id: string,
): Record<string, unknown> {
  const value = site(ctx, key, owner, id)?.value;
  return isRecord(value) ? value : {};
}

const receives = (ctx: RuleContext) =>
  ctx.contract.operations.filter((o): o is ReceiveOperation => o.action === "receive");
const sends = (ctx: RuleContext) =>
  ctx.contract.operations.filter((o): o is SendOperation => o.action === "send");
const channelOf = (ctx: RuleContext, op: Operation) =>
  ctx.contract.channels.find((c) => c.id === op.channelId);
const streamNamed = (ctx: RuleContext, name: string | undefined) =>
  name === undefined ? undefined : ctx.contract.streams.find((s) => s.name === name);
/** The document uses jetcontract annotations at all (plain AsyncAPI documents skip JetStream rules). */
const usesJetcontract = (ctx: RuleContext) => ctx.notes.annotations.length > 0;

function didYouMean(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return "";
  const best = closest(word, candidates);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3))
    ? `; did you mean \`${best}\`?`
    : "";
}

function ms(value: number): string {
  if (value % 86_400_000 === 0) return `${value / 86_400_000}d`;
  if (value % 3_600_000 === 0) return `${value / 3_600_000}h`;
  if (value % 60_000 === 0) return `${value / 60_000}m`;
  if (value % 1000 === 0) return `${value / 1000}s`;
  return `${value}ms`;
}

const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// Streams and subjects

function* streamUndeclared(ctx: RuleContext): Iterable<Finding> {
  const names = ctx.contract.streams.map((s) => s.name);
  for (const c of ctx.contract.channels) {
    if (c.stream === undefined || names.includes(c.stream)) continue;
    yield {
      message: `channel \`${c.id}\` names stream \`${c.stream}\`, which is not declared under the root \`x-jetstream.streams\`${didYouMean(c.stream, names)}`,
      location: at(ctx, "x-jetstream", "channel", c.id, c.location, "stream"),
    };
  }
  for (const op of receives(ctx)) {
    const stream = raw(ctx, "x-dlq", "operation", op.id).stream;
    if (typeof stream !== "string" || names.includes(stream)) continue;
    yield {
      message: `\`x-dlq.stream\` of \`${op.id}\` names stream \`${stream}\`, which is not declared under the root \`x-jetstream.streams\`${didYouMean(stream, names)}`,
      location: at(ctx, "x-dlq", "operation", op.id, op.location, "stream"),
    };
  }
}

function* streamNameInvalid(ctx: RuleContext): Iterable<Finding> {
  for (const s of ctx.contract.streams) {
    const why = jetStreamNameError(s.name);
    if (why)
      yield {
        message: `stream name \`${s.name}\` is not a valid JetStream name: ${why}`,
        location: s.location,
      };
  }
}

function* streamNoSubjects(ctx: RuleContext): Iterable<Finding> {
  for (const s of ctx.contract.streams) {
    if (s.subjects.length > 0) continue;
    yield {
      message: `stream \`${s.name}\` has no subjects: no channel names it in \`x-jetstream.stream\` and it lists no \`subjects\``,
      location: s.location,
    };
  }
}

function* receiveWithoutStream(ctx: RuleContext): Iterable<Finding> {
  if (!usesJetcontract(ctx)) return;
  for (const op of receives(ctx)) {
    const channel = channelOf(ctx, op);
    if (!channel || channel.stream !== undefined) continue;
    yield {
      message: `receive operation \`${op.id}\` consumes channel \`${channel.id}\`, which belongs to no stream; add \`x-jetstream: { stream: <NAME> }\` to the channel`,
      location: op.location,
    };
  }
}

function* sendWithoutStream(ctx: RuleContext): Iterable<Finding> {
  if (!usesJetcontract(ctx)) return;
  for (const op of sends(ctx)) {
    const channel = channelOf(ctx, op);
    if (!channel || channel.stream !== undefined) continue;
    yield {
      message: `send operation \`${op.id}\` publishes to channel \`${channel.id}\`, which belongs to no stream: a JetStream publish there fails with "no responders"; add \`x-jetstream: { stream: <NAME> }\` to the channel`,
      location: op.location,
    };
  }
}

function* subjectInvalid(ctx: RuleContext): Iterable<Finding> {
  for (const c of ctx.contract.channels) {
    if (c.stream === undefined || c.subject === null) continue;
    const why = subjectError(c.subject);
    if (!why) continue;
    yield {
      message: `address \`${c.address}\` of channel \`${c.id}\` is not a valid NATS subject (\`${c.subject}\`): ${why}`,
      location: channelFieldLocation(ctx, c.id, "address", c.location),
    };
  }
  for (const s of ctx.contract.streams) {
    if (s.subjectsDerived) continue;
    for (const [i, subject] of s.subjects.entries()) {
      const why = subjectError(subject);
      if (why) {
        yield {
          message: `subject \`${subject}\` of stream \`${s.name}\` is not a valid NATS subject: ${why}`,
          location: ctx.ws.locateKey(ctxRoot(ctx), joinPointer(s.location.pointer, "subjects", i)),
        };
      }
    }
  }
}

/** Location of a field of a channel object (2.x channels have no `address`: their key is it). */
function channelFieldLocation(
  ctx: RuleContext,
  id: string,
  field: string,
  fallback: SourceLocation,
): SourceLocation {
  const owner = ctx.notes.owners.find((o) => o.kind === "channel" && o.id === id);
  if (!owner || !(field in owner.value)) return fallback;
  return ctx.ws.locateKey(owner.absolutePath, joinPointer(owner.pointer, field));
}

function ctxRoot(ctx: RuleContext): string {
  return ctx.ws.order[0] as string;
}

function* channelWithoutAddress(ctx: RuleContext): Iterable<Finding> {
  for (const c of ctx.contract.channels) {
    if (c.stream === undefined || c.subject !== null) continue;
    yield {
      message: `channel \`${c.id}\` is in stream \`${c.stream}\` but has no \`address\`, so it has no subject`,
      location: c.location,
    };
  }
}

function* streamsOverlap(ctx: RuleContext): Iterable<Finding> {
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
}

function* subjectNotInStream(ctx: RuleContext): Iterable<Finding> {
  for (const c of ctx.contract.channels) {
    const stream = streamNamed(ctx, c.stream);
    if (!stream || stream.subjectsDerived || c.subject === null || subjectError(c.subject))
      continue;
    if (stream.subjects.some((s) => subjectCovers(s, c.subject as string))) continue;
    yield {
      message: `channel \`${c.id}\` (subject \`${c.subject}\`) names stream \`${stream.name}\`, whose subjects (${stream.subjects.map((s) => `\`${s}\``).join(", ")}) do not capture it`,
      location: at(ctx, "x-jetstream", "channel", c.id, c.location, "stream"),
    };
  }
}

function* duplicateWindowExceedsMaxAge(ctx: RuleContext): Iterable<Finding> {
  for (const s of ctx.contract.streams) {
    if (s.maxAgeMs === undefined || s.maxAgeMs === 0) continue;
    const window = s.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
    if (window <= s.maxAgeMs) continue;
    yield {
      message: `stream \`${s.name}\`: duplicate window ${ms(window)}${s.duplicateWindowMs === undefined ? " (the server default)" : ""} is longer than maxAge ${ms(s.maxAgeMs)}; JetStream refuses it`,
      location: s.location,
    };
  }
}

function* duplicateWindowShort(ctx: RuleContext): Iterable<Finding> {
  for (const op of sends(ctx)) {
    if (!op.publish) continue;
    const stream = streamNamed(ctx, channelOf(ctx, op)?.stream);
    if (!stream) continue;
    const window = stream.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
    if (op.publish.deadlineMs <= window) continue;
    yield {
      message: `\`${op.id}\` may retry a publish for up to ${ms(op.publish.deadlineMs)}, longer than the duplicate window ${ms(window)} of stream \`${stream.name}\`: a retry after the window is stored twice`,
      location: op.publish.location,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Dead letters

function* dlqNotAChannel(ctx: RuleContext): Iterable<Finding> {
  for (const u of ctx.notes.unresolvedDlq) {
    yield {
      message: `\`x-dlq.channel\` of \`${u.operationId}\` must be a \`$ref\` to a channel of this document (e.g. \`#/channels/<id>\`)${u.ref ? `; \`${u.ref}\` is not one` : ""}`,
      location: u.location,
    };
  }
}

function* dlqNoStream(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    if (op.dlq?.stream !== "") continue;
    yield {
      message: `dead-letter channel \`${op.dlq.channelId}\` of \`${op.id}\` belongs to no stream, so dead letters would be lost; give it \`x-jetstream.stream\` or set \`x-dlq.stream\``,
      location: op.dlq.location,
    };
  }
}

function* dlqStreamMismatch(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    if (!op.dlq) continue;
    const explicit = raw(ctx, "x-dlq", "operation", op.id).stream;
    const channel = ctx.contract.channels.find((c) => c.id === op.dlq?.channelId);
    if (
      typeof explicit !== "string" ||
      channel?.stream === undefined ||
      channel.stream === explicit
    )
      continue;
    yield {
      message: `\`x-dlq.stream\` of \`${op.id}\` is \`${explicit}\`, but the dead-letter channel \`${channel.id}\` belongs to stream \`${channel.stream}\``,
      location: at(ctx, "x-dlq", "operation", op.id, op.dlq.location, "stream"),
    };
  }
}

function* dlqCapturedBySource(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    if (!op.dlq || op.dlq.subject === "") continue;
    const source = streamNamed(ctx, channelOf(ctx, op)?.stream);
    if (!source) continue;
    const captured = source.subjects.find((s) => subjectsOverlap(s, op.dlq?.subject as string));
    if (captured === undefined) continue;
    yield {
      message: `dead-letter subject \`${op.dlq.subject}\` of \`${op.id}\` is captured by \`${captured}\` of stream \`${source.name}\`, the stream it dead-letters from: dead letters would be consumed again`,
      location: at(ctx, "x-dlq", "operation", op.id, op.dlq.location, "channel"),
    };
  }
}

function* dlqStreamRetention(ctx: RuleContext): Iterable<Finding> {
  const reported = new Set<string>();
  for (const op of receives(ctx)) {
    const stream = streamNamed(ctx, op.dlq?.stream);
    if (!stream || stream.retention === "limits" || reported.has(stream.name)) continue;
    reported.add(stream.name);
    yield {
      message: `dead-letter stream \`${stream.name}\` has ${stream.retention} retention: a dead letter would disappear once one consumer acks it (or when nobody listens); use \`retention: limits\` so any tool can inspect and replay them`,
      location: stream.location,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Consumers

function* durableInvalid(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    if (!op.consumer) continue;
    const why = jetStreamNameError(op.consumer.durable);
    if (!why) continue;
    yield {
      message: `durable consumer name \`${op.consumer.durable}\` of \`${op.id}\` is not a valid JetStream name: ${why}`,
      location: at(ctx, "x-consumer", "operation", op.id, op.location, "durable"),
    };
  }
}

function* durableDuplicate(ctx: RuleContext): Iterable<Finding> {
  const seen = new Map<string, ReceiveOperation>();
  for (const op of receives(ctx)) {
    const stream = channelOf(ctx, op)?.stream;
    if (!op.consumer || stream === undefined) continue;
    const key = `${stream}\u0000${op.consumer.durable}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, op);
      continue;
    }
    yield {
      message: `\`${op.id}\` and \`${first.id}\` both use durable consumer \`${op.consumer.durable}\` on stream \`${stream}\`; one durable has one filter and one config`,
      location: at(ctx, "x-consumer", "operation", op.id, op.location, "durable"),
    };
  }
}

function* workqueueOverlap(ctx: RuleContext): Iterable<Finding> {
  for (const stream of ctx.contract.streams) {
    if (stream.retention !== "workqueue") continue;
    const consumers = receives(ctx).filter(
      (op) => channelOf(ctx, op)?.stream === stream.name && op.consumer,
    );
    for (let i = 0; i < consumers.length; i++) {
      for (let j = i + 1; j < consumers.length; j++) {
        const a = consumers[i] as ReceiveOperation;
        const b = consumers[j] as ReceiveOperation;
        if (a.consumer?.durable === b.consumer?.durable) continue;
        const sa = channelOf(ctx, a)?.subject;
        const sb = channelOf(ctx, b)?.subject;
        if (!sa || !sb || !subjectsOverlap(sa, sb)) continue;
        yield {
          message: `work-queue stream \`${stream.name}\` would get two consumers with overlapping filters (\`${a.id}\`: \`${sa}\`, \`${b.id}\`: \`${sb}\`); JetStream refuses the second`,
          location: b.location,
        };
      }
    }
  }
}

function* ackWaitBelowHandler(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    const c = op.consumer;
    if (!c || c.ackWaitMs >= c.handlerTimeoutMs) continue;
    yield {
      message: `\`${op.id}\`: ackWait ${ms(c.ackWaitMs)} is shorter than handlerTimeout ${ms(c.handlerTimeoutMs)}; the server redelivers a message whose handler is still running unless it heartbeats with working()`,
      location: at(ctx, "x-consumer", "operation", op.id, c.location, "ackWait"),
    };
  }
}

function* maxAckPendingBelowConcurrency(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    const c = op.consumer;
    if (!c || c.maxAckPending >= c.concurrency) continue;
    yield {
      message: `\`${op.id}\`: maxAckPending ${c.maxAckPending} is below concurrency ${c.concurrency}; at most ${plural(c.maxAckPending, "handler")} can ever run at once`,
      location: at(ctx, "x-consumer", "operation", op.id, c.location, "maxAckPending"),
    };
  }
}

function* receiveWithoutRetryOrDlq(ctx: RuleContext): Iterable<Finding> {
  if (!usesJetcontract(ctx)) return;
  for (const op of receives(ctx)) {
    const hasDlq = site(ctx, "x-dlq", "operation", op.id) !== undefined;
    const missing = [
      op.annotated.includes("x-retry") ? undefined : "`x-retry`",
      hasDlq ? undefined : "`x-dlq`",
    ].filter(Boolean);
    if (missing.length === 0) continue;
    yield {
      message: `receive operation \`${op.id}\` has no ${missing.join(" and no ")}: ${hasDlq ? "failures are retried with the runtime defaults" : "a message that keeps failing is retried until the server gives up and is then lost"}`,
      location: op.location,
    };
  }
}

function* dedupLeaseShort(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    if (op.dedup?.store !== "kv" || !op.consumer) continue;
    if (op.dedup.leaseMs >= op.consumer.handlerTimeoutMs) continue;
    yield {
      message: `\`${op.id}\`: dedup lease ${ms(op.dedup.leaseMs)} is shorter than handlerTimeout ${ms(op.consumer.handlerTimeoutMs)}; another instance may claim a message that is still being handled`,
      location: at(ctx, "x-dedup", "operation", op.id, op.dedup.location, "lease"),
    };
  }
}

function* kvBucketInvalid(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    if (op.dedup?.store !== "kv" || isValidBucketName(op.dedup.bucket)) continue;
    yield {
      message: `KV bucket name \`${op.dedup.bucket}\` of \`${op.id}\` is not valid: use letters, digits, \`_\` and \`-\` only`,
      location: at(ctx, "x-dedup", "operation", op.id, op.dedup.location, "bucket"),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Retry, breaker, publish

function* retryPolicies(ctx: RuleContext) {
  for (const op of ctx.contract.operations) {
    if (op.action === "receive" && op.retry)
      yield { op, retry: op.retry, key: "x-retry", segments: [] as string[] };
    if (
      op.action === "send" &&
      op.publish &&
      isRecord(raw(ctx, "x-publish", "operation", op.id).retry)
    ) {
      yield { op, retry: op.publish.retry, key: "x-publish", segments: ["retry"] };
    }
  }
}

function* delaysExceedAttempts(ctx: RuleContext): Iterable<Finding> {
  for (const { op, retry, key, segments } of retryPolicies(ctx)) {
    const delays = retry.delaysMs;
    if (!delays || delays.length <= retry.maxAttempts - 1) continue;
    yield {
      message: `\`${op.id}\` lists ${plural(delays.length, "delay")} but maxAttempts ${retry.maxAttempts} allows only ${plural(retry.maxAttempts - 1, "retry", "retries")}; the extra delays are never used`,
      location: at(ctx, key, "operation", op.id, retry.location, ...segments, "delays"),
    };
  }
}

function* maxDelayBelowInitial(ctx: RuleContext): Iterable<Finding> {
  for (const { op, retry, key, segments } of retryPolicies(ctx)) {
    if (retry.delaysMs || retry.maxDelayMs >= retry.initialDelayMs) continue;
    yield {
      message: `\`${op.id}\`: maxDelay ${ms(retry.maxDelayMs)} is shorter than initialDelay ${ms(retry.initialDelayMs)}`,
      location: at(ctx, key, "operation", op.id, retry.location, ...segments, "maxDelay"),
    };
  }
}

function* breakerRatio(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    const b = op.circuitBreaker;
    if (b?.open.kind !== "ratio") continue;
    const r = b.open.failureRatio;
    if (r > 0 && r <= 1) continue;
    yield {
      message: `\`${op.id}\`: failureRatio ${r} must be above 0 and at most 1 (e.g. 0.5 for half the calls)`,
      location: at(ctx, "x-circuit-breaker", "operation", op.id, b.location, "failureRatio"),
    };
  }
}

function* breakerConflicting(ctx: RuleContext): Iterable<Finding> {
  for (const op of receives(ctx)) {
    const r = raw(ctx, "x-circuit-breaker", "operation", op.id);
    const loc = (k: string) => at(ctx, "x-circuit-breaker", "operation", op.id, op.location, k);
    if (r.consecutiveFailures !== undefined && r.failureRatio !== undefined) {
      yield {
        message: `\`${op.id}\`: set either consecutiveFailures or failureRatio, not both`,
        location: loc("failureRatio"),
      };
    } else if (r.failureRatio === undefined) {
      for (const k of ["window", "minCalls"]) {
        if (r[k] !== undefined) {
          yield {
            message: `\`${op.id}\`: \`${k}\` applies only with failureRatio`,
            location: loc(k),
          };
        }
      }
    }
  }
}

function* publishTimeoutAboveDeadline(ctx: RuleContext): Iterable<Finding> {
  for (const op of sends(ctx)) {
    const p = op.publish;
    if (!p || p.timeoutMs <= p.deadlineMs) continue;
    yield {
      message: `\`${op.id}\`: publish timeout ${ms(p.timeoutMs)} is longer than the deadline ${ms(p.deadlineMs)}, so no attempt can use its full timeout`,
      location: at(ctx, "x-publish", "operation", op.id, p.location, "deadline"),
    };
  }
}

function* zeroDurations(ctx: RuleContext): Iterable<Finding> {
  const checks: [string, string, (op: Operation) => number | undefined][] = [
    [
      "x-consumer",
      "ackWait",
      (op) => (op.action === "receive" ? op.consumer?.ackWaitMs : undefined),
    ],
    [
      "x-consumer",
      "handlerTimeout",
      (op) => (op.action === "receive" ? op.consumer?.handlerTimeoutMs : undefined),
    ],
    ["x-publish", "timeout", (op) => (op.action === "send" ? op.publish?.timeoutMs : undefined)],
    ["x-publish", "deadline", (op) => (op.action === "send" ? op.publish?.deadlineMs : undefined)],
    [
      "x-circuit-breaker",
      "halfOpenAfter",
      (op) => (op.action === "receive" ? op.circuitBreaker?.halfOpenAfterMs : undefined),
    ],
  ];
  for (const op of ctx.contract.operations) {
    for (const [key, field, get] of checks) {
      if (get(op) !== 0) continue;
      yield {
        message: `\`${op.id}\`: \`${key}.${field}\` is zero; it must be a positive duration`,
        location: at(ctx, key, "operation", op.id, op.location, field),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Idempotency keys

function* keyExpressionInvalid(ctx: RuleContext): Iterable<Finding> {
  for (const bad of ctx.notes.badKeyExpressions) {
    yield {
      message: `idempotency key \`${bad.expression}\` of message \`${bad.messageId}\` is not a runtime expression of the form \`$message.payload#/<field>\` or \`$message.header#/<name>\``,
      location: bad.location,
    };
  }
}

interface FieldLookup {
  exists: boolean;
  required: boolean;
  type?: unknown;
}

/** Follows a path of property names through a model schema (allOf merged, anyOf/oneOf all branches). */
export function lookupField(root: JsonSchema | undefined, path: readonly string[]): FieldLookup {
  const defs = isRecord(root) && isRecord(root.$defs) ? root.$defs : {};
  const deref = (s: unknown, depth = 0): unknown => {
    if (depth < 20 && isRecord(s) && typeof s.$ref === "string" && s.$ref.startsWith("#/$defs/")) {
      return deref(defs[s.$ref.slice(8)], depth + 1);
    }
    return s;
  };
  const step = (
    schema: unknown,
    name: string,
    depth: number,
  ): { exists: boolean; required: boolean; child?: unknown } => {
    const s = deref(schema);
    if (!isRecord(s) || depth > 20) return { exists: false, required: false };
    let exists = false;
    let required = false;
    let child: unknown;
    if (isRecord(s.properties) && name in s.properties) {
      exists = true;
      child = s.properties[name];
    }
    if (Array.isArray(s.required) && s.required.includes(name)) required = true;
    if (Array.isArray(s.allOf)) {
      for (const sub of s.allOf) {
        const r = step(sub, name, depth + 1);
        if (r.exists) {
          exists = true;
          child ??= r.child;
        }
        if (r.required) required = true;
      }
    }
    for (const k of ["anyOf", "oneOf"] as const) {
      const branches = s[k];
      if (!Array.isArray(branches) || branches.length === 0) continue;
      const results = branches.map((b) => step(b, name, depth + 1));
      if (results.some((r) => r.exists)) {
        exists = true;
        child ??= results.find((r) => r.exists)?.child;
      }
      if (results.every((r) => r.required)) required = true;
    }
    return { exists, required, child };
  };
  let current: unknown = root;
  let required = true;
  for (const name of path) {
    const r = step(current, name, 0);
    if (!r.exists) return { exists: false, required: false };
    required = required && r.required;
    current = r.child;
  }
  const leaf = deref(current);
  return {
    exists: true,
    required,
    ...(isRecord(leaf) && leaf.type !== undefined ? { type: leaf.type } : {}),
  };
}

function* keyFields(ctx: RuleContext, m: Message) {
  if (!m.idempotencyKey || ctx.notes.nonJsonPayloads.has(m.id)) return;
  for (const part of m.idempotencyKey.parts) {
    const schema = part.source === "payload" ? m.payload : m.headers;
    yield { part, schema, lookup: lookupField(schema, part.path) };
  }
}

function* keyFieldMissing(ctx: RuleContext): Iterable<Finding> {
  for (const m of ctx.contract.messages) {
    for (const { part, schema, lookup } of keyFields(ctx, m)) {
      if (lookup.exists) continue;
      yield {
        message:
          schema === undefined
            ? `idempotency key \`${part.expression}\` of message \`${m.id}\` reads the ${part.source}, but the message declares no ${part.source === "payload" ? "payload" : "headers"} schema`
            : `idempotency key \`${part.expression}\` of message \`${m.id}\` points at \`${part.path.join(".")}\`, which is not a property of the ${part.source === "payload" ? "payload" : "headers"} schema`,
        location: m.idempotencyKey?.location ?? m.location,
      };
    }
  }
}

function* keyFieldOptional(ctx: RuleContext): Iterable<Finding> {
  for (const m of ctx.contract.messages) {
    for (const { part, lookup } of keyFields(ctx, m)) {
      if (!lookup.exists || lookup.required) continue;
      yield {
        message: `idempotency key \`${part.expression}\` of message \`${m.id}\` points at \`${part.path.join(".")}\`, which is optional; a message without it has no key. Add it (and every parent) to \`required\``,
        location: m.idempotencyKey?.location ?? m.location,
      };
    }
  }
}

function* keyFieldType(ctx: RuleContext): Iterable<Finding> {
  for (const m of ctx.contract.messages) {
    for (const { part, lookup } of keyFields(ctx, m)) {
      const types = Array.isArray(lookup.type)
        ? lookup.type
        : lookup.type === undefined
          ? []
          : [lookup.type];
      if (!types.some((t) => t === "object" || t === "array")) continue;
      yield {
        message: `idempotency key \`${part.expression}\` of message \`${m.id}\` points at a field of type ${types.join("/")}; a key should be a string or a number`,
        location: m.idempotencyKey?.location ?? m.location,
      };
    }
  }
}

function* sendWithoutKey(ctx: RuleContext): Iterable<Finding> {
  if (!usesJetcontract(ctx)) return;
  for (const op of sends(ctx)) {
    const channel = channelOf(ctx, op);
    if (channel?.stream === undefined) continue;
    for (const id of op.messageIds) {
      const m = ctx.contract.messages.find((x) => x.id === id);
      if (!m || m.idempotencyKey) continue;
      yield {
        message: `message \`${m.id}\`, published by \`${op.id}\` into stream \`${channel.stream}\`, has no \`x-idempotency-key\`: publish retries cannot be deduplicated`,
        location: m.location,
      };
    }
  }
}

function* noAnnotations(ctx: RuleContext): Iterable<Finding> {
  if (usesJetcontract(ctx) || ctx.contract.operations.length === 0) return;
  yield {
    message:
      "the document has no jetcontract annotations (`x-jetstream`, `x-consumer`, ...); it was checked as plain AsyncAPI",
    location: ctx.contract.location,
  };
}

// ---------------------------------------------------------------------------------------------

const rule = (
  id: string,
  severity: Rule["severity"],
  purpose: string,
  check: (ctx: RuleContext) => Iterable<Finding>,
): Rule => ({ id, severity, phase: "semantic", purpose, check });

export const semanticRules: Rule[] = [
  rule(
    "jc-stream-undeclared",
    "error",
    "A stream named by a channel or an `x-dlq` is declared under `x-jetstream.streams`.",
    streamUndeclared,
  ),
  rule(
    "jc-stream-name-invalid",
    "error",
    "Stream names are valid JetStream names.",
    streamNameInvalid,
  ),
  rule(
    "jc-stream-no-subjects",
    "error",
    "Every stream captures at least one subject (listed or derived from its channels).",
    streamNoSubjects,
  ),
  rule(
    "jc-stream-subjects-overlap",
    "error",
    "No two streams capture the same subject (JetStream refuses overlapping streams).",
    streamsOverlap,
  ),
  rule(
    "jc-subject-invalid",
    "error",
    "Channel addresses and stream subjects are valid NATS subjects.",
    subjectInvalid,
  ),
  rule(
    "jc-channel-no-address",
    "error",
    "A channel in a stream has an address to derive its subject from.",
    channelWithoutAddress,
  ),
  rule(
    "jc-subject-not-in-stream",
    "error",
    "A channel's subject is captured by the explicit subjects of its stream.",
    subjectNotInStream,
  ),
  rule(
    "jc-receive-without-stream",
    "error",
    "Every channel with a receive operation belongs to a stream.",
    receiveWithoutStream,
  ),
  rule(
    "jc-send-without-stream",
    "error",
    "Every channel with a send operation belongs to a stream (JetStream publishes need one).",
    sendWithoutStream,
  ),
  rule(
    "jc-duplicate-window-exceeds-max-age",
    "error",
    "A stream's duplicate window is not longer than its max age (JetStream refuses it).",
    duplicateWindowExceedsMaxAge,
  ),
  rule(
    "jc-duplicate-window-short",
    "warning",
    "Publish retries end within the stream's duplicate window, so a retry is never stored twice.",
    duplicateWindowShort,
  ),
  rule(
    "jc-dlq-not-a-channel",
    "error",
    "`x-dlq.channel` is a `$ref` to a channel of the document.",
    dlqNotAChannel,
  ),
  rule(
    "jc-dlq-no-stream",
    "error",
    "A dead-letter channel belongs to a stream, so dead letters are kept.",
    dlqNoStream,
  ),
  rule(
    "jc-dlq-stream-mismatch",
    "error",
    "`x-dlq.stream` agrees with the dead-letter channel's own stream.",
    dlqStreamMismatch,
  ),
  rule(
    "jc-dlq-captured-by-source",
    "error",
    "A DLQ subject is not captured by the stream it dead-letters from.",
    dlqCapturedBySource,
  ),
  rule(
    "jc-dlq-stream-retention",
    "warning",
    "Dead-letter streams keep messages with limits retention, so they can be inspected and replayed.",
    dlqStreamRetention,
  ),
  rule(
    "jc-durable-invalid",
    "error",
    "Durable consumer names are valid JetStream names.",
    durableInvalid,
  ),
  rule(
    "jc-durable-duplicate",
    "error",
    "Durable consumer names are unique per stream.",
    durableDuplicate,
  ),
  rule(
    "jc-workqueue-overlap",
    "error",
    "A work-queue stream has no two consumers with overlapping filters (JetStream refuses them).",
    workqueueOverlap,
  ),
  rule(
    "jc-ack-wait-below-handler-timeout",
    "warning",
    "The ack wait covers the handler timeout, or the message is redelivered mid-handling.",
    ackWaitBelowHandler,
  ),
  rule(
    "jc-max-ack-pending-below-concurrency",
    "warning",
    "maxAckPending lets the bulkhead's concurrency be used.",
    maxAckPendingBelowConcurrency,
  ),
  rule(
    "jc-receive-without-retry-or-dlq",
    "warning",
    "Receive operations say how failures are retried and where messages that keep failing go.",
    receiveWithoutRetryOrDlq,
  ),
  rule(
    "jc-dedup-lease-short",
    "warning",
    "A KV dedup claim lasts as long as a handler may run.",
    dedupLeaseShort,
  ),
  rule(
    "jc-kv-bucket-invalid",
    "error",
    "KV bucket names use only letters, digits, `_` and `-`.",
    kvBucketInvalid,
  ),
  rule(
    "jc-retry-delays-exceed-attempts",
    "error",
    "Explicit retry delays are not more than the retries (`maxAttempts - 1`).",
    delaysExceedAttempts,
  ),
  rule(
    "jc-retry-max-delay-below-initial",
    "error",
    "A retry's maxDelay is not shorter than its initialDelay.",
    maxDelayBelowInitial,
  ),
  rule(
    "jc-breaker-ratio-range",
    "error",
    "A circuit breaker's failureRatio is in (0, 1].",
    breakerRatio,
  ),
  rule(
    "jc-breaker-conflicting",
    "error",
    "A circuit breaker opens on consecutive failures or on a failure ratio, not both; window/minCalls need a ratio.",
    breakerConflicting,
  ),
  rule(
    "jc-publish-timeout-above-deadline",
    "warning",
    "A publish attempt's timeout fits in the overall deadline.",
    publishTimeoutAboveDeadline,
  ),
  rule("jc-duration-zero", "error", "Timeouts and waits are positive durations.", zeroDurations),
  rule(
    "jc-idempotency-key-invalid",
    "error",
    "Idempotency keys are `$message.payload#/…` or `$message.header#/…` runtime expressions.",
    keyExpressionInvalid,
  ),
  rule(
    "jc-idempotency-key-missing-field",
    "error",
    "An idempotency key points at a field that exists in the payload or headers schema.",
    keyFieldMissing,
  ),
  rule(
    "jc-idempotency-key-optional-field",
    "error",
    "An idempotency key points at a required field (and required parents).",
    keyFieldOptional,
  ),
  rule(
    "jc-idempotency-key-type",
    "warning",
    "An idempotency key is a scalar, not an object or array.",
    keyFieldType,
  ),
  rule(
    "jc-send-without-idempotency-key",
    "warning",
    "Messages published into a stream have an idempotency key, so publish retries dedup.",
    sendWithoutKey,
  ),
  rule(
    "jc-no-annotations",
    "info",
    "A document without jetcontract annotations is reported as plain AsyncAPI.",
    noAnnotations,
  ),
];
