import { B, C, schemaRule } from "../../rule.js";
import type { SchemaWalk, Side } from "../engine.js";

/**
 * Self-references with nothing in between (`../loops.ts`): the checker reads them as adding
 * nothing, but JSON Schema leaves them undefined and validators such as ajv recurse on them
 * until the stack runs out, rejecting every value that reaches them. So a pair where only one
 * side has one is also reported on its own: breaking for the readers of that side.
 */

export const rules = [
  schemaRule({
    id: "self-reference-added",
    purpose:
      "A schema now refers to itself with nothing in between (a `$ref` back through `allOf`/`anyOf`/`oneOf`/`not`/`if`, not through a property or item): read as adding nothing, but validators may recurse on it forever.",
    backward: B,
    forward: C,
    mirror: "self-reference-removed",
    fix: "refer back to the schema only below a property or an item, or drop the reference (it adds no value)",
  }),
  schemaRule({
    id: "self-reference-removed",
    purpose:
      "A self-reference with nothing in between was removed: old readers whose validators recursed on it reject every value there.",
    backward: C,
    forward: B,
    mirror: "self-reference-added",
    fix: "upgrade readers first (their validators may recurse forever on the old schema)",
  }),
] as const;

/** Reports a self-reference read away on one side only. */
export function compareLoops(
  walk: SchemaWalk,
  o: Side,
  n: Side,
  loops: { readonly old: boolean; readonly new: boolean },
  path: string,
): void {
  if (loops.new && !loops.old) {
    walk.emit(
      "self-reference-added",
      path,
      "the schema now refers to itself with nothing in between: read as adding nothing, but validators such as ajv recurse on it forever",
      "new",
      n,
    );
  } else if (loops.old && !loops.new) {
    walk.emit(
      "self-reference-removed",
      path,
      "the old schema referred to itself with nothing in between: old validators such as ajv recursed on it forever",
      "old",
      o,
    );
  }
}
