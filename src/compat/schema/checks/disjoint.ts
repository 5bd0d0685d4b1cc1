import type { JsonSchema } from "../../../model/types.js";
import type { SchemaWalk, Which } from "../engine.js";
import { canonicalJson, isObj, stringList } from "../json.js";
import { effectiveTypes, enumValues, typesOverlap } from "../type-sets.js";

/**
 * Whether no value can match both schemas, as far as types, values and required properties
 * with disjoint `const`/`enum`/type show. False means "not proven", never "they overlap".
 */
export function disjoint(
  walk: SchemaWalk,
  a: JsonSchema,
  b: JsonSchema,
  aSide: Which = "new",
  bSide: Which = "new",
): boolean {
  if (a === false || b === false) return true;
  if (!isObj(a) || !isObj(b)) return false;
  const at = effectiveTypes(a);
  const bt = effectiveTypes(b);
  if (at && bt && !typesOverlap(at, bt)) return true;
  const av = enumValues(a);
  const bv = enumValues(b);
  if (av && bv) {
    const bs = new Set(bv.map(canonicalJson));
    if (!av.some((v) => bs.has(canonicalJson(v)))) return true;
  }
  const ap = isObj(a.properties) ? a.properties : {};
  const bp = isObj(b.properties) ? b.properties : {};
  const ar = new Set(stringList(a.required));
  const br = new Set(stringList(b.required));
  for (const name of Object.keys(ap)) {
    if (!Object.hasOwn(bp, name) || !ar.has(name) || !br.has(name)) continue;
    const x = walk.resolve(
      aSide,
      { node: ap[name] as JsonSchema, ptr: "", loc: undefined },
      "",
    ).node;
    const y = walk.resolve(
      bSide,
      { node: bp[name] as JsonSchema, ptr: "", loc: undefined },
      "",
    ).node;
    if (isObj(x) && isObj(y)) {
      const xv = enumValues(x);
      const yv = enumValues(y);
      if (xv && yv) {
        const ys = new Set(yv.map(canonicalJson));
        if (!xv.some((v) => ys.has(canonicalJson(v)))) return true;
      }
      const xt = effectiveTypes(x);
      const yt = effectiveTypes(y);
      if (xt && yt && !typesOverlap(xt, yt)) return true;
    }
  }
  return false;
}
