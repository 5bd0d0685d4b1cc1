import { B, C, schemaRule } from "../../rule.js";
import type { Check } from "./check.js";
import { compareStringKeyword } from "./string-keyword.js";

/**
 * `pattern`. Inclusion between regular expressions is not proven: any change is breaking both
 * ways, except a pattern that matches every string, which normalisation drops.
 */

export const rules = [
  schemaRule({
    id: "pattern-added",
    purpose: "A `pattern` was added.",
    backward: B,
    forward: C,
    mirror: "pattern-removed",
    fix: "drop the `pattern`, or make sure it matches every value old data uses",
  }),
  schemaRule({
    id: "pattern-removed",
    purpose: "The `pattern` was removed.",
    backward: C,
    forward: B,
    mirror: "pattern-added",
    fix: "keep the `pattern` until old readers are upgraded",
  }),
  schemaRule({
    id: "pattern-changed",
    purpose: "The `pattern` changed (regular-expression inclusion cannot be proven).",
    backward: B,
    forward: B,
    mirror: "pattern-changed",
    fix: "keep the old `pattern` (inclusion between regular expressions is not proven)",
  }),
] as const;

export const pattern: Check = {
  keywords: ["pattern"],
  compare(walk, pair) {
    if (pair.applies(["string"])) compareStringKeyword(walk, pair, "pattern", "pattern");
  },
};
