/** Consumers, their dedup stores and KV buckets: what JetStream refuses, and what cannot work. */
import { isValidBucketName, jetStreamNameError, subjectsOverlap } from "../../model/subjects.js";
import type { ReceiveOperation } from "../../model/types.js";
import { channelOf, messagesOf, ms, plural, receives } from "./context.js";
import { type ModelContext, modelRule } from "./types.js";

/** The durable a receive operation's consumer gets. */
const durableOf = (op: ReceiveOperation) => op.consumer?.durable ?? op.id;

export const durableInvalid = modelRule({
  id: "jc-durable-invalid",
  severity: "error",
  also: ["streams"],
  purpose: "Durable consumer names are valid JetStream names.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      const why = jetStreamNameError(durableOf(op));
      if (!why) continue;
      yield {
        message: `durable consumer name \`${durableOf(op)}\` of \`${op.id}\` is not a valid JetStream name: ${why}`,
        location: ctx.locate(
          "x-consumer",
          "operation",
          op.id,
          op.consumer?.location ?? op.location,
          "durable",
        ),
      };
    }
  },
});

export const durableDuplicate = modelRule({
  id: "jc-durable-duplicate",
  severity: "error",
  also: ["streams"],
  purpose: "Durable consumer names are unique per stream.",
  *check(ctx) {
    const seen = new Map<string, ReceiveOperation>();
    for (const op of receives(ctx)) {
      const stream = channelOf(ctx, op)?.stream;
      if (stream === undefined) continue;
      const key = `${stream}\u0000${durableOf(op)}`;
      const first = seen.get(key);
      if (!first) {
        seen.set(key, op);
        continue;
      }
      yield {
        message: `\`${op.id}\` and \`${first.id}\` both use durable consumer \`${durableOf(op)}\` on stream \`${stream}\`; one durable has one filter and one config`,
        location: ctx.locate(
          "x-consumer",
          "operation",
          op.id,
          op.consumer?.location ?? op.location,
          "durable",
        ),
      };
    }
  },
});

/** Pairs of receive operations with different durables on the same work-queue stream. */
function* workQueueConsumers(ctx: ModelContext) {
  for (const stream of ctx.contract.streams) {
    if (stream.retention !== "workqueue") continue;
    yield {
      stream,
      consumers: receives(ctx).filter((op) => channelOf(ctx, op)?.stream === stream.name),
    };
  }
}

export const workqueueOverlap = modelRule({
  id: "jc-workqueue-overlap",
  severity: "error",
  also: ["streams"],
  purpose:
    "A work-queue stream has no two consumers with overlapping filters (JetStream refuses them).",
  *check(ctx) {
    for (const { stream, consumers } of workQueueConsumers(ctx)) {
      for (let i = 0; i < consumers.length; i++) {
        for (let j = i + 1; j < consumers.length; j++) {
          const a = consumers[i] as ReceiveOperation;
          const b = consumers[j] as ReceiveOperation;
          if (durableOf(a) === durableOf(b)) continue;
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
  },
});

export const workqueueDeliverPolicy = modelRule({
  id: "jc-workqueue-deliver-policy",
  severity: "error",
  also: ["streams"],
  purpose: "Consumers of a work-queue stream deliver `all` (JetStream refuses any other policy).",
  *check(ctx) {
    for (const { stream, consumers } of workQueueConsumers(ctx)) {
      for (const op of consumers) {
        const policy = op.consumer?.deliverPolicy ?? "all";
        if (policy === "all") continue;
        yield {
          message: `\`${op.id}\` consumes work-queue stream \`${stream.name}\` with deliverPolicy \`${policy}\`; JetStream accepts only \`all\` there`,
          location: ctx.locate(
            "x-consumer",
            "operation",
            op.id,
            op.consumer?.location ?? op.location,
            "deliverPolicy",
          ),
        };
      }
    }
  },
});

export const ackWaitBelowHandler = modelRule({
  id: "jc-ack-wait-below-handler-timeout",
  severity: "warning",
  also: ["streams"],
  purpose: "The ack wait covers the handler timeout, or the message is redelivered mid-handling.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      const c = op.consumer;
      if (!c || c.ackWaitMs >= c.handlerTimeoutMs) continue;
      yield {
        message: `\`${op.id}\`: ackWait ${ms(c.ackWaitMs)} is shorter than handlerTimeout ${ms(c.handlerTimeoutMs)}; the server redelivers a message whose handler is still running unless it heartbeats with working()`,
        location: ctx.locate("x-consumer", "operation", op.id, c.location, "ackWait"),
      };
    }
  },
});

export const maxAckPendingBelowConcurrency = modelRule({
  id: "jc-max-ack-pending-below-concurrency",
  severity: "warning",
  also: ["streams"],
  purpose: "maxAckPending lets the bulkhead's concurrency be used.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      const c = op.consumer;
      if (!c || c.maxAckPending >= c.concurrency) continue;
      yield {
        message: `\`${op.id}\`: maxAckPending ${c.maxAckPending} is below concurrency ${c.concurrency}; at most ${plural(c.maxAckPending, "handler")} can ever run at once`,
        location: ctx.locate("x-consumer", "operation", op.id, c.location, "maxAckPending"),
      };
    }
  },
});

