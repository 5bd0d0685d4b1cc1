import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import addFormats from "ajv-formats";
import { StructureKind, VariableDeclarationKind } from "ts-morph";
import type { JsonSchema, JsonSchemaObject, SourceLocation } from "../model/types.js";
import type { CodegenContext } from "./context.js";
import { GeneratedFile } from "./generated-file.js";
import { safeDocText, stringLiteral } from "./names.js";
import { RUNTIME_MODULE, type RuntimeSymbol, runtime } from "./runtime-symbols.js";
import { canonicalJson, stripForValidation } from "./schema-utils.js";

/**
 * Validators, precompiled at generation time with ajv (standalone code, `ajv-formats`):
 * generated code never compiles a schema and never uses `eval`/`new Function`.
 *
 * Two modules:
 * - `validators.ajv.ts`: ajv's standalone output, verbatim apart from its `require()` calls,
 *   which become imports of the helpers `@jetcontract/runtime` re-exports (no direct `ajv` or
 *   `ajv-formats` import in generated code). It is untyped JavaScript, so it starts with
 *   `// @ts-nocheck`.
 * - `validators.ts`: the typed face, one `SchemaValidator<T>` per payload and headers schema,
 *   type-checked under `--strict`. Everything else imports validators from here.
 *
 * A `.ts` pair rather than `.js` + `.d.ts`: a `.js` file beside `.ts` sources is not copied
 * by `tsc` to `outDir`, so projects that build generated code with `tsc` would lose it.
 */

export const VALIDATORS_MODULE = "validators.ts";
export const COMPILED_VALIDATORS_MODULE = "validators.ajv.ts";

interface ValidatorRequest {
  readonly exportName: string;
  readonly schema: JsonSchema;
  readonly type: string;
  /** For an operation with several messages: the export names of their payload validators. */
  readonly anyOf?: readonly string[];
  /** Header validators check string records: their type is `MessageHeaders & <type>`. */
  readonly headers?: boolean;
  readonly location: SourceLocation;
  readonly what: string;
}

export function emitValidators(
  ctx: CodegenContext,
): [typed: GeneratedFile, compiled: GeneratedFile] {
  const requests: ValidatorRequest[] = [];
  for (const m of ctx.messages) {
    requests.push({
      exportName: m.validatePayload,
      schema: m.message.payload ?? true,
      type: m.payloadType,
      location: m.message.payloadLocation ?? m.message.location,
      what: `payload of message '${m.message.id}'`,
    });
    if (m.validateHeaders !== undefined && m.headersType !== undefined) {
      requests.push({
        exportName: m.validateHeaders,
        schema: m.message.headers ?? true,
        type: m.headersType,
        headers: true,
        location: m.message.headersLocation ?? m.message.location,
        what: `headers of message '${m.message.id}'`,
      });
    }
  }
  for (const op of ctx.operations) {
    if (op.combined) {
      requests.push({
        exportName: op.combined.validatePayload,
        schema: true,
        anyOf: op.messages.map((m) => m.validatePayload),
        type: op.payloadType,
        location: op.operation.location,
        what: `payload of operation '${op.operation.id}'`,
      });
    }
  }

  const ajv = new Ajv({
    code: { source: true, esm: true, lines: true },
    strict: false,
    allErrors: false,
    logger: false,
    validateSchema: false,
    unevaluated: false,
    // Shared schemas become one function each, called from every validator that uses them.
    inlineRefs: false,
  });
  addFormats.default(ajv);

  const shared = sharedSchemas(ajv);
  const compiled = new Map<string, string>(); // exportName → internal export of the ajv module
  requests.forEach((request, i) => {
    const key = `v${i}`;
    try {
      let schema = stripForValidation(request.schema, shared);
      if (request.anyOf) {
        const refs = request.anyOf.map((name) => compiled.get(name));
        if (refs.some((r) => r === undefined)) throw new Error("a message's validator is missing");
        schema = { anyOf: refs.map((r) => ({ $ref: r })) };
      }
      ajv.addSchema(schema as object, key);
      ajv.getSchema(key);
      compiled.set(request.exportName, key);
    } catch (error) {
      ajv.removeSchema(key);
      ctx.problems.push({
        ruleId: "codegen-validator-skipped",
        severity: "warning",
        message: `no validator generated for the ${request.what}: ${error instanceof Error ? error.message : String(error)}; values are accepted unchecked`,
        location: request.location,
      });
    }
  });

  const raw = new GeneratedFile(COMPILED_VALIDATORS_MODULE, { verbatim: true });
  raw.leading("// @ts-nocheck");
  raw.leading("// ajv standalone output (untyped JavaScript); its typed face is validators.ts.");
  raw.leading("/* eslint-disable */");
  if (compiled.size > 0) {
    const refs = Object.fromEntries([...compiled.values()].map((k) => [k, k]));
    raw.add(esmFromAjv(standaloneCode.default(ajv, refs)));
  } else {
    raw.add("export {};");
  }

  const typed = new GeneratedFile(VALIDATORS_MODULE);
  const schemaValidator = typed.runtime(runtime.SchemaValidator);
  const anyCompiled = compiled.size > 0;
  if (anyCompiled) typed.add('import * as compiled from "./validators.ajv.js";');
  for (const request of requests) {
    const key = compiled.get(request.exportName);
    typed.import("./types.js", request.type, true);
    const type = request.headers
      ? `${typed.runtime(runtime.MessageHeaders)} & ${request.type}`
      : request.type;
    typed.add({
      kind: StructureKind.VariableStatement,
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [safeDocText(`Validates the ${request.what}.`)],
      declarations: [
        {
          name: request.exportName,
          type: `${schemaValidator}<${type}>`,
          initializer:
            key !== undefined
              ? `compiled.${key} as unknown as ${schemaValidator}<${type}>`
              : `acceptAll as ${schemaValidator}<${type}>`,
        },
      ],
    });
  }
  if ([...requests].some((r) => !compiled.has(r.exportName))) {
    typed.add(
      "/** Stands in for a schema ajv could not compile (see the generator's warnings). */\nfunction acceptAll(_data: unknown): boolean {\n  return true;\n}",
    );
  }
  return [typed, raw];
}

