import type { JsonSchema, SourceLocation } from "../../model/types.js";
import { type RuleId, ruleById } from "../rules.js";
import type { SchemaChange } from "../types.js";
import { compareFalse } from "./checks/false-schema.js";
import { CHECKS } from "./checks/index.js";
import { compareLoops } from "./checks/self-reference.js";
import { compareSums, pureSum } from "./checks/sums.js";
import { canonicalJson, isObj, type Obj, withoutAnnotations } from "./json.js";
import { constraintKeys } from "./keywords.js";
import { isLoopRef, withoutLoopBranches } from "./loops.js";
import { simplify } from "./normalise.js";
import { lookupPointer, refWithSiblings, safeDecode } from "./refs.js";
import { effectiveTypes, typesOverlap } from "./type-sets.js";

/**
 * The walk: both schemas are compared together, node pair by node pair. `$ref`s are followed
 * inside each side's own root and exact rewrites applied (`normalise.ts`) before a pair is
 * compared; each keyword family then compares its keywords (`checks/`). Pairs are memoised,
 * so recursive schemas terminate: a pair met again while it is being compared is assumed
 * compatible (the greatest fixed point), and results that leaned on such an assumption are
 * kept only while it is open.
 */

/** Looks up the source position of a node by its JSON pointer from the schema root. */
export type PositionLookup = (pointer: string) => SourceLocation | undefined;

export type Which = "old" | "new";

/** A schema node on one side, with where it is. */
export interface Side {
  readonly node: JsonSchema;
  /** Pointer of the node in its own document (follows `$ref` targets). */
  readonly ptr: string;
  readonly loc: SourceLocation | undefined;
}

/** Whether old ⊆ new (`bw`) and new ⊆ old (`fw`). */
export interface Relation {
  readonly bw: boolean;
  readonly fw: boolean;
}

/** A resolved pair handed to each check. */
export interface Pair {
  readonly o: Side;
  readonly n: Side;
  /** The nodes as objects (`true` reads as `{}`). */
  readonly oNode: Obj;
  readonly nNode: Obj;
  readonly path: string;
  /** Whether keywords for these instance types can matter: either side may accept one. */
  applies(types: readonly string[]): boolean;
}

/** State shared by every walk over one pair of roots. */
export interface Context {
  readonly roots: Record<Which, JsonSchema>;
  readonly positions: Record<Which, PositionLookup | undefined>;
  readonly ids: WeakMap<object, number>;
  nextId: number;
  readonly normCache: Record<Which, WeakMap<object, JsonSchema>>;
  /** Nodes with their self-referencing branches read away (`loops.ts`). */
  readonly loopCache: Record<Which, WeakMap<object, JsonSchema>>;
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

export function newContext(
  roots: Record<Which, JsonSchema>,
  positions: Record<Which, PositionLookup | undefined>,
): Context {
  return {
    roots,
    positions,
    ids: new WeakMap(),
    nextId: 1,
    normCache: { old: new WeakMap(), new: new WeakMap() },
    loopCache: { old: new WeakMap(), new: new WeakMap() },
    relations: new Map(),
    active: new Map(),
    plain: new WeakMap(),
    provisional: new Map(),
    breaks: new Map(),
  };
}

/** Parses `file:line:col` (the model's `x-jc-at`). */
function parseAt(at: string, pointer: string): SourceLocation | undefined {
  const match = /^(.*):(\d+):(\d+)$/.exec(at);
  if (!match?.[1] || !match[2] || !match[3]) return undefined;
  return { file: match[1], line: Number(match[2]), column: Number(match[3]), pointer };
}

/** Walks two schemas and collects changes. */
export class SchemaWalk {
  readonly changes: SchemaChange[] = [];
  private readonly done = new Set<string>();
  /** Stack depth at which this (silent) walk started. */
  private base = 0;
  /** Lowest stack depth outside this walk whose pair this walk assumed compatible. */
  private anchor = Number.POSITIVE_INFINITY;

  /** `silent` walks answer a relation; their changes are never reported. */
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

  /** A subschema of `parent` at `segments` (a pointer suffix such as `/properties/a`). */
  child(which: Which, parent: Side, node: JsonSchema, segments: string, path: string): Side {
    const ptr = `${parent.ptr}${segments}`;
    return { node, ptr, loc: this.locOf(which, node, ptr, parent.loc, path) };
  }

  /** Like `child`, for an optional keyword: an absent one accepts everything. */
  optChild(which: Which, parent: Side, node: unknown, seg: string, path: string): Side {
    if (node === undefined) return { node: true, ptr: parent.ptr, loc: parent.loc };
    return this.child(which, parent, node as JsonSchema, seg, path);
  }

