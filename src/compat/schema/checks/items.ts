import type { JsonSchema } from "../../../model/types.js";
import { B, C, schemaRule } from "../../rule.js";
import type { Obj } from "../json.js";
import type { Check } from "./check.js";
import { compareUnmatched } from "./unmatched.js";

/**
 * Array items: tuple positions (`prefixItems`, or draft-7 array `items`) position by
 * position, a position on one side only against the other side's schema for extra items, then
 * the schema for extra items (`items` / `additionalItems`) and `unevaluatedItems`.
 */

export const rules = [
  schemaRule({
    id: "item-added-to-open-tuple",
    purpose: "A tuple position was added where any extra item was allowed.",
    backward: B,
    forward: C,
    mirror: "item-removed-from-open-tuple",
    fix: "give the new position the schema extra items had (or none)",
  }),
  schemaRule({
    id: "item-added-to-closed-tuple",
    purpose: "A tuple position was added where extra items were forbidden.",
    backward: C,
    forward: B,
    mirror: "item-removed-from-closed-tuple",
    fix: "upgrade readers first, or keep the tuple as it was",
  }),
  schemaRule({
    id: "item-added-to-partially-open-tuple",
    purpose:
      "A tuple position was added where extra items had a schema (compared with that schema).",
    backward: C,
    forward: C,
    mirror: "item-removed-to-partially-open-tuple",
  }),
  schemaRule({
    id: "item-removed-from-open-tuple",
    purpose: "A tuple position was removed; extra items are allowed, so old data still passes.",
    backward: C,
    forward: B,
    mirror: "item-added-to-open-tuple",
    fix: "keep the position, or make extra items match what it accepted",
  }),
  schemaRule({
    id: "item-removed-from-closed-tuple",
    purpose: "A tuple position was removed and extra items are forbidden.",
    backward: B,
    forward: C,
    mirror: "item-added-to-closed-tuple",
    fix: "keep the position, or allow extra items that match what it accepted",
  }),
  schemaRule({
    id: "item-removed-to-partially-open-tuple",
    purpose:
      "A tuple position was removed; extra items have a schema (compared with the old item).",
    backward: C,
    forward: C,
    mirror: "item-added-to-partially-open-tuple",
  }),
] as const;

/** A node's tuple positions and the schema for the items after them, with their keywords. */
function tupleOf(node: Obj): {
  prefix: readonly unknown[];
  prefixKey: string | undefined;
  rest: unknown;
  restKey: string;
} {
  if (Array.isArray(node.prefixItems)) {
    return {
      prefix: node.prefixItems,
      prefixKey: "prefixItems",
      rest: node.items,
      restKey: "items",
    };
  }
  if (Array.isArray(node.items)) {
    return {
      prefix: node.items,
      prefixKey: "items",
      rest: node.additionalItems,
      restKey: "additionalItems",
    };
  }
  if (node.items === undefined && node.additionalItems !== undefined) {
    // Ignored by the letter of draft 7, but applied to every item by the registry world; the
    // stricter reading cannot hide a break.
    return {
      prefix: [],
      prefixKey: undefined,
      rest: node.additionalItems,
      restKey: "additionalItems",
    };
  }
  return { prefix: [], prefixKey: undefined, rest: node.items, restKey: "items" };
}

export const items: Check = {
  keywords: ["items", "prefixItems", "additionalItems", "unevaluatedItems"],
  compare(walk, { o, n, oNode, nNode, path, applies }) {
    if (!applies(["array"])) return;
    const ot = tupleOf(oNode);
    const nt = tupleOf(nNode);
    const count = Math.max(ot.prefix.length, nt.prefix.length);
    for (let i = 0; i < count; i++) {
      const nKey = nt.prefixKey ?? ot.prefixKey ?? "prefixItems";
      const at = `${path}/${nKey}/${i}`;
      if (i < ot.prefix.length && i < nt.prefix.length) {
        walk.compare(
          walk.child("old", o, ot.prefix[i] as JsonSchema, `/${ot.prefixKey}/${i}`, at),
          walk.child("new", n, nt.prefix[i] as JsonSchema, `/${nt.prefixKey}/${i}`, at),
          at,
        );
      } else if (i < nt.prefix.length) {
        compareUnmatched(
          walk,
          walk.child("new", n, nt.prefix[i] as JsonSchema, `/${nt.prefixKey}/${i}`, at),
          "new",
          walk.optChild("old", o, ot.rest, `/${ot.restKey}`, at),
          at,
          {
            closed: [
              "item-added-to-closed-tuple",
              `tuple item ${i} added where extra items were forbidden`,
            ],
            open: [
              "item-added-to-open-tuple",
              `tuple item ${i} added where any extra item was allowed`,
            ],
            partial: [
              "item-added-to-partially-open-tuple",
              `tuple item ${i} added; compared with the schema of extra items before`,
            ],
          },
        );
      } else {
        compareUnmatched(
          walk,
          walk.child("old", o, ot.prefix[i] as JsonSchema, `/${ot.prefixKey}/${i}`, at),
          "old",
          walk.optChild("new", n, nt.rest, `/${nt.restKey}`, at),
          at,
          {
            closed: [
              "item-removed-from-closed-tuple",
              `tuple item ${i} removed and extra items are forbidden`,
            ],
            open: [
              "item-removed-from-open-tuple",
              `tuple item ${i} removed; extra items are allowed`,
            ],
            partial: [
              "item-removed-to-partially-open-tuple",
              `tuple item ${i} removed; compared with the schema of extra items now`,
            ],
          },
        );
      }
    }
    if (ot.rest !== undefined || nt.rest !== undefined) {
      const key = nt.rest !== undefined ? nt.restKey : ot.restKey;
      const at = `${path}/${key}`;
      walk.compare(
        walk.optChild("old", o, ot.rest, `/${ot.restKey}`, at),
        walk.optChild("new", n, nt.rest, `/${nt.restKey}`, at),
        at,
      );
    }
    if (oNode.unevaluatedItems !== undefined || nNode.unevaluatedItems !== undefined) {
      const at = `${path}/unevaluatedItems`;
      walk.compare(
        walk.optChild("old", o, oNode.unevaluatedItems, "/unevaluatedItems", at),
        walk.optChild("new", n, nNode.unevaluatedItems, "/unevaluatedItems", at),
        at,
      );
    }
  },
};
