import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Parser } from "@asyncapi/parser";
import type { Problem, Severity } from "../model/problem.js";
import { getAt, toPointer } from "./pointer.js";
import type { Workspace } from "./workspace.js";

interface ParserContext {
  readonly ws: Workspace;
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
  shareSpecSchemaCompilation();
  // Imported on first use: the CLI's failure paths (bad flags, missing files) stay fast.
  const { Parser } = await import("@asyncapi/parser");
  return new Parser({
    __unstable: {
      resolver: {
        cache: false,
        resolvers: [
          {
            schema: "file",
            order: 1,
            read: async (uri) => {
              const ws = context.getStore()?.ws;
              const path = fileURLToPath(`file://${uri.path()}`);
              if (!ws) return "{}";
              const known = ws.texts.get(path);
              if (known !== undefined) return known;
              try {
                return await ws.readText(path);
              } catch {
                return "{}"; // reported by the workspace as a dangling reference
              }
            },
          },
          ...(["http", "https"] as const).map((scheme) => ({
            schema: scheme,
            order: 1,
            read: async (uri: { toString(): string }) => {
              const ws = context.getStore()?.ws;
              const text = ws?.texts.get(uri.toString());
              return text ?? "{}"; // never fetched here: the workspace fetched it or refused it
            },
          })),
        ],
      },
    },
  });
}

const SEVERITIES: Severity[] = ["error", "warning", "info", "info"];

/**
 * Validates the root document with @asyncapi/parser and maps its diagnostics to Problems at
 * file:line:column. Only errors are kept: the parser's warnings are style advice (missing
 * `id`, `contact`, tags...) that does not concern a contract.
 */
export async function validateAsyncApi(ws: Workspace, rootPath: string): Promise<Problem[]> {
  const text = ws.texts.get(rootPath) ?? "";
  const instance = await parser();
  const { diagnostics } = await context.run({ ws }, () =>
    instance.parse(text, { source: rootPath, applyTraits: false }),
  );
  // Duplicate diagnostics are dropped by the loader, with every other stage's.
  const problems: Problem[] = [];
  for (const d of diagnostics) {
    const severity = SEVERITIES[d.severity] ?? "info";
    if (severity !== "error") continue;
    const source = d.source && ws.files.has(d.source) ? d.source : rootPath;
    const file = ws.files.get(source);
    const segments = d.path.map(String);
    const pointer = toPointer(segments);
    let location = file?.locateKey(pointer);
    if (!file || !getAt(file.value, segments).found || segments.length === 0) {
      if (d.range.start.line > 0 || d.path.length === 0) {
        location = {
          file: file?.displayPath ?? ws.display(source),
          line: d.range.start.line + 1,
          column: d.range.start.character + 1,
          pointer,
        };
      }
    }
    const ruleId = /^asyncapi-document-(resolved|unresolved)$/.test(String(d.code))
      ? "asyncapi-schema"
      : String(d.code);
    problems.push({
      ruleId,
      severity,
      message: cleanMessage(d.message),
      ...(location ? { location } : {}),
      file: location?.file ?? ws.display(rootPath),
    });
  }
  return problems;
}

function cleanMessage(message: string): string {
  // Some diagnostics carry an exception text; keep its first line only (no stack traces).
  const first = message.split("\n")[0] ?? message;
  return first.trim();
}

type CompileFn = (
  schema: { $id?: unknown } | undefined,
  dialect: unknown,
  allErrors: unknown,
) => unknown;

/**
 * Spectral (inside @asyncapi/parser) makes new ajv instances for every document it checks, so
 * each parse compiles the whole AsyncAPI JSON Schema again (about a second). The AsyncAPI
 * schemas never change, so they are compiled once per process and shared; every other schema
 * (the user's) still gets the per-document instances. If the internals move, this does nothing.
 */
function shareSpecSchemaCompilation(): void {
  try {
    const require = createRequire(import.meta.url);
    const parserRequire = createRequire(require.resolve("@asyncapi/parser"));
    const mod = parserRequire("@stoplight/spectral-functions/dist/schema/ajv") as {
      createAjvInstances?: () => CompileFn;
    };
    const original = mod.createAjvInstances;
    if (typeof original !== "function") return;
    const sharedCompile = original();
    mod.createAjvInstances = () => {
      const own = original();
      return (schema, dialect, allErrors) =>
        typeof schema?.$id === "string" && schema.$id.startsWith("http://asyncapi.com/")
          ? sharedCompile(schema, dialect, allErrors)
          : own(schema, dialect, allErrors);
    };
  } catch {
    // Slower, but correct.
  }
}
