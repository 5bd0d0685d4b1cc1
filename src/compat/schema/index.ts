import type { JsonSchema } from "../../model/types.js";
import type { SchemaChange } from "../types.js";
import { newContext, type PositionLookup, SchemaWalk } from "./engine.js";

/**
 * Structural diff of two JSON Schemas, judged as set inclusion of the instances they accept.
 *
 * - `engine.ts` walks both schemas together: `$ref`s, memoised pairs, recursion;
 * - `normalise.ts` / `merge-all-of.ts` rewrite a node exactly before it is compared;
 * - `checks/` holds one file per keyword family: its comparison and its rules.
 *
 * Every difference is reported as a change naming a rule of the registry, which gives its
 * verdict per direction. Where the structure does not prove inclusion, the rule says breaking.
 */

export type { PositionLookup } from "./engine.js";

export interface SchemaDiffOptions {
  /** Positions of the old schema's nodes (plain JSON Schema files); else `x-jc-at` is used. */
  readonly oldPositions?: PositionLookup;
  readonly newPositions?: PositionLookup;
  /** Prefix for reported paths, e.g. `/payload`. Default: none. */
  readonly basePath?: string;
}

/**
 * Every difference between two schemas, each with its rule id and verdict per direction.
 * Schemas may contain local `$ref`s (resolved within each schema) and cycles.
 */
export function diffSchemas(
  oldSchema: JsonSchema,
  newSchema: JsonSchema,
  options: SchemaDiffOptions = {},
): SchemaChange[] {
  const ctx = newContext(
    { old: oldSchema, new: newSchema },
    { old: options.oldPositions, new: options.newPositions },
  );
  const walk = new SchemaWalk(ctx, false);
  const base = options.basePath ?? "";
  walk.compare(walk.root("old", base), walk.root("new", base), base);
  return walk.changes;
}
