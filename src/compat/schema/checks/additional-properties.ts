import type { JsonSchema } from "../../../model/types.js";
import { escapeSegment } from "../../../spec/pointer.js";
import type { SchemaWalk, Side, Which } from "../engine.js";
import { isObj, type Obj } from "../json.js";
import { regexMatches } from "../regex.js";
import type { Check } from "./check.js";

/**
 * What applies to property names `properties` does not list: `additionalProperties`,
 * `unevaluatedProperties`, `propertyNames` and `patternProperties`, each compared as a schema.
 * Their changes are reported by the rules of the schemas compared.
 */

/** The schema that applies to a property `name` not declared in `properties`. */
export function coverOf(
  walk: SchemaWalk,
  which: Which,
  side: Side,
  node: Obj,
  name: string,
  path: string,
): Side {
  const patterns = isObj(node.patternProperties) ? node.patternProperties : {};
  const matching = Object.keys(patterns).filter((p) => regexMatches(p, name) !== false);
  if (matching.length === 1) {
    const p = matching[0] as string;
    return walk.child(
      which,
      side,
      patterns[p] as JsonSchema,
      `/patternProperties/${escapeSegment(p)}`,
      path,
    );
  }
  if (matching.length > 1) return { ...side, node: { allOf: matching.map((p) => patterns[p]) } };
  return walk.optChild(which, side, node.additionalProperties, "/additionalProperties", path);
}

export const additionalProperties: Check = {
  keywords: ["additionalProperties", "unevaluatedProperties", "propertyNames", "patternProperties"],
  compare(walk, { o, n, oNode, nNode, path, applies }) {
    if (!applies(["object"])) return;
    for (const keyword of ["additionalProperties", "unevaluatedProperties", "propertyNames"]) {
      if (oNode[keyword] === undefined && nNode[keyword] === undefined) continue;
      const at = `${path}/${keyword}`;
      walk.compare(
        walk.optChild("old", o, oNode[keyword], `/${keyword}`, at),
        walk.optChild("new", n, nNode[keyword], `/${keyword}`, at),
        at,
      );
    }

    const oPat = isObj(oNode.patternProperties) ? oNode.patternProperties : {};
    const nPat = isObj(nNode.patternProperties) ? nNode.patternProperties : {};
    for (const p of [...new Set([...Object.keys(oPat), ...Object.keys(nPat)])].sort()) {
      const seg = `/patternProperties/${escapeSegment(p)}`;
      const at = `${path}${seg}`;
      const oSide = Object.hasOwn(oPat, p)
        ? walk.child("old", o, oPat[p] as JsonSchema, seg, at)
        : walk.optChild("old", o, oNode.additionalProperties, "/additionalProperties", at);
      const nSide = Object.hasOwn(nPat, p)
        ? walk.child("new", n, nPat[p] as JsonSchema, seg, at)
        : walk.optChild("new", n, nNode.additionalProperties, "/additionalProperties", at);
      walk.compare(oSide, nSide, at);
    }
  },
};
