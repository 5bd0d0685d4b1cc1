import { type Obj, sameValue } from "./json.js";

/** Instance types as sets: `integer` lies inside `number`; `nullable: true` adds `null`. */

export const JSON_TYPES = [
  "null",
  "boolean",
  "object",
  "array",
  "number",
  "string",
  "integer",
] as const;

export function valueType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "object") return "object";
  return typeof value;
}

/** `a`'s types are all accepted by `b` (`integer` is inside `number`). */
export function typesWithin(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const t of a) {
    if (b.has(t)) continue;
    if (t === "integer" && b.has("number")) continue;
    return false;
  }
  return true;
}

export function typesOverlap(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const t of a) {
    if (b.has(t)) return true;
    if (t === "integer" && b.has("number")) return true;
    if (t === "number" && b.has("integer")) return true;
  }
  return false;
}

/** The node's `type` (with `nullable`), or undefined when it has none. */
export function declaredTypes(node: Obj): Set<string> | undefined {
  const type = node.type;
  let set: Set<string> | undefined;
  if (typeof type === "string") set = new Set([type]);
  else if (Array.isArray(type))
    set = new Set(type.filter((t): t is string => typeof t === "string"));
  if (set && node.nullable === true) set.add("null");
  return set;
}

/** The values an `enum`/`const` allows (both: the `enum` values equal to the `const`). */
export function enumValues(node: Obj): unknown[] | undefined {
  if (Array.isArray(node.enum)) {
    if (node.const !== undefined) return node.enum.filter((v) => sameValue(v, node.const));
    return node.enum;
  }
  if (node.const !== undefined) return [node.const];
  return undefined;
}

/** Types the node can accept: its `type`, narrowed by its `enum`/`const` values. */
export function effectiveTypes(node: Obj): Set<string> | undefined {
  const declared = declaredTypes(node);
  const values = enumValues(node);
  if (!values) return declared;
  const fromValues = new Set(values.map(valueType));
  if (!declared) return fromValues;
  return new Set([...fromValues].filter((t) => typesWithin(new Set([t]), declared)));
}

export function describeTypes(set: ReadonlySet<string> | undefined): string {
  if (!set) return "any type";
  return [...set].sort().join(" | ") || "no type";
}