/**
 * Named schemas (`x-jc-name`, the targets of the spec's `$ref`s) that appear in several
 * payloads are registered with ajv once and referenced, so their code is generated once.
 * Only self-contained ones: a node with a `#/...` reference depends on its root's `$defs`.
 */
function sharedSchemas(ajv: Ajv): (node: JsonSchemaObject) => string | undefined {
  const keys = new Map<string, string>();
  const hoist = (node: JsonSchemaObject): string | undefined => {
    const name = node["x-jc-name"];
    if (typeof name !== "string") return undefined;
    const text = canonicalJson(node);
    if (text.includes('"$ref":"#')) return undefined;
    let key = keys.get(text);
    if (key === undefined) {
      key = `shared-${keys.size}`;
      keys.set(text, key);
      // Registered lazily: ajv compiles it the first time a validator refers to it.
      ajv.addSchema(stripForValidation(node, hoist) as object, key);
    }
    return key;
  };
  return hoist;
}

/**
 * What ajv's standalone code reaches with `require("<module>").<property>` (even in ESM mode),
 * and the `@jetcontract/runtime` export that stands for it. The runtime re-exports these so
 * generated code needs no direct dependency on `ajv` or `ajv-formats` (pnpm keeps a
 * dependency's dependencies out of the user's reach). JTD-only helpers (`parseJson`, `quote`,
 * `timestamp`) and `re2` never appear with the generator's ajv options.
 */
const AJV_HELPERS: Readonly<Record<string, RuntimeSymbol>> = {
  "ajv/dist/runtime/ucs2length#default": runtime.ajvUcs2length,
  "ajv/dist/runtime/equal#default": runtime.ajvEqual,
  "ajv/dist/runtime/uri#default": runtime.ajvUri,
  "ajv/dist/runtime/validation_error#default": runtime.AjvValidationError,
  "ajv-formats/dist/formats#fullFormats": runtime.ajvFullFormats,
  "ajv-formats/dist/formats#fastFormats": runtime.ajvFastFormats,
};

/**
 * Turns ajv's standalone output into an ES module: each `require("<ajv module>").<property>`
 * becomes the runtime export standing for it, imported once from `@jetcontract/runtime`.
 * Anything else it requires is an error (a new ajv helper must be added to the runtime first).
 */
export function esmFromAjv(source: string): string {
  const used = new Set<string>();
  const body = source.replace(
    /require\(("(?:[^"\\]|\\.)*")\)\.([A-Za-z_$][\w$]*)/g,
    (_match, quoted: string, property: string) => {
      const specifier = (JSON.parse(quoted) as string).replace(/\.js$/, "");
      const symbol = AJV_HELPERS[`${specifier}#${property}`];
      if (!symbol) throw new Error(`unexpected helper in ajv output: ${specifier} ${property}`);
      used.add(symbol.name);
      return symbol.name;
    },
  );
  if (/\brequire\(/.test(body)) {
    throw new Error("unexpected require() in ajv output");
  }
  const cleaned = body.replace(/^"use strict";\n?/, "");
  if (used.size === 0) return cleaned;
  const names = [...used].sort();
  return [`import { ${names.join(", ")} } from ${stringLiteral(RUNTIME_MODULE)};`, cleaned].join(
    "\n",
  );
}
