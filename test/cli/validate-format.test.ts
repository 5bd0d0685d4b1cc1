import { describe, expect, it } from "vitest";
import { formatGithub, formatJson, formatText, summarize } from "../../src/cli/format-problems.js";
import { escapeData, escapeProperty } from "../../src/model/github.js";
import type { Problem } from "../../src/model/problem.js";

const located: Problem = {
  ruleId: "jc-retry-delays-exceed-attempts",
  severity: "error",
  message: "100% wrong,\nreally: yes",
  location: { file: "specs/a,b:c.yaml", line: 12, column: 7, pointer: "/x" },
};
const fileOnly: Problem = {
  ruleId: "file-unreadable",
  severity: "error",
  message: "no such file: x.yaml",
  file: "x.yaml",
};
const warning: Problem = { ...located, severity: "warning", message: "careful" };

describe("problem formats", () => {
  it("text: file:line:col severity rule message, on one line", () => {
    expect(formatText([located, fileOnly])).toBe(
      "specs/a,b:c.yaml:12:7 error jc-retry-delays-exceed-attempts 100% wrong, really: yes\nx.yaml: error file-unreadable no such file: x.yaml",
    );
  });

  it("github: escapes %, CR and LF in data and also : and , in properties", () => {
    expect(escapeData("a%b\r\nc")).toBe("a%25b%0D%0Ac");
    expect(escapeProperty("a:b,c%")).toBe("a%3Ab%2Cc%25");
    expect(formatGithub([located, warning, { ...located, severity: "info" }])).toBe(
      [
        "::error file=specs/a%2Cb%3Ac.yaml,line=12,col=7,title=jc-retry-delays-exceed-attempts::100%25 wrong,%0Areally: yes",
        "::warning file=specs/a%2Cb%3Ac.yaml,line=12,col=7,title=jc-retry-delays-exceed-attempts::careful",
        "::notice file=specs/a%2Cb%3Ac.yaml,line=12,col=7,title=jc-retry-delays-exceed-attempts::100%25 wrong,%0Areally: yes",
      ].join("\n"),
    );
    expect(formatGithub([fileOnly])).toBe(
      "::error file=x.yaml,title=file-unreadable::no such file: x.yaml",
    );
  });

  it("json: ok and the problems", () => {
    expect(JSON.parse(formatJson([located], false))).toEqual({ ok: false, problems: [located] });
  });

  it("summary counts", () => {
    expect(summarize([located, fileOnly, warning])).toBe("2 errors, 1 warning");
    expect(summarize([])).toBe("0 errors, 0 warnings");
  });
});
