import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { diffContracts } from "../../src/compat/contract-diff.js";
import { parsePositioned } from "../../src/compat/document.js";
import { isRuleId, ruleById } from "../../src/compat/rules.js";
import type { Contract } from "../../src/model/types.js";
import { loadContract } from "../../src/spec/index.js";
import { contractFixtureDir, contractFixtureIds } from "./contract-fixtures.js";

/** Where each contract rule must point: the old document for removals, else the new one. */
const expectations: Record<string, { side: "old" | "new"; pointer: string }> = {
  "channel-removed": { side: "old", pointer: "/channels/orderCancelled" },
  "channel-address-changed": { side: "new", pointer: "/channels/orderCancelled" },
  "channel-renamed": { side: "new", pointer: "/channels/cancellations" },
  "channel-message-removed": { side: "new", pointer: "/channels/orderCancelled" },
  "message-removed": { side: "old", pointer: "/components/messages/OrderReopened" },
  "operation-removed": { side: "old", pointer: "/operations/placeOrder" },
  "idempotency-key-changed": {
    side: "new",
    pointer: "/components/messages/OrderPlaced/x-idempotency-key",
  },
  "idempotency-key-removed": {
    side: "old",
    pointer: "/components/messages/OrderPlaced/x-idempotency-key",
  },
  "dlq-removed": { side: "old", pointer: "/operations/fulfil/x-dlq" },
  "retry-policy-removed": { side: "old", pointer: "/operations/fulfil/x-retry" },
  "stream-removed": { side: "old", pointer: "/x-jetstream/streams/AUDIT" },
  "stream-not-updatable": { side: "new", pointer: "/x-jetstream/streams/SHOP" },
  "stream-subjects-narrowed": { side: "new", pointer: "/x-jetstream/streams/SHOP" },
  // The model keeps the document's location for info.version.
  "major-version-bump-missing": { side: "new", pointer: "" },
};

async function load(file: string): Promise<Contract> {
  const result = await loadContract(file, { cwd: contractFixtureDir });
  expect(result.problems.filter((p) => p.severity === "error")).toEqual([]);
  if (!result.contract) throw new Error(`fixture ${file} did not load`);
  return result.contract;
}

describe("version gating (--allow-major)", () => {
  it("accepts breaking changes under a new major version, and asks for one otherwise", async () => {
    const previous = await load("previous.yaml");
    const current = await load("message-removed.yaml");
    const same = diffContracts(previous, current, { allowMajor: true });
    expect(same.compatible).toBe(false);
    const missing = same.changes.find((c) => c.ruleId === "major-version-bump-missing");
    expect(missing?.message).toBe(
      "1 breaking change(s) need a new major version: info.version is 1.0.0 (was 1.0.0)",
    );
    expect(missing?.fix).toBe("set info.version to 2.0.0");
    const bumped = { ...current, info: { ...current.info, version: "2.0.0" } };
    const next = diffContracts(previous, bumped, { allowMajor: true });
    expect(next.compatible).toBe(true);
    const removed = next.changes.find((c) => c.ruleId === "message-removed");
    expect(removed?.ignoredReason).toBe("new major version 2.0.0 (was 1.0.0)");
    expect(next.changes.some((c) => c.ruleId === "major-version-bump-missing")).toBe(false);
    // Without the option the version is not looked at.
    expect(diffContracts(previous, bumped).compatible).toBe(false);
  });
});

describe("contract rules on their fixtures", () => {
  let previous: Contract;
  beforeAll(async () => {
    previous = await load("previous.yaml");
  });

  it("has an expectation for every contract fixture", () => {
    expect(Object.keys(expectations).sort()).toEqual(contractFixtureIds());
  });

  it("finds nothing between a version and itself", async () => {
    expect(diffContracts(previous, previous).changes).toEqual([]);
  });

  it.each(contractFixtureIds())("%s", async (id) => {
    const current = await load(`${id}.yaml`);
    const report = diffContracts(previous, current, {
      mode: "FULL",
      ...(id === "major-version-bump-missing" ? { allowMajor: true } : {}),
    });
    const change = report.changes.find((c) => c.ruleId === id);
    expect(change, JSON.stringify(report.changes.map((c) => c.ruleId))).toBeDefined();
    if (!change) return;
    if (!isRuleId(id)) throw new Error(`unknown rule id ${id}`);
    const rule = ruleById(id);
    expect(change.backward).toBe(rule.backward);
    expect(change.forward).toBe(rule.forward);
    expect(change.scope.kind).toBe("contract");
    const want = expectations[id];
    if (!want) throw new Error(`no expectation for ${id}`);
    expect(change.side).toBe(want.side);
    const file = want.side === "old" ? "previous.yaml" : `${id}.yaml`;
    const doc = parsePositioned(readFileSync(path.join(contractFixtureDir, file), "utf8"), file);
    expect(change.location?.file).toBe(file);
    expect(change.location?.line).toBe(doc.locate(want.pointer).line);
    expect(report.compatible).toBe(rule.severity !== "error");
  });
});
