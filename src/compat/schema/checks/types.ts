import { B, C, schemaRule } from "../../rule.js";
import { describeTypes, effectiveTypes, typesWithin } from "../type-sets.js";
import type { Check } from "./check.js";

/** `type` (with `nullable`), as a set of instance types narrowed by `enum`/`const`. */

export const rules = [
  schemaRule({
    id: "type-added",
    purpose: "A `type` constraint was added where any type was allowed.",
    backward: B,
    forward: C,
    mirror: "type-removed",
    fix: "drop the new `type`, or list every type old data uses",
  }),
  schemaRule({
    id: "type-removed",
    purpose: "The `type` constraint was removed: any type is allowed.",
    backward: C,
    forward: B,
    mirror: "type-added",
    fix: "keep the `type` restriction until old readers are upgraded",
  }),
  schemaRule({
    id: "type-widened",
    purpose: "Types were added (or `integer` became `number`, or `nullable` was set).",
    backward: C,
    forward: B,
    mirror: "type-narrowed",
    fix: "upgrade readers first (they must accept the new types), or keep the old types",
  }),
  schemaRule({
    id: "type-narrowed",
    purpose: "Types were removed (or `number` became `integer`, or `nullable` was unset).",
    backward: B,
    forward: C,
    mirror: "type-widened",
    fix: "keep the removed types (old data still carries them)",
  }),
  schemaRule({
    id: "type-changed",
    purpose: "The type changed so that neither version's types include the other's.",
    backward: B,
    forward: B,
    mirror: "type-changed",
    fix: "keep the old type and add the new one (`type: [old, new]`), then remove the old one later",
  }),
] as const;

export const types: Check = {
  keywords: ["type", "nullable"],
  compare(walk, { n, oNode, nNode, path }) {
    const oTypes = effectiveTypes(oNode);
    const nTypes = effectiveTypes(nNode);
    if (!oTypes && !nTypes) return;
    const from = describeTypes(oTypes);
    const to = describeTypes(nTypes);
    if (!oTypes) {
      walk.emit(
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
      walk.emit("type-removed", path, `type restriction ${from} removed`, "new", n);
      return;
    }
    const bw = typesWithin(oTypes, nTypes);
    const fw = typesWithin(nTypes, oTypes);
    if (bw && fw) return;
    const rule = bw ? "type-widened" : fw ? "type-narrowed" : "type-changed";
    walk.emit(
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
  },
};
