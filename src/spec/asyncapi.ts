import { AsyncLocalStorage } from "node:async_hooks";
import { fileURLToPath } from "node:url";
import type { Parser } from "@asyncapi/parser";
import type { Problem, Severity } from "../model/problem.js";
import type { SourceLocation } from "../model/types.js";
import { loadCompiled } from "./compiled.js";
import { isRecord, toPointer } from "./pointer.js";
import {
  parsedTexts,
  parseKnownTexts,
  RULESET_CHECKED,
  SPEC_SCHEMA_ID,
  type SpectralInternals,
  spectralInternals,
  withCheckedRuleset,
} from "./spectral.js";
import type { Workspace } from "./workspace.js";

interface ParserContext {
  readonly ws: Workspace;
  /** The texts handed to the parser (see `handOver`). */
  readonly texts: string[];
}

const context = new AsyncLocalStorage<ParserContext>();
let shared: Promise<Parser> | undefined;

/**
 * One parser for the process. Its resolvers never touch the network or the file system
 * themselves: they read through the workspace of the load in progress (found through
 * AsyncLocalStorage), which uses the caller's `readFile` hook and has already refused
 * remote references. Caching is off so two loads of one path (e.g. two git revisions)
 * never see each other's content.
 */
function parser(): Promise<Parser> {
  shared ??= createParser();
  return shared;
}

async function createParser(): Promise<Parser> {
  const spectral = spectralInternals();
  if (spectral) {
    shareSpecSchemaCompilation(spectral);
    parseKnownTexts(spectral);
  }
  // Imported on first use: the CLI's failure paths (bad flags, missing files) stay fast.
  const { Parser } = await import("@asyncapi/parser");
  // The parser's ruleset is checked as the parser is made (about 0.2 s): skipped when the
  // build checked it with these versions.
  const checked = spectral && loadCompiled(RULESET_CHECKED, spectral.key, spectral.require);
  const make = () => new Parser(PARSER_OPTIONS);
  return spectral && checked ? withCheckedRuleset(spectral, make) : make();
}

const PARSER_OPTIONS: NonNullable<ConstructorParameters<typeof Parser>[0]> = {
  __unstable: {
    resolver: {
      cache: false,
      resolvers: [
        {
          schema: "file",
          order: 1,
          read: async (uri) => handOver(fileURLToPath(`file://${uri.path()}`)),
        },
        ...(["http", "https"] as const).map((scheme) => ({
          schema: scheme,
          order: 1,
          // Never fetched here: the workspace fetched it or refused it.
          read: async (uri: { toString(): string }) => handOver(uri.toString()),
        })),
      ],
    },
  },
};

/**
 * What the parser reads for a file: the data the workspace parsed and checked, as JSON. It never
 * sees the YAML text, so YAML-only features (tags, aliases, BOMs, UTF-16) and files the loader
 * refused cannot reach it; positions come from the workspace's map instead. The text is made
 * from data already parsed, so Spectral is handed that data rather than parsing it again
 * (`parsedTexts`), for as long as the validation in progress runs.
 */
function handOver(absolutePath: string): string {
  const store = context.getStore();
  const value = store?.ws.files.get(absolutePath)?.value;
  if (value === undefined) return "{}"; // refused files are reported already
  const text = JSON.stringify(value);
  store?.texts.push(text);
  parsedTexts.add(text);
  return text;
}

const SEVERITIES: Severity[] = ["error", "warning", "info", "info"];

/**
 * Validates the root document with @asyncapi/parser and maps its diagnostics to Problems at
 * file:line:column. Only errors are kept: the parser's warnings are style advice (missing
 * `id`, `contact`, tags...) that does not concern a contract.
 *
 * Only the parser's validation runs, not its `parse`: jetcontract builds its own model, and
 * `parse`'s post-processing (`resolve-circular-refs`) walks each list twice per level, which is
 * exponential in nesting (26 nested lists: 27 s; a 50-deep `oneOf` never ends).
 */
