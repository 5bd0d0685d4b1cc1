import type { JsonSchema } from "../../../model/types.js";
import { escapeSegment } from "../../../spec/pointer.js";
import { B, C, schemaRule } from "../../rule.js";
import { isObj, listValues, type Obj, stringList } from "../json.js";
import type { Check } from "./check.js";

/**
 * `dependentRequired` and `dependentSchemas`, and draft-7 `dependencies` (an array value is a
 * required list, an object a schema). Required lists are compared as sets; schemas as schemas.
 */

export const rules = [
  schemaRule({
    id: "dependent-required-added",
    purpose: "A `dependentRequired` (or array `dependencies`) entry was added.",
    backward: B,
    forward: C,
    mirror: "dependent-required-removed",
    fix: "drop the dependency (old data need not satisfy it)",
  }),
  schemaRule({
    id: "dependent-required-removed",
    purpose: "A `dependentRequired` (or array `dependencies`) entry was removed.",
    backward: C,
    forward: B,
    mirror: "dependent-required-added",
    fix: "keep the dependency until old readers are upgraded",
  }),
  schemaRule({
    id: "dependent-required-extended",
    purpose: "A `dependentRequired` entry now requires more properties.",
    backward: B,
    forward: C,
    mirror: "dependent-required-narrowed",
    fix: "require no more properties than before",
  }),
  schemaRule({
    id: "dependent-required-narrowed",
    purpose: "A `dependentRequired` entry now requires fewer properties.",
    backward: C,
    forward: B,
    mirror: "dependent-required-extended",
    fix: "keep requiring the removed properties until old readers are upgraded",
  }),
  schemaRule({
    id: "dependent-required-changed",
    purpose: "A `dependentRequired` entry requires different properties.",
    backward: B,
    forward: B,
    mirror: "dependent-required-changed",
    fix: "keep the old required properties in the dependency",
  }),
] as const;

const KEYWORDS = ["dependencies", "dependentRequired", "dependentSchemas"];

function split(node: Obj) {
  const required = new Map<string, { list: string[]; key: string }>();
  const schemas = new Map<string, { schema: JsonSchema; key: string }>();
  for (const key of KEYWORDS) {
    const deps = node[key];
    if (!isObj(deps)) continue;
    for (const [name, value] of Object.entries(deps)) {
      if (Array.isArray(value)) required.set(name, { list: stringList(value), key });
      else schemas.set(name, { schema: value as JsonSchema, key });
    }
  }
  return { required, schemas };
}

export const dependencies: Check = {
  keywords: KEYWORDS,
  compare(walk, { o, n, oNode, nNode, path, applies }) {
    if (!applies(["object"])) return;
    const od = split(oNode);
    const nd = split(nNode);
    const reqNames = [...new Set([...od.required.keys(), ...nd.required.keys()])].sort();
    for (const name of reqNames) {
      const ol = od.required.get(name);
      const nl = nd.required.get(name);
      const key = nl?.key ?? ol?.key ?? "dependentRequired";
      const at = `${path}/${key}/${escapeSegment(name)}`;
      if (!ol && nl) {
        walk.emit(
          "dependent-required-added",
          at,
          `when "${name}" is present, ${listValues(nl.list)} are now required`,
          "new",
          n,
          `/${nl.key}/${escapeSegment(name)}`,
        );
      } else if (ol && !nl) {
        walk.emit(
          "dependent-required-removed",
          at,
          `the dependency of ${listValues(ol.list)} on "${name}" was removed`,
          "old",
          o,
          `/${ol.key}/${escapeSegment(name)}`,
        );
      } else if (ol && nl) {
        const os = new Set(ol.list);
        const ns = new Set(nl.list);
        const added = [...ns].filter((x) => !os.has(x));
        const removed = [...os].filter((x) => !ns.has(x));
        if (added.length === 0 && removed.length === 0) continue;
        const rule =
          removed.length === 0
            ? "dependent-required-extended"
            : added.length === 0
              ? "dependent-required-narrowed"
              : "dependent-required-changed";
        walk.emit(
          rule,
          at,
          `properties required with "${name}" changed from ${listValues(ol.list)} to ${listValues(nl.list)}`,
          "new",
          n,
          `/${nl.key}/${escapeSegment(name)}`,
        );
      }
    }
    const schemaNames = [...new Set([...od.schemas.keys(), ...nd.schemas.keys()])].sort();
    for (const name of schemaNames) {
      const os = od.schemas.get(name);
      const ns = nd.schemas.get(name);
      const key = ns?.key ?? os?.key ?? "dependentSchemas";
      const seg = `/${key}/${escapeSegment(name)}`;
      const at = `${path}${seg}`;
      walk.compare(
        os
          ? walk.child("old", o, os.schema, `/${os.key}/${escapeSegment(name)}`, at)
          : { ...o, node: true },
        ns ? walk.child("new", n, ns.schema, seg, at) : { ...n, node: true },
        at,
      );
    }
  },
};
