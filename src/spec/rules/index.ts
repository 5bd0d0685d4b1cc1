import type { Problem } from "../../model/problem.js";
import type { Contract } from "../../model/types.js";
import type { BuildNotes } from "../build.js";
import type { Workspace } from "../workspace.js";
import { annotationRules } from "./annotations.js";
import { clusterRules } from "./cluster.js";
import { consumerRules } from "./consumers.js";
import { documentContext, modelContext } from "./context.js";
import { deadLetterRules } from "./dead-letters.js";
import { idempotencyRules } from "./idempotency.js";
import { operationRules } from "./operations.js";
import { policyRules } from "./policies.js";
import { streamRules } from "./streams.js";
import type { Finding, Phase, Rule } from "./types.js";

export type {
  DocumentRule,
  Finding,
  ModelContext,
  ModelRule,
  Phase,
  Rule,
  RuleContext,
} from "./types.js";

/**
 * Every check jetcontract can report, whichever command surfaces it, in the order they run.
 * Each rule is defined beside its check, in the module of its family.
 */
export const rules: readonly Rule[] = [
  ...annotationRules,
  ...streamRules,
  ...clusterRules,
  ...deadLetterRules,
  ...consumerRules,
  ...policyRules,
  ...idempotencyRules,
  ...operationRules,
];

function toProblem(rule: Rule, finding: Finding): Problem {
  return {
    ruleId: rule.id,
    severity: rule.severity,
    message: finding.message,
    location: finding.location,
    file: finding.location.file,
  };
}

/** Runs one pass of `validate` over a loaded document and returns the findings as Problems. */
export function runRules(
  input: { contract: Contract; notes: BuildNotes; ws: Workspace },
  pass: Rule["pass"],
): Problem[] {
  const ctx = documentContext(input);
  const problems: Problem[] = [];
  for (const rule of rules) {
    if (rule.pass !== pass) continue;
    for (const finding of rule.check(ctx)) problems.push(toProblem(rule, finding));
  }
  return problems;
}

/**
 * Runs the model rules a later stage (`streams`, `generate`) must not go past: the same checks
 * `validate` ran, with the same ids, severities and (for a loaded contract) locations.
 */
export function checkContract(contract: Contract, phase: Exclude<Phase, "validate">): Problem[] {
  const ctx = modelContext(contract);
  const problems: Problem[] = [];
  for (const rule of rules) {
    if (rule.reads !== "model" || !rule.phases.includes(phase)) continue;
    for (const finding of rule.check(ctx)) problems.push(toProblem(rule, finding));
  }
  return problems;
}
