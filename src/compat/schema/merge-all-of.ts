import type { JsonSchema } from "../../model/types.js";
import { BOUND_KEYWORDS } from "./checks/bounds.js";
import {
  canonicalJson,
  isObj,
  type Obj,
  sameValue,
  stringList,
  withoutAnnotations,
} from "./json.js";
import { constraintKeys, isAnnotation } from "./keywords.js";
import { isLoopRef } from "./loops.js";
import { lookupPointer } from "./refs.js";
import { declaredTypes, JSON_TYPES, typesWithin } from "./type-sets.js";

/**
 * Merging `allOf` branches into their parent, where the merged schema accepts exactly what the
 * parent and all merged branches accept together.
 */

/**
 * Merges what merges exactly of an `allOf` into its parent; branches that do not merge stay
 * in a smaller `allOf`. Undefined when nothing merges.
 */
export function mergeAllOf(
  node: Obj,
  root: JsonSchema,
  seen = new Set<unknown>(),
): JsonSchema | undefined {
  // A schema that includes itself (through `$ref`s in `allOf`) is compared by the walk,
  // which handles cycles, not merged.
  if (seen.has(node)) return undefined;
  seen.add(node);
  try {
    const { allOf, ...base } = node;
    const branches = allOf as unknown[];
    let out: Obj = base;
    let merged = 0;
    // Merged (and duplicate) branches leave `true` in their place, so the branches that
    // stay keep their index, and changes point at the right branch in the file.
    const rest: unknown[] = [];
    const seenText = new Set<string>();
    for (const raw of branches) {
      if (raw === true) {
        rest.push(true);
        continue;
      }
      const text = canonicalJson(withoutAnnotations(raw));
      if (seenText.has(text)) {
        rest.push(true);
        merged++;
        continue;
      }
      seenText.add(text);
      const part = flattenBranch(raw as JsonSchema, root, seen);
      if (part === false) return false;
      const next = part === true ? out : part === undefined ? undefined : mergeParts([out, part]);
      if (next === undefined || typeof next === "boolean") {
        rest.push(raw);
        continue;
      }
      out = next;
      merged++;
      rest.push(true);
    }
    if (merged === 0) return undefined;
    if (rest.every((b) => b === true)) return out;
    return { ...out, allOf: rest };
  } finally {
    seen.delete(node);
  }
}

/** An `allOf` branch with its `$ref`s followed and its own `allOf` merged, if that is exact. */
function flattenBranch(
  raw: JsonSchema,
  root: JsonSchema,
  seen: Set<unknown>,
): JsonSchema | undefined {
  let branch = raw;
  for (let i = 0; i < 16 && isObj(branch) && typeof branch.$ref === "string"; i++) {
    // A reference back to itself with nothing in between stays for the walk to read.
    if (isLoopRef(root, branch)) return undefined;
    const target = lookupPointer(root, branch.$ref);
    if (target === undefined) return undefined;
    const extra = constraintKeys(branch).filter((k) => k !== "$ref");
    if (extra.length > 0) return undefined;
    branch = target as JsonSchema;
    if (seen.has(branch)) return undefined;
  }
  if (typeof branch === "boolean") return branch;
  if (!isObj(branch) || typeof branch.$ref === "string") return undefined;
  if (Array.isArray(branch.allOf)) {
    // Only a branch that merges completely is merged into the parent.
    const inner = mergeAllOf(branch, root, seen);
    return isObj(inner) && inner.allOf !== undefined ? undefined : inner;
  }
  return branch;
}

const LOWER_KEYS = new Set(BOUND_KEYWORDS.filter((b) => b.lower).map((b) => b.keyword));
const UPPER_KEYS = new Set(BOUND_KEYWORDS.filter((b) => !b.lower).map((b) => b.keyword));
const OBJECT_SHAPE = [
  "properties",
  "additionalProperties",
  "patternProperties",
  "unevaluatedProperties",
];

/** Keywords whose meaning depends on each other within one schema object. */
const KEYWORD_GROUPS: readonly (readonly string[])[] = [
  ["if", "then", "else"],
  ["items", "additionalItems", "prefixItems", "unevaluatedItems"],
  ["contains", "minContains", "maxContains"],
  ["minimum", "exclusiveMinimum"],
  ["maximum", "exclusiveMaximum"],
  ["type", "nullable"],
];

/**
 * Merging two parts is exact only if no group of dependent keywords gets keys from both
 * with different keywords (`{if}` ∧ `{then}` is not `{if, then}`).
 */
function groupsApart(parts: readonly Obj[]): boolean {
  for (const group of KEYWORD_GROUPS) {
    const users = parts
      .map((p) => group.filter((k) => p[k] !== undefined).join(","))
      .filter((keys) => keys !== "");
    if (new Set(users).size > 1) return false;
  }
  return true;
}

/** Merges `allOf` parts into one schema when that is exact; undefined when it is not. */
function mergeParts(parts: readonly Obj[]): JsonSchema | undefined {
  const shaped = parts.filter((p) => OBJECT_SHAPE.some((k) => p[k] !== undefined));
  const closes = parts.some(
    (p) =>
      (p.additionalProperties !== undefined && p.additionalProperties !== true) ||
      p.patternProperties !== undefined ||
      p.unevaluatedProperties !== undefined,
  );
  if (closes && shaped.length > 1) return undefined;
  if (!groupsApart(parts)) return undefined;
  const out: Record<string, unknown> = {};
  for (const part of parts) {
    for (const [key, value] of Object.entries(part)) {
      if (!Object.hasOwn(out, key)) {
        out[key] = value;
        continue;
      }
      const prev = out[key];
      if (sameValue(prev, value)) continue;
      if (isAnnotation(key)) continue;
      if (key === "type") {
        const a = declaredTypes({ type: prev });
        const b = declaredTypes({ type: value });
        if (!a || !b) return undefined;
        const both = JSON_TYPES.filter(
          (t) => typesWithin(new Set([t]), a) && typesWithin(new Set([t]), b),
        );
        if (both.length === 0) return undefined;
        out.type = both.length === 1 ? both[0] : both;
      } else if (key === "required") {
        out.required = [...new Set([...stringList(prev), ...stringList(value)])];
      } else if (key === "properties" && isObj(prev) && isObj(value)) {
        const merged: Record<string, unknown> = { ...prev };
        for (const [name, schema] of Object.entries(value)) {
          merged[name] =
            Object.hasOwn(merged, name) && !sameValue(merged[name], schema)
              ? { allOf: [merged[name], schema] }
              : schema;
        }
        out.properties = merged;
      } else if (LOWER_KEYS.has(key) && typeof prev === "number" && typeof value === "number") {
        out[key] = Math.max(prev, value);
      } else if (UPPER_KEYS.has(key) && typeof prev === "number" && typeof value === "number") {
        out[key] = Math.min(prev, value);
      } else {
        return undefined;
      }
    }
  }
  if (out.nullable === true && parts.some((p) => p.type !== undefined && p.nullable !== true)) {
    return undefined;
  }
  return out;
}
