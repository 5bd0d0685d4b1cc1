import { Ajv } from "ajv";
import standaloneCode from "ajv/dist/standalone/index.js";
import addFormats from "ajv-formats";
// The reading of self-references with nothing in between is the compatibility checker's.
import { withoutLoops } from "../compat/schema/loops.js";
import type { JsonSchema, JsonSchemaObject, SourceLocation } from "../model/types.js";
import type { CodegenContext } from "./context.js";
import { GeneratedFile } from "./generated-file.js";
import { type NameScope, safeDocText, stringLiteral, toValueName } from "./names.js";
import {
  RUNTIME_INTERNAL_MODULE,
  type RuntimeSymbol,
  runtime,
  runtimeInternal,
} from "./runtime-symbols.js";
import { acceptsEverything, canonicalJson, stripForValidation } from "./schema-utils.js";

/**
 * Validators, precompiled at generation time with ajv (standalone code, `ajv-formats`):
 * generated code never compiles a schema and never uses `eval`/`new Function`.
 *
 * Two modules:
 * - `validators.ajv.ts`: ajv's standalone output, verbatim apart from its `require()` calls,
 *   which become imports of the helpers `@jetcontract/runtime/internal` re-exports (no direct
 *   `ajv` or `ajv-formats` import in generated code). It is untyped JavaScript, so it starts with
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

/** The validators generated, by export name (a schema that accepts everything gets none). */
export type EmittedValidators = ReadonlySet<string>;

export function emitValidators(
  ctx: CodegenContext,
): [typed: GeneratedFile, compiled: GeneratedFile, exported: EmittedValidators] {
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

  // Shared schemas' functions get names from the package's scope, clear of every export.
  const shared = sharedSchemas(ajv, ctx.scope);
  // ajv wants ASCII keys; `names` maps each key to the name its function gets.
  const names = new Map<string, string>();
  const keyOf = new Map<string, string>(); // export name → ajv key
  const compiled = new Set<string>(); // export names
  for (const request of requests) {
    const key = `v${keyOf.size}`;
    if (request.anyOf) {
      // A value any of the messages accepts; a message without a validator accepts all.
      if (!request.anyOf.every((name) => compiled.has(name))) continue;
    } else if (acceptsEverything(request.schema)) {
      continue;
    }
    try {
      const schema = request.anyOf
        ? { anyOf: request.anyOf.map((name) => ({ $ref: keyOf.get(name) })) }
        : stripForValidation(withoutLoops(request.schema), shared.hoist);
      ajv.addSchema(schema as object, key);
      ajv.getSchema(key);
      compiled.add(request.exportName);
      keyOf.set(request.exportName, key);
      names.set(key, request.exportName);
    } catch (error) {
      ajv.removeSchema(key);
      ctx.problems.push({
        ruleId: "codegen-validator-skipped",
        severity: "warning",
        message: `no validator generated for the ${request.what}: ${error instanceof Error ? error.message : String(error)}; values are accepted unchecked`,
        location: request.location,
      });
    }
  }

  const raw = new GeneratedFile(COMPILED_VALIDATORS_MODULE, { verbatim: true });
  raw.leading("// @ts-nocheck");
  raw.leading("// ajv standalone output (untyped JavaScript); its typed face is validators.ts.");
  raw.leading("// biome-ignore-all lint: ajv's output, not written to any style");
  if (compiled.size > 0) {
    for (const [key, name] of shared.names()) names.set(key, name);
    const refs = Object.fromEntries([...names.keys()].map((key) => [key, key] as const));
    raw.add(esmFromAjv(standaloneCode.default(ajv, refs), names));
  } else {
    raw.add("export {};");
  }

  const typed = new GeneratedFile(VALIDATORS_MODULE);
  if (compiled.size === 0) typed.add("export {};");
  else typed.importNamespace("./validators.ajv.js", "ajv");
  const schemaValidator = compiled.size > 0 ? typed.runtime(runtime.SchemaValidator) : "";
  for (const request of requests) {
    if (!compiled.has(request.exportName)) continue;
    typed.import("./types.js", request.type, true);
    const type = request.headers
      ? `${typed.runtime(runtime.MessageHeaders)} & ${request.type}`
      : request.type;
    typed.add({
      kind: "const",
      name: request.exportName,
      docs: [safeDocText(`Validates the ${request.what}.`)],
      // ajv's function is a type guard for the schema the type was generated from.
      initializer: `ajv.${request.exportName} as ${schemaValidator}<${type}>`,
    });
  }
  return [typed, raw, compiled];
}

/**
 * Named schemas (`x-jc-name`, the targets of the spec's `$ref`s) that appear in several
 * payloads are registered with ajv once and referenced, so their code is generated once.
 * Only self-contained ones: a node with a `#/...` reference depends on its root's `$defs`.
 */
