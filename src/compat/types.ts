import type { CompatibilityMode, SourceLocation } from "../model/types.js";
import type { RuleId } from "./rules.js";

/** Whether a change keeps a direction of compatibility. */
export type Verdict = "compatible" | "breaking";

/**
 * The two questions under every verdict, as set inclusion between accepted instances:
 * `backward` — every instance the old schema accepts, the new one accepts (a consumer on the
 * new version reads old data); `forward` — every instance the new schema accepts, the old one
 * accepts (a consumer on the old version reads new data).
 */
export type Direction = "backward" | "forward";

/** How loud a change is in a report. `error` changes break a checked direction. */
export type ChangeLevel = "error" | "warning" | "info";

/** A source location; `revision` is set when the file was read at a git revision. */
export interface ChangeLocation extends SourceLocation {
  readonly revision?: string;
}

/** One difference found between two schemas (or two contracts), before modes are applied. */
export interface Change {
  /** Id of the rule in the registry (`./rules.ts`). */
  readonly ruleId: RuleId;
  readonly message: string;
  /** JSON pointer inside the compared schema (schema changes) or the document (contract changes). */
  readonly path: string;
  readonly backward: Verdict;
  readonly forward: Verdict;
  /** Where the change is: in the new document, or in the old one for removals. */
  readonly location?: ChangeLocation;
  /** Which document `location` points into. */
  readonly side: "old" | "new";
}

/** A change found between two schemas. */
export type SchemaChange = Change;

/** What a change belongs to: one part of one message, or a contract element. */
export type ChangeScope =
  | { readonly kind: "message"; readonly messageId: string; readonly part: "payload" | "headers" }
  | { readonly kind: "contract"; readonly element: string };

/** A change as reported: with its scope, the mode it was judged under and the resulting level. */
export interface ReportedChange extends Change {
  readonly scope: ChangeScope;
  readonly mode: CompatibilityMode;
  /** Directions the mode checks in which this change breaks. Empty when it breaks none. */
  readonly breaks: readonly Direction[];
  readonly level: ChangeLevel;
  /** Label of the earlier version this change was found against (a file or `REV:path`). */
  readonly against: string;
  /** For a change that breaks a checked direction: what would make it compatible. */
  readonly fix?: string;
  /** Set when a configured ignore rule matched: the reason given for it. */
  readonly ignoredReason?: string;
}

/** Summary of one message: its mode and whether it stays compatible. */
export interface MessageSummary {
  readonly messageId: string;
  readonly mode: CompatibilityMode;
  /** Where the mode came from. */
  readonly modeSource: "option" | "config" | "message" | "default";
  readonly compatible: boolean;
  readonly errors: number;
  readonly warnings: number;
  readonly infos: number;
}

export interface DiffReport {
  /** False when some change (not ignored) breaks a checked direction. */
  readonly compatible: boolean;
  /** Label of the new version. */
  readonly current: string;
  /** Labels of the earlier versions, oldest first. */
  readonly previous: readonly string[];
  readonly messages: readonly MessageSummary[];
  /** Every change, sorted by scope, then location. Ignored changes are kept, marked. */
  readonly changes: readonly ReportedChange[];
}

/** Ignore a rule (optionally only for one message) with a reason, from a config file or options. */
export interface IgnoreRule {
  readonly rule: string;
  readonly message?: string;
  readonly reason: string;
}

export interface DiffOptions {
  /** Overrides every message's mode (the CLI `--mode`). */
  readonly mode?: CompatibilityMode;
  /** Per-message mode overrides, by message id (or name). Below `mode`, above the documents. */
  readonly messageModes?: Readonly<Record<string, CompatibilityMode>>;
  readonly ignore?: readonly IgnoreRule[];
  /**
   * How `format` and `contentMediaType`/`contentEncoding`/`contentSchema` changes count:
   * `assert` (default) breaking like any constraint, as most readers enforce them; `warn`
   * reported as warnings; `ignore` read as JSON Schema annotations (never breaking).
   */
  readonly format?: FormatPolicy;
  /**
   * Version-aware gating (contracts only): accept breaking changes when `info.version` has a
   * new major number, and report `major-version-bump-missing` otherwise.
   */
  readonly allowMajor?: boolean;
}

export const FORMAT_POLICIES = ["assert", "warn", "ignore"] as const;
export type FormatPolicy = (typeof FORMAT_POLICIES)[number];

export { COMPATIBILITY_MODES } from "../model/compatibility.js";

/** Directions a mode checks. */
export function directionsOf(mode: CompatibilityMode): readonly Direction[] {
  switch (mode) {
    case "BACKWARD":
    case "BACKWARD_TRANSITIVE":
      return ["backward"];
    case "FORWARD":
    case "FORWARD_TRANSITIVE":
      return ["forward"];
    case "FULL":
    case "FULL_TRANSITIVE":
      return ["backward", "forward"];
    case "NONE":
      return [];
  }
}

/** True for the `*_TRANSITIVE` modes, which check against every earlier version given. */
export function isTransitive(mode: CompatibilityMode): boolean {
  return mode.endsWith("_TRANSITIVE");
}
