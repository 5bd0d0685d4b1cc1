import type { JsonSchema } from "../../../model/types.js";
import { escapeSegment } from "../../../spec/pointer.js";
import { B, C, schemaRule } from "../../rule.js";
import { isObj, stringList } from "../json.js";
import type { Check } from "./check.js";

/** `required`: names added to or removed from the list. */

export const rules = [
  schemaRule({
    id: "required-property-added",
    purpose: "A property became required (and has no `default`).",
    backward: B,
    forward: C,
    mirror: "required-property-removed",
    fix: "make the property optional, or give it a `default`",
  }),
  schemaRule({
    id: "required-property-with-default-added",
    purpose: "A property with a `default` became required (readers fill in the default).",
    backward: C,
    forward: C,
    asymmetry:
      "Schema-registry convention: a reader fills in the default, so it is not a break, although set inclusion alone would say it is.",
  }),
  schemaRule({
    id: "required-property-removed",
    purpose: "A property is no longer required.",
    backward: C,
    forward: B,
    mirror: "required-property-added",
    fix: "keep it required until old readers are upgraded",
  }),
] as const;

export const required: Check = {
  keywords: ["required"],
  compare(walk, { o, n, oNode, nNode, path, applies }) {
    if (!applies(["object"])) return;
    const oProps = isObj(oNode.properties) ? oNode.properties : {};
    const nProps = isObj(nNode.properties) ? nNode.properties : {};
    const oReq = new Set(stringList(oNode.required));
    const nReq = new Set(stringList(nNode.required));
    for (const name of [...nReq].filter((r) => !oReq.has(r)).sort()) {
      const propNode = nProps[name];
      const prop =
        propNode === undefined
          ? n
          : walk.child(
              "new",
              n,
              propNode as JsonSchema,
              `/properties/${escapeSegment(name)}`,
              path,
            );
      const resolved = walk.resolve("new", prop, path);
      const hasDefault = isObj(resolved.node) && Object.hasOwn(resolved.node, "default");
      walk.emit(
        hasDefault ? "required-property-with-default-added" : "required-property-added",
        `${path}/required/${escapeSegment(name)}`,
        hasDefault
          ? `property "${name}" is now required (it has a default)`
          : `property "${name}" is now required`,
        "new",
        prop,
      );
    }
    for (const name of [...oReq].filter((r) => !nReq.has(r)).sort()) {
      const propNode = oProps[name];
      const prop =
        propNode === undefined
          ? o
          : walk.child(
              "old",
              o,
              propNode as JsonSchema,
              `/properties/${escapeSegment(name)}`,
              path,
            );
      walk.emit(
        "required-property-removed",
        `${path}/required/${escapeSegment(name)}`,
        `property "${name}" is no longer required`,
        "old",
        prop,
      );
    }
  },
};
