import { B, C, schemaRule } from "../../rule.js";
import { canonicalJson, listValues } from "../json.js";
import { enumValues } from "../type-sets.js";
import type { Check } from "./check.js";

/** `enum` and `const`, as sets of allowed values. */

export const rules = [
  schemaRule({
    id: "enum-added",
    purpose: "An `enum` or `const` now restricts the values.",
    backward: B,
    forward: C,
    mirror: "enum-removed",
    fix: "drop the `enum`/`const`, or list every value old data uses",
  }),
  schemaRule({
    id: "enum-removed",
    purpose: "The `enum` or `const` restriction was removed.",
    backward: C,
    forward: B,
    mirror: "enum-added",
    fix: "keep the value restriction until old readers are upgraded",
  }),
  schemaRule({
    id: "enum-extended",
    purpose: "Values were added to an `enum` (or a `const` became an `enum`).",
    backward: C,
    forward: B,
    mirror: "enum-narrowed",
    fix: "upgrade readers first (they must accept the new values), or keep the old list",
  }),
  schemaRule({
    id: "enum-narrowed",
    purpose: "Values were removed from an `enum`.",
    backward: B,
    forward: C,
    mirror: "enum-extended",
    fix: "keep the removed values (old data still carries them)",
  }),
  schemaRule({
    id: "enum-changed",
    purpose: "`enum`/`const` values were both added and removed.",
    backward: B,
    forward: B,
    mirror: "enum-changed",
    fix: "add the new values without removing the old ones",
  }),
] as const;

export const enums: Check = {
  keywords: ["enum", "const"],
  compare(walk, { n, oNode, nNode, path }) {
    const oValues = enumValues(oNode);
    const nValues = enumValues(nNode);
    if (!oValues && !nValues) return;
    if (!oValues) {
      walk.emit(
        "enum-added",
        path,
        `values restricted to ${listValues(nValues ?? [])}`,
        "new",
        n,
        "/enum",
        "/const",
      );
      return;
    }
    if (!nValues) {
      walk.emit("enum-removed", path, `value restriction ${listValues(oValues)} removed`, "new", n);
      return;
    }
    const oSet = new Set(oValues.map(canonicalJson));
    const nSet = new Set(nValues.map(canonicalJson));
    const added = [...nSet].filter((v) => !oSet.has(v));
    const removed = [...oSet].filter((v) => !nSet.has(v));
    if (added.length === 0 && removed.length === 0) return;
    const detail = [
      added.length > 0 ? `added ${added.join(", ")}` : "",
      removed.length > 0 ? `removed ${removed.join(", ")}` : "",
    ]
      .filter(Boolean)
      .join("; ");
    const rule =
      removed.length === 0
        ? "enum-extended"
        : added.length === 0
          ? "enum-narrowed"
          : "enum-changed";
    walk.emit(rule, path, `allowed values changed: ${detail}`, "new", n, "/enum", "/const");
  },
};
