import type { JsonSchema } from "../../../model/types.js";
import { escapeSegment } from "../../../spec/pointer.js";
import { B, C, schemaRule } from "../../rule.js";
import { isObj } from "../json.js";
import { coverOf } from "./additional-properties.js";
import type { Check } from "./check.js";
import { compareUnmatched } from "./unmatched.js";

/**
 * `properties`: a property on both sides is compared with itself; one on one side only is
 * judged against what covered its name on the other side (closed, open or a schema).
 */

export const rules = [
  schemaRule({
    id: "property-added-to-open-model",
    purpose:
      "A property was added to an open object: old data may carry that name with another type.",
    backward: B,
    forward: C,
    mirror: "property-removed-from-open-model",
    fix: "close the object with `additionalProperties: false` (then adding optional properties is compatible), or give the property a schema that accepts anything",
  }),
  schemaRule({
    id: "property-added-to-closed-model",
    purpose: "A property was added to a closed object (`additionalProperties: false`).",
    backward: C,
    forward: B,
    mirror: "property-removed-from-closed-model",
    fix: "upgrade readers first (old readers reject the new property), or do not send it yet",
  }),
  schemaRule({
    id: "property-added-to-partially-open-model",
    purpose:
      "A property was added where other names had a schema (`additionalProperties`/`patternProperties`); compared with it.",
    backward: C,
    forward: C,
    mirror: "property-removed-to-partially-open-model",
  }),
  schemaRule({
    id: "property-removed-from-open-model",
    purpose: "A property was removed from an open object: old data still passes.",
    backward: C,
    forward: B,
    mirror: "property-added-to-open-model",
    fix: "keep the property, or keep sending only values old readers accept",
  }),
  schemaRule({
    id: "property-removed-from-closed-model",
    purpose: "A property was removed from a closed object: old data carrying it is rejected.",
    backward: B,
    forward: C,
    mirror: "property-added-to-closed-model",
    fix: "keep the property (deprecate it instead), or allow it through `additionalProperties`",
  }),
  schemaRule({
    id: "property-removed-to-partially-open-model",
    purpose:
      "A property was removed where other names have a schema; the old property is compared with it.",
    backward: C,
    forward: C,
    mirror: "property-added-to-partially-open-model",
  }),
] as const;

export const properties: Check = {
  keywords: ["properties"],
  compare(walk, { o, n, oNode, nNode, path, applies }) {
    if (!applies(["object"])) return;
    const oProps = isObj(oNode.properties) ? oNode.properties : {};
    const nProps = isObj(nNode.properties) ? nNode.properties : {};
    const names = [...new Set([...Object.keys(oProps), ...Object.keys(nProps)])].sort();
    for (const name of names) {
      const seg = `/properties/${escapeSegment(name)}`;
      const at = `${path}${seg}`;
      const inOld = Object.hasOwn(oProps, name);
      const inNew = Object.hasOwn(nProps, name);
      if (inOld && inNew) {
        walk.compare(
          walk.child("old", o, oProps[name] as JsonSchema, seg, at),
          walk.child("new", n, nProps[name] as JsonSchema, seg, at),
          at,
        );
      } else if (inNew) {
        compareUnmatched(
          walk,
          walk.child("new", n, nProps[name] as JsonSchema, seg, at),
          "new",
          coverOf(walk, "old", o, oNode, name, at),
          at,
          {
            closed: [
              "property-added-to-closed-model",
              `property "${name}" added to a closed object`,
            ],
            open: [
              "property-added-to-open-model",
              `property "${name}" added to an open object: old data may carry "${name}" with another value`,
            ],
            partial: [
              "property-added-to-partially-open-model",
              `property "${name}" added; compared with the schema that covered it before`,
            ],
          },
        );
      } else {
        compareUnmatched(
          walk,
          walk.child("old", o, oProps[name] as JsonSchema, seg, at),
          "old",
          coverOf(walk, "new", n, nNode, name, at),
          at,
          {
            closed: [
              "property-removed-from-closed-model",
              `property "${name}" removed from a closed object: old data carrying it is rejected`,
            ],
            open: [
              "property-removed-from-open-model",
              `property "${name}" removed from an open object`,
            ],
            partial: [
              "property-removed-to-partially-open-model",
              `property "${name}" removed; now covered by additionalProperties/patternProperties`,
            ],
          },
        );
      }
    }
  },
};
