import type { JsonSchema, SourceLocation } from "../model/types.js";
import { escapeSegment, parsePointer } from "../spec/pointer.js";
import { BOUND_KEYWORDS, type BoundKeyword, type RuleId, ruleById } from "./rules.js";
import type { SchemaChange } from "./types.js";

/**
 * Structural diff of two JSON Schemas, judged as set inclusion of the instances they accept.
 *
 * Both schemas are walked together. `$ref`s are followed inside each side's own root (local
 * pointers only), and the walk memoises (oldNode, newNode) pairs so recursive schemas
 * terminate. Single-branch combinators are unwrapped and `allOf` branches are merged into their
 * parent when that is exact, so refactorings that do not change the accepted instances do not
 * show up. Every difference is reported as a change naming a rule of the registry, which gives
 * its verdict per direction. Where the structure does not prove inclusion, the chosen rule says
 * breaking.
 */

type Obj = { readonly [key: string]: unknown };

/** Looks up the source position of a node by its JSON pointer from the schema root. */
export type PositionLookup = (pointer: string) => SourceLocation | undefined;

export interface SchemaDiffOptions {
  /** Positions of the old schema's nodes (plain JSON Schema files); else `x-jc-at` is used. */
  readonly oldPositions?: PositionLookup;
  readonly newPositions?: PositionLookup;
  /** Prefix for reported paths, e.g. `/payload`. Default: none. */
  readonly basePath?: string;
}

type Which = "old" | "new";

interface Side {
  readonly node: JsonSchema;
  /** Pointer of the node in its own document (follows `$ref` targets). */
  readonly ptr: string;
  readonly loc: SourceLocation | undefined;
}

interface Relation {
  readonly bw: boolean;
  readonly fw: boolean;
}

interface Context {
  readonly roots: Record<Which, JsonSchema>;
  readonly positions: Record<Which, PositionLookup | undefined>;
  readonly ids: WeakMap<object, number>;
  nextId: number;
  readonly normCache: Record<Which, WeakMap<object, JsonSchema>>;
  readonly relations: Map<string, Relation>;
  /**
   * Pairs on the current walk stack, with their depth: revisiting one is a cycle, assumed
   * compatible (the greatest fixed point).
   */
  readonly active: Map<string, number>;
  /** Canonical text of nodes without `$ref`s (undefined when a node has one). */
  readonly plain: WeakMap<object, string | undefined>;
  /**
   * Relations computed while assuming a pair further up the stack (`anchor`) compatible:
   * valid only while that pair is still being compared.
   */
  readonly provisional: Map<string, { result: Relation; anchor: string; depth: number }>;
  /**
   * Directions known to break for a pair. A break found while assuming other pairs compatible
   * is a real break (assumptions only ever add compatibility), so these are always kept.
   */
  readonly breaks: Map<string, { bw: boolean; fw: boolean }>;
}

const ANNOTATIONS = new Set([
  "title",
  "description",
  "default",
  "examples",
  "example",
  "$comment",
  "$id",
  "id",
  "$schema",
  "readOnly",
  "writeOnly",
  "deprecated",
  "definitions",
  "$defs",
  "$anchor",
  "$dynamicAnchor",
  "$vocabulary",
  "discriminator",
  "externalDocs",
  "xml",
]);

/** Keywords the walk reasons about; any other non-annotation keyword is compared verbatim. */
const KNOWN = new Set([
  "type",
  "nullable",
  "enum",
  "const",
  "multipleOf",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "pattern",
  "format",
  "contentMediaType",
  "contentEncoding",
  "contentSchema",
  "properties",
  "required",
  "additionalProperties",
  "patternProperties",
  "unevaluatedProperties",
  "propertyNames",
  "dependencies",
  "dependentRequired",
  "dependentSchemas",
  "items",
  "prefixItems",
  "additionalItems",
  "unevaluatedItems",
  "uniqueItems",
  "contains",
  "allOf",
  "anyOf",
  "oneOf",
  "not",
  "if",
  "then",
  "else",
  ...BOUND_KEYWORDS.map((b) => b.keyword),
]);

function isAnnotation(key: string): boolean {
  return ANNOTATIONS.has(key) || key.startsWith("x-");
}

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deterministic JSON text with sorted keys, used to compare values. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObj(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

function withoutAnnotations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutAnnotations);
  if (!isObj(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith("x-jc-")) continue;
    out[k] = withoutAnnotations(v);
  }
  return out;
}

function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(withoutAnnotations(a)) === canonicalJson(withoutAnnotations(b));
}

/** Parses `file:line:col` (the model's `x-jc-at`). */
function parseAt(at: string, pointer: string): SourceLocation | undefined {
  const match = /^(.*):(\d+):(\d+)$/.exec(at);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { file: match[1], line: Number(match[2]), column: Number(match[3]), pointer };
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
function lookupPointer(root: unknown, ref: string): unknown {
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

const JSON_TYPES = ["null", "boolean", "object", "array", "number", "string", "integer"] as const;

function valueType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "object") return "object";
  return typeof value;
}

/** `a`'s types are all accepted by `b` (`integer` is inside `number`). */
function typesWithin(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const t of a) {
    if (b.has(t)) continue;
    if (t === "integer" && b.has("number")) continue;
    return false;
  }
  return true;
}

function typesOverlap(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const t of a) {
    if (b.has(t)) return true;
    if (t === "integer" && b.has("number")) return true;
    if (t === "number" && b.has("integer")) return true;
  }
  return false;
}

function declaredTypes(node: Obj): Set<string> | undefined {
  const type = node.type;
  let set: Set<string> | undefined;
  if (typeof type === "string") set = new Set([type]);
  else if (Array.isArray(type))
    set = new Set(type.filter((t): t is string => typeof t === "string"));
  if (set && node.nullable === true) set.add("null");
  return set;
}

function enumValues(node: Obj): unknown[] | undefined {
  if (Array.isArray(node.enum)) {
    if (node.const !== undefined) return node.enum.filter((v) => sameValue(v, node.const));
    return node.enum;
  }
  if (node.const !== undefined) return [node.const];
  return undefined;
}

/** Types the node can accept: its `type`, narrowed by its `enum`/`const` values. */
function effectiveTypes(node: Obj): Set<string> | undefined {
  const declared = declaredTypes(node);
  const values = enumValues(node);
  if (!values) return declared;
  const fromValues = new Set(values.map(valueType));
  if (!declared) return fromValues;
  return new Set([...fromValues].filter((t) => typesWithin(new Set([t]), declared)));
}

function describeTypes(set: ReadonlySet<string> | undefined): string {
  if (!set) return "any type";
  return [...set].sort().join(" | ") || "no type";
}

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

/** A bound keyword's value, folding draft-4 boolean and draft-6 numeric exclusive variants. */
function boundOf(
  node: Obj,
  { keyword, lower, exclusive: exclusiveKey }: BoundKeyword,
): Bound | undefined {
  const candidates: Bound[] = [];
  const plain = node[keyword];
  const exclusive = exclusiveKey ? node[exclusiveKey] : undefined;
  if (typeof plain === "number") candidates.push({ value: plain, exclusive: exclusive === true });
  if (typeof exclusive === "number") candidates.push({ value: exclusive, exclusive: true });
  let best: Bound | undefined;
  for (const c of candidates) {
    if (!best || tighter(c, best, lower)) best = c;
  }
  return best;
}

