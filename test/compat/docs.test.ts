import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderRuleTables, updateRuleTables } from "../../src/compat/docs.js";
import { RULES } from "../../src/compat/rules.js";

describe("docs/diff.md", () => {
  const doc = readFileSync(fileURLToPath(new URL("../../docs/diff.md", import.meta.url)), "utf8");

  it("lists the registry as it is (regenerate with npx tsx test/compat/update-docs.ts)", () => {
    expect(doc).toContain(renderRuleTables());
    expect(updateRuleTables(doc)).toBe(doc);
  });

  it("names every rule", () => {
    for (const rule of RULES) expect(doc).toContain(`\`${rule.id}\``);
  });
});
