import type { IdempotencyKey, PublishPolicy, SourceLocation } from "../model/types.js";
import type { CodegenContext, ReceivePlan, SendPlan } from "./context.js";
import type { EmittedValidators } from "./emit-validators.js";
import { GeneratedFile } from "./generated-file.js";
import { code, dataLiteral } from "./literal.js";
import { safeDocText, stringLiteral } from "./names.js";
import { runtime } from "./runtime-symbols.js";

export const DESCRIPTORS_MODULE = "descriptors.ts";

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
    publish: publishPolicy(op.operation.publish),
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
  const { location: _at, ...consumer } = o.consumer;
  // The model's resolved policies, printed as they are: the generated code shows what runs.
  const value = {
    operationId: o.id,
    stream: op.stream,
    durable: consumer.durable,
    subject: op.subject,
    message: code(op.messageDescriptor),
    retry: data(o.retry),
    deadLetter: o.dlq ? { subject: o.dlq.subject, stream: o.dlq.stream } : undefined,
    dedup: data(o.dedup),
    breaker: o.circuitBreaker ? data(o.circuitBreaker) : undefined,
    concurrency: consumer.concurrency,
    handlerTimeoutMs: consumer.handlerTimeoutMs,
    ackWaitMs: consumer.ackWaitMs,
    maxAckPending: consumer.maxAckPending,
    deliverPolicy: consumer.deliverPolicy,
    replicas: consumer.replicas,
    memoryStorage: consumer.memoryStorage,
    description: consumer.description,
    managedBy: consumer.managedBy,
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

/** A policy of the model without its source location: the runtime's descriptor data. */
function data<T extends { readonly location: SourceLocation }>(policy: T): Omit<T, "location"> {
  const { location: _at, ...rest } = policy;
  return rest;
}

function publishPolicy(p: PublishPolicy) {
  return { timeoutMs: p.timeoutMs, deadlineMs: p.deadlineMs, retry: data(p.retry) };
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
