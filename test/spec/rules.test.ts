import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadContract, rules } from "../../src/spec/index.js";
import { fixture, repoPath } from "./helpers.js";

/**
 * Every rule has a fixture `fixtures/rules/<rule-id>.yaml`: the clean base spec with one thing
 * broken, and the comment `# <- <rule-id>` on the line where the rule must report.
 */
const fixtureDir = fixture("rules");
const fixtureIds = readdirSync(fixtureDir)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => f.slice(0, -".yaml".length))
  .sort();

function markedLine(text: string, ruleId: string): number {
  const index = text.split("\n").findIndex((line) => line.includes(`# <- ${ruleId}`));
  if (index < 0) throw new Error(`fixture for ${ruleId} has no "# <- ${ruleId}" marker`);
  return index + 1;
}

describe("rule registry", () => {
  it("has a fixture for every rule and a rule for every fixture", () => {
    expect(fixtureIds).toEqual(rules.map((r) => r.id).sort());
  });

  it("gives every rule a unique jc- id, a severity and a one-line purpose", () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of rules) {
      expect(rule.id).toMatch(/^jc-[a-z0-9-]+$/);
      expect(["error", "warning", "info"]).toContain(rule.severity);
      expect(rule.purpose.length).toBeGreaterThan(10);
      expect(rule.purpose).not.toContain("\n");
    }
  });
});

describe("each rule fires on its minimal bad spec", () => {
  it.each(fixtureIds)("%s", async (ruleId) => {
    const file = fixture("rules", `${ruleId}.yaml`);
    const line = markedLine(readFileSync(file, "utf8"), ruleId);
    const { problems, contract } = await loadContract(file);
    const hits = problems.filter((p) => p.ruleId === ruleId);
    expect(
      hits.map((p) => p.location?.line),
      JSON.stringify(problems, null, 1),
    ).toContain(line);
    const rule = rules.find((r) => r.id === ruleId);
    for (const hit of hits) {
      expect(hit.severity).toBe(rule?.severity);
      expect(hit.location?.file).toBe(file);
      expect(hit.location?.column).toBeGreaterThanOrEqual(1);
    }
    if (rule?.severity === "error") expect(contract).toBeUndefined();
    else expect(contract).toBeDefined();
  });
});

describe("clean specs", () => {
  it.each([
    ["the rule fixtures' base", fixture("base.asyncapi.yaml")],
    ["the orders example (3.0)", repoPath("specs/orders.asyncapi.yaml")],
    ["the orders example (2.6)", repoPath("specs/orders.asyncapi-2.6.yaml")],
    ["the inventory example (3.1)", repoPath("specs/inventory.asyncapi-3.1.yaml")],
    ["the multi-file example", repoPath("specs/multi-file/asyncapi.yaml")],
  ])("%s has no problems", async (_name, file) => {
    const { problems, contract } = await loadContract(file);
    expect(problems).toEqual([]);
    expect(contract).toBeDefined();
  });
});
