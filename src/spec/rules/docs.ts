import { rules } from "./index.js";
import type { Rule } from "./types.js";

/** Markers around the generated rule table in docs/annotations.md. */
export const RULES_BEGIN = "<!-- rules:begin (generated from src/spec/rules) -->";
export const RULES_END = "<!-- rules:end -->";

/** The cells of one rule's row: id, severity, the commands that report it, purpose. */
export function ruleRow(rule: Rule): string[] {
  return [`\`${rule.id}\``, rule.severity, rule.phases.join(", "), rule.purpose];
}

/** The rule table for docs/annotations.md, generated from the registry. */
export function renderRuleTable(): string {
  const cell = (v: string) => v.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    RULES_BEGIN,
    "",
    "| Rule | Severity | Reported by | Purpose |",
    "|---|---|---|---|",
    ...rules.map((r) => `| ${ruleRow(r).map(cell).join(" | ")} |`),
    "",
    RULES_END,
  ].join("\n");
}

/** Replaces the generated section of a document with the current registry's table. */
export function updateRuleTable(document: string): string {
  const begin = document.indexOf(RULES_BEGIN);
  const end = document.indexOf(RULES_END);
  if (begin < 0 || end < begin) return `${document.trimEnd()}\n\n${renderRuleTable()}\n`;
  return document.slice(0, begin) + renderRuleTable() + document.slice(end + RULES_END.length);
}
