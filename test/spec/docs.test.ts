import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { RULES_BEGIN, RULES_END, ruleRow } from "../../src/spec/rules/docs.js";
import { rules } from "../../src/spec/rules/index.js";
import { repoPath } from "./helpers.js";

/** Rows of the generated table, cell by cell (the file is formatted by biome). */
function documentedRules(doc: string): string[][] {
  const begin = doc.indexOf(RULES_BEGIN);
  const end = doc.indexOf(RULES_END);
  expect(begin).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(begin);
  return doc
    .slice(begin, end)
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) =>
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/\\\|/g, "|")),
    );
}

describe("docs/annotations.md", () => {
  it("lists every rule of the registry as it is (regenerate with npm run docs:rules)", () => {
    const doc = readFileSync(repoPath("docs/annotations.md"), "utf8");
    expect(documentedRules(doc)).toEqual(rules.map(ruleRow));
  });
});
