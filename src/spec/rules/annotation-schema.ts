import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ErrorObject } from "ajv";
import { loadCompiled, packageVersion } from "../compiled.js";

/** The annotation vocabulary's JSON Schema, as shipped in the package. */
const text = readFileSync(
  new URL("../../../schema/annotations.schema.json", import.meta.url),
  "utf8",
);
const schema = JSON.parse(text) as { definitions: Record<string, unknown> };

/** Name of the build's compiled annotation validators (compiled.ts). */
export const ANNOTATIONS_COMPILED = "annotations";

/** What the compiled validators were made from: the schema's text and the ajv that compiled it. */
export function annotationsKey(): string {
  const ajvVersion = packageVersion(createRequire(import.meta.url), "ajv");
  return `${createHash("sha256").update(text).digest("hex")} ajv ${ajvVersion}`;
}

/**
 * One ajv holding the vocabulary; `annotationRefs` names a validator per definition.
 * `source` keeps the generated code, for the build's standalone output.
 */
export function annotationsAjv(source = false): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: false, code: { source } });
  ajv.addSchema(schema, "annotations");
  return ajv;
}

/** The ajv reference of each definition's validator, by definition name. */
export function annotationRefs(): Record<string, string> {
  return Object.fromEntries(
    Object.keys(schema.definitions).map((name) => [name, `annotations#/definitions/${name}`]),
  );
}

export interface AnnotationValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

let validators: Map<string, AnnotationValidator> | undefined;

/** The validator of one definition: compiled by the build when current, else compiled now. */
export function annotationValidator(definition: string): AnnotationValidator {
  if (!validators) {
    const refs = annotationRefs();
    const compiled = loadCompiled(ANNOTATIONS_COMPILED, annotationsKey());
    const ajv = compiled ? undefined : annotationsAjv();
    validators = new Map(
      Object.entries(refs).map(([name, ref]) => [
        name,
        (compiled?.[name] ?? ajv?.getSchema(ref)) as AnnotationValidator,
      ]),
    );
  }
  return validators.get(definition) as AnnotationValidator;
}
