import { B, C, schemaRule } from "../../rule.js";
import type { SchemaWalk, Side } from "../engine.js";

/**
 * `allOf` branches that normalisation could not merge into their parent: each new branch is
 * paired with an old branch that implies it (or the one at the same position).
 */

export const rules = [
  schemaRule({
    id: "product-branch-added",
    purpose: "An `allOf` branch was added that no old branch implies.",
    backward: B,
    forward: C,
    mirror: "product-branch-removed",
    fix: "drop the new `allOf` branch (old data need not satisfy it)",
  }),
  schemaRule({
    id: "product-branch-removed",
    purpose: "An `allOf` branch was removed.",
    backward: C,
    forward: B,
    mirror: "product-branch-added",
    fix: "keep the `allOf` branch until old readers are upgraded",
  }),
] as const;

export function pairProductBranches(
  walk: SchemaWalk,
  oBranches: Side[],
  nBranches: Side[],
  path: string,
): void {
  const usedOld = new Set<number>();
  nBranches.forEach((nb, j) => {
    const at = `${path}/allOf/${j}`;
    let best = -1;
    oBranches.forEach((ob, i) => {
      if (best >= 0) return;
      if (walk.relation(ob, nb).bw) best = i;
    });
    if (best < 0 && oBranches.length === nBranches.length) best = j;
    if (best < 0) {
      walk.emit("product-branch-added", at, `allOf branch ${j} added`, "new", nb);
      return;
    }
    usedOld.add(best);
    walk.compare(oBranches[best] as Side, nb, at);
  });
  oBranches.forEach((ob, i) => {
    if (usedOld.has(i)) return;
    walk.emit(
      "product-branch-removed",
      `${path}/allOf/${i}`,
      `allOf branch ${i} removed`,
      "old",
      ob,
    );
  });
}
