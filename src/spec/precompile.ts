/**
 * Build step (`npm run build` runs `node dist/spec/precompile.js` after `tsc`): compiles the
 * JSON Schemas that do not depend on the input into ajv standalone code under
 * dist/spec/compiled, so no run compiles them (see compiled.ts). Deterministic: the same
 * installed packages give the same files.
 *
 * - asyncapi-<version>.cjs: the AsyncAPI specification's schemas, exactly as the parser
 *   hands them to Spectral (captured from a parse of a minimal document), compiled as
 *   Spectral's ajv compiles them, with Spectral's ajv and plugins;
 * - annotations.cjs: jetcontract's annotation vocabulary;
 * - spectral-ruleset.cjs: a record that the parser's own ruleset passed Spectral's check of
 *   rulesets, so a run need not check it again.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Ajv } from "ajv";
import { COMPILED_DIR, compiledFileText } from "./compiled.js";
import {
  ANNOTATIONS_COMPILED,
  annotationRefs,
  annotationsAjv,
  annotationsKey,
} from "./rules/annotation-schema.js";
import { RULESET_CHECKED, specSchemas, spectralInternals, spectralLikeAjv } from "./spectral.js";

/**
 * The AsyncAPI versions compiled ahead: those the loader recommends. Documents of other
 * versions (2.0–2.5) compile theirs at run time, once per process.
 */
const VERSIONS = ["2.6.0", "3.0.0", "3.1.0"] as const;

type Standalone = (ajv: Ajv, refs: Record<string, string>) => string;

function write(name: string, what: string, key: string, code: string): void {
  if (/\bmodule\.exports\b/.test(code))
    throw new Error(`${name}: unexpected module.exports in ajv's output`);
  writeFileSync(path.join(COMPILED_DIR, `${name}.cjs`), compiledFileText(what, key, code));
}

async function main(): Promise<void> {
  mkdirSync(COMPILED_DIR, { recursive: true });
  const spectral = spectralInternals();
  if (!spectral) throw new Error("@asyncapi/parser's Spectral internals were not found");
  const specStandalone = (spectral.require("ajv/dist/standalone") as { default: Standalone })
    .default;
  for (const version of VERSIONS) {
    const ajv = spectralLikeAjv(spectral);
    const refs: Record<string, string> = {};
    // Compiled one by one in Spectral's order: both schemas give the same `$id`s to their
    // (different) definitions, and ajv resolves a `$ref` to the latest schema added.
    for (const [variant, schema] of await specSchemas(spectral, version)) {
      ajv.compile(schema);
      refs[variant] = (schema as { $id: string }).$id;
    }
    write(
      `asyncapi-${version}`,
      `the AsyncAPI ${version} schemas as Spectral checks documents with them`,
      spectral.key,
      specStandalone(ajv, refs),
    );
  }
  // Spectral checks the parser's built-in ruleset as a parser is made; made here with the
  // check, a ruleset it refuses fails the build.
  const { Parser } = await import("@asyncapi/parser");
  new Parser();
  write(
    RULESET_CHECKED,
    "a record that Spectral's check passed the parser's own ruleset",
    spectral.key,
    "exports.checked = true;",
  );
  const ownStandalone = (await import("ajv/dist/standalone/index.js"))
    .default as unknown as Standalone;
  write(
    ANNOTATIONS_COMPILED,
    "the annotation vocabulary (schema/annotations.schema.json)",
    annotationsKey(),
    ownStandalone(annotationsAjv(true), annotationRefs()),
  );
}

await main();