  /** The branches of a combinator keyword (`allOf`, `anyOf`, `oneOf`) of a node. */
  branchesOf(which: Which, side: Side, node: Obj, kind: string, path: string): Side[] {
    const list = node[kind];
    if (!Array.isArray(list)) return [];
    return list.map((b, i) => this.child(which, side, b as JsonSchema, `/${kind}/${i}`, path));
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
  emit(
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
    return this.resolveLoops(which, side, path).side;
  }

  /**
   * `resolve`, also telling whether a self-reference with nothing in between was read away on
   * the way (`loops.ts`): such a node is a different question from the same node without one.
   */
  private resolveLoops(which: Which, side: Side, path: string): { side: Side; loop: boolean } {
    const root = this.ctx.roots[which];
    const cache = this.ctx.normCache[which];
    let current = side;
    let loop = false;
    for (let i = 0; i < 64; i++) {
      const node = current.node;
      if (!isObj(node)) break;
      if (typeof node.$ref === "string") {
        const siblings = constraintKeys(node).filter((k) => k !== "$ref");
        if (isLoopRef(root, node)) {
          // Adds nothing: the siblings alone, or (with none) nothing to follow.
          loop = true;
          if (siblings.length === 0) break;
          current = {
            ...current,
            node: this.cached(cache, node, () => {
              const { $ref: _ref, ...rest } = node;
              return rest;
            }),
          };
          continue;
        }
        const target = lookupPointer(root, node.$ref);
        if (target === undefined || (typeof target !== "boolean" && !isObj(target))) break;
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
          node: this.cached(cache, node, () => refWithSiblings(node, target)),
        };
        continue;
      }
      const cut = this.cached(this.ctx.loopCache[which], node, () =>
        withoutLoopBranches(node, root),
      );
      const next = cut !== node ? cut : this.cached(cache, node, () => simplify(node, root));
      if (next === node) break;
      if (cut !== node) loop = true;
      current = {
        node: next,
        ptr: current.ptr,
        loc: this.locOf(which, next, current.ptr, current.loc, path),
      };
    }
    return { side: current, loop };
  }

  /** The memo key of a resolved pair. */
  private keyOf(o: { side: Side; loop: boolean }, n: { side: Side; loop: boolean }): string {
    return `${this.id(o.side.node)}${o.loop ? "~" : ""}|${this.id(n.side.node)}${n.loop ? "~" : ""}`;
  }

  private cached(
    cache: WeakMap<object, JsonSchema>,
    node: Obj,
    make: () => JsonSchema,
  ): JsonSchema {
    const hit = cache.get(node);
    if (hit !== undefined) return hit;
    const made = make();
    cache.set(node, made);
    return made;
  }

  /** Whether old ⊆ new (`bw`) and new ⊆ old (`fw`), without reporting. */
  relation(oIn: Side, nIn: Side): Relation {
    const key = this.keyOf(this.resolveLoops("old", oIn, ""), this.resolveLoops("new", nIn, ""));
    const hit = this.known(key);
    if (hit) return hit;
    const sub = new SchemaWalk(this.ctx, true);
    sub.base = this.ctx.active.size;
    sub.compare(oIn, nIn, "");
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

  /** Whether two subschemas are proven to accept the same values (inclusion both ways). */
  sameValues(o: Side, n: Side): boolean {
    const r = this.relation(o, n);
    return r.bw && r.fw;
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

  /** Compares two subschemas at `path`, once per resolved pair. */
  compare(oIn: Side, nIn: Side, path: string): void {
    const oR = this.resolveLoops("old", oIn, path);
    const nR = this.resolveLoops("new", nIn, path);
    const o = oR.side;
    const n = nR.side;
    if (oR.loop === nR.loop && this.identical(o.node, n.node)) return;
    const key = this.keyOf(oR, nR);
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
      this.compareResolved(o, n, { old: oR.loop, new: nR.loop }, path);
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

  private compareResolved(
    o: Side,
    n: Side,
    loops: { readonly old: boolean; readonly new: boolean },
    path: string,
  ): void {
    compareLoops(this, o, n, loops, path);
    if (compareFalse(this, o, n, path)) return;
    const oNode: Obj = isObj(o.node) ? o.node : {};
    const nNode: Obj = isObj(n.node) ? n.node : {};
    const oSum = pureSum(oNode);
    const nSum = pureSum(nNode);
    if (oSum || nSum) {
      compareSums(this, o, n, oNode, nNode, oSum, nSum, path);
      return;
    }
    const oTypes = effectiveTypes(oNode);
    const nTypes = effectiveTypes(nNode);
    const pair: Pair = {
      o,
      n,
      oNode,
      nNode,
      path,
      applies: (types) =>
        types.some(
          (t) =>
            !oTypes ||
            !nTypes ||
            typesOverlap(new Set([t]), oTypes) ||
            typesOverlap(new Set([t]), nTypes),
        ),
    };
    for (const check of CHECKS) check.compare(this, pair);
  }
}
