import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RULES_BEGIN, RULES_END } from "../../src/compat/docs.js";
import { RULES } from "../../src/compat/rules.js";

/** Rows of the generated tables, cell by cell (the file is formatted by biome). */
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

describe("docs/diff.md", () => {
  const doc = readFileSync(fileURLToPath(new URL("../../docs/diff.md", import.meta.url)), "utf8");

  it("lists the registry as it is (regenerate with npx tsx test/compat/update-docs.ts)", () => {
    expect(documentedRules(doc)).toEqual(
      RULES.map((r) => [`\`${r.id}\``, r.purpose, r.severity, r.backward, r.forward]),
    );
  });
});