export async function validateAsyncApi(ws: Workspace, rootPath: string): Promise<Problem[]> {
  const instance = await parser();
  const store: ParserContext = { ws, texts: [] };
  let diagnostics: Awaited<ReturnType<Parser["validate"]>>;
  try {
    diagnostics = await context.run(store, () =>
      instance.validate(handOver(rootPath), { source: rootPath }),
    );
  } finally {
    for (const text of store.texts) parsedTexts.delete(text);
  }
  // Duplicate diagnostics are dropped by the loader, with every other stage's.
  const found: { problem: Problem; atRef: boolean }[] = [];
  for (const d of diagnostics) {
    const severity = SEVERITIES[d.severity] ?? "info";
    if (severity !== "error") continue;
    const source = d.source && ws.files.has(d.source) ? d.source : rootPath;
    const { location, atRef } = locateDiagnostic(ws, source, d.path.map(String));
    const ruleId = /^asyncapi-document-(resolved|unresolved)$/.test(String(d.code))
      ? "asyncapi-schema"
      : String(d.code);
    const problem = { ruleId, severity, message: cleanMessage(d.message), location };
    found.push({ problem: { ...problem, file: location.file }, atRef });
  }
  // The parser also reports a problem inside a referenced file at the `$ref` that reached it
  // from another path; the report at the node itself is enough.
  const atNode = new Set(found.filter((f) => !f.atRef).map((f) => f.problem.message));
  return found.filter((f) => !f.atRef || !atNode.has(f.problem.message)).map((f) => f.problem);
}

/**
 * Where a diagnostic's path is in the files: the path is in the document with its `$ref`s
 * resolved, so it is followed through them (the node in whichever file holds it); a path that
 * ends at a missing key points at the deepest node that exists on the way.
 */
function locateDiagnostic(
  ws: Workspace,
  source: string,
  segments: readonly string[],
): { location: SourceLocation; atRef: boolean } {
  for (let length = segments.length; length >= 0; length--) {
    const hit = ws.resolve({ absolutePath: source, pointer: toPointer(segments.slice(0, length)) });
    if (hit.status === "found") {
      const atRef = isRecord(hit.value) && typeof hit.value.$ref === "string";
      return { location: ws.locateKey(hit.absolutePath, hit.pointer), atRef };
    }
  }
  return { location: ws.locate(source, ""), atRef: false };
}

function cleanMessage(message: string): string {
  // Some diagnostics carry an exception text; keep its first line only (no stack traces).
  const first = message.split("\n")[0] ?? message;
  return first.trim();
}

/**
 * Spectral (inside @asyncapi/parser) makes new ajv instances for every document it checks, so
 * each parse would compile the whole AsyncAPI JSON Schema again (about a second). Those
 * schemas never change: their validators come compiled from the build (compiled.ts) when it
 * was made with the parser, specifications and ajv installed now, else they are compiled
 * once per process and shared. Every other schema (the user's) still gets the per-document
 * instances. If the internals move, this does nothing.
 */
function shareSpecSchemaCompilation(spectral: SpectralInternals): void {
  const original = spectral.ajvModule.createAjvInstances;
  if (typeof original !== "function") return;
  const sharedCompile = original();
  spectral.ajvModule.createAjvInstances = () => {
    const own = original();
    return (schema, dialect, allErrors) => {
      const id = schema?.$id;
      if (typeof id !== "string" || !id.startsWith("http://asyncapi.com/")) {
        return own(schema, dialect, allErrors);
      }
      const [, version, variant] = SPEC_SCHEMA_ID.exec(id) ?? [];
      const compiled =
        version && variant
          ? loadCompiled(`asyncapi-${version}`, spectral.key, spectral.require)?.[variant]
          : undefined;
      return compiled ?? sharedCompile(schema, dialect, allErrors);
    };
  };
}
