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
    file.import("./types.js", op.payloadType, true);
    file.import("./descriptors.js", op.descriptor, false);
    const o = op.operation;
    const where = `Publishes to \`${op.channel.address ?? op.subject}\`${op.channel.stream ? ` (stream \`${op.channel.stream}\`)` : ""}.`;
    const docs = [safeDocText([...describedBy(o), where].join("\n\n"))];
    const parameters = [
      { name: "conn", type: connectable },
      { name: "options", optional: true, type: publisherOptions },
    ];
    const params = op.paramsType;
    if (params === undefined || op.publisherType === undefined) {
      // The runtime's publisher is already typed by the descriptor: no wrapper.
      file.add({
        kind: "function",
        name: op.factory,
        docs,
        parameters,
        returnType: `${file.runtime(runtime.Publisher)}<${op.payloadType}>`,
        statements: [`return ${createPublisher}(conn, ${op.descriptor}, options);`],
      });
      continue;
    }
    // Subject parameters become a typed argument of `publish` (spread: an interface has no
    // index signature, the copy's anonymous type fits the runtime's string record).
    const publishOptions = file.runtime(runtime.PublishOptions);
    file.import("./types.js", params, true);
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
            { name: "params", type: params },
            { name: "options", optional: true, type: `Omit<${publishOptions}, "params">` },
          ],
          returnType: `Promise<${file.runtime(runtime.PublishResult)}>`,
        },
      ],
      properties: [
        {
          name: "events",
          readonly: true,
          type: `${file.runtime(runtime.Publisher)}<${op.payloadType}>["events"]`,
          docs: ["Lifecycle events (published, retried, failed)."],
        },
      ],
    });
    file.add({
      kind: "function",
      name: op.factory,
      docs,
      parameters,
      returnType: op.publisherType,
      statements: [
        `const publisher = ${createPublisher}(conn, ${op.descriptor}, options);`,
        "return {\n  events: publisher.events,\n  publish: (payload, params, opts) =>\n    publisher.publish(payload, { ...opts, params: { ...params } }),\n};",
      ],
    });
  }
  return file;
}
