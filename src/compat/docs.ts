import { RULES, type Rule } from "./rules.js";

/** Markers around the generated rule table in docs/diff.md. */
export const RULES_BEGIN = "<!-- rules:begin (generated from src/compat/rules.ts) -->";
export const RULES_END = "<!-- rules:end -->";

function cell(value: string): string {
  return value.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function table(rules: readonly Rule[]): string {
  const rows = rules.map(
    (r) => `| \`${r.id}\` | ${cell(r.purpose)} | ${r.severity} | ${r.backward} | ${r.forward} |`,
  );
  return [
    "| Rule | Purpose | Severity | BACKWARD | FORWARD |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

/** The rule list for docs/diff.md, generated from the registry. */
export function renderRuleTables(): string {
  return [
    RULES_BEGIN,
    "",
    "### Schema rules",
    "",
    table(RULES.filter((r) => r.scope === "schema")),
    "",
    "### Contract rules",
    "",
    table(RULES.filter((r) => r.scope === "contract")),
    "",
    RULES_END,
  ].join("\n");
}

/** Replaces the generated section of a document with the current registry's tables. */
export function updateRuleTables(document: string): string {
  const begin = document.indexOf(RULES_BEGIN);
  const end = document.indexOf(RULES_END);
  if (begin < 0 || end < begin) return `${document.trimEnd()}\n\n${renderRuleTables()}\n`;
  return document.slice(0, begin) + renderRuleTables() + document.slice(end + RULES_END.length);
}
