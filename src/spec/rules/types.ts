import type { Severity } from "../../model/problem.js";
import type { Contract, SourceLocation } from "../../model/types.js";
import type { AnnotationOwner, AnnotationSite, BuildNotes } from "../build.js";
import type { Workspace } from "../workspace.js";

/**
 * The commands that surface a rule. Every rule runs in `validate`; `streams` and `generate`
 * run the model rules that would make them fail or change what they produce, so
 * "validate passes" means they accept the contract.
 */
export type Phase = "validate" | "streams" | "generate";

/** What a model rule sees: the Contract, and a way to point into its source when it is at hand. */
export interface ModelContext {
  readonly contract: Contract;
  /** The document uses jetcontract annotations at all (plain AsyncAPI skips JetStream rules). */
  readonly usesJetcontract: boolean;
  /**
   * Location of `segments` inside annotation `key` of an owner (e.g. `x-consumer` → `ackWait`);
   * `fallback` when the annotation or the source is not at hand.
   */
  locate(
    key: string,
    owner: AnnotationSite["owner"],
    id: string,
    fallback: SourceLocation,
    ...segments: (string | number)[]
  ): SourceLocation;
  /** Location of `segments` inside an object of the document (a channel's `address`, ...). */
  locateIn(
    kind: AnnotationOwner["kind"],
    id: string,
    fallback: SourceLocation,
    ...segments: (string | number)[]
  ): SourceLocation;
}

/** What a document rule sees: also the builder's notes and the sources. */
export interface RuleContext extends ModelContext {
  readonly notes: BuildNotes;
  readonly ws: Workspace;
}

/** One finding of a rule; the runner adds the rule's id and severity. */
export interface Finding {
  readonly message: string;
  readonly location: SourceLocation;
}

interface RuleBase {
  /** Stable id, `jc-` prefixed. */
  readonly id: string;
  readonly severity: Severity;
  /** One line: what the rule protects against. */
  readonly purpose: string;
}

/**
 * A rule about what was written (raw annotations, references): only `validate` can run it.
 * `annotations` rules check the annotations' shape and run first; `semantic` rules run only
 * when the annotations are well-formed.
 */
export interface DocumentRule extends RuleBase {
  readonly reads: "document";
  readonly pass: "annotations" | "semantic";
  readonly phases: readonly ["validate"];
  readonly check: (ctx: RuleContext) => Iterable<Finding>;
}

/** A rule about the model: `validate` runs it, and so do the other `phases` it lists. */
export interface ModelRule extends RuleBase {
  readonly reads: "model";
  readonly pass: "semantic";
  readonly phases: readonly Phase[];
  readonly check: (ctx: ModelContext) => Iterable<Finding>;
}

export type Rule = DocumentRule | ModelRule;

/** Defines a rule that reads the raw document (validate only). */
export function documentRule(
  rule: Omit<DocumentRule, "reads" | "phases" | "pass"> & { pass?: DocumentRule["pass"] },
): DocumentRule {
  return { pass: "semantic", ...rule, reads: "document", phases: ["validate"] };
}

/** Defines a rule that reads only the model; `also` lists the commands besides validate. */
export function modelRule(
  rule: Omit<ModelRule, "reads" | "phases" | "pass"> & { also?: readonly Phase[] },
): ModelRule {
  const { also = [], ...rest } = rule;
  return { ...rest, reads: "model", pass: "semantic", phases: ["validate", ...also] };
}
