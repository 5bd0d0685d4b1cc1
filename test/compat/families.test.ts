// biome-ignore-all lint/suspicious/noThenProperty: `then` is the JSON Schema keyword under test
import { describe, expect, it } from "vitest";
import { diffSchemas } from "../../src/compat/schema/index.js";
import type { JsonSchema } from "../../src/model/types.js";

/**
 * The families of false verdicts from issue 12, each as a pair judged in both directions by
 * set inclusion. `backward`: every value old accepts, new accepts; `forward`: the converse.
 * Each row is also checked swapped (old and new exchanged swap the verdicts).
 */
interface Row {
  readonly old: unknown;
  readonly new: unknown;
  readonly backward: boolean;
  readonly forward: boolean;
}

const rows: [string, Row][] = [
  [
    "format changed",
    {
      old: { type: "string", format: "date" },
      new: { type: "string", format: "email" },
      backward: false,
      forward: false,
    },
  ],
  [
    "format removed",
    {
      old: { type: "string", format: "uuid" },
      new: { type: "string" },
      backward: true,
      forward: false,
    },
  ],
  [
    "contentMediaType changed",
    {
      old: { type: "string", contentMediaType: "application/json" },
      new: { type: "string", contentMediaType: "text/csv" },
      backward: false,
      forward: false,
    },
  ],
  [
    "contentEncoding changed",
    {
      old: { type: "string", contentEncoding: "base64" },
      new: { type: "string", contentEncoding: "base32" },
      backward: false,
      forward: false,
    },
  ],
  [
    "tuple item removed, unevaluatedItems a schema",
    {
      old: {
        prefixItems: [{ type: "boolean" }, { type: "integer" }],
        unevaluatedItems: { type: "boolean" },
      },
      new: { prefixItems: [{ type: "boolean" }], unevaluatedItems: { type: "boolean" } },
      backward: false,
      forward: false,
    },
  ],
  [
    "tuple item removed, unevaluatedItems the same set",
    {
      old: {
        prefixItems: [{ type: "boolean" }, { type: "boolean" }],
        unevaluatedItems: { type: "boolean" },
      },
      new: { prefixItems: [{ type: "boolean" }], unevaluatedItems: { type: "boolean" } },
      backward: true,
      forward: true,
    },
  ],
  [
    "tuple item removed, unevaluatedItems false",
    {
      old: { prefixItems: [{ type: "boolean" }, { type: "integer" }], unevaluatedItems: false },
      new: { prefixItems: [{ type: "boolean" }], unevaluatedItems: false },
      backward: false,
      forward: true,
    },
  ],
  [
    "$ref to a draft-07 $id '#Amount' whose type changed",
    {
      old: {
        definitions: { a: { $id: "#Amount", type: "integer" } },
        properties: { x: { $ref: "#Amount" } },
      },
      new: {
        definitions: { a: { $id: "#Amount", type: "string" } },
        properties: { x: { $ref: "#Amount" } },
      },
      backward: false,
      forward: false,
    },
  ],
  [
    "$ref to a 2020-12 $anchor whose type widened",
    {
      old: {
        $defs: { a: { $anchor: "Amount", type: "integer" } },
        properties: { x: { $ref: "#Amount" } },
      },
      new: {
        $defs: { a: { $anchor: "Amount", type: "number" } },
        properties: { x: { $ref: "#Amount" } },
      },
      backward: true,
      forward: false,
    },
  ],
  [
    "property removed under unevaluatedProperties: false",
    {
      old: { properties: { a: {}, b: {} }, unevaluatedProperties: false },
      new: { properties: { a: {} }, unevaluatedProperties: false },
      backward: false,
      forward: true,
    },
  ],
  [
    "non-mergeable allOf to its type",
    {
      old: { allOf: [{ type: "string", pattern: "^a" }, { pattern: "b$" }] },
      new: { type: "string" },
      backward: true,
      forward: false,
    },
  ],
  [
    "allOf to anyOf beside a type",
    {
      old: { type: "integer", allOf: [{ minimum: 0 }, { maximum: 9 }] },
      new: { type: "integer", anyOf: [{ minimum: 0 }, { maximum: 9 }] },
      backward: true,
      forward: false,
    },
  ],
  [
    "oneOf to anyOf beside a type, disjoint branches",
    {
      old: { type: "integer", oneOf: [{ enum: [1, 2] }, { enum: [3] }] },
      new: { type: "integer", anyOf: [{ enum: [1, 2] }, { enum: [3] }] },
      backward: true,
      forward: true,
    },
  ],
  [
    "then relaxed",
    {
      old: {
        if: { properties: { kind: { const: "card" } } },
        then: { required: ["number", "cvc"] },
      },
      new: { if: { properties: { kind: { const: "card" } } }, then: { required: ["number"] } },
      backward: true,
      forward: false,
    },
  ],
  [
    "else tightened",
    {
      old: { if: { required: ["a"] }, else: { type: "object" } },
      new: { if: { required: ["a"] }, else: { type: "object", required: ["b"] } },
      backward: false,
      forward: true,
    },
  ],
  [
    "propertyNames with a pattern that matches every name",
    {
      old: { type: "object" },
      new: { type: "object", propertyNames: { pattern: "x*" } },
      backward: true,
      forward: true,
    },
  ],
  [
    "pattern that matches every string removed",
    {
      old: { type: "string", pattern: "(a|)" },
      new: { type: "string" },
      backward: true,
      forward: true,
    },
  ],
  [
    "duplicate oneOf branch removed",
    {
      old: { oneOf: [{ type: "string" }, { type: "string" }] },
      new: { oneOf: [{ type: "string" }] },
      backward: true,
      forward: false,
    },
  ],
  [
    // Property run seed 99, pair 2491: the `if` reads the same, but `D` it refers to widened.
    "if unchanged in text, its $ref target changed",
    {
      old: {
        if: { oneOf: [{ $ref: "#/$defs/D" }, true] },
        then: { enum: [1] },
        $defs: { D: { type: "null" } },
      },
      new: { if: { oneOf: [{ $ref: "#/$defs/D" }, true] }, then: { enum: [1] }, $defs: { D: {} } },
      backward: false,
      forward: false,
    },
  ],
  [
    "contentSchema unchanged in text, its $ref target changed",
    {
      old: {
        type: "string",
        contentMediaType: "application/json",
        contentSchema: { $ref: "#/$defs/D" },
        $defs: { D: { type: "object" } },
      },
      new: {
        type: "string",
        contentMediaType: "application/json",
        contentSchema: { $ref: "#/$defs/D" },
        $defs: { D: { type: "array" } },
      },
      backward: false,
      forward: false,
    },
  ],
];

function verdicts(oldSchema: unknown, newSchema: unknown) {
  const changes = diffSchemas(oldSchema as JsonSchema, newSchema as JsonSchema);
  return {
    backward: !changes.some((c) => c.backward === "breaking"),
    forward: !changes.some((c) => c.forward === "breaking"),
  };
}

describe("issue 12 families, judged by the sets of values accepted", () => {
  it.each(rows)("%s", (_name, row) => {
    expect(verdicts(row.old, row.new)).toEqual({ backward: row.backward, forward: row.forward });
  });

  it.each(rows)("%s, the other way round", (_name, row) => {
    expect(verdicts(row.new, row.old)).toEqual({ backward: row.forward, forward: row.backward });
  });
});
