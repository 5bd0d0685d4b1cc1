import { B, C, schemaRule } from "../../rule.js";
import type { Check } from "./check.js";

/** `uniqueItems: true`. */

export const rules = [
  schemaRule({
    id: "unique-items-added",
    purpose: "`uniqueItems: true` was added.",
    backward: B,
    forward: C,
    mirror: "unique-items-removed",
    fix: "drop `uniqueItems` (old data may repeat items)",
  }),
  schemaRule({
    id: "unique-items-removed",
    purpose: "`uniqueItems: true` was removed.",
    backward: C,
    forward: B,
    mirror: "unique-items-added",
    fix: "keep `uniqueItems` until old readers are upgraded",
  }),
] as const;

export const uniqueItems: Check = {
  keywords: ["uniqueItems"],
  compare(walk, { n, oNode, nNode, path, applies }) {
    if (!applies(["array"])) return;
    const ou = oNode.uniqueItems === true;
    const nu = nNode.uniqueItems === true;
    if (!ou && nu) {
      walk.emit(
        "unique-items-added",
        `${path}/uniqueItems`,
        "items must now be unique",
        "new",
        n,
        "/uniqueItems",
      );
    } else if (ou && !nu) {
      walk.emit(
        "unique-items-removed",
        `${path}/uniqueItems`,
        "items no longer need to be unique",
        "new",
        n,
        "/uniqueItems",
      );
    }
  },
};
