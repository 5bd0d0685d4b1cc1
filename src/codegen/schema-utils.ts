import type { JsonSchema, JsonSchemaObject } from "../model/types.js";

/** Keywords whose value is one subschema. */
const SCHEMA_KEYWORDS = [
  "additionalItems",
  "additionalProperties",
  "contains",
  "else",
  "if",
  "items",
  "not",
  "propertyNames",
  "then",
  "unevaluatedItems",
  "unevaluatedProperties",
] as const;
/** Keywords whose value is an array of subschemas. */
const SCHEMA_ARRAY_KEYWORDS = ["allOf", "anyOf", "oneOf", "prefixItems", "items"] as const;
/** Keywords whose value maps names to subschemas. */
const SCHEMA_MAP_KEYWORDS = [
  "$defs",
  "definitions",
  "dependentSchemas",
  "patternProperties",
  "properties",
] as const;

export function isSchemaObject(value: unknown): value is JsonSchemaObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asSchema(value: unknown): JsonSchema | undefined {
  if (typeof value === "boolean") return value;
  return isSchemaObject(value) ? value : undefined;
}

/** The string value of a keyword, or undefined. */
export function stringKeyword(schema: JsonSchemaObject, keyword: string): string | undefined {
  const value = schema[keyword];
  return typeof value === "string" ? value : undefined;
}

/**
 * A copy of a schema for a JSON Schema validator: annotation keywords of ours and of the
 * parser (`x-*`) removed, and keywords that would make ajv refuse a document it cannot
 * fetch (`$schema`, `$id`) dropped. Only schema positions are rewritten, so a property
 * *named* `$id` or `x-foo` survives.
 */
export function stripForValidation(
  schema: JsonSchema,
  hoist?: (node: JsonSchemaObject) => string | undefined,
): JsonSchema {
  return strip(schema, hoist, true);
}

/**
 * `hoist` may replace a subschema (never the root) by a `$ref` to a schema registered
 * elsewhere under the returned key, so a shared schema is compiled once.
 */
function strip(
  schema: JsonSchema,
  hoist: ((node: JsonSchemaObject) => string | undefined) | undefined,
  root: boolean,
): JsonSchema {
  if (typeof schema === "boolean") return schema;
  if (!root && hoist) {
    const ref = hoist(schema);
    if (ref !== undefined) return { $ref: ref };
  }
  const sub = (value: JsonSchema) => strip(value, hoist, false);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(schema).sort()) {
    const value = schema[key];
    if (key.startsWith("x-") || key === "$schema" || key === "$id" || key === "id") continue;
    // `discriminator` (OpenAPI/AsyncAPI) is an annotation here; ajv's own keyword needs an option.
    if (key === "discriminator" || key === "example" || key === "examples") continue;
    if (key === "nullable") continue; // rewritten into `type` below
    if (
      (SCHEMA_KEYWORDS as readonly string[]).includes(key) &&
      (typeof value === "boolean" || isSchemaObject(value))
    ) {
      out[key] = sub(value);
    } else if ((SCHEMA_ARRAY_KEYWORDS as readonly string[]).includes(key) && Array.isArray(value)) {
      out[key] = value.map((item) => sub(asSchema(item) ?? true));
    } else if ((SCHEMA_MAP_KEYWORDS as readonly string[]).includes(key) && isSchemaObject(value)) {
      const map: Record<string, JsonSchema> = {};
      for (const name of Object.keys(value).sort()) {
        map[name] = sub(asSchema(value[name]) ?? true);
      }
      out[key] = map;
    } else {
      out[key] = value;
    }
  }
  // `nullable: true` (OpenAPI 3.0 style): allow null beside the declared type.
  if (schema.nullable === true) {
    const type = out.type;
    if (typeof type === "string" && type !== "null") out.type = [type, "null"];
    else if (Array.isArray(type) && !type.includes("null")) out.type = [...type, "null"];
    else if (type === undefined && (out.enum !== undefined || out.const !== undefined)) {
      return { anyOf: [out, { type: "null" }] };
    }
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

/** JSON with object keys sorted: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isSchemaObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      if (key === "x-jc-at") continue;
      out[key] = sortKeys(value[key]);
    }
    return out;
  }
  return value;
}

/** Keywords that describe a value without constraining it. */
const ANNOTATION_ONLY = new Set([
  "$comment",
  "default",
  "deprecated",
  "description",
  "readOnly",
  "title",
  "writeOnly",
]);

/**
 * True when a schema accepts every value (`true`, `{}`, or only annotations): such a schema
 * gets no validator, since one would check nothing.
 */
export function acceptsEverything(schema: JsonSchema | undefined): boolean {
  if (schema === undefined) return true;
  const stripped = stripForValidation(schema);
  if (typeof stripped === "boolean") return stripped;
  return Object.keys(stripped).every((key) => ANNOTATION_ONLY.has(key));
}
