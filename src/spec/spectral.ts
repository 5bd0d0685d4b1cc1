import { createRequire } from "node:module";
import path from "node:path";
import type { Ajv, Options } from "ajv";
import { packageVersion } from "./compiled.js";

/**
 * The parts of @asyncapi/parser's Spectral that jetcontract reaches into, so work that does
 * not depend on the input is not done on every run (asyncapi.ts) but once, by the build
 * (precompile.ts):
 * - `createAjvInstances()` returns a compile function `(schema, dialect, allErrors) =>
 *   validator`, one per document checked: the AsyncAPI specification's schemas come compiled;
 * - `assertValidRuleset` checks a ruleset when a parser is created, compiling a JSON Schema
 *   of rulesets first: the parser's own ruleset was checked by the build;
 * - its YAML parser (`Yaml` of @stoplight/spectral-parsers) parses every document checked
 *   from text, keeping positions and key order: the text jetcontract hands over is JSON it
 *   made from data it has parsed, so that data is handed over with it (`parsedTexts`).
 * If these internals move, `spectralInternals` returns undefined and the parser runs as it
 * ships.
 */
export type CompileFn = (
  schema: { $id?: unknown } | undefined,
  dialect: unknown,
  allErrors: unknown,
) => unknown;

export interface SpectralInternals {
  /** Spectral's ajv module; `createAjvInstances` may be replaced. */
  readonly ajvModule: { createAjvInstances?: (() => CompileFn) | undefined };
  /** Resolves modules as that module does (its ajv, ajv-formats, ajv-errors). */
  readonly require: NodeRequire;
  /** Spectral's ruleset assertions module; `assertValidRuleset` may be replaced. */
  readonly assertions: { assertValidRuleset?: unknown };
  /** Spectral's YAML parser module (what `Yaml` of @stoplight/spectral-parsers reads). */
  readonly yaml: { Yaml?: SpectralParser };
  /**
   * The versions of what shapes the work done ahead: the parser (its ruleset, its edits to
   * the schemas), the specifications, Spectral, and ajv with its plugins.
   */
  readonly key: string;
}

/** `$id` of the AsyncAPI specification's schemas as the parser hands them to Spectral. */
export const SPEC_SCHEMA_ID =
  /^http:\/\/asyncapi\.com\/definitions\/([^/]+)\/asyncapi-(resolved|unresolved)\.json$/;

const AJV_MODULE = "@stoplight/spectral-functions/dist/schema/ajv";
const PARSERS_MODULE = "@stoplight/spectral-parsers";

let found: SpectralInternals | null | undefined;

export function spectralInternals(): SpectralInternals | undefined {
  if (found === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const parserRequire = createRequire(require.resolve("@asyncapi/parser"));
      const spectralRequire = createRequire(parserRequire.resolve(AJV_MODULE));
      // Not among the package's exports: reached by its file, next to the entry point.
      const core = parserRequire.resolve("@stoplight/spectral-core");
      const assertions = path.join(path.dirname(core), "ruleset/validation/assertions.js");
      const yaml = path.join(path.dirname(parserRequire.resolve(PARSERS_MODULE)), "yaml.js");
      const versions = [
        packageVersion(require, "@asyncapi/parser"),
        ...["@asyncapi/specs", "@stoplight/spectral-core"].map((name) =>
          packageVersion(parserRequire, name),
        ),
        ...["@stoplight/spectral-functions", "ajv", "ajv-formats", "ajv-errors"].map((name) =>
          packageVersion(spectralRequire, name),
        ),
      ];
      found = {
        ajvModule: parserRequire(AJV_MODULE) as SpectralInternals["ajvModule"],
        require: spectralRequire,
        assertions: parserRequire(assertions) as SpectralInternals["assertions"],
        yaml: parserRequire(yaml) as SpectralInternals["yaml"],
        key: versions.join(" "),
      };
    } catch {
      found = null;
    }
  }
  return found ?? undefined;
}

/** A Spectral document parser (`Yaml` and `Json` of @stoplight/spectral-parsers). */
export interface SpectralParser {
  parse(input: string): { data: unknown; diagnostics: unknown[] };
  getLocationForJsonPath(result: never, path: never, closest?: boolean): unknown;
  trapAccess<T extends object>(target: T): T;
}

