import type { JsonSchema } from "../../model/types.js";
import { dedupe, type Obj } from "./json.js";
import { constraintKeys, isAnnotation } from "./keywords.js";
import { mergeAllOf } from "./merge-all-of.js";
import { matchesEveryString } from "./regex.js";

/**
 * Exact rewrites of a schema object, each keeping the set of values it accepts, so that
 * refactorings that do not change that set do not show up as changes.
 */

/**
 * One rewrite step (the walk applies them until none applies): unwrap single-branch
 * combinators, merge `allOf` branches into the parent (those that merge exactly; the others
 * stay in a smaller `allOf`), distribute sibling keywords into `anyOf`/`oneOf` branches, read
 * `unevaluated*` as `additional*` when nothing else evaluates, and drop a `pattern` that
 * matches everything. Returns `node` itself when nothing applies. `root` resolves `$ref`s.
 */
export function simplify(node: Obj, root: JsonSchema): JsonSchema {
  const keys = constraintKeys(node);
  if (keys.length === 1) {
    const key = keys[0] as string;
    const branches = node[key];
    if (
      (key === "allOf" || key === "anyOf" || key === "oneOf") &&
      Array.isArray(branches) &&
      branches.length === 1
    ) {
      return branches[0] as JsonSchema;
    }
  }
  if (Array.isArray(node.allOf) && node.allOf.length > 0) {
    const merged = mergeAllOf(node, root);
    if (merged !== undefined) return merged;
  }
  // Duplicate branches are dropped from `anyOf` only: in a `oneOf` a value matching a
  // duplicated branch matches two branches and is rejected.
  if (Array.isArray(node.anyOf) && node.anyOf.length > 0) {
    const unique = dedupe(node.anyOf);
    if (unique.length !== node.anyOf.length) return { ...node, anyOf: unique };
  }
  const distributed = distributeSum(node);
  if (distributed) return distributed;
  const unevaluated = unevaluatedAsAdditional(node);
  if (unevaluated) return unevaluated;
  if (typeof node.pattern === "string" && matchesEveryString(node.pattern)) {
    const { pattern: _pattern, ...rest } = node;
    return rest;
  }
  return node;
}

/** Keywords that look at what other keywords of the same object evaluated. */
const SEES_SIBLINGS = ["unevaluatedProperties", "unevaluatedItems"];
/** Keywords that apply subschemas to the instance in place (they can evaluate properties/items). */
const IN_PLACE = [
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  "dependentSchemas",
  "dependencies",
  "$ref",
  "$dynamicRef",
];

/**
 * `S ∧ anyOf(b…)` is `anyOf(S ∧ b…)`, and `S ∧ oneOf(b…)` is `oneOf(S ∧ b…)` (a value matches
 * two `S ∧ b` exactly when it matches `S` and two `b`). Distributing lets the sum be compared
 * branch by branch. Not done when a sibling looks at what the branches evaluated.
 */
function distributeSum(node: Obj): JsonSchema | undefined {
  const kind = Array.isArray(node.anyOf)
    ? "anyOf"
    : Array.isArray(node.oneOf)
      ? "oneOf"
      : undefined;
  if (!kind) return undefined;
  if (SEES_SIBLINGS.some((k) => node[k] !== undefined)) return undefined;
  const annotations: Record<string, unknown> = {};
  const siblings: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === kind) continue;
    if (isAnnotation(key)) annotations[key] = value;
    else siblings[key] = value;
  }
  if (Object.keys(siblings).length === 0) return undefined;
  const branches = node[kind] as unknown[];
  return { ...annotations, [kind]: branches.map((b) => ({ allOf: [siblings, b] })) };
}

/**
 * With no in-place applicator beside it, `unevaluatedProperties` applies to exactly the
 * properties `additionalProperties` would (and `unevaluatedItems` to the items `items` /
 * `additionalItems` would), so it is read as that keyword; when that keyword is already
 * there, every property (item) is evaluated and `unevaluated*` has no effect.
 */
function unevaluatedAsAdditional(node: Obj): JsonSchema | undefined {
  if (IN_PLACE.some((k) => node[k] !== undefined)) return undefined;
  if (node.unevaluatedProperties !== undefined) {
    const { unevaluatedProperties, ...rest } = node;
    if (rest.additionalProperties !== undefined) return rest;
    return { ...rest, additionalProperties: unevaluatedProperties };
  }
  // `contains` evaluates the items it matches: no exact rewrite then.
  if (node.unevaluatedItems !== undefined && node.contains === undefined) {
    const { unevaluatedItems, ...rest } = node;
    if (Array.isArray(rest.items)) {
      if (rest.additionalItems !== undefined) return rest;
      return { ...rest, additionalItems: unevaluatedItems };
    }
    if (rest.items !== undefined) return rest;
    return { ...rest, items: unevaluatedItems };
  }
  return undefined;
}
