import { B, C, schemaRule } from "../../rule.js";
import { pairProductBranches } from "./all-of.js";
import type { Check } from "./check.js";
import { pairSumBranches } from "./sums.js";

/**
 * `allOf`, `anyOf`, `oneOf` beside other keywords (a node that is only a sum is compared as a
 * sum by the walk): added or removed, or their branches paired.
 */

export const rules = [
  schemaRule({
    id: "combinator-added",
    purpose: "An `allOf` whose branches do not merge into their parent was added.",
    backward: B,
    forward: C,
    mirror: "combinator-removed",
    fix: "drop the new `allOf` (old data need not satisfy it)",
  }),
  schemaRule({
    id: "combinator-removed",
    purpose: "An `allOf` whose branches do not merge into their parent was removed.",
    backward: C,
    forward: B,
    mirror: "combinator-added",
    fix: "keep the `allOf` until old readers are upgraded",
  }),
] as const;

export const combinators: Check = {
  keywords: ["allOf", "anyOf", "oneOf"],
  compare(walk, { o, n, oNode, nNode, path }) {
    for (const kind of ["allOf", "anyOf", "oneOf"] as const) {
      const oList = oNode[kind];
      const nList = nNode[kind];
      if (oList === undefined && nList === undefined) continue;
      const at = `${path}/${kind}`;
      if (oList === undefined) {
        walk.emit("combinator-added", at, `${kind} added`, "new", n, `/${kind}`);
        continue;
      }
      if (nList === undefined) {
        walk.emit("combinator-removed", at, `${kind} removed`, "new", n);
        continue;
      }
      const oBranches = walk.branchesOf("old", o, oNode, kind, path);
      const nBranches = walk.branchesOf("new", n, nNode, kind, path);
      if (kind === "allOf") pairProductBranches(walk, oBranches, nBranches, path);
      else pairSumBranches(walk, n, oBranches, nBranches, kind, kind, path);
    }
  },
};
