import type { JsonSchema } from "../../../model/types.js";
import { B, C, schemaRule } from "../../rule.js";
import type { SchemaWalk, Side, Which } from "../engine.js";
import type { Obj } from "../json.js";
import { constraintKeys } from "../keywords.js";
import { declaredTypes } from "../type-sets.js";
import { disjoint } from "./disjoint.js";

/**
 * Sums: `anyOf` and `oneOf`, and a node listing several types (one branch per type). Each old
 * branch must have a new branch that accepts all it accepted (backward), and each new branch
 * an old one (forward); `oneOf` also needs its branches disjoint.
 */

export const rules = [
  schemaRule({
    id: "sum-branch-added",
    purpose: "An `anyOf`/`oneOf` branch was added (the new schema accepts more).",
    backward: C,
    forward: B,
    mirror: "sum-branch-removed",
    fix: "upgrade readers first, or do not send values of the new branch yet",
  }),
  schemaRule({
    id: "sum-branch-removed",
    purpose: "An `anyOf`/`oneOf` branch was removed, or no new branch accepts all it accepted.",
    backward: B,
    forward: C,
    mirror: "sum-branch-added",
    fix: "keep the branch (old data may match only it)",
  }),
  schemaRule({
    id: "one-of-branches-may-overlap",
    purpose:
      "New `oneOf` branches are not provably disjoint: a value matching two of them is rejected.",
    backward: B,
    forward: C,
    asymmetry: "Concerns only the reader holding the `oneOf`; checked from the new schema's side.",
    fix: "make the branches disjoint (a distinct `const` or `type` per branch), or use `anyOf`",
  }),
  schemaRule({
    id: "old-one-of-branches-may-overlap",
    purpose:
      "The old `oneOf` has branches that are not provably disjoint: a new value matching two is rejected by old readers.",
    backward: C,
    forward: B,
    asymmetry:
      "Concerns only readers of the old `oneOf`; the new side is one-of-branches-may-overlap.",
    fix: "send only values that match exactly one old branch, or upgrade readers first",
  }),
  schemaRule({
    id: "one-of-relaxed-to-any-of",
    purpose: "`oneOf` became `anyOf` over branches that are not provably disjoint.",
    backward: C,
    forward: B,
    asymmetry: "The reverse (`anyOf` to `oneOf`) is reported as one-of-branches-may-overlap.",
    fix: "keep `oneOf`, or make the branches disjoint",
  }),
] as const;

export type SumKind = "anyOf" | "oneOf";

/** The kind of a node whose only constraint is one `anyOf` or `oneOf`. */
export function pureSum(node: Obj): SumKind | undefined {
  const keys = constraintKeys(node);
  if (keys.length !== 1) return undefined;
  const key = keys[0];
  if ((key === "anyOf" || key === "oneOf") && Array.isArray(node[key])) return key;
  return undefined;
}

/** A node that is not a sum, seen as branches: one per type when it lists several types. */
function asBranches(side: Side, node: Obj): Side[] {
  const types = declaredTypes(node);
  const combinators = constraintKeys(node).some(
    (k) => k === "allOf" || k === "anyOf" || k === "oneOf",
  );
  if (!types || types.size < 2 || combinators) return [side];
  return [...types].sort().map((t) => {
    const { nullable: _nullable, ...rest } = node;
    return { ...side, node: { ...rest, type: t } };
  });
}

/** Compares a pair where at least one side is a pure sum. */
export function compareSums(
  walk: SchemaWalk,
  o: Side,
  n: Side,
  oNode: Obj,
  nNode: Obj,
  oKind: SumKind | undefined,
  nKind: SumKind | undefined,
  path: string,
): void {
  const oBranches = oKind ? walk.branchesOf("old", o, oNode, oKind, path) : asBranches(o, oNode);
  const nBranches = nKind ? walk.branchesOf("new", n, nNode, nKind, path) : asBranches(n, nNode);
  pairSumBranches(walk, n, oBranches, nBranches, oKind, nKind, path);
}

