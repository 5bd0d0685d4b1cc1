import type { Problem } from "../../model/problem.js";
import { annotationRules } from "./annotations.js";
import { semanticRules } from "./semantic.js";
import type { Rule, RuleContext } from "./types.js";

export type { Finding, Rule, RuleContext } from "./types.js";

/** Every jetcontract validation rule, in the order they run. */
export const rules: readonly Rule[] = [...annotationRules, ...semanticRules];

/** Runs the rules of one phase and returns their findings as Problems. */
export function runRules(ctx: RuleContext, phase: Rule["phase"]): Problem[] {
  const problems: Problem[] = [];
  for (const rule of rules) {
    if (rule.phase !== phase) continue;
    for (const finding of rule.check(ctx)) {
      problems.push({
        ruleId: rule.id,
        severity: rule.severity,
        message: finding.message,
        location: finding.location,
        file: finding.location.file,
      });
    }
  }
  return problems;
}