/**
 * Texts Spectral will be given, with the data each stands for. While a text is here,
 * Spectral's YAML parser returns a copy of its data (`JSON.parse`: JSON is all the text is)
 * instead of parsing it as YAML with positions (jetcontract locates diagnostics itself, by
 * path), and its diagnostics get the default range. Any other text is parsed as before.
 */
export const parsedTexts = new Set<string>();

/**
 * Installs the parser that honours `parsedTexts` in place of Spectral's YAML parser, once.
 * A text with a `<<` key is not taken: YAML reads that key as a merge, so it is parsed as
 * YAML, as before.
 */
export function parseKnownTexts(spectral: SpectralInternals): void {
  const original = spectral.yaml.Yaml;
  if (!original || installed) return;
  installed = true;
  const ours = new WeakSet<object>();
  const parser: SpectralParser = {
    parse(input) {
      if (!parsedTexts.has(input) || input.includes('"<<":')) return original.parse(input);
      const result = { data: JSON.parse(input) as unknown, diagnostics: [] };
      ours.add(result);
      return result;
    },
    getLocationForJsonPath: (result, jsonPath, closest) =>
      ours.has(result) ? undefined : original.getLocationForJsonPath(result, jsonPath, closest),
    trapAccess: (target) => original.trapAccess(target),
  };
  spectral.yaml.Yaml = parser;
}

let installed = false;

/** Name of the build's record that the parser's own ruleset passed Spectral's check. */
export const RULESET_CHECKED = "spectral-ruleset";

/**
 * Runs `make` (which creates a parser) without Spectral checking the parser's built-in
 * ruleset, for a ruleset the build has checked (`RULESET_CHECKED` current for `key`).
 */
export function withCheckedRuleset<T>(spectral: SpectralInternals, make: () => T): T {
  const { assertions } = spectral;
  const check = assertions.assertValidRuleset;
  if (typeof check !== "function") return make();
  assertions.assertValidRuleset = () => undefined;
  try {
    return make();
  } finally {
    assertions.assertValidRuleset = check;
  }
}

/**
 * An ajv instance that makes the code Spectral's does for the AsyncAPI schemas (its
 * `createAjvInstance` for draft-07 with `allErrors`, which it does not export), keeping the
 * source for ajv's standalone output. Used at build time only.
 */
export function spectralLikeAjv(spectral: SpectralInternals): Ajv {
  const req = spectral.require;
  const AjvClass = (req("ajv") as { default: new (options: Options) => Ajv }).default;
  const ajv = new AjvClass({
    allErrors: true,
    meta: true,
    messages: true,
    strict: false,
    allowUnionTypes: true,
    logger: false,
    unicodeRegExp: false,
    code: { source: true },
  });
  (req("ajv-formats") as { default: (ajv: Ajv) => void }).default(ajv);
  (req("ajv-errors") as { default: (ajv: Ajv) => void }).default(ajv);
  // As Spectral adds them: through TypeScript's `__importStar`, which adds a `default` key.
  for (const meta of ["./draft4.json", "ajv/dist/refs/json-schema-draft-06.json"]) {
    const json = req(meta) as Record<string, unknown>;
    ajv.addSchema({ ...json, default: json });
  }
  return ajv;
}

/**
 * The schemas Spectral compiles to validate a document of `version`, by variant, in its
 * order: captured from a validation of a minimal document, with nothing compiled.
 */
export async function specSchemas(
  spectral: SpectralInternals,
  version: string,
): Promise<Map<string, object>> {
  const { Parser } = await import("@asyncapi/parser");
  const captured = new Map<string, object>();
  const original = spectral.ajvModule.createAjvInstances;
  spectral.ajvModule.createAjvInstances = (): CompileFn => (schema) => {
    const id = typeof schema?.$id === "string" ? SPEC_SCHEMA_ID.exec(schema.$id) : null;
    if (id?.[1] === version && id[2] && schema) captured.set(id[2], schema);
    return () => true;
  };
  try {
    const minimal = { asyncapi: version, info: { title: "t", version: "1" }, channels: {} };
    await new Parser().validate(JSON.stringify(minimal));
  } finally {
    spectral.ajvModule.createAjvInstances = original;
  }
  if (captured.size !== 2) {
    throw new Error(
      `AsyncAPI ${version}: expected the resolved and unresolved schemas, got ${[...captured.keys()].join(", ") || "none"}`,
    );
  }
  return captured;
}
