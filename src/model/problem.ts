import type { SourceLocation } from "./types.js";

export type Severity = "error" | "warning" | "info";

/**
 * A problem found in user input (a spec, a config, a pair of specs): data, not an exception.
 * Formatted at the edge (CLI) as `file:line:col severity rule-id message`.
 */
export interface Problem {
  /** Stable id, e.g. `jc-dlq-captured-by-source`, `asyncapi-schema`, `yaml-syntax`. */
  readonly ruleId: string;
  readonly severity: Severity;
  readonly message: string;
  /** Absent only when nothing better than the file is known (then `file` is set). */
  readonly location?: SourceLocation;
  readonly file?: string;
}
