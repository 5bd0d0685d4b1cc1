import type { Severity } from "../../model/problem.js";
import type { Contract, SourceLocation } from "../../model/types.js";
import type { BuildNotes } from "../build.js";
import type { Workspace } from "../workspace.js";

/** What a rule sees: the model (built with defaults), the builder's notes and the sources. */
export interface RuleContext {
  readonly contract: Contract;
  readonly notes: BuildNotes;
  readonly ws: Workspace;
}

/** One finding of a rule; the runner adds the rule's id and severity. */
export interface Finding {
  readonly message: string;
  readonly location: SourceLocation;
}

/**
 * A validation rule. `annotations` rules check the annotations' shape (JSON Schema) and run
 * first; `semantic` rules tie the annotations to the document and to each other and run only
 * when the annotations are well-formed.
 */
export interface Rule {
  /** Stable id, `jc-` prefixed. */
  readonly id: string;
  readonly severity: Severity;
  readonly phase: "annotations" | "semantic";
  /** One line: what the rule protects against. */
  readonly purpose: string;
  readonly check: (ctx: RuleContext) => Iterable<Finding>;
}
