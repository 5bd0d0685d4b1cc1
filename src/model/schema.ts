import type { JsonSchema } from "./types.js";

/**
 * Returns a copy of a model schema without the loader's `x-jc-*` annotations
 * (`x-jc-name`, `x-jc-at`), e.g. before comparing two schemas or emitting one for a validator.
 * Data keywords (`enum`, `const`, `default`, `examples`) are copied untouched.
 */
export function stripAnnotations(schema: JsonSchema): JsonSchema {
  return strip(schema) as JsonSchema;
}

const DATA_KEYWORDS = new Set(["enum", "const", "default", "examples", "example"]);

function strip(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(strip);
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith("x-jc-")) continue;
    out[key] = DATA_KEYWORDS.has(key) ? child : strip(child);
  }
  return out;
}
