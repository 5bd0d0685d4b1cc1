import type {
  CircuitBreakerPolicy,
  DedupPolicy,
  IdempotencyKey,
  PublishPolicy,
  RetryPolicy,
} from "../model/types.js";
import type { CodegenContext, ReceivePlan, SendPlan } from "./context.js";
import type { EmittedValidators } from "./emit-validators.js";
import { GeneratedFile } from "./generated-file.js";
import { code, dataLiteral } from "./literal.js";
import { safeDocText, stringLiteral } from "./names.js";
import { runtime } from "./runtime-symbols.js";

export const DESCRIPTORS_MODULE = "descriptors.ts";

/**
 * Policies a receive operation gets when its annotations leave them out. Written into the
 * descriptor as values, so the generated code shows exactly what runs.
 */
export const CONSUMER_DEFAULTS = {
  ackWaitMs: 30_000,
  maxAckPending: 1_000,
  concurrency: 1,
  handlerTimeoutMs: 25_000,
  retry: {
    maxAttempts: 5,
    strategy: "exponential",
    initialDelayMs: 1_000,
    maxDelayMs: 60_000,
    multiplier: 2,
    jitter: "full",
  },
} as const;

/** Descriptors: the plain data (plus validators and key extractors) the runtime is handed. */
export function emitDescriptors(ctx: CodegenContext, validators: EmittedValidators): GeneratedFile {
  const file = new GeneratedFile(DESCRIPTORS_MODULE);
  const messageDescriptor = file.runtime(runtime.MessageDescriptor);

  const addMessage = (
    name: string,
    type: string,
    doc: string,
    value: Record<string, unknown>,
    key: IdempotencyKey | undefined,
  ) => {
    file.import("./types.js", type, true);
    const extractor = key ? keyExtractor(file, key) : undefined;
    addConst(file, name, `${messageDescriptor}<${type}>`, doc, {
      ...value,
      idempotencyKey: extractor,
    });
  };

  // A schema that accepts everything has no validator: the descriptor then has none either.
  const validator = (name: string | undefined) => {
    if (name === undefined || !validators.has(name)) return undefined;
    file.import("./validators.js", name, false);
    return code(name);
  };
  for (const m of ctx.messages) {
    addMessage(
      m.descriptor,
      m.payloadType,
      `Message \`${m.message.id}\`.`,
      {
        name: m.message.id,
        contentType: m.message.contentType,
        validate: validator(m.validatePayload),
        validateHeaders: validator(m.validateHeaders),
      },
      m.message.idempotencyKey,
    );
  }
  for (const op of ctx.operations) {
    if (!op.combined) continue;
    addMessage(
      op.messageDescriptor,
      op.payloadType,
      `The messages of operation \`${op.operation.id}\`: ${op.messages.map((m) => m.message.id).join(", ")}.`,
      {
        name: op.messages.map((m) => m.message.id).join(" | "),
        contentType: op.messages[0]?.message.contentType,
        validate: validator(op.combined.validatePayload),
      },
      op.combined.idempotencyKey,
    );
  }
  for (const op of ctx.operations) {
    file.import("./types.js", op.payloadType, true);
    if (op.operation.action === "send") addPublisher(file, op as SendPlan);
    else addConsumer(file, op as ReceivePlan);
  }
  return file;
}

function addPublisher(file: GeneratedFile, op: SendPlan): void {
  const descriptorType = file.runtime(runtime.PublisherDescriptor);
  const value = {
    operationId: op.operation.id,
    subject: op.subject,
    subjectParams:
      op.channel.parameters.length > 0 ? op.channel.parameters.map((p) => p.name) : undefined,
    stream: op.channel.stream,
    message: code(op.messageDescriptor),
    publish: op.operation.publish ? publishPolicy(op.operation.publish) : undefined,
  };
  addConst(
    file,
    op.descriptor,
    `${descriptorType}<${op.payloadType}>`,
    `Publisher descriptor of send operation \`${op.operation.id}\` (channel \`${op.channel.id}\`).`,
    value,
  );
}