/** Pairs old and new branches of a sum and reports what has no counterpart. */
export function pairSumBranches(
  walk: SchemaWalk,
  n: Side,
  oBranches: Side[],
  nBranches: Side[],
  oKind: SumKind | undefined,
  nKind: SumKind | undefined,
  path: string,
): void {
  const exact = new Set<number>();
  const branchPath = (kind: string | undefined, i: number) =>
    kind ? `${path}/${kind}/${i}` : path;
  // Forward holds for a new branch when some old branch accepts all it accepts.
  const fwMatch = nBranches.map((nb) => oBranches.some((ob) => walk.relation(ob, nb).fw));
  const fwExplained = new Set<number>();
  const breaksIn = (from: number, direction: "backward" | "forward") =>
    walk.changes.slice(from).some((c) => c[direction] === "breaking");
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
      const r = walk.relation(ob, nBranches[j] as Side);
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
        const before = walk.changes.length;
        walk.compare(ob, nBranches[best] as Side, branchPath(nKind, best));
        if (breaksIn(before, "forward")) fwExplained.add(best);
      }
      return;
    }
    const oResolved = walk.resolve("old", ob, path).node;
    const candidates = nBranches
      .map((nb, j) => ({ nb, j }))
      .filter(({ nb }) => !disjoint(walk, oResolved, walk.resolve("new", nb, path).node, "old"));
    const fallback = candidates.length === 1 ? (candidates[0]?.j ?? -1) : -1;
    if (fallback >= 0 && !fwMatch[fallback]) {
      // The old branch has no container, and its closest new branch none either: show why.
      const before = walk.changes.length;
      walk.compare(ob, nBranches[fallback] as Side, branchPath(nKind, fallback));
      if (breaksIn(before, "forward")) fwExplained.add(fallback);
      if (breaksIn(before, "backward")) return;
    }
    walk.emit(
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
    walk.emit(
      "sum-branch-added",
      branchPath(nKind, j),
      nKind ? `${nKind} branch ${j} added` : "the schema now accepts another alternative",
      "new",
      nb,
    );
  });
  if (nKind === "oneOf" && nBranches.length > 1) {
    const unchanged =
      oKind === "oneOf" && exact.size === nBranches.length && oBranches.length === nBranches.length;
    if (!unchanged) {
      const overlapping = firstOverlap(
        walk,
        nBranches,
        path,
        (j, k) => !exact.has(j) || !exact.has(k) || oKind !== "oneOf",
      );
      if (overlapping) {
        walk.emit(
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
      nKind === "oneOf" && exact.size === nBranches.length && oBranches.length === nBranches.length;
    const overlapping = unchanged
      ? undefined
      : firstOverlap(walk, oBranches, path, () => true, "old");
    if (overlapping) {
      walk.emit(
        "old-one-of-branches-may-overlap",
        path,
        `old oneOf branches ${overlapping[0]} and ${overlapping[1]} are not provably disjoint: a new value matching both is rejected by old readers`,
        "new",
        n,
      );
    }
  }
  if (oKind === "oneOf" && nKind === "anyOf" && nBranches.length > 1) {
    if (firstOverlap(walk, nBranches, path, () => true)) {
      walk.emit(
        "one-of-relaxed-to-any-of",
        path,
        "oneOf became anyOf: values matching several branches are now accepted",
        "new",
        n,
      );
    }
  }
}

/** The first two branches not provably disjoint, among the pairs `consider` accepts. */
function firstOverlap(
  walk: SchemaWalk,
  branches: Side[],
  path: string,
  consider: (j: number, k: number) => boolean,
  which: Which = "new",
): [number, number] | undefined {
  const nodes = branches.map((b) => walk.resolve(which, b, path).node);
  for (let j = 0; j < nodes.length; j++) {
    for (let k = j + 1; k < nodes.length; k++) {
      if (!consider(j, k)) continue;
      if (!disjoint(walk, nodes[j] as JsonSchema, nodes[k] as JsonSchema, which, which)) {
        return [j, k];
      }
    }
  }
  return undefined;
}
