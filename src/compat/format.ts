import { escapeData, escapeProperty } from "../model/github.js";
import type { SourceLocation } from "../model/types.js";
import { fails } from "./report.js";
import type { DiffReport, ReportedChange } from "./types.js";

export const DIFF_FORMATS = ["text", "json", "markdown", "github", "junit"] as const;
export type DiffFormat = (typeof DIFF_FORMATS)[number];

export interface FormatOptions {
  readonly failOn?: "breaking" | "warning";
}

function where(change: ReportedChange): string {
  return change.scope.kind === "message"
    ? `${change.scope.messageId} ${change.scope.part} ${change.path}`
    : change.scope.element;
}

function breaksText(change: ReportedChange): string {
  if (change.breaks.length === 0) return `compatible under ${change.mode}`;
  const broken = change.breaks.map((d) => d.toUpperCase()).join(" and ");
  // "breaks BACKWARD" says the mode when it is BACKWARD; name the mode only when it differs.
  return broken === change.mode ? `breaks ${broken}` : `breaks ${broken} (mode ${change.mode})`;
}

/** How to resolve a failing change: the fix, and how to accept it deliberately. */
export function resolutionText(change: ReportedChange): string {
  if (change.fix === undefined || change.ignoredReason !== undefined) return "";
  const accept = `or accept it: ignore ${change.ruleId} with a reason in .jetcontract-diff.yaml, or release it as a new major version with --allow-major`;
  return `To fix: ${change.fix}; ${accept}.`;
}

function locationText(loc: SourceLocation | undefined, fallback: string): string {
  return loc ? `${loc.file}:${loc.line}:${loc.column}` : `${fallback}:1:1`;
}

function displayLevel(change: ReportedChange): string {
  return change.ignoredReason !== undefined ? "info" : change.level;
}

function lineMessage(change: ReportedChange, report: DiffReport): string {
  const against = report.previous.length > 1 ? ` [vs ${change.against}]` : "";
  const ignored = change.ignoredReason !== undefined ? ` (ignored: ${change.ignoredReason})` : "";
  const resolution = resolutionText(change);
  return `${where(change)}: ${change.message} (${breaksText(change)})${against}${ignored}${resolution ? ` ${resolution}` : ""}`;
}

/** Counts for the summary line. */
export function summarizeReport(report: DiffReport, options: FormatOptions = {}): string {
  const active = report.changes.filter((c) => c.ignoredReason === undefined);
  const errors = active.filter((c) => c.level === "error").length;
  const warnings = active.filter((c) => c.level === "warning").length;
  const infos = report.changes.length - errors - warnings;
  const failing = report.changes.some((c) => fails(c, options.failOn));
  const verdict = failing ? "NOT compatible" : "compatible";
  return `${report.current} vs ${report.previous.join(", ")}: ${verdict} (${errors} breaking, ${warnings} warning${warnings === 1 ? "" : "s"}, ${infos} other change${infos === 1 ? "" : "s"})`;
}

function text(report: DiffReport, options: FormatOptions): string {
  const lines = report.changes.map(
    (c) =>
      `${locationText(c.location, report.current)} ${displayLevel(c)} ${c.ruleId} ${lineMessage(c, report)}`,
  );
  lines.push(summarizeReport(report, options));
  return lines.join("\n");
}

/** Escapes text for a Markdown table cell or paragraph: no markup, no HTML, one line. */
export function escapeMarkdown(value: string): string {
  return value
    .replace(/\r?\n/g, " ")
    .replace(/[\\`*_[\]|<>~]/g, (ch) => `\\${ch}`)
    .replace(/&/g, "&amp;");
}

function code(value: string): string {
  return `\`${value.replace(/`/g, "'").replace(/\r?\n/g, " ").replace(/\|/g, "\\|")}\``;
}