function tighter(a: Bound, b: Bound, lower: boolean): boolean {
  if (a.value !== b.value) return lower ? a.value > b.value : a.value < b.value;
  return a.exclusive && !b.exclusive;
}

function describeBound(b: Bound): string {
  return b.exclusive ? `${b.value} (exclusive)` : String(b.value);
}

function isMultiple(value: number, of: number): boolean {
  if (of === 0) return false;
  const ratio = value / of;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Whether a `pattern` matches every string: it has no anchor, lookaround, word boundary or
 * back-reference (nothing that looks at context), and it matches the empty string, so an
 * unanchored search succeeds at position 0 of any string (e.g. `a*`, `(x|)`).
 */
export function matchesEveryString(pattern: string): boolean {
  if (/[\^$]|\\[bBkpP0-9]|\(\?[=!<]/.test(pattern)) return false;
  return regexMatches(pattern, "") === true;
}

function regexMatches(pattern: string, name: string): boolean | undefined {
  try {
    return new RegExp(pattern, "u").test(name);
  } catch {
    return undefined;
  }
}

/** Walks two schemas and collects changes. */
class SchemaDiffer {
  readonly changes: SchemaChange[] = [];
  private readonly done = new Set<string>();

  constructor(
    private readonly ctx: Context,
    private readonly silent: boolean,
  ) {}

  root(which: Which, path: string): Side {
    const node = this.ctx.roots[which];
    return { node, ptr: "", loc: this.locOf(which, node, "", undefined, path) };
  }

  private locOf(
    which: Which,
    node: unknown,
    ptr: string,
    fallback: SourceLocation | undefined,
    path: string,
  ): SourceLocation | undefined {
    if (isObj(node) && typeof node["x-jc-at"] === "string") {
      const loc = parseAt(node["x-jc-at"], path);
      if (loc) return loc;
    }
    const found = this.ctx.positions[which]?.(ptr);
    if (found) return found;
    return fallback;
  }

  child(which: Which, parent: Side, node: JsonSchema, segments: string, path: string): Side {
    const ptr = `${parent.ptr}${segments}`;
    return { node, ptr, loc: this.locOf(which, node, ptr, parent.loc, path) };
  }

  private id(node: JsonSchema): string {
    if (typeof node === "boolean") return node ? "T" : "F";
    // Not a schema at all (a number, a string, null): named by its value.
    if (typeof node !== "object" || node === null) return `V${JSON.stringify(node)}`;
    let id = this.ctx.ids.get(node);
    if (id === undefined) {
      id = this.ctx.nextId++;
      this.ctx.ids.set(node, id);
    }
    return String(id);
  }

  /**
   * Records a change. `keys` are pointers relative to `at` naming the keyword the change is
   * about; the first with a known position is reported, else the node itself.
   */
  private emit(
    ruleId: RuleId,
    path: string,
    message: string,
    side: Which,
    at: Side,
    ...keys: string[]
  ): void {
    const rule = ruleById(ruleId);
    let loc = at.loc;
    for (const key of keys) {
      const found = this.ctx.positions[side]?.(`${at.ptr}${key}`);
      if (found) {
        loc = found;
        break;
      }
    }
    const location = loc ? { ...loc, pointer: loc.pointer || path } : undefined;
    this.changes.push({
      ruleId,
      message,
      path: path || "/",
      backward: rule.backward,
      forward: rule.forward,
      side,
      ...(location ? { location } : {}),
    });
  }

  /** Follows `$ref`s and applies exact simplifications; stable identity per input node. */
  resolve(which: Which, side: Side, path: string): Side {
    let current = side;
    for (let i = 0; i < 64; i++) {
      const node = current.node;
      if (!isObj(node)) return current;
      if (typeof node.$ref === "string") {
        const target = lookupPointer(this.ctx.roots[which], node.$ref);
        if (target === undefined || (typeof target !== "boolean" && !isObj(target))) {
          return current;
        }
        const siblings = Object.keys(node).filter((k) => k !== "$ref" && !isAnnotation(k));
        const ptr = node.$ref.startsWith("#/") ? safeDecode(node.$ref.slice(1)) : "";
        if (siblings.length === 0) {
          current = {
            node: target as JsonSchema,
            ptr,
            loc: this.locOf(which, target, ptr, current.loc, path),
          };
          continue;
        }
        current = {
          ...current,
          node: this.cached(which, node, () => refWithSiblings(node, target)),
        };
        continue;
      }
      const simplified = this.cached(which, node, () => this.simplify(which, node));
      if (simplified === node) return current;
      current = {
        node: simplified,
        ptr: current.ptr,
        loc: this.locOf(which, simplified, current.ptr, current.loc, path),
      };
    }
    return current;
  }

  private cached(which: Which, node: Obj, make: () => JsonSchema): JsonSchema {
    const cache = this.ctx.normCache[which];
    const hit = cache.get(node);
    if (hit !== undefined) return hit;
    const made = make();
    cache.set(node, made);
    return made;
  }

  /**
   * Exact rewrites, applied until none applies: unwrap single-branch combinators, merge `allOf`
   * branches into the parent (those that merge exactly; the others stay in a smaller `allOf`),
   * distribute sibling keywords into `anyOf`/`oneOf` branches, read `unevaluated*` as
   * `additional*` when nothing else evaluates, and drop a `pattern` that matches everything.
   */
  private simplify(which: Which, node: Obj): JsonSchema {
    const keys = Object.keys(node).filter((k) => !isAnnotation(k));
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
      const merged = this.mergeAllOf(which, node);
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

  /**
   * Merges what merges exactly of an `allOf` into its parent; branches that do not merge stay
   * in a smaller `allOf`. Undefined when nothing merges.
   */
  private mergeAllOf(which: Which, node: Obj, seen = new Set<unknown>()): JsonSchema | undefined {
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
        const part = this.flattenBranch(which, raw as JsonSchema, seen);
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
  private flattenBranch(which: Which, raw: JsonSchema, seen: Set<unknown>): JsonSchema | undefined {
    let branch = raw;
    for (let i = 0; i < 16 && isObj(branch) && typeof branch.$ref === "string"; i++) {
      const target = lookupPointer(this.ctx.roots[which], branch.$ref);
      if (target === undefined) return undefined;
      const extra = Object.keys(branch).filter((k) => k !== "$ref" && !isAnnotation(k));
      if (extra.length > 0) return undefined;
      branch = target as JsonSchema;
      if (seen.has(branch)) return undefined;
    }
    if (typeof branch === "boolean") return branch;
    if (!isObj(branch) || typeof branch.$ref === "string") return undefined;
    if (Array.isArray(branch.allOf)) {
      // Only a branch that merges completely is merged into the parent.
      const inner = this.mergeAllOf(which, branch, seen);
      return isObj(inner) && inner.allOf !== undefined ? undefined : inner;
    }
    return branch;
  }

  /** Whether old ⊆ new (`bw`) and new ⊆ old (`fw`), without reporting. */
  relation(oIn: Side, nIn: Side): Relation {
    const o = this.resolve("old", oIn, "");
    const n = this.resolve("new", nIn, "");
    const key = `${this.id(o.node)}|${this.id(n.node)}`;
    const hit = this.known(key);
    if (hit) return hit;
    const sub = new SchemaDiffer(this.ctx, true);
    sub.base = this.ctx.active.size;
    sub.compare(o, n, "");
    const result = {
      bw: !sub.changes.some((c) => c.backward === "breaking"),
      fw: !sub.changes.some((c) => c.forward === "breaking"),
    };
    // A result that leaned on a pair still being compared further up holds only while that
    // pair is (coinductively) assumed compatible: remember it for as long as the pair is open.
    if (!result.bw || !result.fw) {
      const prev = this.ctx.breaks.get(key);
      this.ctx.breaks.set(key, {
        bw: (prev?.bw ?? false) || !result.bw,
        fw: (prev?.fw ?? false) || !result.fw,
      });
    }
    if (sub.anchor === Number.POSITIVE_INFINITY) {
      this.ctx.relations.set(key, result);
    } else {
      const anchorKey = [...this.ctx.active].find(([, d]) => d === sub.anchor)?.[0];
      if (anchorKey !== undefined) {
        this.ctx.provisional.set(key, { result, anchor: anchorKey, depth: sub.anchor });
      }
      this.dependOn(sub.anchor);
    }
    return result;
  }

  /** A remembered relation for a pair, if any still holds. */
  private known(key: string): Relation | undefined {
    const sure = this.ctx.relations.get(key);
    if (sure) return sure;
    const broken = this.ctx.breaks.get(key);
    if (broken?.bw && broken.fw) return { bw: false, fw: false };
    const maybe = this.ctx.provisional.get(key);
    if (maybe && this.ctx.active.get(maybe.anchor) === maybe.depth) {
      this.dependOn(maybe.depth);
      return {
        bw: maybe.result.bw && !broken?.bw,
        fw: maybe.result.fw && !broken?.fw,
      };
    }
    return undefined;
  }

  private dependOn(depth: number): void {
    if (depth < this.base) this.anchor = Math.min(this.anchor, depth);
  }

  /** Stack depth at which this (silent) walk started. */
  private base = 0;
  /** Lowest stack depth outside this walk whose pair this walk assumed compatible. */
  private anchor = Number.POSITIVE_INFINITY;

  compare(oIn: Side, nIn: Side, path: string): void {
    const o = this.resolve("old", oIn, path);
    const n = this.resolve("new", nIn, path);
    if (this.identical(o.node, n.node)) return;
    const key = `${this.id(o.node)}|${this.id(n.node)}`;
    const depth = this.ctx.active.get(key);
    if (depth !== undefined) {
      this.dependOn(depth);
      return;
    }
    if (this.done.has(key)) return;
    if (this.silent) {
      const known = this.known(key);
      if (known) {
        if (!known.bw || !known.fw) this.recordKnown(known, path, n);
        return;
      }
    }
    this.ctx.active.set(key, this.ctx.active.size);
    try {
      this.compareResolved(o, n, path);
    } finally {
      this.ctx.active.delete(key);
      this.done.add(key);
    }
  }

  /** In a silent walk, stands for the changes of a pair whose relation is already known. */
  private recordKnown(known: Relation, path: string, at: Side): void {
    const rule = known.bw ? "sum-branch-added" : known.fw ? "sum-branch-removed" : "type-changed";
    this.emit(rule, path, "known relation", "new", at);
  }

  /** Same text and no `$ref` inside: nothing can differ. */
  private identical(a: JsonSchema, b: JsonSchema): boolean {
    if (a === b && typeof a === "boolean") return true;
    if (!isObj(a) || !isObj(b)) return false;
    const x = this.plainText(a);
    return x !== undefined && x === this.plainText(b);
  }

  private plainText(node: Obj): string | undefined {
    if (this.ctx.plain.has(node)) return this.ctx.plain.get(node);
    const text = canonicalJson(withoutAnnotations(node));
    const plain = text.includes('"$ref"') ? undefined : text;
    this.ctx.plain.set(node, plain);
    return plain;
  }

  private compareResolved(o: Side, n: Side, path: string): void {
    if (o.node === false) {
      if (n.node !== false) {
        this.emit("schema-false-relaxed", path, "a `false` schema now accepts values", "new", n);
      }
      return;
    }
    if (n.node === false) {
      this.emit("schema-made-false", path, "the schema now accepts nothing (`false`)", "new", n);
      return;
    }
    const oNode: Obj = isObj(o.node) ? o.node : {};
    const nNode: Obj = isObj(n.node) ? n.node : {};
    const oSum = pureSum(oNode);
    const nSum = pureSum(nNode);
    if (oSum || nSum) {
      this.compareSums(o, n, oNode, nNode, oSum, nSum, path);
      return;
    }
    const oTypes = effectiveTypes(oNode);
    const nTypes = effectiveTypes(nNode);
    this.compareTypes(n, oTypes, nTypes, path);
    this.compareEnums(n, oNode, nNode, path);
    const applies = (types: readonly string[]): boolean =>
      types.some(
        (t) =>
          !oTypes ||
          !nTypes ||
          typesOverlap(new Set([t]), oTypes) ||
          typesOverlap(new Set([t]), nTypes),
      );
    this.compareBounds(n, oNode, nNode, path, applies);
    if (applies(["number", "integer"])) this.compareMultipleOf(n, oNode, nNode, path);
    if (applies(["string"])) this.compareStrings(n, oNode, nNode, path);
    if (applies(["object"])) this.compareObjects(o, n, oNode, nNode, path);
    if (applies(["array"])) this.compareArrays(o, n, oNode, nNode, path);
    this.compareCombinators(o, n, oNode, nNode, path);
    this.compareNot(o, n, oNode, nNode, path);
    this.compareRest(o, n, oNode, nNode, path);
  }

  private compareTypes(
    n: Side,
    oTypes: Set<string> | undefined,
    nTypes: Set<string> | undefined,
    path: string,
  ): void {
    if (!oTypes && !nTypes) return;
    const from = describeTypes(oTypes);
    const to = describeTypes(nTypes);
    if (!oTypes) {
      this.emit(
        "type-added",
        path,
        `type restricted from any type to ${to}`,
        "new",
        n,
        "/type",
        "/enum",
        "/const",
      );
      return;
    }
    if (!nTypes) {
      this.emit("type-removed", path, `type restriction ${from} removed`, "new", n);
      return;
    }
    const bw = typesWithin(oTypes, nTypes);
    const fw = typesWithin(nTypes, oTypes);
    if (bw && fw) return;
    const rule = bw ? "type-widened" : fw ? "type-narrowed" : "type-changed";
    this.emit(
      rule,
      path,
      `type changed from ${from} to ${to}`,
      "new",
      n,
      "/type",
      "/nullable",
      "/enum",
      "/const",
    );
  }

  private compareEnums(n: Side, oNode: Obj, nNode: Obj, path: string): void {
    const oValues = enumValues(oNode);
    const nValues = enumValues(nNode);
    if (!oValues && !nValues) return;
    if (!oValues) {
      this.emit(
        "enum-added",
        path,
        `values restricted to ${listValues(nValues ?? [])}`,
        "new",
        n,
        "/enum",
        "/const",
      );
      return;
    }
    if (!nValues) {
      this.emit("enum-removed", path, `value restriction ${listValues(oValues)} removed`, "new", n);
      return;
    }
    const oSet = new Set(oValues.map(canonicalJson));
    const nSet = new Set(nValues.map(canonicalJson));
    const added = [...nSet].filter((v) => !oSet.has(v));
    const removed = [...oSet].filter((v) => !nSet.has(v));
    if (added.length === 0 && removed.length === 0) return;
    const detail = [
      added.length > 0 ? `added ${added.join(", ")}` : "",
      removed.length > 0 ? `removed ${removed.join(", ")}` : "",
    ]
      .filter(Boolean)
      .join("; ");
    const rule =
      removed.length === 0
        ? "enum-extended"
        : added.length === 0
          ? "enum-narrowed"
          : "enum-changed";
    this.emit(rule, path, `allowed values changed: ${detail}`, "new", n, "/enum", "/const");
  }

  private compareBounds(
    n: Side,
    oNode: Obj,
    nNode: Obj,
    path: string,
    applies: (types: readonly string[]) => boolean,
  ): void {
    for (const b of BOUND_KEYWORDS) {
      if (!applies(b.applies)) continue;
      const ob = boundOf(oNode, b);
      const nb = boundOf(nNode, b);
      const at = `${path}/${b.keyword}`;
      if (!ob && !nb) continue;
      if (!ob && nb) {
        this.emit(
          `${b.id}-added`,
          at,
          `${b.what} ${describeBound(nb)} added`,
          "new",
          n,
          `/${b.keyword}`,
          `/${b.exclusive ?? b.keyword}`,
        );
      } else if (ob && !nb) {
        this.emit(`${b.id}-removed`, at, `${b.what} ${describeBound(ob)} removed`, "new", n);
      } else if (ob && nb) {
        if (ob.value === nb.value && ob.exclusive === nb.exclusive) continue;
        const tightened = tighter(nb, ob, b.lower);
        const suffix = tightened === b.lower ? "increased" : "decreased";
        this.emit(
          `${b.id}-${suffix}`,
          at,
          `${b.what} changed from ${describeBound(ob)} to ${describeBound(nb)}`,
          "new",
          n,
          `/${b.keyword}`,
          `/${b.exclusive ?? b.keyword}`,
        );
      }
    }
  }

  private compareMultipleOf(n: Side, oNode: Obj, nNode: Obj, path: string): void {
    const ov = typeof oNode.multipleOf === "number" ? oNode.multipleOf : undefined;
    const nv = typeof nNode.multipleOf === "number" ? nNode.multipleOf : undefined;
    const at = `${path}/multipleOf`;
    if (ov === nv) return;
    if (ov === undefined) {
      this.emit("multiple-of-added", at, `multipleOf ${nv} added`, "new", n, "/multipleOf");
    } else if (nv === undefined) {
      this.emit("multiple-of-removed", at, `multipleOf ${ov} removed`, "new", n);
    } else {
      const rule = isMultiple(ov, nv)
        ? "multiple-of-relaxed"
        : isMultiple(nv, ov)
          ? "multiple-of-tightened"
          : "multiple-of-changed";
      this.emit(rule, at, `multipleOf changed from ${ov} to ${nv}`, "new", n, "/multipleOf");
    }
  }

  private compareStrings(n: Side, oNode: Obj, nNode: Obj, path: string): void {
    const families = [
      ["pattern", "pattern"],
      ["format", "format"],
      ["contentMediaType", "content"],
      ["contentEncoding", "content"],
    ] as const;
    for (const [keyword, family] of families) {
      const ov = typeof oNode[keyword] === "string" ? (oNode[keyword] as string) : undefined;
      const nv = typeof nNode[keyword] === "string" ? (nNode[keyword] as string) : undefined;
      if (ov === nv) continue;
      const at = `${path}/${keyword}`;
      if (ov === undefined) {
        this.emit(
          `${family}-added`,
          at,
          `${keyword} ${JSON.stringify(nv)} added`,
          "new",
          n,
          `/${keyword}`,
        );
      } else if (nv === undefined) {
        this.emit(`${family}-removed`, at, `${keyword} ${JSON.stringify(ov)} removed`, "new", n);
      } else {
        this.emit(
          `${family}-changed`,
          at,
          `${keyword} changed from ${JSON.stringify(ov)} to ${JSON.stringify(nv)}`,
          "new",
          n,
          `/${keyword}`,
        );
      }
    }
    if (!sameValue(oNode.contentSchema, nNode.contentSchema)) {
      this.emit(
        "content-changed",
        `${path}/contentSchema`,
        "contentSchema changed",
        "new",
        n,
        "/contentSchema",
      );
    }
  }

  /** The schema that applies to a property `name` not declared in `properties`. */
  private coverOf(which: Which, side: Side, node: Obj, name: string, path: string): Side {
    const patterns = isObj(node.patternProperties) ? node.patternProperties : {};
    const matching = Object.keys(patterns).filter((p) => regexMatches(p, name) !== false);
    if (matching.length === 1) {
      const p = matching[0] as string;
      return this.child(
        which,
        side,
        patterns[p] as JsonSchema,
        `/patternProperties/${escapeSegment(p)}`,
        path,
      );
    }
    if (matching.length > 1) return { ...side, node: { allOf: matching.map((p) => patterns[p]) } };
    return this.optChild(which, side, node.additionalProperties, "/additionalProperties", path);
  }

  /**
   * An entry (a property or a tuple item) on one side only, against what covers its place on
   * the other side: nothing (closed), anything (open), or a schema (partially open), which the
   * entry is then compared with.
   */
  private compareUnmatched(
    entry: Side,
    entrySide: Which,
    cover: Side,
    at: string,
    outcomes: Readonly<Record<"closed" | "open" | "partial", readonly [RuleId, string]>>,
  ): void {
    const resolved = this.resolve(entrySide, entry, at).node;
    const covered = this.resolve(entrySide === "new" ? "old" : "new", cover, at).node;
    const kind = covered === false ? "closed" : isTrivial(covered) ? "open" : "partial";
    if (kind === "closed" && resolved === false) return;
    if (kind === "open" && isTrivial(resolved)) return;
    const [rule, message] = outcomes[kind];
    this.emit(rule, at, message, entrySide, entry);
    if (kind !== "partial") return;
    if (entrySide === "new") this.compare(cover, entry, at);
    else this.compare(entry, cover, at);
  }

  private compareObjects(o: Side, n: Side, oNode: Obj, nNode: Obj, path: string): void {
    const oProps = isObj(oNode.properties) ? oNode.properties : {};
    const nProps = isObj(nNode.properties) ? nNode.properties : {};
    const names = [...new Set([...Object.keys(oProps), ...Object.keys(nProps)])].sort();
    for (const name of names) {
      const seg = `/properties/${escapeSegment(name)}`;
      const at = `${path}${seg}`;
      const inOld = Object.hasOwn(oProps, name);
      const inNew = Object.hasOwn(nProps, name);
      if (inOld && inNew) {
        this.compare(
          this.child("old", o, oProps[name] as JsonSchema, seg, at),
          this.child("new", n, nProps[name] as JsonSchema, seg, at),
          at,
        );
      } else if (inNew) {
        this.compareUnmatched(
          this.child("new", n, nProps[name] as JsonSchema, seg, at),
          "new",
          this.coverOf("old", o, oNode, name, at),
          at,
          {
            closed: [
              "property-added-to-closed-model",
              `property "${name}" added to a closed object`,
            ],
            open: [
              "property-added-to-open-model",
              `property "${name}" added to an open object: old data may carry "${name}" with another value`,
            ],
            partial: [
              "property-added-to-partially-open-model",
              `property "${name}" added; compared with the schema that covered it before`,
            ],
          },
        );
      } else {
        this.compareUnmatched(
          this.child("old", o, oProps[name] as JsonSchema, seg, at),
          "old",
          this.coverOf("new", n, nNode, name, at),
          at,
          {
            closed: [
              "property-removed-from-closed-model",
              `property "${name}" removed from a closed object: old data carrying it is rejected`,
            ],
            open: [
              "property-removed-from-open-model",
              `property "${name}" removed from an open object`,
            ],
            partial: [
              "property-removed-to-partially-open-model",
              `property "${name}" removed; now covered by additionalProperties/patternProperties`,
            ],
          },
        );
      }
    }

    const oReq = new Set(stringList(oNode.required));
    const nReq = new Set(stringList(nNode.required));
    for (const name of [...nReq].filter((r) => !oReq.has(r)).sort()) {
      const propNode = nProps[name];
      const prop =
        propNode === undefined
          ? n
          : this.child(
              "new",
              n,
              propNode as JsonSchema,
              `/properties/${escapeSegment(name)}`,
              path,
            );
      const resolved = this.resolve("new", prop, path);
      const hasDefault = isObj(resolved.node) && Object.hasOwn(resolved.node, "default");
      this.emit(
        hasDefault ? "required-property-with-default-added" : "required-property-added",
        `${path}/required/${escapeSegment(name)}`,
        hasDefault
          ? `property "${name}" is now required (it has a default)`
          : `property "${name}" is now required`,
        "new",
        prop,
      );
    }
    for (const name of [...oReq].filter((r) => !nReq.has(r)).sort()) {
      const propNode = oProps[name];
      const prop =
        propNode === undefined
          ? o
          : this.child(
              "old",
              o,
              propNode as JsonSchema,
              `/properties/${escapeSegment(name)}`,
              path,
            );
      this.emit(
        "required-property-removed",
        `${path}/required/${escapeSegment(name)}`,
        `property "${name}" is no longer required`,
        "old",
        prop,
      );
    }

    for (const keyword of ["additionalProperties", "unevaluatedProperties", "propertyNames"]) {
      if (oNode[keyword] === undefined && nNode[keyword] === undefined) continue;
      const at = `${path}/${keyword}`;
      this.compare(
        this.optChild("old", o, oNode[keyword], `/${keyword}`, at),
        this.optChild("new", n, nNode[keyword], `/${keyword}`, at),
        at,
      );
    }

    const oPat = isObj(oNode.patternProperties) ? oNode.patternProperties : {};
    const nPat = isObj(nNode.patternProperties) ? nNode.patternProperties : {};
    for (const p of [...new Set([...Object.keys(oPat), ...Object.keys(nPat)])].sort()) {
      const seg = `/patternProperties/${escapeSegment(p)}`;
      const at = `${path}${seg}`;
      const oSide = Object.hasOwn(oPat, p)
        ? this.child("old", o, oPat[p] as JsonSchema, seg, at)
        : this.optChild("old", o, oNode.additionalProperties, "/additionalProperties", at);
      const nSide = Object.hasOwn(nPat, p)
        ? this.child("new", n, nPat[p] as JsonSchema, seg, at)
        : this.optChild("new", n, nNode.additionalProperties, "/additionalProperties", at);
      this.compare(oSide, nSide, at);
    }

    this.compareDependencies(o, n, oNode, nNode, path);
  }

  private optChild(which: Which, parent: Side, node: unknown, seg: string, path: string): Side {
    if (node === undefined) return { ...parent, node: true };
    return this.child(which, parent, node as JsonSchema, seg, path);
  }

  private compareDependencies(o: Side, n: Side, oNode: Obj, nNode: Obj, path: string): void {
    const split = (node: Obj) => {
      const required = new Map<string, { list: string[]; key: string }>();
      const schemas = new Map<string, { schema: JsonSchema; key: string }>();
      for (const key of ["dependencies", "dependentRequired", "dependentSchemas"]) {
        const deps = node[key];
        if (!isObj(deps)) continue;
        for (const [name, value] of Object.entries(deps)) {
          if (Array.isArray(value)) required.set(name, { list: stringList(value), key });
          else schemas.set(name, { schema: value as JsonSchema, key });
        }
      }
      return { required, schemas };
    };
    const od = split(oNode);
    const nd = split(nNode);
    const reqNames = [...new Set([...od.required.keys(), ...nd.required.keys()])].sort();
    for (const name of reqNames) {
      const ol = od.required.get(name);
      const nl = nd.required.get(name);
      const key = nl?.key ?? ol?.key ?? "dependentRequired";
      const at = `${path}/${key}/${escapeSegment(name)}`;
      if (!ol && nl) {
        this.emit(
          "dependent-required-added",
          at,
          `when "${name}" is present, ${listValues(nl.list)} are now required`,
          "new",
          n,
          `/${nl.key}/${escapeSegment(name)}`,
        );
      } else if (ol && !nl) {
        this.emit(
          "dependent-required-removed",
          at,
          `the dependency of ${listValues(ol.list)} on "${name}" was removed`,
          "old",
          o,
          `/${ol.key}/${escapeSegment(name)}`,
        );
      } else if (ol && nl) {
        const os = new Set(ol.list);
        const ns = new Set(nl.list);
        const added = [...ns].filter((x) => !os.has(x));
        const removed = [...os].filter((x) => !ns.has(x));
        if (added.length === 0 && removed.length === 0) continue;
        const rule =
          removed.length === 0
            ? "dependent-required-extended"
            : added.length === 0
              ? "dependent-required-narrowed"
              : "dependent-required-changed";
        this.emit(
          rule,
          at,
          `properties required with "${name}" changed from ${listValues(ol.list)} to ${listValues(nl.list)}`,
          "new",
          n,
          `/${nl.key}/${escapeSegment(name)}`,
        );
      }
    }
    const schemaNames = [...new Set([...od.schemas.keys(), ...nd.schemas.keys()])].sort();
    for (const name of schemaNames) {
      const os = od.schemas.get(name);
      const ns = nd.schemas.get(name);
      const key = ns?.key ?? os?.key ?? "dependentSchemas";
      const seg = `/${key}/${escapeSegment(name)}`;
      const at = `${path}${seg}`;
      this.compare(
        os
          ? this.child("old", o, os.schema, `/${os.key}/${escapeSegment(name)}`, at)
          : { ...o, node: true },
        ns ? this.child("new", n, ns.schema, seg, at) : { ...n, node: true },
        at,
      );
    }
  }

  private compareArrays(o: Side, n: Side, oNode: Obj, nNode: Obj, path: string): void {
    const ot = tupleOf(oNode);
    const nt = tupleOf(nNode);
    const count = Math.max(ot.prefix.length, nt.prefix.length);
    for (let i = 0; i < count; i++) {
      const nKey = nt.prefixKey ?? ot.prefixKey ?? "prefixItems";
      const at = `${path}/${nKey}/${i}`;
      if (i < ot.prefix.length && i < nt.prefix.length) {
        this.compare(
          this.child("old", o, ot.prefix[i] as JsonSchema, `/${ot.prefixKey}/${i}`, at),
          this.child("new", n, nt.prefix[i] as JsonSchema, `/${nt.prefixKey}/${i}`, at),
          at,
        );
      } else if (i < nt.prefix.length) {
        this.compareUnmatched(
          this.child("new", n, nt.prefix[i] as JsonSchema, `/${nt.prefixKey}/${i}`, at),
          "new",
          this.optChild("old", o, ot.rest, `/${ot.restKey}`, at),
          at,
          {
            closed: [
              "item-added-to-closed-tuple",
              `tuple item ${i} added where extra items were forbidden`,
            ],
            open: [
              "item-added-to-open-tuple",
              `tuple item ${i} added where any extra item was allowed`,
            ],
            partial: [
              "item-added-to-partially-open-tuple",
              `tuple item ${i} added; compared with the schema of extra items before`,
            ],
          },
        );
      } else {
        this.compareUnmatched(
          this.child("old", o, ot.prefix[i] as JsonSchema, `/${ot.prefixKey}/${i}`, at),
          "old",
          this.optChild("new", n, nt.rest, `/${nt.restKey}`, at),
          at,
          {
            closed: [
              "item-removed-from-closed-tuple",
              `tuple item ${i} removed and extra items are forbidden`,
            ],
            open: [
              "item-removed-from-open-tuple",
              `tuple item ${i} removed; extra items are allowed`,
            ],
            partial: [
              "item-removed-to-partially-open-tuple",
              `tuple item ${i} removed; compared with the schema of extra items now`,
            ],
          },
        );
      }
    }
    if (ot.rest !== undefined || nt.rest !== undefined) {
      const key = nt.rest !== undefined ? nt.restKey : ot.restKey;
      const at = `${path}/${key}`;
      this.compare(
        this.optChild("old", o, ot.rest, `/${ot.restKey}`, at),
        this.optChild("new", n, nt.rest, `/${nt.restKey}`, at),
        at,
      );
    }
    if (oNode.unevaluatedItems !== undefined || nNode.unevaluatedItems !== undefined) {
      const at = `${path}/unevaluatedItems`;
      this.compare(
        this.optChild("old", o, oNode.unevaluatedItems, "/unevaluatedItems", at),
        this.optChild("new", n, nNode.unevaluatedItems, "/unevaluatedItems", at),
        at,
      );
    }
    const ou = oNode.uniqueItems === true;
    const nu = nNode.uniqueItems === true;
    if (!ou && nu) {
      this.emit(
        "unique-items-added",
        `${path}/uniqueItems`,
        "items must now be unique",
        "new",
        n,
        "/uniqueItems",
      );
    } else if (ou && !nu) {
      this.emit(
        "unique-items-removed",
        `${path}/uniqueItems`,
        "items no longer need to be unique",
        "new",
        n,
        "/uniqueItems",
      );
    }
    const at = `${path}/contains`;
    if (oNode.contains === undefined && nNode.contains !== undefined) {
      this.emit("contains-added", at, "a `contains` constraint was added", "new", n, "/contains");
    } else if (oNode.contains !== undefined && nNode.contains === undefined) {
      this.emit("contains-removed", at, "the `contains` constraint was removed", "new", n);
    } else if (oNode.contains !== undefined) {
      this.compare(
        this.child("old", o, oNode.contains as JsonSchema, "/contains", at),
        this.child("new", n, nNode.contains as JsonSchema, "/contains", at),
        at,
      );
    }
  }

  private branchesOf(which: Which, side: Side, node: Obj, kind: string, path: string): Side[] {
    const list = node[kind];
    if (!Array.isArray(list)) return [];
    return list.map((b, i) => this.child(which, side, b as JsonSchema, `/${kind}/${i}`, path));
  }

  /** A node that is not a sum, seen as branches: one per type when it lists several types. */
  private asBranches(side: Side, node: Obj): Side[] {
    const types = declaredTypes(node);
    const keys = Object.keys(node).filter((k) => !isAnnotation(k));
    const combinators = keys.some((k) => k === "allOf" || k === "anyOf" || k === "oneOf");
    if (!types || types.size < 2 || combinators) return [side];
    return [...types].sort().map((t) => {
      const { nullable: _nullable, ...rest } = node;
      return { ...side, node: { ...rest, type: t } };
    });
  }

  private compareSums(
    o: Side,
    n: Side,
    oNode: Obj,
    nNode: Obj,
    oSum: SumInfo | undefined,
    nSum: SumInfo | undefined,
    path: string,
  ): void {
    const oBranches = oSum
      ? this.branchesOf("old", o, oNode, oSum.kind, path)
      : this.asBranches(o, oNode);
    const nBranches = nSum
      ? this.branchesOf("new", n, nNode, nSum.kind, path)
      : this.asBranches(n, nNode);
    this.pairSumBranches(n, oBranches, nBranches, oSum?.kind, nSum?.kind, path);
  }

  private pairSumBranches(
    n: Side,
    oBranches: Side[],
    nBranches: Side[],
    oKind: string | undefined,
    nKind: string | undefined,
    path: string,
  ): void {
    const exact = new Set<number>();
    const branchPath = (kind: string | undefined, i: number) =>
      kind ? `${path}/${kind}/${i}` : path;
    // Forward holds for a new branch when some old branch accepts all it accepts.
    const fwMatch = nBranches.map((nb) => oBranches.some((ob) => this.relation(ob, nb).fw));
    const fwExplained = new Set<number>();
    const breaksIn = (from: number, direction: "backward" | "forward") =>
      this.changes.slice(from).some((c) => c[direction] === "breaking");
    oBranches.forEach((ob, i) => {
      let best = -1;
      let bestExact = false;
      // Prefer the branch at the same position, then an unused one, so that identical lists
      // pair up one to one.
      const order = nBranches.map((_, j) => j).sort((a, b) => rank(a) - rank(b));
      function rank(j: number): number {
        return j === i ? 0 : exact.has(j) ? 2 : 1;
      }
      for (const j of order) {
        if (bestExact) break;
        const r = this.relation(ob, nBranches[j] as Side);
        if (r.bw && r.fw) {
          best = j;
          bestExact = true;
        } else if (r.bw && best < 0) {
          best = j;
        }
      }
      if (best >= 0) {
        if (bestExact) exact.add(best);
        // Details of a compatible pairing are reported only where they cannot mislead the
        // forward verdict: when the new branch has no old branch that contains it.
        if (bestExact || !fwMatch[best]) {
          const before = this.changes.length;
          this.compare(ob, nBranches[best] as Side, branchPath(nKind, best));
          if (breaksIn(before, "forward")) fwExplained.add(best);
        }
        return;
      }
      const oResolved = this.resolve("old", ob, path).node;
      const candidates = nBranches
        .map((nb, j) => ({ nb, j }))
        .filter(({ nb }) => !this.disjoint(oResolved, this.resolve("new", nb, path).node, "old"));
      const fallback = candidates.length === 1 ? (candidates[0]?.j ?? -1) : -1;
      if (fallback >= 0 && !fwMatch[fallback]) {
        // The old branch has no container, and its closest new branch none either: show why.
        const before = this.changes.length;
        this.compare(ob, nBranches[fallback] as Side, branchPath(nKind, fallback));
        if (breaksIn(before, "forward")) fwExplained.add(fallback);
        if (breaksIn(before, "backward")) return;
      }
      this.emit(
        "sum-branch-removed",
        branchPath(oKind, i),
        oKind
          ? `${oKind} branch ${i} removed: no new branch accepts all it accepted`
          : "no branch of the new schema accepts everything the old schema accepted",
        "old",
        ob,
      );
    });
    nBranches.forEach((nb, j) => {
      if (fwMatch[j] || fwExplained.has(j)) return;
      this.emit(
        "sum-branch-added",
        branchPath(nKind, j),
        nKind ? `${nKind} branch ${j} added` : "the schema now accepts another alternative",
        "new",
        nb,
      );
    });
    if (nKind === "oneOf" && nBranches.length > 1) {
      const unchanged =
        oKind === "oneOf" &&
        exact.size === nBranches.length &&
        oBranches.length === nBranches.length;
      if (!unchanged) {
        const overlapping = this.firstOverlap(
          nBranches,
          path,
          (j, k) => !exact.has(j) || !exact.has(k) || oKind !== "oneOf",
        );
        if (overlapping) {
          this.emit(
            "one-of-branches-may-overlap",
            path,
            `oneOf branches ${overlapping[0]} and ${overlapping[1]} are not provably disjoint: a value matching both is rejected`,
            "new",
            n,
          );
        }
      }
    }
    if (oKind === "oneOf" && oBranches.length > 1) {
      // New values that fall in an old branch may fall in two, which old readers reject.
      const unchanged =
        nKind === "oneOf" &&
        exact.size === nBranches.length &&
        oBranches.length === nBranches.length;
      const overlapping = unchanged
        ? undefined
        : this.firstOverlap(oBranches, path, () => true, "old");
      if (overlapping) {
        this.emit(
          "old-one-of-branches-may-overlap",
          path,
          `old oneOf branches ${overlapping[0]} and ${overlapping[1]} are not provably disjoint: a new value matching both is rejected by old readers`,
          "new",
          n,
        );
      }
    }
    if (oKind === "oneOf" && nKind === "anyOf" && nBranches.length > 1) {
      if (this.firstOverlap(nBranches, path, () => true)) {
        this.emit(
          "one-of-relaxed-to-any-of",
          path,
          "oneOf became anyOf: values matching several branches are now accepted",
          "new",
          n,
        );
      }
    }
  }

  private firstOverlap(
    branches: Side[],
    path: string,
    consider: (j: number, k: number) => boolean,
    which: Which = "new",
  ): [number, number] | undefined {
    const nodes = branches.map((b) => this.resolve(which, b, path).node);
    for (let j = 0; j < nodes.length; j++) {
      for (let k = j + 1; k < nodes.length; k++) {
        if (!consider(j, k)) continue;
        if (!this.disjoint(nodes[j] as JsonSchema, nodes[k] as JsonSchema, which, which)) {
          return [j, k];
        }
      }
    }
    return undefined;
  }

  /** Whether no value can match both schemas, as far as types, values and required consts show. */
  private disjoint(
    a: JsonSchema,
    b: JsonSchema,
    aSide: Which = "new",
    bSide: Which = "new",
  ): boolean {
    if (a === false || b === false) return true;
    if (!isObj(a) || !isObj(b)) return false;
    const at = effectiveTypes(a);
    const bt = effectiveTypes(b);
    if (at && bt && !typesOverlap(at, bt)) return true;
    const av = enumValues(a);
    const bv = enumValues(b);
    if (av && bv) {
      const bs = new Set(bv.map(canonicalJson));
      if (!av.some((v) => bs.has(canonicalJson(v)))) return true;
    }
    const ap = isObj(a.properties) ? a.properties : {};
    const bp = isObj(b.properties) ? b.properties : {};
    const ar = new Set(stringList(a.required));
    const br = new Set(stringList(b.required));
    for (const name of Object.keys(ap)) {
      if (!Object.hasOwn(bp, name) || !ar.has(name) || !br.has(name)) continue;
      const x = this.resolve(
        aSide,
        { node: ap[name] as JsonSchema, ptr: "", loc: undefined },
        "",
      ).node;
      const y = this.resolve(
        bSide,
        { node: bp[name] as JsonSchema, ptr: "", loc: undefined },
        "",
      ).node;
      if (isObj(x) && isObj(y)) {
        const xv = enumValues(x);
        const yv = enumValues(y);
        if (xv && yv) {
          const ys = new Set(yv.map(canonicalJson));
          if (!xv.some((v) => ys.has(canonicalJson(v)))) return true;
        }
        const xt = effectiveTypes(x);
        const yt = effectiveTypes(y);
        if (xt && yt && !typesOverlap(xt, yt)) return true;
      }
    }
    return false;
  }

  private compareCombinators(o: Side, n: Side, oNode: Obj, nNode: Obj, path: string): void {
    for (const kind of ["allOf", "anyOf", "oneOf"] as const) {
      const oList = oNode[kind];
      const nList = nNode[kind];
      if (oList === undefined && nList === undefined) continue;
      const at = `${path}/${kind}`;
      if (oList === undefined) {
        this.emit("combinator-added", at, `${kind} added`, "new", n, `/${kind}`);
        continue;
      }
      if (nList === undefined) {
        this.emit("combinator-removed", at, `${kind} removed`, "new", n);
        continue;
      }
      const oBranches = this.branchesOf("old", o, oNode, kind, path);
      const nBranches = this.branchesOf("new", n, nNode, kind, path);
      if (kind === "allOf") this.pairProductBranches(oBranches, nBranches, path);
      else this.pairSumBranches(n, oBranches, nBranches, kind, kind, path);
    }
  }

  private pairProductBranches(oBranches: Side[], nBranches: Side[], path: string): void {
    const usedOld = new Set<number>();
    nBranches.forEach((nb, j) => {
      const at = `${path}/allOf/${j}`;
      let best = -1;
      oBranches.forEach((ob, i) => {
        if (best >= 0) return;
        if (this.relation(ob, nb).bw) best = i;
      });
      if (best < 0 && oBranches.length === nBranches.length) best = j;
      if (best < 0) {
        this.emit("product-branch-added", at, `allOf branch ${j} added`, "new", nb);
        return;
      }
      usedOld.add(best);
      this.compare(oBranches[best] as Side, nb, at);
    });
    oBranches.forEach((ob, i) => {
      if (usedOld.has(i)) return;
      this.emit(
        "product-branch-removed",
        `${path}/allOf/${i}`,
        `allOf branch ${i} removed`,
        "old",
        ob,
      );
    });
  }

  private compareNot(o: Side, n: Side, oNode: Obj, nNode: Obj, path: string): void {
    if (oNode.not === undefined && nNode.not === undefined) return;
    const at = `${path}/not`;
    if (oNode.not === undefined) {
      this.emit("not-added", at, "a `not` constraint was added", "new", n, "/not");
      return;
    }
    if (nNode.not === undefined) {
      this.emit("not-removed", at, "the `not` constraint was removed", "new", n);
      return;
    }
    const oNot = this.child("old", o, oNode.not as JsonSchema, "/not", at);
    const nNot = this.child("new", n, nNode.not as JsonSchema, "/not", at);
    // old ⊆ new  ⇔  new.not ⊆ old.not: compare the `not` schemas with the roles swapped.
    const swapped = this.relationSwapped(nNot, oNot);
    if (swapped.bw && swapped.fw) return;
    const rule = swapped.bw ? "not-narrowed" : swapped.fw ? "not-extended" : "not-changed";
    const text =
      rule === "not-narrowed"
        ? "the `not` schema excludes less"
        : rule === "not-extended"
          ? "the `not` schema excludes more"
          : "the `not` schema changed";
    this.emit(rule, at, text, "new", nNot);
  }

  /** Relation where `a` lives in the new root and `b` in the old one. */
  private relationSwapped(a: Side, b: Side): Relation {
    const swappedCtx: Context = {
      ...this.ctx,
      roots: { old: this.ctx.roots.new, new: this.ctx.roots.old },
      positions: { old: this.ctx.positions.new, new: this.ctx.positions.old },
      normCache: { old: this.ctx.normCache.new, new: this.ctx.normCache.old },
      relations: new Map(),
      active: new Map(),
      provisional: new Map(),
      breaks: new Map(),
    };
    const sub = new SchemaDiffer(swappedCtx, true);
    sub.compare(a, b, "");
    return {
      bw: !sub.changes.some((c) => c.backward === "breaking"),
      fw: !sub.changes.some((c) => c.forward === "breaking"),
    };
  }

  private compareRest(o: Side, n: Side, oNode: Obj, nNode: Obj, path: string): void {
    if (oNode.if !== undefined && nNode.if !== undefined && sameValue(oNode.if, nNode.if)) {
      // Same condition: (if ∧ then) ∨ (¬if ∧ else) grows or shrinks with `then` and `else`.
      for (const key of ["then", "else"]) {
        if (oNode[key] === undefined && nNode[key] === undefined) continue;
        const at = `${path}/${key}`;
        this.compare(
          this.optChild("old", o, oNode[key], `/${key}`, at),
          this.optChild("new", n, nNode[key], `/${key}`, at),
          at,
        );
      }
    } else if (oNode.if !== undefined || nNode.if !== undefined) {
      this.emit(
        "conditional-changed",
        `${path}/if`,
        "if/then/else changed",
        "new",
        n,
        "/if",
        "/then",
        "/else",
      );
    }
    const keys = new Set([...Object.keys(oNode), ...Object.keys(nNode)]);
    for (const key of [...keys].sort()) {
      if (KNOWN.has(key) || isAnnotation(key)) continue;
      if (sameValue(oNode[key], nNode[key])) continue;
      this.emit(
        "keyword-changed",
        `${path}/${escapeSegment(key)}`,
        `keyword "${key}" changed; its effect cannot be checked`,
        "new",
        n,
        `/${escapeSegment(key)}`,
      );
    }
  }
}

interface SumInfo {
  readonly kind: "anyOf" | "oneOf";
}

/** A node whose only constraint is one `anyOf` or `oneOf`. */
function pureSum(node: Obj): SumInfo | undefined {
  const keys = Object.keys(node).filter((k) => !isAnnotation(k));
  if (keys.length !== 1) return undefined;
  const key = keys[0];
  if ((key === "anyOf" || key === "oneOf") && Array.isArray(node[key])) return { kind: key };
  return undefined;
}

function isTrivial(node: JsonSchema): boolean {
  if (node === true) return true;
  if (!isObj(node)) return false;
  return Object.keys(node).every((k) => isAnnotation(k));
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function listValues(values: readonly unknown[]): string {
  return values
    .map((v) => (typeof v === "string" && v.startsWith('"') ? v : JSON.stringify(v)))
    .join(", ");
}

function dedupe(list: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const item of list) {
    const key = canonicalJson(withoutAnnotations(item));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}

function tupleOf(node: Obj): {
  prefix: readonly unknown[];
  prefixKey: string | undefined;
  rest: unknown;
  restKey: string;
} {
  if (Array.isArray(node.prefixItems)) {
    return {
      prefix: node.prefixItems,
      prefixKey: "prefixItems",
      rest: node.items,
      restKey: "items",
    };
  }
  if (Array.isArray(node.items)) {
    return {
      prefix: node.items,
      prefixKey: "items",
      rest: node.additionalItems,
      restKey: "additionalItems",
    };
  }
  if (node.items === undefined && node.additionalItems !== undefined) {
    // Ignored by the letter of draft 7, but applied to every item by the registry world; the
    // stricter reading cannot hide a break.
    return {
      prefix: [],
      prefixKey: undefined,
      rest: node.additionalItems,
      restKey: "additionalItems",
    };
  }
  return { prefix: [], prefixKey: undefined, rest: node.items, restKey: "items" };
}

function refWithSiblings(node: Obj, target: unknown): JsonSchema {
  const { $ref: _ref, ...rest } = node;
  return { allOf: [target, rest] };
}

const LOWER_KEYS = new Set(BOUND_KEYWORDS.filter((b) => b.lower).map((b) => b.keyword));
const UPPER_KEYS = new Set(BOUND_KEYWORDS.filter((b) => !b.lower).map((b) => b.keyword));
const OBJECT_SHAPE = [
  "properties",
  "additionalProperties",
  "patternProperties",
  "unevaluatedProperties",
];

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

function newContext(
  oldSchema: JsonSchema,
  newSchema: JsonSchema,
  options: SchemaDiffOptions,
): Context {
  return {
    roots: { old: oldSchema, new: newSchema },
    positions: { old: options.oldPositions, new: options.newPositions },
    ids: new WeakMap(),
    nextId: 1,
    normCache: { old: new WeakMap(), new: new WeakMap() },
    relations: new Map(),
    active: new Map(),
    plain: new WeakMap(),
    provisional: new Map(),
    breaks: new Map(),
  };
}

/**
 * Every difference between two schemas, each with its rule id and verdict per direction.
 * Schemas may contain local `$ref`s (resolved within each schema) and cycles.
 */
export function diffSchemas(
  oldSchema: JsonSchema,
  newSchema: JsonSchema,
  options: SchemaDiffOptions = {},
): SchemaChange[] {
  const ctx = newContext(oldSchema, newSchema, options);
  const differ = new SchemaDiffer(ctx, false);
  const base = options.basePath ?? "";
  differ.compare(differ.root("old", base), differ.root("new", base), base);
  return differ.changes;
}
