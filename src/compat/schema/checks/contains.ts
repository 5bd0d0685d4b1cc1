import type { JsonSchema } from "../../../model/types.js";
import { B, C, schemaRule } from "../../rule.js";
import type { Check } from "./check.js";

/** `contains`: added or removed; on both sides, the two schemas are compared. */

export const rules = [
  schemaRule({
    id: "contains-added",
    purpose: "A `contains` constraint was added.",
    backward: B,
    forward: C,
    mirror: "contains-removed",
    fix: "drop the `contains` constraint (old data need not satisfy it)",
  }),
  schemaRule({
    id: "contains-removed",
    purpose: "The `contains` constraint was removed.",
    backward: C,
    forward: B,
    mirror: "contains-added",
    fix: "keep the `contains` constraint until old readers are upgraded",
  }),
] as const;

export const contains: Check = {
  keywords: ["contains"],
  compare(walk, { o, n, oNode, nNode, path, applies }) {
    if (!applies(["array"])) return;
    const at = `${path}/contains`;
    if (oNode.contains === undefined && nNode.contains !== undefined) {
      walk.emit("contains-added", at, "a `contains` constraint was added", "new", n, "/contains");
    } else if (oNode.contains !== undefined && nNode.contains === undefined) {
      walk.emit("contains-removed", at, "the `contains` constraint was removed", "new", n);
    } else if (oNode.contains !== undefined) {
      walk.compare(
        walk.child("old", o, oNode.contains as JsonSchema, "/contains", at),
        walk.child("new", n, nNode.contains as JsonSchema, "/contains", at),
        at,
      );
    }
  },
};