function markdown(report: DiffReport, options: FormatOptions): string {
  const failing = report.changes.some((c) => fails(c, options.failOn));
  const out: string[] = [];
  out.push(
    `## jetcontract diff: ${failing ? "breaking changes" : "compatible"}`,
    "",
    `Compared ${code(report.current)} against ${report.previous.map(code).join(", ")}.`,
    "",
  );
  if (report.messages.length > 0) {
    out.push(
      "| Message | Mode | Result | Breaking | Warnings | Other |",
      "|---|---|---|---:|---:|---:|",
    );
    for (const m of report.messages) {
      out.push(
        `| ${code(m.messageId)} | ${m.mode} | ${m.compatible ? "compatible" : "**breaking**"} | ${m.errors} | ${m.warnings} | ${m.infos} |`,
      );
    }
    out.push("");
  }
  const contract = report.changes.filter((c) => c.scope.kind === "contract");
  if (contract.length > 0) {
    const broken = contract.filter((c) => fails(c, options.failOn)).length;
    out.push(
      `Contract: ${contract.length} change${contract.length === 1 ? "" : "s"}, ${broken} breaking.`,
      "",
    );
  }
  if (report.changes.length === 0) {
    out.push("No changes.");
    return out.join("\n");
  }
  out.push(
    "### Changes",
    "",
    "| Verdict | Rule | Where | Change | Location |",
    "|---|---|---|---|---|",
  );
  for (const c of report.changes) {
    const verdict =
      c.ignoredReason !== undefined
        ? `ignored: ${escapeMarkdown(c.ignoredReason)}`
        : c.level === "error"
          ? `**${escapeMarkdown(breaksText(c))}**`
          : c.level === "warning"
            ? `warning: ${escapeMarkdown(breaksText(c))}`
            : escapeMarkdown(breaksText(c));
    out.push(
      `| ${verdict} | ${code(c.ruleId)} | ${code(where(c))} | ${escapeMarkdown([c.message, resolutionText(c)].filter(Boolean).join(" "))} | ${code(locationText(c.location, report.current))} |`,
    );
  }
  out.push("", summarizeReport(report, options).replace(/^/, "_").replace(/$/, "_"));
  return out.join("\n");
}

function github(report: DiffReport): string {
  const lines: string[] = [];
  for (const c of report.changes) {
    const command =
      c.ignoredReason !== undefined || c.level === "info"
        ? "notice"
        : c.level === "error"
          ? "error"
          : "warning";
    const props: string[] = [];
    const loc = c.location;
    // A location inside a git revision (`REV:path`) is not a file of the checkout.
    if (loc && !c.location?.revision) {
      props.push(`file=${escapeProperty(loc.file)}`, `line=${loc.line}`, `col=${loc.column}`);
    }
    props.push(`title=${escapeProperty(`jetcontract ${c.ruleId}`)}`);
    lines.push(`::${command} ${props.join(",")}::${escapeData(lineMessage(c, report))}`);
  }
  return lines.join("\n");
}

function xml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD]/gu, "\uFFFD");
}

/**
 * JUnit XML for CI systems that read it: one test case per message (and one for the
 * contract), failing with one `<failure>` per change that fails the check.
 */
function junit(report: DiffReport, options: FormatOptions): string {
  const cases = new Map<string, ReportedChange[]>();
  for (const m of report.messages) cases.set(`message ${m.messageId}`, []);
  for (const c of report.changes) {
    const name = c.scope.kind === "message" ? `message ${c.scope.messageId}` : "contract";
    const list = cases.get(name) ?? [];
    list.push(c);
    cases.set(name, list);
  }
  if (!cases.has("contract")) cases.set("contract", []);
  const failures = [...cases.values()].filter((l) => l.some((c) => fails(c, options.failOn)));
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="jetcontract diff" tests="${cases.size}" failures="${failures.length}">`,
    `  <testsuite name="${xml(`${report.current} vs ${report.previous.join(", ")}`)}" tests="${cases.size}" failures="${failures.length}" errors="0">`,
  ];
  for (const [name, changes] of [...cases].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const failing = changes.filter((c) => fails(c, options.failOn));
    out.push(`    <testcase classname="jetcontract.diff" name="${xml(name)}">`);
    for (const c of failing) {
      const at = locationText(c.location, report.current);
      out.push(
        `      <failure type="${xml(c.ruleId)}" message="${xml(`${at} ${c.message}`)}">${xml(`${at} ${c.ruleId} ${lineMessage(c, report)}`)}</failure>`,
      );
    }
    const others = changes.filter((c) => !fails(c, options.failOn));
    if (others.length > 0) {
      const lines = others.map(
        (c) => `${locationText(c.location, report.current)} ${c.ruleId} ${lineMessage(c, report)}`,
      );
      out.push(`      <system-out>${xml(lines.join("\n"))}</system-out>`);
    }
    out.push("    </testcase>");
  }
  out.push("  </testsuite>", "</testsuites>");
  return out.join("\n");
}

/** Renders a report. `json` is the report itself; the others are for people and CI. */
export function formatReport(
  report: DiffReport,
  format: DiffFormat,
  options: FormatOptions = {},
): string {
  switch (format) {
    case "json":
      return JSON.stringify(report, null, 2);
    case "markdown":
      return markdown(report, options);
    case "github":
      return github(report);
    case "text":
      return text(report, options);
    case "junit":
      return junit(report, options);
  }
}
