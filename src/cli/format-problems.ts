import { escapeData, escapeProperty } from "../model/github.js";
import type { Problem } from "../model/problem.js";

export type ProblemFormat = "text" | "json" | "github";
export const PROBLEM_FORMATS: readonly ProblemFormat[] = ["text", "json", "github"];

/** `file:line:col severity rule-id message`, one line per problem. */
export function formatText(problems: readonly Problem[]): string {
  return problems
    .map((p) => `${where(p)} ${p.severity} ${p.ruleId} ${oneLine(p.message)}`)
    .join("\n");
}

/** `{ ok, problems }` as pretty JSON. */
export function formatJson(problems: readonly Problem[], ok: boolean): string {
  return JSON.stringify({ ok, problems }, null, 2);
}

/**
 * GitHub workflow commands: `::error file=F,line=L,col=C,title=RULE::MESSAGE`.
 * Warnings are `::warning`, infos `::notice`.
 */
export function formatGithub(problems: readonly Problem[]): string {
  return problems
    .map((p) => {
      const command =
        p.severity === "error" ? "error" : p.severity === "warning" ? "warning" : "notice";
      const file = p.location?.file ?? p.file;
      const props = [
        ...(file !== undefined ? [`file=${escapeProperty(file)}`] : []),
        ...(p.location ? [`line=${p.location.line}`, `col=${p.location.column}`] : []),
        `title=${escapeProperty(p.ruleId)}`,
      ];
      return `::${command} ${props.join(",")}::${escapeData(p.message)}`;
    })
    .join("\n");
}

export function formatProblems(
  problems: readonly Problem[],
  format: ProblemFormat,
  ok: boolean,
): string {
  switch (format) {
    case "json":
      return formatJson(problems, ok);
    case "github":
      return formatGithub(problems);
    default:
      return formatText(problems);
  }
}

/** `3 errors, 1 warning` */
export function summarize(problems: readonly Problem[]): string {
  const count = (severity: Problem["severity"]) =>
    problems.filter((p) => p.severity === severity).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const parts = [plural(count("error"), "error"), plural(count("warning"), "warning")];
  const infos = count("info");
  if (infos > 0) parts.push(plural(infos, "info"));
  return parts.join(", ");
}

function where(p: Problem): string {
  if (p.location) return `${p.location.file}:${p.location.line}:${p.location.column}`;
  return `${p.file ?? "<input>"}:`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, " ");
}
