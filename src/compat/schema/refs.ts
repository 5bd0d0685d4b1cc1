import type { JsonSchema } from "../../model/types.js";
import { parsePointer } from "../../spec/pointer.js";
import { isObj, type Obj } from "./json.js";

/** `$ref`s are local: a JSON pointer (`#/...`) or a plain-name fragment (`#name`) in the same root. */

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const anchorIndex = new WeakMap<object, Map<string, unknown>>();

/**
 * Plain-name fragments of a root: 2019+ `$anchor`, and draft-4/7 `$id`/`id` of the form
 * `#name`. Computed once per root.
 */
function anchorsOf(root: unknown): Map<string, unknown> {
  if (!isObj(root)) return new Map();
  const hit = anchorIndex.get(root);
  if (hit) return hit;
  const found = new Map<string, unknown>();
  const seen = new Set<unknown>();
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    const obj = node as Obj;
    const names = [obj.$anchor, obj.$dynamicAnchor];
    for (const id of [obj.$id, obj.id]) {
      if (typeof id === "string" && id.startsWith("#") && !id.startsWith("#/")) {
        names.push(id.slice(1));
      }
    }
    for (const name of names) {
      if (typeof name === "string" && name !== "" && !found.has(name)) found.set(name, obj);
    }
    for (const [key, value] of Object.entries(obj)) {
      // Values of these keywords are data, not schemas: an `$anchor` inside them is not one.
      if (key === "enum" || key === "const" || key === "default" || key === "examples") continue;
      visit(value);
    }
  };
  visit(root);
  anchorIndex.set(root, found);
  return found;
}

/**
 * Resolves a local reference inside a root: a JSON pointer (`#/...`) or a plain-name fragment
 * (`#name`, an `$anchor` or a draft-7 `$id: "#name"`); undefined when it does not exist.
 */
export function lookupPointer(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  if (ref.length > 1 && ref[1] !== "/") {
    let name: string;
    try {
      name = decodeURIComponent(ref.slice(1));
    } catch {
      return undefined;
    }
    return anchorsOf(root).get(name);
  }
  const segments = parsePointer(safeDecode(ref.slice(1)));
  if (!segments) return undefined;
  let node: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(node)) node = node[Number(segment)];
    else if (isObj(node)) node = Object.hasOwn(node, segment) ? node[segment] : undefined;
    else return undefined;
    if (node === undefined) return undefined;
  }
  return node;
}

/** `{$ref, ...siblings}` read as `allOf: [target, siblings]`. */
export function refWithSiblings(node: Obj, target: unknown): JsonSchema {
  const { $ref: _ref, ...rest } = node;
  return { allOf: [target, rest] };
}
