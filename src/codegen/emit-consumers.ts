import { type CodegenContext, describedBy, type ReceivePlan } from "./context.js";
import { GeneratedFile } from "./generated-file.js";
import { safeDocText } from "./names.js";
import { runtime } from "./runtime-symbols.js";

export const CONSUMERS_MODULE = "consumers.ts";

/** One consumer factory per receive operation, over the runtime's `createConsumer`. */
export function emitConsumers(ctx: CodegenContext): GeneratedFile {
  const file = new GeneratedFile(CONSUMERS_MODULE);
  const receives = ctx.operations.filter(
    (op): op is ReceivePlan => op.operation.action === "receive",
  );
  if (receives.length === 0) {
    file.add("export {};");
    return file;
  }
  const createConsumer = file.runtime(runtime.createConsumer);
  // A connection or JetStream client, like the publishers.
  const connectable = file.runtime(runtime.Connectable);
  for (const op of receives) {
    const handler = file.runtime(runtime.MessageHandler);
    const options = file.runtime(runtime.ConsumerOptions);
    const consumer = file.runtime(runtime.MessageConsumer);
    file.import("./types.js", op.payloadType, true);
    file.import("./descriptors.js", op.descriptor, false);
    const o = op.operation;
    file.add({
      kind: "type",
      name: op.handlerType,
      docs: [
        safeDocText(
          `Handles one \`${o.id}\` message. Return to acknowledge; throw \`PermanentError\` to dead-letter at once; any other error is retried with backoff until the attempts are spent.`,
        ),
      ],
      type: `${handler}<${op.payloadType}>`,
    });
    const policies = [
      `Stream \`${op.stream}\`, subject \`${op.subject}\`.`,
      o.retry ? `Retries: up to ${o.retry.maxAttempts} attempts (${o.retry.strategy}).` : undefined,
      o.dlq ? `Dead letters go to \`${o.dlq.subject}\` (stream \`${o.dlq.stream}\`).` : undefined,
      o.dedup && o.dedup.store !== "none"
        ? `Deduplicated by idempotency key (${o.dedup.store}).`
        : undefined,
      o.circuitBreaker ? "Guarded by a circuit breaker." : undefined,
      o.consumer
        ? `Concurrency ${o.consumer.concurrency}; durable \`${o.consumer.durable}\`.`
        : undefined,
    ].filter((t): t is string => t !== undefined);
    const summary = describedBy(o);
    file.add({
      kind: "function",
      name: op.factory,
      docs: [
        safeDocText([...summary, policies.join("\n"), "Call `start()` to begin."].join("\n\n")),
      ],
      parameters: [
        { name: "conn", type: connectable },
        { name: "handler", type: op.handlerType },
        { name: "options", optional: true, type: options },
      ],
      returnType: consumer,
      statements: [`return ${createConsumer}(conn, ${op.descriptor}, handler, options);`],
    });
  }
  return file;
}
