import type { Pair, SchemaWalk } from "../engine.js";

/**
 * One keyword family's comparison. Its rules (ids, verdicts, fixes) are defined in the same
 * file and gathered into the registry by `../../rules.ts`.
 */
export interface Check {
  /** Keywords the check compares; any other constraint keyword is compared as text. */
  readonly keywords: readonly string[];
  compare(walk: SchemaWalk, pair: Pair): void;
}
