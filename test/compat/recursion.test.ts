import { describe, expect, it } from "vitest";
import { diffSchemas } from "../../src/compat/schema/index.js";
import type { JsonSchema } from "../../src/model/types.js";

/**
 * Recursive schemas with unions of references, after the shapes of the schema registry's
 * recursive-oneOf tests (confluentinc/schema-registry SchemaDiffTest: a trade with 12
 * mutually recursive product types; a cycle that must not hide a break). Rewritten here.
 */
function node(idType: string, next: string): JsonSchema {
  return {
    type: "object",
    additionalProperties: true,
    properties: { id: { type: idType }, next: { oneOf: [{ $ref: `#/definitions/${next}` }] } },
  };
}

function cycle(t0: string, t1: string): JsonSchema {
  return {
    type: "object",
    definitions: { T0: node(t0, "T2"), T1: node(t1, "T2"), T2: node("integer", "T0") },
    properties: { root: { oneOf: [{ $ref: "#/definitions/T0" }, { $ref: "#/definitions/T1" }] } },
  };
}

const PRODUCTS = ["Asset", "Basket", "Swap", "Bond", "Option", "Future", "Forward", "Loan"];
const union = (): JsonSchema => ({
  oneOf: PRODUCTS.map((p) => ({ $ref: `#/definitions/${p}` })),
});

function trade(assetId = "string"): JsonSchema {
  const definitions: Record<string, JsonSchema> = {};
  for (const p of PRODUCTS) {
    definitions[p] = {
      type: "object",
      required: ["kind"],
      properties: {
        kind: { const: p },
        id: { type: p === "Asset" ? assetId : "string" },
        underlying: union(),
        reference: union(),
      },
    };
  }
  return { type: "object", definitions, properties: { product: union() } };
}

const breaking = (a: JsonSchema, b: JsonSchema) =>
  diffSchemas(a, b).filter((c) => c.backward === "breaking");

describe("recursive schemas", () => {
  it("finds nothing between a recursive union and itself, quickly", () => {
    const started = performance.now();
    expect(diffSchemas(trade(), trade())).toEqual([]);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("finds a break deep inside mutually recursive products", () => {
    const started = performance.now();
    const changes = breaking(trade(), trade("number"));
    expect(changes.some((c) => c.ruleId === "type-changed")).toBe(true);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("does not let a remembered comparison inside a cycle hide a break", () => {
    expect(
      breaking(cycle("integer", "boolean"), cycle("boolean", "number")).length,
    ).toBeGreaterThan(0);
    expect(breaking(cycle("integer", "boolean"), cycle("integer", "boolean"))).toEqual([]);
  });
});
