import { describe, expect, it } from "vitest";
import { escapeMarkdown, formatReport } from "../../src/compat/format.js";
import { buildReport, judge } from "../../src/compat/report.js";
import { ruleById } from "../../src/compat/rules.js";
import type { DiffReport } from "../../src/compat/types.js";

function report(message: string, file = "a.yaml"): DiffReport {
  const rule = ruleById("property-added-to-open-model");
  const change = judge(
    {
      ruleId: rule.id,
      message,
      path: "/properties/x",
      backward: rule.backward,
      forward: rule.forward,
      side: "new",
      location: { file, line: 3, column: 5, pointer: "/properties/x" },
    },
    { kind: "message", messageId: "M|1", part: "payload" },
    "BACKWARD",
    "old.yaml",
  );
  return buildReport(
    "new.yaml",
    ["old.yaml"],
    [{ messageId: "M|1", mode: "BACKWARD", modeSource: "default" }],
    [change],
  );
}

describe("report formats", () => {
  it("escapes Markdown so document text cannot inject markup", () => {
    expect(escapeMarkdown("a|b <script>*x*</script> [l](u) `c`")).toBe(
      "a\\|b \\<script\\>\\*x\\*\\</script\\> \\[l\\](u) \\`c\\`",
    );
    const md = formatReport(report('property "x|y" <b>added</b>\nsecond line'), "markdown");
    const row = md.split("\n").find((l) => l.includes("property-added-to-open-model"));
    expect(row).toContain('property "x\\|y" \\<b\\>added\\</b\\> second line');
    expect(md).toContain("| `M\\|1` | BACKWARD | **breaking** | 1 | 0 | 0 |");
  });

  it("escapes GitHub workflow commands in data and properties", () => {
    const gh = formatReport(report("100% sure\nnext", "dir,with:odd.yaml"), "github");
    expect(gh).toBe(
      "::error file=dir%2Cwith%3Aodd.yaml,line=3,col=5,title=jetcontract property-added-to-open-model::M|1 payload /properties/x: 100%25 sure%0Anext (breaks BACKWARD) To fix: close the object with `additionalProperties: false` (then adding optional properties is compatible), or give the property a schema that accepts anything; or accept it: ignore property-added-to-open-model with a reason in .jetcontract-diff.yaml, or release it as a new major version with --allow-major.",
    );
  });

  it("prints one text line per change, then a summary", () => {
    const text = formatReport(report("property added"), "text").split("\n");
    expect(text).toEqual([
      "a.yaml:3:5 error property-added-to-open-model M|1 payload /properties/x: property added (breaks BACKWARD) To fix: close the object with `additionalProperties: false` (then adding optional properties is compatible), or give the property a schema that accepts anything; or accept it: ignore property-added-to-open-model with a reason in .jetcontract-diff.yaml, or release it as a new major version with --allow-major.",
      "new.yaml vs old.yaml: NOT compatible (1 breaking, 0 warnings, 0 other changes)",
    ]);
  });

  it("round-trips the report as JSON", () => {
    const r = report("property added");
    expect(JSON.parse(formatReport(r, "json"))).toEqual(r);
  });
});
