import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parsePositioned } from "../../src/compat/document.js";
import { isRuleId, RULES, type Rule, ruleById } from "../../src/compat/rules.js";
import { diffSchemas } from "../../src/compat/schema/index.js";
import type { JsonSchema } from "../../src/model/types.js";
import { contractFixtureIds } from "./contract-fixtures.js";

interface Fixture {
  readonly previous: JsonSchema;
  readonly current: JsonSchema;
  readonly path: string;
  readonly at?: string;
  readonly side?: "previous" | "current";
  readonly backward: "breaking" | "compatible";
  readonly forward: "breaking" | "compatible";
}

const file = fileURLToPath(new URL("./fixtures/rules/schema-rules.yaml", import.meta.url));
const doc = parsePositioned(readFileSync(file, "utf8"), "schema-rules.yaml");
const fixtures = doc.value as Record<string, Fixture>;

/** A rule named by a fixture key or a `mirror` (checked against the registry). */
function rule(id: string): Rule {
  if (isRuleId(id)) return ruleById(id);
  throw new Error(`unknown rule id ${id}`);
}

function diffFixture(id: string, fixture: Fixture, swap = false) {
  const [a, b] = swap ? ["current", "previous"] : ["previous", "current"];
  return diffSchemas(
    swap ? fixture.current : fixture.previous,
    swap ? fixture.previous : fixture.current,
    {
      oldPositions: (p) => doc.locateExact(`/${id}/${a}${p}`),
      newPositions: (p) => doc.locateExact(`/${id}/${b}${p}`),
    },
  );
}

describe("rule registry audit", () => {
  it("gives every rule a fixture pair", () => {
    const contractIds = new Set(contractFixtureIds());
    const missing = RULES.filter((r) =>
      r.scope === "schema" ? !Object.hasOwn(fixtures, r.id) : !contractIds.has(r.id),
    ).map((r) => r.id);
    expect(missing).toEqual([]);
  });

  it("says how to fix every rule that can break", () => {
    const missing = RULES.filter(
      (r) => (r.backward === "breaking" || r.forward === "breaking") && !r.fix,
    ).map((r) => r.id);
    expect(missing).toEqual([]);
  });

  it("has no fixture for an unknown rule", () => {
    expect(Object.keys(fixtures).filter((id) => !isRuleId(id))).toEqual([]);
  });

  it("pairs every mirrored rule with a rule whose verdicts are swapped", () => {
    for (const r of RULES) {
      if (!r.mirror) {
        if (r.scope === "schema") expect(r.asymmetry, r.id).toBeTruthy();
        continue;
      }
      const mirror = rule(r.mirror);
      expect(mirror.mirror, r.id).toBe(r.id);
      expect(mirror.backward, r.id).toBe(r.forward);
      expect(mirror.forward, r.id).toBe(r.backward);
    }
  });

  it("uses unique, kebab-case ids with a one-line purpose", () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) {
      expect(rule.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(rule.purpose).not.toContain("\n");
    }
  });
});

describe("schema rules on their fixtures", () => {
  it.each(Object.entries(fixtures))("%s", (id, fixture) => {
    const changes = diffFixture(id, fixture);
    const change = changes.find((c) => c.ruleId === id);
    expect(change, JSON.stringify(changes.map((c) => c.ruleId))).toBeDefined();
    if (!change) return;
    expect(change.path).toBe(fixture.path);
    expect(change.backward).toBe(fixture.backward);
    expect(change.forward).toBe(fixture.forward);
    const side = fixture.side ?? "current";
    expect(change.side).toBe(side === "current" ? "new" : "old");
    // By default a change points at the keyword it is about when the file has it, else at
    // the schema node that changed.
    const keyword = doc.locateExact(`/${id}/${side}${fixture.path}`) ? fixture.path : "";
    const expected = doc.locate(`/${id}/${side}${fixture.at ?? keyword}`);
    expect(change.location?.file).toBe("schema-rules.yaml");
    expect([change.location?.line, change.location?.column]).toEqual([
      expected.line,
      expected.column,
    ]);
  });

  it.each(Object.entries(fixtures).filter(([id]) => rule(id).mirror))(
    "%s reported the other way round is its mirror",
    (id, fixture) => {
      const swapped = diffFixture(id, fixture, true).map((c) => c.ruleId);
      expect(swapped).toContain(rule(id).mirror);
    },
  );
});
