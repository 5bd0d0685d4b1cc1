import { escapeSegment } from "../../../spec/pointer.js";
import { B, schemaRule } from "../../rule.js";
import { sameValue } from "../json.js";
import { isAnnotation } from "../keywords.js";
import type { Check } from "./check.js";

/**
 * Every constraint keyword no other check compares (an unknown or vendor keyword, an
 * unresolvable `$ref`): compared as text, and any change is breaking both ways.
 */

export const rules = [
  schemaRule({
    id: "keyword-changed",
    purpose:
      "A validation keyword the checker cannot reason about (or an unresolvable `$ref`) changed.",
    backward: B,
    forward: B,
    mirror: "keyword-changed",
    fix: "keep the keyword as it was (its effect cannot be checked)",
  }),
] as const;

/** The check for the keywords outside `known`. */
export function otherKeywords(known: ReadonlySet<string>): Check {
  return {
    keywords: [],
    compare(walk, { n, oNode, nNode, path }) {
      const keys = new Set([...Object.keys(oNode), ...Object.keys(nNode)]);
      for (const key of [...keys].sort()) {
        if (known.has(key) || isAnnotation(key)) continue;
        if (sameValue(oNode[key], nNode[key])) continue;
        walk.emit(
          "keyword-changed",
          `${path}/${escapeSegment(key)}`,
          `keyword "${key}" changed; its effect cannot be checked`,
          "new",
          n,
          `/${escapeSegment(key)}`,
        );
      }
    },
  };
}
