import { createRequire } from "node:module";
import type { Ajv, Options } from "ajv";
import { packageVersion } from "./compiled.js";

/**
 * How @asyncapi/parser's Spectral compiles JSON Schemas: `createAjvInstances()` returns a
 * compile function `(schema, dialect, allErrors) => validator`, one per document it checks.
 * jetcontract reaches into it (asyncapi.ts) so the AsyncAPI specification's own schemas are
 * not compiled again for every document, and compiled at build time (precompile.ts). If
 * these internals move, `spectralAjv` returns undefined and the parser runs as it ships.
 */
export type CompileFn = (
  schema: { $id?: unknown } | undefined,
  dialect: unknown,
  allErrors: unknown,
) => unknown;

export interface SpectralAjv {
  /** Spectral's module; `createAjvInstances` may be replaced. */
  readonly module: { createAjvInstances?: (() => CompileFn) | undefined };
  /** Resolves modules as that module does (its ajv, ajv-formats, ajv-errors). */
  readonly require: NodeRequire;
  /**
   * What shapes the code Spectral's ajv makes for the AsyncAPI schemas: the versions of the
   * parser (it edits the schemas), the specifications, Spectral and ajv with its plugins.
   */
  readonly key: string;
}

/** `$id` of the AsyncAPI specification's schemas as the parser hands them to Spectral. */
export const SPEC_SCHEMA_ID =
  /^http:\/\/asyncapi\.com\/definitions\/([^/]+)\/asyncapi-(resolved|unresolved)\.json$/;

const AJV_MODULE = "@stoplight/spectral-functions/dist/schema/ajv";

let found: SpectralAjv | null | undefined;

export function spectralAjv(): SpectralAjv | undefined {
  if (found === undefined) {
    try {
      const require = createRequire(import.meta.url);
      const parserRequire = createRequire(require.resolve("@asyncapi/parser"));
      const spectralRequire = createRequire(parserRequire.resolve(AJV_MODULE));
      const versions = [
        packageVersion(require, "@asyncapi/parser"),
        packageVersion(parserRequire, "@asyncapi/specs"),
        ...["@stoplight/spectral-functions", "ajv", "ajv-formats", "ajv-errors"].map((name) =>
          packageVersion(spectralRequire, name),
        ),
      ];
      found = {
        module: parserRequire(AJV_MODULE) as SpectralAjv["module"],
        require: spectralRequire,
        key: versions.join(" "),
      };
    } catch {
      found = null;
    }
  }
  return found ?? undefined;
}

/**
 * An ajv instance that makes the code Spectral's does for the AsyncAPI schemas (its
 * `createAjvInstance` for draft-07 with `allErrors`, which it does not export), keeping the
 * source for ajv's standalone output. Used at build time only.
 */
export function spectralLikeAjv(spectral: SpectralAjv): Ajv {
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
  spectral: SpectralAjv,
  version: string,
): Promise<Map<string, object>> {
  const { Parser } = await import("@asyncapi/parser");
  const captured = new Map<string, object>();
  const original = spectral.module.createAjvInstances;
  spectral.module.createAjvInstances = (): CompileFn => (schema) => {
    const id = typeof schema?.$id === "string" ? SPEC_SCHEMA_ID.exec(schema.$id) : null;
    if (id?.[1] === version && id[2] && schema) captured.set(id[2], schema);
    return () => true;
  };
  try {
    const minimal = { asyncapi: version, info: { title: "t", version: "1" }, channels: {} };
    await new Parser().validate(JSON.stringify(minimal));
  } finally {
    spectral.module.createAjvInstances = original;
  }
  if (captured.size !== 2) {
    throw new Error(
      `AsyncAPI ${version}: expected the resolved and unresolved schemas, got ${[...captured.keys()].join(", ") || "none"}`,
    );
  }
  return captured;
}
