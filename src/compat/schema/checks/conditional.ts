import type { JsonSchema } from "../../../model/types.js";
import { B, schemaRule } from "../../rule.js";
import type { Check } from "./check.js";

/**
 * `if`/`then`/`else`. With the same `if` on both sides the accepted set is
 * `(if ∧ then) ∨ (¬if ∧ else)`, which grows or shrinks with `then` and `else`: those are
 * compared. "The same" means proven to accept the same values, not written the same: the
 * text of an `if` can stay while a definition it refers to changes. A changed `if` is not
 * analysed.
 */

export const rules = [
  schemaRule({
    id: "conditional-changed",
    purpose: "The `if` condition changed, was added or removed (not analysed further).",
    backward: B,
    forward: B,
    mirror: "conditional-changed",
    fix: "keep the old `if` and change only `then`/`else` (those are compared)",
  }),
] as const;

export const conditional: Check = {
  keywords: ["if", "then", "else"],
  compare(walk, { o, n, oNode, nNode, path }) {
    const sameIf =
      oNode.if !== undefined &&
      nNode.if !== undefined &&
      walk.sameValues(
        walk.child("old", o, oNode.if as JsonSchema, "/if", `${path}/if`),
        walk.child("new", n, nNode.if as JsonSchema, "/if", `${path}/if`),
      );
    if (sameIf) {
      for (const key of ["then", "else"]) {
        if (oNode[key] === undefined && nNode[key] === undefined) continue;
        const at = `${path}/${key}`;
        walk.compare(
          walk.optChild("old", o, oNode[key], `/${key}`, at),
          walk.optChild("new", n, nNode[key], `/${key}`, at),
          at,
        );
      }
    } else if (oNode.if !== undefined || nNode.if !== undefined) {
      walk.emit(
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
  },
};
