import type { RuleId } from "../../rules.js";
import type { SchemaWalk, Side, Which } from "../engine.js";
import { isTrivial } from "../keywords.js";

/** What covered an entry's place on the other side, and the rule and message for each case. */
export type UnmatchedOutcomes = Readonly<
  Record<"closed" | "open" | "partial", readonly [RuleId, string]>
>;

/**
 * An entry (a property or a tuple item) on one side only, against what covers its place on
 * the other side: nothing (closed), anything (open), or a schema (partially open), which the
 * entry is then compared with.
 */
export function compareUnmatched(
  walk: SchemaWalk,
  entry: Side,
  entrySide: Which,
  cover: Side,
  at: string,
  outcomes: UnmatchedOutcomes,
): void {
  const resolved = walk.resolve(entrySide, entry, at).node;
  const covered = walk.resolve(entrySide === "new" ? "old" : "new", cover, at).node;
  const kind = covered === false ? "closed" : isTrivial(covered) ? "open" : "partial";
  if (kind === "closed" && resolved === false) return;
  if (kind === "open" && isTrivial(resolved)) return;
  const [rule, message] = outcomes[kind];
  walk.emit(rule, at, message, entrySide, entry);
  if (kind !== "partial") return;
  if (entrySide === "new") walk.compare(cover, entry, at);
  else walk.compare(entry, cover, at);
}
