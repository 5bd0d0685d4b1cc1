import { B, C, schemaRule } from "../../rule.js";
import type { SchemaWalk, Side } from "../engine.js";

/** `false`: the schema that accepts nothing. */

export const rules = [
  schemaRule({
    id: "schema-made-false",
    purpose: "A schema that accepted something now accepts nothing (`false`).",
    backward: B,
    forward: C,
    mirror: "schema-false-relaxed",
    fix: "keep accepting what the old schema accepted (drop the `false`)",
  }),
  schemaRule({
    id: "schema-false-relaxed",
    purpose: "A `false` schema (accepts nothing) now accepts something.",
    backward: C,
    forward: B,
    mirror: "schema-made-false",
    fix: "keep the `false` schema until every reader is upgraded",
  }),
] as const;

/** Compares a pair where either side is `false`; false when neither is (nothing done). */
export function compareFalse(walk: SchemaWalk, o: Side, n: Side, path: string): boolean {
  if (o.node === false) {
    if (n.node !== false) {
      walk.emit("schema-false-relaxed", path, "a `false` schema now accepts values", "new", n);
    }
    return true;
  }
  if (n.node === false) {
    walk.emit("schema-made-false", path, "the schema now accepts nothing (`false`)", "new", n);
    return true;
  }
  return false;
}
