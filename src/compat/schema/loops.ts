import type { JsonSchema } from "../../model/types.js";
import { walk } from "../../spec/walk.js";
import { isObj, type Obj } from "./json.js";
import { constraintKeys } from "./keywords.js";
import { lookupPointer } from "./refs.js";

/**
 * Self-references with nothing in between: a `$ref` that leads back to itself through
 * keywords that apply a subschema to the same value (`allOf`, `anyOf`, `oneOf`, `not`, `if`,
 * `then`, `else`, `dependentSchemas`, other `$ref`s), never through a property or an item.
 * `Total: {oneOf: [{$ref: Total}, {type: string}]}` is one. JSON Schema leaves their meaning
 * undefined (validators such as ajv recurse until the stack runs out); expanding one never ends.
 *
 * The checker reads such a reference as adding nothing, as the code generator does: a branch
 * of `anyOf`/`oneOf` that is only the reference adds no alternative, a branch of `allOf` no
 * constraint, and a reference with sibling keywords is its siblings. Elsewhere (under `not`,
 * `if`, ...) it has no such reading and is compared as written. Every `$ref` on such a loop is
 * cut, not just the one that closes it, so the reading does not depend on where a walk starts.
 */

/** Keywords whose subschemas apply to the value itself, not to a part of it. */
const IN_PLACE_LISTS = ["allOf", "anyOf", "oneOf"] as const;
const IN_PLACE_ONE = ["not", "if", "then", "else"] as const;
const IN_PLACE_MAPS = ["dependentSchemas", "dependencies"] as const;

function inPlaceChildren(node: Obj, root: JsonSchema): object[] {
  const out: object[] = [];
  for (const key of IN_PLACE_LISTS) {
    const list = node[key];
    if (Array.isArray(list)) for (const item of list) if (isObj(item)) out.push(item);
  }
  for (const key of IN_PLACE_ONE) if (isObj(node[key])) out.push(node[key] as object);
  for (const key of IN_PLACE_MAPS) {
    const map = node[key];
    if (isObj(map)) for (const value of Object.values(map)) if (isObj(value)) out.push(value);
  }
  if (typeof node.$ref === "string") {
    const target = lookupPointer(root, node.$ref);
    if (isObj(target)) out.push(target);
  }
  return out;
}

const loopIndex = new WeakMap<object, ReadonlySet<object>>();

/**
 * The `$ref` nodes of a root that lie on a loop of in-place keywords: those whose target is in
 * their own strongly connected component of the in-place graph. Computed once per root,
 * iteratively (Tarjan), over the objects the bounded walk of `spec/walk.ts` reaches.
 */
function loopRefsOf(root: JsonSchema): ReadonlySet<object> {
  if (!isObj(root)) return new Set();
  const hit = loopIndex.get(root);
  if (hit) return hit;
  const refs: Obj[] = [];
  const seen = new Set<object>();
  walk(
    root,
    ({ value }) => {
      if (typeof value !== "object" || value === null) return true;
      if (seen.has(value)) return false; // a shared value: its children are already listed
      seen.add(value);
      if (isObj(value) && typeof value.$ref === "string") refs.push(value);
      return true;
    },
    { maxDepth: Number.POSITIVE_INFINITY },
  );

  const successors = new Map<object, object[]>();
  const next = (node: object) => {
    let list = successors.get(node);
    if (!list) {
      list = inPlaceChildren(node as Obj, root);
      successors.set(node, list);
    }
    return list;
  };
  const index = new Map<object, number>();
  const low = new Map<object, number>();
  const component = new Map<object, number>();
  const stack: object[] = [];
  const onStack = new Set<object>();
  let counter = 0;
  let components = 0;
  const enter = (node: object, work: { node: object; i: number }[]) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    work.push({ node, i: 0 });
  };
  for (const start of refs) {
    if (index.has(start)) continue;
    const work: { node: object; i: number }[] = [];
    enter(start, work);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { node: object; i: number };
      const out = next(frame.node);
      if (frame.i < out.length) {
        const child = out[frame.i++] as object;
        if (!index.has(child)) enter(child, work);
        else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node) as number, index.get(child) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) {
        low.set(
          parent.node,
          Math.min(low.get(parent.node) as number, low.get(frame.node) as number),
        );
      }
      if (low.get(frame.node) === index.get(frame.node)) {
        for (;;) {
          const member = stack.pop() as object;
          onStack.delete(member);
          component.set(member, components);
          if (member === frame.node) break;
        }
        components++;
      }
    }
  }
  const loops = new Set<object>();
  for (const ref of refs) {
    const target = lookupPointer(root, ref.$ref as string);
    if (isObj(target) && component.get(target) === component.get(ref)) loops.add(ref);
  }
  loopIndex.set(root, loops);
  return loops;
}

/** Whether `node` is a `$ref` on a loop of in-place keywords in `root`. */
export function isLoopRef(root: JsonSchema, node: unknown): boolean {
  return isObj(node) && typeof node.$ref === "string" && loopRefsOf(root).has(node);
}

/** A loop reference with nothing beside it: it stands for nothing but the loop. */
function bareLoopRef(root: JsonSchema, node: unknown): boolean {
  return isLoopRef(root, node) && constraintKeys(node as Obj).length === 1;
}

/**
 * `node` with the loop references of its `allOf`/`anyOf`/`oneOf` read as adding nothing:
 * dropped from the list (an `anyOf`/`oneOf` left with no branch accepts nothing, an empty
 * `allOf` is dropped). Returns `node` itself when it has none.
 */
export function withoutLoopBranches(node: Obj, root: JsonSchema): JsonSchema {
  let out: Record<string, unknown> | undefined;
  for (const key of IN_PLACE_LISTS) {
    const list = node[key];
    if (!Array.isArray(list) || !list.some((b) => bareLoopRef(root, b))) continue;
    const kept = list.filter((b) => !bareLoopRef(root, b));
    if (kept.length === 0 && key !== "allOf") return false;
    out ??= { ...node };
    if (kept.length === 0) delete out[key];
    else out[key] = kept;
  }
  return out ?? node;
}

/**
 * A copy of `root` with every loop reference read as adding nothing, for a validator that would
 * otherwise recurse on it until the stack runs out (ajv does): bare loop branches of
 * `allOf`/`anyOf`/`oneOf` dropped as `withoutLoopBranches` does, a loop reference with sibling
 * keywords replaced by its siblings, a bare one elsewhere (under `not`, `if`...) by `true`.
 * Returns `root` itself when it has no loop. `generate` compiles its validators from this, so
 * they accept what its types and the compatibility checker say the schema means.
 */
export function withoutLoops(root: JsonSchema): JsonSchema {
  if (!isObj(root) || loopRefsOf(root).size === 0) return root;
  const copy = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(copy);
    if (!isObj(node)) return node;
    let schema: JsonSchema = node;
    if (isLoopRef(root, node)) {
      const { $ref: _loop, ...siblings } = node;
      if (constraintKeys(siblings).length === 0) return true;
      schema = siblings;
    }
    const kept = withoutLoopBranches(schema as Obj, root);
    if (!isObj(kept)) return kept;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(kept)) out[key] = copy(value);
    return out;
  };
  return copy(root) as JsonSchema;
}
