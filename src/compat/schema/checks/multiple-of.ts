import { B, C, schemaRule } from "../../rule.js";
import type { Check } from "./check.js";

/** `multipleOf`: a new value that divides the old one accepts more. */

export const rules = [
  schemaRule({
    id: "multiple-of-added",
    purpose: "A `multipleOf` constraint was added.",
    backward: B,
    forward: C,
    mirror: "multiple-of-removed",
    fix: "drop the `multipleOf` (old data need not satisfy it)",
  }),
  schemaRule({
    id: "multiple-of-removed",
    purpose: "The `multipleOf` constraint was removed.",
    backward: C,
    forward: B,
    mirror: "multiple-of-added",
    fix: "keep `multipleOf` until old readers are upgraded",
  }),
  schemaRule({
    id: "multiple-of-relaxed",
    purpose: "`multipleOf` changed to a divisor of the old value (e.g. 10 to 2).",
    backward: C,
    forward: B,
    mirror: "multiple-of-tightened",
    fix: "keep the old `multipleOf` until old readers are upgraded",
  }),
  schemaRule({
    id: "multiple-of-tightened",
    purpose: "`multipleOf` changed to a multiple of the old value (e.g. 2 to 10).",
    backward: B,
    forward: C,
    mirror: "multiple-of-relaxed",
    fix: "keep the old `multipleOf` (or a divisor of it)",
  }),
  schemaRule({
    id: "multiple-of-changed",
    purpose: "`multipleOf` changed to a value that neither divides nor is divided by the old one.",
    backward: B,
    forward: B,
    mirror: "multiple-of-changed",
    fix: "use a divisor of the old `multipleOf`",
  }),
] as const;

function isMultiple(value: number, of: number): boolean {
  if (of === 0) return false;
  const ratio = value / of;
  return Math.abs(ratio - Math.round(ratio)) < 1e-9;
}

export const multipleOf: Check = {
  keywords: ["multipleOf"],
  compare(walk, { n, oNode, nNode, path, applies }) {
    if (!applies(["number", "integer"])) return;
    const ov = typeof oNode.multipleOf === "number" ? oNode.multipleOf : undefined;
    const nv = typeof nNode.multipleOf === "number" ? nNode.multipleOf : undefined;
    const at = `${path}/multipleOf`;
    if (ov === nv) return;
    if (ov === undefined) {
      walk.emit("multiple-of-added", at, `multipleOf ${nv} added`, "new", n, "/multipleOf");
    } else if (nv === undefined) {
      walk.emit("multiple-of-removed", at, `multipleOf ${ov} removed`, "new", n);
    } else {
      const rule = isMultiple(ov, nv)
        ? "multiple-of-relaxed"
        : isMultiple(nv, ov)
          ? "multiple-of-tightened"
          : "multiple-of-changed";
      walk.emit(rule, at, `multipleOf changed from ${ov} to ${nv}`, "new", n, "/multipleOf");
    }
  },
};
