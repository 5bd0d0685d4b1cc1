import type { JsonSchema } from "../../../model/types.js";
import { B, C, schemaRule } from "../../rule.js";
import type { Check } from "./check.js";

/**
 * `not`: old ⊆ new exactly when new.not ⊆ old.not, so the relation of the two `not` schemas
 * is read with its directions swapped. (It is computed in the same walk as everything else,
 * so a schema that recurses through `not` meets its own pairs again and terminates.)
 */

export const rules = [
  schemaRule({
    id: "not-added",
    purpose: "A `not` constraint was added.",
    backward: B,
    forward: C,
    mirror: "not-removed",
    fix: "drop the `not` (old data may match it)",
  }),
  schemaRule({
    id: "not-removed",
    purpose: "The `not` constraint was removed.",
    backward: C,
    forward: B,
    mirror: "not-added",
    fix: "keep the `not` until old readers are upgraded",
  }),
  schemaRule({
    id: "not-extended",
    purpose: "The `not` schema excludes more (e.g. `integer` to `number`).",
    backward: B,
    forward: C,
    mirror: "not-narrowed",
    fix: "exclude no more than before",
  }),
  schemaRule({
    id: "not-narrowed",
    purpose: "The `not` schema excludes less.",
    backward: C,
    forward: B,
    mirror: "not-extended",
    fix: "keep the old exclusion until old readers are upgraded",
  }),
  schemaRule({
    id: "not-changed",
    purpose: "The `not` schema changed so that neither version's exclusion includes the other.",
    backward: B,
    forward: B,
    mirror: "not-changed",
    fix: "keep the old `not` schema",
  }),
] as const;

export const not: Check = {
  keywords: ["not"],
  compare(walk, { o, n, oNode, nNode, path }) {
    if (oNode.not === undefined && nNode.not === undefined) return;
    const at = `${path}/not`;
    if (oNode.not === undefined) {
      walk.emit("not-added", at, "a `not` constraint was added", "new", n, "/not");
      return;
    }
    if (nNode.not === undefined) {
      walk.emit("not-removed", at, "the `not` constraint was removed", "new", n);
      return;
    }
    const oNot = walk.child("old", o, oNode.not as JsonSchema, "/not", at);
    const nNot = walk.child("new", n, nNode.not as JsonSchema, "/not", at);
    const inner = walk.relation(oNot, nNot);
    const swapped = { bw: inner.fw, fw: inner.bw };
    if (swapped.bw && swapped.fw) return;
    const rule = swapped.bw ? "not-narrowed" : swapped.fw ? "not-extended" : "not-changed";
    const text =
      rule === "not-narrowed"
        ? "the `not` schema excludes less"
        : rule === "not-extended"
          ? "the `not` schema excludes more"
          : "the `not` schema changed";
    walk.emit(rule, at, text, "new", nNot);
  },
};