function sharedSchemas(
  ajv: Ajv,
  scope: NameScope,
): {
  hoist: (node: JsonSchemaObject) => string | undefined;
  /** ajv key → function name, for those a compiled validator used. */
  names: () => [string, string][];
} {
  const keys = new Map<string, string>(); // canonical schema → ajv key
  const functionNames = new Map<string, string>(); // ajv key → function name
  const hoist = (node: JsonSchemaObject): string | undefined => {
    const name = node["x-jc-name"];
    if (typeof name !== "string") return undefined;
    const text = canonicalJson(node);
    if (text.includes('"$ref":"#')) return undefined;
    let key = keys.get(text);
    if (key === undefined) {
      key = `s${keys.size}`;
      keys.set(text, key);
      functionNames.set(key, scope.claim(toValueName(`validate ${name}`)));
      // Registered lazily: ajv compiles it the first time a validator refers to it.
      ajv.addSchema(stripForValidation(node, hoist) as object, key);
    }
    return key;
  };
  // Only those a compiled validator used (hoisting is lazy), in first-use order.
  const compiles = (key: string) => {
    try {
      return ajv.getSchema(key) !== undefined;
    } catch {
      return false; // only a validator that failed (and was dropped) used it
    }
  };
  return { hoist, names: () => [...functionNames].filter(([key]) => compiles(key)) };
}

/**
 * What ajv's standalone code reaches with `require("<module>").<property>` (even in ESM mode),
 * and the `@jetcontract/runtime/internal` export that stands for it. The runtime re-exports
 * these so generated code needs no direct dependency on `ajv` or `ajv-formats` (pnpm keeps a
 * dependency's dependencies out of the user's reach). JTD-only helpers (`parseJson`, `quote`,
 * `timestamp`) and `re2` never appear with the generator's ajv options.
 */
const AJV_HELPERS: Readonly<Record<string, RuntimeSymbol>> = {
  "ajv/dist/runtime/ucs2length#default": runtimeInternal.ajvUcs2length,
  "ajv/dist/runtime/equal#default": runtimeInternal.ajvEqual,
  "ajv/dist/runtime/uri#default": runtimeInternal.ajvUri,
  "ajv/dist/runtime/validation_error#default": runtimeInternal.AjvValidationError,
  "ajv-formats/dist/formats#fullFormats": runtimeInternal.ajvFullFormats,
  "ajv-formats/dist/formats#fastFormats": runtimeInternal.ajvFastFormats,
};

/**
 * Turns ajv's standalone output into an ES module: each `require("<ajv module>").<property>`
 * becomes the runtime export standing for it, imported once from `@jetcontract/runtime/internal`.
 * Anything else it requires is an error (a new ajv helper must be added to the runtime first).
 */
export function esmFromAjv(source: string, names?: ReadonlyMap<string, string>): string {
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
  const cleaned = nameFunctions(body.replace(/^"use strict";\n?/, ""), names ?? new Map());
  if (used.size === 0) return cleaned;
  const helpers = [...used].sort();
  return [
    `import { ${helpers.join(", ")} } from ${stringLiteral(RUNTIME_INTERNAL_MODULE)};`,
    cleaned,
  ].join("\n\n");
}

/**
 * ajv names its functions `validate0..N` and exports aliases (`export const x = validate3;`).
 * Each exported function takes its export's name instead, so the module reads (and stack
 * traces show) `validateOrderPlacedPayload`. Names are replaced outside string literals
 * only: a schema's own text (an enum value "validate3") is left alone.
 */
function nameFunctions(source: string, names: ReadonlyMap<string, string>): string {
  const renames = new Map<string, string>();
  const body = source.replace(
    /^export const ([A-Za-z_$][\w$]*) = (validate\d+);\n?/gm,
    (line, key: string, fn: string) => {
      const name = names.get(key);
      // Unnamed, or a second name for one function: stays an alias.
      if (name === undefined || renames.has(fn)) return line;
      renames.set(fn, name);
      return "";
    },
  );
  const exported = new Set(renames.values());
  return renameOutsideStrings(body, renames).replace(/^function ([^\s(]+)\(/gm, (match, name) =>
    exported.has(name) ? `export ${match}` : match,
  );
}

/**
 * Replaces each `validate<N>` that `renames` names, except inside a double-quoted string.
 * Only the lines holding one are tokenised: a string never spans lines in ajv's output (nor
 * in this pattern), and tokenising all 4 MB of a large contract's validators cost more than
 * everything else done to them.
 */
function renameOutsideStrings(source: string, renames: ReadonlyMap<string, string>): string {
  const parts: string[] = [];
  let copied = 0;
  let lineStart = -1;
  let strings: [number, number][] = [];
  for (const match of source.matchAll(/\bvalidate\d+\b/g)) {
    const name = renames.get(match[0]);
    if (name === undefined) continue;
    const at = match.index;
    const start = source.lastIndexOf("\n", at) + 1;
    if (start !== lineStart) {
      lineStart = start;
      const end = source.indexOf("\n", at);
      strings = stringsIn(source.slice(start, end < 0 ? source.length : end), start);
    }
    if (strings.some(([from, to]) => from <= at && at < to)) continue;
    parts.push(source.slice(copied, at), name);
    copied = at + match[0].length;
  }
  parts.push(source.slice(copied));
  return parts.join("");
}

/** The double-quoted string literals of one line, as [start, end) offsets in the source. */
function stringsIn(line: string, offset: number): [number, number][] {
  return Array.from(line.matchAll(/"(?:[^"\\\n]|\\.)*"/g), (m) => [
    offset + m.index,
    offset + m.index + m[0].length,
  ]);
}
