/**
 * The one table of `@jetcontract/runtime` exports that generated code uses. Emitters ask for
 * symbols from here; they never write a runtime name or module specifier themselves. The
 * type-level checks below make a renamed or removed runtime export a build error of the
 * generator, not a broken import in users' generated code.
 */
import type * as Runtime from "@jetcontract/runtime";
import type * as RuntimeInternal from "@jetcontract/runtime/internal";

/** Module specifier generated code imports the runtime from (its own package). */
export const RUNTIME_MODULE = "@jetcontract/runtime";
/** The runtime's subpath for what only generated code calls (ajv's helpers). */
export const RUNTIME_INTERNAL_MODULE = "@jetcontract/runtime/internal";

export interface RuntimeSymbol {
  readonly name: string;
  /** True for types (imported with `import type`). */
  readonly typeOnly: boolean;
}

function value<const N extends keyof typeof Runtime>(name: N): RuntimeSymbol & { name: N } {
  return { name, typeOnly: false };
}

/**
 * Type exports cannot be checked with `keyof typeof`; each key of `RuntimeTypes` names the
 * runtime type it stands for, so a missing type fails to compile here.
 */
interface RuntimeTypes {
  Connectable: Runtime.Connectable;
  ConsumerDescriptor: Runtime.ConsumerDescriptor<unknown>;
  ConsumerOptions: Runtime.ConsumerOptions;
  HandlerContext: Runtime.HandlerContext;
  MessageConsumer: Runtime.MessageConsumer;
  MessageHandler: Runtime.MessageHandler<unknown>;
  MessageHeaders: Runtime.MessageHeaders;
  MessageDescriptor: Runtime.MessageDescriptor<unknown>;
  PublishOptions: Runtime.PublishOptions;
  PublishResult: Runtime.PublishResult;
  Publisher: Runtime.Publisher<unknown>;
  PublisherDescriptor: Runtime.PublisherDescriptor<unknown>;
  PublisherOptions: Runtime.PublisherOptions;
  SchemaValidator: Runtime.SchemaValidator<unknown>;
}

function type<const N extends keyof RuntimeTypes>(name: N): RuntimeSymbol & { name: N } {
  return { name, typeOnly: true };
}

export const runtime = {
  createPublisher: value("createPublisher"),
  createConsumer: value("createConsumer"),
  keyPart: value("keyPart"),
  Connectable: type("Connectable"),
  ConsumerDescriptor: type("ConsumerDescriptor"),
  ConsumerOptions: type("ConsumerOptions"),
  HandlerContext: type("HandlerContext"),
  MessageConsumer: type("MessageConsumer"),
  MessageHandler: type("MessageHandler"),
  MessageHeaders: type("MessageHeaders"),
  MessageDescriptor: type("MessageDescriptor"),
  PublishOptions: type("PublishOptions"),
  PublishResult: type("PublishResult"),
  Publisher: type("Publisher"),
  PublisherDescriptor: type("PublisherDescriptor"),
  PublisherOptions: type("PublisherOptions"),
  SchemaValidator: type("SchemaValidator"),
} as const;

function internal<const N extends keyof typeof RuntimeInternal>(
  name: N,
): RuntimeSymbol & { name: N } {
  return { name, typeOnly: false };
}

/**
 * Exports of `RUNTIME_INTERNAL_MODULE` generated code uses: the helpers of ajv's standalone
 * validator code (see emit-validators.ts), kept off the public entry point.
 */
export const runtimeInternal = {
  ajvUcs2length: internal("ajvUcs2length"),
  ajvEqual: internal("ajvEqual"),
  ajvUri: internal("ajvUri"),
  AjvValidationError: internal("AjvValidationError"),
  ajvFullFormats: internal("ajvFullFormats"),
  ajvFastFormats: internal("ajvFastFormats"),
} as const;

/** Every name generated code may import from the runtime (reserved in generated scopes). */
export const RUNTIME_SYMBOL_NAMES: readonly string[] = [
  ...Object.values(runtime),
  ...Object.values(runtimeInternal),
].map((s) => s.name);