function addConsumer(file: GeneratedFile, op: ReceivePlan): void {
  const descriptorType = file.runtime(runtime.ConsumerDescriptor);
  const o = op.operation;
  const consumer = o.consumer;
  const value = {
    operationId: o.id,
    stream: op.stream,
    durable: consumer?.durable ?? durableName(o.id),
    subject: op.subject,
    message: code(op.messageDescriptor),
    retry: retryPolicy(o.retry ?? CONSUMER_DEFAULTS.retry),
    dlq: o.dlq ? { subject: o.dlq.subject, stream: o.dlq.stream } : undefined,
    dedup: dedupConfig(o.dedup),
    breaker: o.circuitBreaker ? breakerPolicy(o.circuitBreaker) : undefined,
    concurrency: consumer?.concurrency ?? CONSUMER_DEFAULTS.concurrency,
    handlerTimeoutMs: consumer?.handlerTimeoutMs ?? CONSUMER_DEFAULTS.handlerTimeoutMs,
    ackWaitMs: consumer?.ackWaitMs ?? CONSUMER_DEFAULTS.ackWaitMs,
    maxAckPending: consumer?.maxAckPending ?? CONSUMER_DEFAULTS.maxAckPending,
    // Emitted only when it differs from the runtime's default ("all").
    deliverPolicy:
      consumer?.deliverPolicy && consumer.deliverPolicy !== "all"
        ? consumer.deliverPolicy
        : undefined,
  };
  addConst(
    file,
    op.descriptor,
    `${descriptorType}<${op.payloadType}>`,
    `Consumer descriptor of receive operation \`${o.id}\` (channel \`${op.channel.id}\`, stream \`${op.stream}\`).`,
    value,
  );
}

/** `export const name: type = value;` under a doc comment. */
function addConst(
  file: GeneratedFile,
  name: string,
  type: string,
  doc: string,
  value: Record<string, unknown>,
): void {
  file.add({
    kind: "const",
    name,
    type,
    docs: [safeDocText(doc)],
    initializer: dataLiteral(value),
  });
}

/** A JetStream-safe durable name from an operation id (letters, digits, `-`, `_`). */
export function durableName(id: string): string {
  const name = id.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^_+|_+$/g, "");
  return name === "" ? "consumer" : name.slice(0, 200);
}

function retryPolicy(p: Omit<RetryPolicy, "location"> | typeof CONSUMER_DEFAULTS.retry) {
  return {
    maxAttempts: p.maxAttempts,
    strategy: p.strategy,
    initialDelayMs: p.initialDelayMs,
    maxDelayMs: p.maxDelayMs,
    multiplier: p.multiplier,
    jitter: p.jitter,
    delaysMs: "delaysMs" in p ? p.delaysMs : undefined,
  };
}

function publishPolicy(p: PublishPolicy) {
  return { timeoutMs: p.timeoutMs, deadlineMs: p.deadlineMs, retry: retryPolicy(p.retry) };
}

function dedupConfig(d: DedupPolicy | undefined) {
  if (d === undefined || d.store === "none") return { store: "none" };
  if (d.store === "kv")
    return { store: "kv", bucket: d.bucket, ttlMs: d.ttlMs, leaseMs: d.leaseMs };
  return { store: "memory", maxEntries: d.maxEntries, ttlMs: d.ttlMs };
}

function breakerPolicy(b: CircuitBreakerPolicy) {
  const open =
    b.open.kind === "consecutive"
      ? { kind: "consecutive", failures: b.open.failures }
      : {
          kind: "ratio",
          failureRatio: b.open.failureRatio,
          windowMs: b.open.windowMs,
          minCalls: b.open.minCalls,
        };
  return { open, halfOpenAfterMs: b.halfOpenAfterMs, halfOpenProbes: b.halfOpenProbes };
}

/** `(payload) => keyPart(payload, ["orderId"])`, parts joined with the key's separator. */
function keyExtractor(file: GeneratedFile, key: IdempotencyKey) {
  if (key.parts.length === 0) return undefined;
  const keyPart = file.runtime(runtime.keyPart);
  const usesPayload = key.parts.some((p) => p.source === "payload");
  const usesHeaders = key.parts.some((p) => p.source === "header");
  const params = usesHeaders ? `(${usesPayload ? "payload" : "_payload"}, headers)` : "(payload)";
  const parts = key.parts.map(
    (p) =>
      `${keyPart}(${p.source === "payload" ? "payload" : "headers"}, [${p.path.map(stringLiteral).join(", ")}])`,
  );
  const body =
    parts.length === 1 ? parts[0] : `[${parts.join(", ")}].join(${stringLiteral(key.separator)})`;
  return code(`${params} => ${body}`);
}
