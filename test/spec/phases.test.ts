import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { emitContract } from "../../src/codegen/emit.js";
import type { Problem } from "../../src/model/problem.js";
import type { Contract } from "../../src/model/types.js";
import { buildContract } from "../../src/spec/build.js";
import { loadContract, type Phase, rules } from "../../src/spec/index.js";
import { Workspace } from "../../src/spec/workspace.js";
import { deriveJetStreamConfig } from "../../src/streams/derive.js";
import { fixture } from "./helpers.js";

/**
 * One registry, whichever command surfaces a rule: on every rule fixture, what `streams`
 * (derive) and `generate` (emit) report is what `validate` reports, with the same id,
 * severity and message. They run the same checks, so they cannot disagree.
 */

/** The model of a fixture even when validation fails (the loader stops before handing it out). */
async function modelOf(file: string): Promise<Contract> {
  const ws = new Workspace(path.dirname(file), undefined, false);
  await ws.loadRoot(file, file);
  await ws.loadReferences();
  return buildContract(ws, file).contract;
}

const fixtureIds = readdirSync(fixture("rules"))
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => f.slice(0, -".yaml".length))
  .sort();
const inPhase = (phase: Phase) =>
  rules.filter((r) => (r.phases as readonly Phase[]).includes(phase)).map((r) => r.id);

const seen = (problems: readonly Problem[], ruleId?: string) =>
  problems
    .filter((p) => ruleId === undefined || p.ruleId === ruleId)
    .map((p) => ({ ruleId: p.ruleId, severity: p.severity, message: p.message }))
    .sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
/** Problems in a fixed order (validate sorts by location, the stages by model order). */
const sorted = (problems: readonly Problem[]) => problems.map((p) => JSON.stringify(p)).sort();

describe.each<[Exclude<Phase, "validate">, (c: Contract) => readonly Problem[]]>([
  ["streams", (c) => deriveJetStreamConfig(c).problems],
  ["generate", (c) => emitContract(c, { source: "spec.yaml" }).problems],
])("the %s phase", (phase, run) => {
  it("has rules", () => expect(inPhase(phase).length).toBeGreaterThan(1));

  it.each(inPhase(phase))("reports %s as validate does", async (ruleId) => {
    const file = fixture("rules", `${ruleId}.yaml`);
    const validated = await loadContract(file);
    const want = seen(validated.problems, ruleId);
    expect(want.length).toBeGreaterThan(0);
    // On the built model, even when validate stops the loader: same id, severity and message.
    expect(seen(run(await modelOf(file)), ruleId)).toEqual(want);
    // On the loaded contract (warnings): the very same problems, locations included.
    if (validated.contract) {
      const again = run(validated.contract).filter((p) => p.ruleId === ruleId);
      expect(sorted(again)).toEqual(sorted(validated.problems.filter((p) => p.ruleId === ruleId)));
    }
  });

  it("does not run the model rules again on a contract the loader built", async () => {
    const rule = rules.find(
      (r) => r.reads === "model" && r.severity !== "error" && r.phases.includes(phase),
    );
    if (!rule) throw new Error(`no warning rule in the ${phase} phase`);
    const file = fixture("rules", `${rule.id}.yaml`);
    const { contract, problems } = await loadContract(file);
    if (!contract) throw new Error(`${rule.id}'s fixture does not load`);
    const spyOnChecks = () =>
      rules.filter((r) => r.reads === "model").map((r) => vi.spyOn(r, "check"));
    let checks = spyOnChecks();
    try {
      const found = run(contract);
      for (const check of checks) expect(check).not.toHaveBeenCalled();
      expect(seen(found, rule.id)).toEqual(seen(problems, rule.id));
      expect(seen(found, rule.id).length).toBeGreaterThan(0);
    } finally {
      for (const check of checks) check.mockRestore();
    }
    // A model the loader did not build is checked.
    const built = await modelOf(file);
    checks = spyOnChecks();
    try {
      expect(seen(run(built), rule.id)).toEqual(seen(problems, rule.id));
      expect(checks.some((check) => check.mock.calls.length > 0)).toBe(true);
    } finally {
      for (const check of checks) check.mockRestore();
    }
  });

  // Malformed annotations stop validate before the model rules, and build no sound model.
  const soundModels = fixtureIds.filter((id) => !id.startsWith("jc-annotation-"));
  it.each(soundModels)("reports nothing validate does not, on %s's fixture", async (id) => {
    const file = fixture("rules", `${id}.yaml`);
    const validated = seen((await loadContract(file)).problems);
    for (const problem of seen(run(await modelOf(file)))) expect(validated).toContainEqual(problem);
  });
});

describe("validate passing means streams and generate accept the contract", () => {
  const passing = rules.filter((r) => r.severity !== "error").map((r) => r.id);
  it.each(passing)("%s's fixture", async (id) => {
    const { contract } = await loadContract(fixture("rules", `${id}.yaml`));
    expect(contract).toBeDefined();
    const derived = deriveJetStreamConfig(contract as Contract);
    const emitted = emitContract(contract as Contract, { source: "spec.yaml" });
    expect(emitted.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(derived.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(derived.config).toBeDefined();
  });
});
