import { type CodegenContext, describedBy, type SendPlan } from "./context.js";
import { GeneratedFile } from "./generated-file.js";
import { safeDocText } from "./names.js";
import { runtime } from "./runtime-symbols.js";

export const PRODUCERS_MODULE = "producers.ts";

/** One typed publisher factory per send operation, over the runtime's `createPublisher`. */
export function emitProducers(ctx: CodegenContext): GeneratedFile {
  const file = new GeneratedFile(PRODUCERS_MODULE);
  const sends = ctx.operations.filter((op): op is SendPlan => op.operation.action === "send");
  if (sends.length === 0) file.add("export {};");
  for (const op of sends) {
    const createPublisher = file.runtime(runtime.createPublisher);
    const connectable = file.runtime(runtime.Connectable);
    const publisherOptions = file.runtime(runtime.PublisherOptions);
    const publishOptions = file.runtime(runtime.PublishOptions);
    const publishResult = file.runtime(runtime.PublishResult);
    const publisher = file.runtime(runtime.Publisher);
    file.import("./types.js", op.payloadType, true);
    file.import("./descriptors.js", op.descriptor, false);
    const o = op.operation;
    const summary = describedBy(o);
    const where = `Publishes to \`${op.channel.address ?? op.subject}\`${op.channel.stream ? ` (stream \`${op.channel.stream}\`)` : ""}.`;
    const params = op.paramsType;
    if (params) file.import("./types.js", params, true);

    file.add({
      kind: "interface",
      name: op.publisherType,
      docs: [safeDocText(`Typed publisher of send operation \`${o.id}\`.`)],
      methods: [
        {
          name: "publish",
          docs: [
            safeDocText(
              `${where}\nResolves once the stream stored the message; \`duplicate\` is true when the stream already held its idempotency key.`,
            ),
          ],
          parameters: [
            { name: "payload", type: op.payloadType },
            ...(params ? [{ name: "params", type: params }] : []),
            {
              name: "options",
              optional: true,
              type: params ? `Omit<${publishOptions}, "params">` : publishOptions,
            },
          ],
          returnType: `Promise<${publishResult}>`,
        },
      ],
      properties: [
        {
          name: "events",
          readonly: true,
          type: `${publisher}<${op.payloadType}>["events"]`,
          docs: ["Lifecycle events (published, retried, failed)."],
        },
      ],
    });
    file.add({
      kind: "function",
      name: op.factory,
      docs: [safeDocText([...summary, where].join("\n\n"))],
      parameters: [
        { name: "conn", type: connectable },
        { name: "options", optional: true, type: publisherOptions },
      ],
      returnType: op.publisherType,
      statements: [
        `const publisher = ${createPublisher}(conn, ${op.descriptor}, options);`,
        params
          ? "return {\n  events: publisher.events,\n  publish: (payload, params, opts) => publisher.publish(payload, { ...opts, params }),\n};"
          : "return {\n  events: publisher.events,\n  publish: (payload, opts) => publisher.publish(payload, opts),\n};",
      ],
    });
  }
  return file;
}
