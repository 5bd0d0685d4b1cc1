import { B, C, schemaRule } from "../../rule.js";
import type { Check } from "./check.js";
import { compareStringKeyword } from "./string-keyword.js";

/**
 * `format`: an annotation in JSON Schema, but most readers assert it, so by default a change
 * breaks like any constraint; the `format` setting makes it a warning or ignores it.
 */

export const rules = [
  schemaRule({
    id: "format-added",
    purpose: "A `format` was added (an assertion here; see the `format` setting).",
    annotation: true,
    backward: B,
    forward: C,
    mirror: "format-removed",
    fix: "drop the `format`, or set `format: warn` in .jetcontract-diff.yaml if readers do not assert formats",
  }),
  schemaRule({
    id: "format-removed",
    purpose: "The `format` was removed.",
    annotation: true,
    backward: C,
    forward: B,
    mirror: "format-added",
    fix: "keep the `format`, or set `format: warn` if readers do not assert formats",
  }),
  schemaRule({
    id: "format-changed",
    purpose: "The `format` changed.",
    annotation: true,
    backward: B,
    forward: B,
    mirror: "format-changed",
    fix: "keep the old `format`, or set `format: warn` if readers do not assert formats",
  }),
] as const;

export const format: Check = {
  keywords: ["format"],
  compare(walk, pair) {
    if (pair.applies(["string"])) compareStringKeyword(walk, pair, "format", "format");
  },
};