export const receiveWithoutRetryOrDlq = modelRule({
  id: "jc-receive-without-retry-or-dlq",
  severity: "warning",
  purpose:
    "Receive operations say how failures are retried and where messages that keep failing go.",
  *check(ctx) {
    if (!ctx.usesJetcontract) return;
    for (const op of receives(ctx)) {
      const hasDlq = op.dlq !== null;
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
  },
});

export const dedupLeaseShort = modelRule({
  id: "jc-dedup-lease-short",
  severity: "warning",
  purpose: "A KV dedup claim lasts as long as a handler may run.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      if (op.dedup?.store !== "kv" || !op.consumer) continue;
      if (op.dedup.leaseMs >= op.consumer.handlerTimeoutMs) continue;
      yield {
        message: `\`${op.id}\`: dedup lease ${ms(op.dedup.leaseMs)} is shorter than handlerTimeout ${ms(op.consumer.handlerTimeoutMs)}; another instance may claim a message that is still being handled`,
        location: ctx.locate("x-dedup", "operation", op.id, op.dedup.location, "lease"),
      };
    }
  },
});

export const dedupWithoutKey = modelRule({
  id: "jc-dedup-without-idempotency-key",
  severity: "warning",
  purpose:
    "Consumer dedup (`kv` or `memory`) needs messages with an idempotency key; without one each publish gets a random id and nothing is ever a duplicate.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      const dedup = op.dedup;
      // Only a store the author chose: the default store is harmless for keyless messages.
      if (!op.annotated.includes("x-dedup") || dedup.store === "none") continue;
      const keyless = messagesOf(ctx, op).filter((m) => !m.idempotencyKey);
      if (keyless.length === 0) continue;
      yield {
        message: `\`${op.id}\` deduplicates with a ${dedup.store} store, but message${keyless.length === 1 ? "" : "s"} ${keyless.map((m) => `\`${m.id}\``).join(", ")} ha${keyless.length === 1 ? "s" : "ve"} no \`x-idempotency-key\`: the key falls back to a random id per publish, so dedup never finds a duplicate; add \`x-idempotency-key\` or set \`store: none\``,
        location: ctx.locate("x-dedup", "operation", op.id, dedup.location, "store"),
      };
    }
  },
});

export const kvBucketInvalid = modelRule({
  id: "jc-kv-bucket-invalid",
  severity: "error",
  also: ["streams"],
  purpose: "KV bucket names use only letters, digits, `_` and `-`.",
  *check(ctx) {
    for (const op of receives(ctx)) {
      if (op.dedup?.store !== "kv" || isValidBucketName(op.dedup.bucket)) continue;
      yield {
        message: `KV bucket name \`${op.dedup.bucket}\` of \`${op.id}\` is not valid: use letters, digits, \`_\` and \`-\` only`,
        location: ctx.locate("x-dedup", "operation", op.id, op.dedup.location, "bucket"),
      };
    }
  },
});

export const kvBucketConflict = modelRule({
  id: "jc-kv-bucket-conflict",
  severity: "error",
  also: ["streams"],
  purpose: "Operations sharing a KV dedup bucket agree on its TTL (one bucket has one TTL).",
  *check(ctx) {
    const first = new Map<string, ReceiveOperation & { dedup: { ttlMs: number } }>();
    for (const op of receives(ctx)) {
      const dedup = op.dedup;
      if (dedup?.store !== "kv") continue;
      const known = first.get(dedup.bucket);
      if (!known) {
        first.set(dedup.bucket, { ...op, dedup });
        continue;
      }
      if (known.dedup.ttlMs === dedup.ttlMs) continue;
      yield {
        message: `\`${known.id}\` and \`${op.id}\` share KV bucket \`${dedup.bucket}\` with different TTLs (${ms(known.dedup.ttlMs)}, ${ms(dedup.ttlMs)}); one bucket has one TTL`,
        location: ctx.locate("x-dedup", "operation", op.id, dedup.location, "ttl"),
      };
    }
  },
});

export const kvBucketStreamClash = modelRule({
  id: "jc-kv-bucket-stream-clash",
  severity: "error",
  also: ["streams"],
  purpose: "A KV bucket's stream (`KV_<bucket>`) is not also declared as a stream of the contract.",
  *check(ctx) {
    const reported = new Set<string>();
    for (const op of receives(ctx)) {
      const dedup = op.dedup;
      if (dedup?.store !== "kv" || reported.has(dedup.bucket)) continue;
      const stream = `KV_${dedup.bucket}`;
      if (!ctx.contract.streams.some((s) => s.name === stream)) continue;
      reported.add(dedup.bucket);
      yield {
        message: `KV bucket \`${dedup.bucket}\` of \`${op.id}\` is stored in stream \`${stream}\`, which the contract also declares; rename the bucket or the stream`,
        location: ctx.locate("x-dedup", "operation", op.id, dedup.location, "bucket"),
      };
    }
  },
});

export const consumerRules = [
  durableInvalid,
  durableDuplicate,
  workqueueOverlap,
  workqueueDeliverPolicy,
  ackWaitBelowHandler,
  maxAckPendingBelowConcurrency,
  receiveWithoutRetryOrDlq,
  dedupLeaseShort,
  dedupWithoutKey,
  kvBucketInvalid,
  kvBucketConflict,
  kvBucketStreamClash,
];
