import { describe, expect, it } from "vitest";
import { TypeEmitter } from "../../src/codegen/emit-types.js";
import { NameScope } from "../../src/codegen/names.js";
import type { JsonSchema } from "../../src/model/types.js";

function typeOf(schema: JsonSchema): { type: string; declared: string[] } {
  const emitter = new TypeEmitter(new NameScope());
  const type = emitter.typeOf(schema);
  return { type, declared: emitter.declarations().map((d) => d.name) };
}

describe("type expressions", () => {
  const rows: [string, { given: JsonSchema; want: string }][] = [
    ["true schema", { given: true, want: "unknown" }],
    ["false schema", { given: false, want: "never" }],
    ["empty schema", { given: {}, want: "unknown" }],
    ["string", { given: { type: "string" }, want: "string" }],
    ["integer", { given: { type: "integer" }, want: "number" }],
    ["type list with null", { given: { type: ["string", "null"] }, want: "string | null" }],
    ["nullable", { given: { type: "number", nullable: true }, want: "number | null" }],
    ["string enum", { given: { type: "string", enum: ["a", "b"] }, want: '"a" | "b"' }],
    ["hostile enum", { given: { enum: ['"); x(); //', "*/"] }, want: '"\\"); x(); //" | "*/"' }],
    ["mixed enum", { given: { enum: [1, "1", null, true] }, want: '1 | "1" | null | true' }],
    [
      "object enum falls back",
      { given: { type: "object", enum: [{ a: 1 }] }, want: "Record<string, unknown>" },
    ],
    ["const", { given: { const: "fixed" }, want: '"fixed"' }],
    ["negative const", { given: { const: -2.5 }, want: "-2.5" }],
    ["array", { given: { type: "array", items: { type: "string" } }, want: "string[]" }],
    [
      "array of union",
      {
        given: { type: "array", items: { type: ["string", "number"] } },
        want: "(string | number)[]",
      },
    ],
    ["array without items", { given: { type: "array" }, want: "unknown[]" }],
    [
      "tuple (items array)",
      {
        given: {
          type: "array",
          items: [{ type: "string" }, { type: "integer" }],
          minItems: 2,
          additionalItems: false,
        },
        want: "[string, number]",
      },
    ],
    [
      "tuple (prefixItems) with rest",
      {
        given: { type: "array", prefixItems: [{ type: "string" }], items: { type: "boolean" } },
        want: "[string?, ...boolean[]]",
      },
    ],
    [
      "object",
      {
        given: {
          type: "object",
          required: ["a"],
          properties: { a: { type: "string" }, "b-c": { type: "number" } },
        },
        want: '{\n  a: string;\n  "b-c"?: number;\n}',
      },
    ],
    [
      "required but undeclared property",
      { given: { type: "object", required: ["x"] }, want: "{\n  x: unknown;\n}" },
    ],
    [
      "additionalProperties schema",
      {
        given: { type: "object", additionalProperties: { type: "integer" } },
        want: "{\n  [key: string]: number;\n}",
      },
    ],
    [
      "index signature widened by declared properties",
      {
        given: {
          type: "object",
          properties: { a: { type: "string" } },
          additionalProperties: { type: "integer" },
        },
        want: "{\n  a?: string;\n  [key: string]: number | string | undefined;\n}",
      },
    ],
    [
      "patternProperties",
      {
        given: { type: "object", patternProperties: { "^x-": { type: "boolean" } } },
        want: "{\n  [key: string]: boolean;\n}",
      },
    ],
    [
      "closed empty object",
      { given: { type: "object", additionalProperties: false }, want: "Record<string, never>" },
    ],
    [
      "oneOf",
      { given: { oneOf: [{ type: "string" }, { type: "integer" }] }, want: "string | number" },
    ],
    [
      "allOf",
      {
        given: {
          allOf: [
            { type: "object", properties: { a: { type: "string" } } },
            { type: "object", properties: { b: { type: "string" } } },
          ],
        },
        want: "{\n  a?: string;\n} & {\n  b?: string;\n}",
      },
    ],
    [
      "base with anyOf",
      {
        given: {
          type: "object",
          properties: { k: { type: "string" } },
          anyOf: [{ required: ["k"] }, true],
        },
        want: "{\n  k?: string;\n}",
      },
    ],
    [
      "format is documentation only",
      { given: { type: "string", format: "date-time" }, want: "string" },
    ],
  ];
  it.each(rows)("%s", (_name, { given, want }) => {
    expect(typeOf(given).type).toBe(want);
  });
});

describe("named and recursive schemas", () => {
  it("declares a schema tagged x-jc-name once and refers to it by name", () => {
    const money = {
      "x-jc-name": "Money",
      type: "object",
      properties: { amount: { type: "integer" } },
    };
    const emitter = new TypeEmitter(new NameScope());
    const a = emitter.typeOf({ type: "object", properties: { price: money, total: money } });
    expect(a).toBe("{\n  price?: Money;\n  total?: Money;\n}");
    expect(emitter.declarations().map((d) => d.name)).toEqual(["Money"]);
  });

  it("gives different schemas with the same name different type names", () => {
    const emitter = new TypeEmitter(new NameScope());
    emitter.typeOf({ type: "object", properties: { a: { "x-jc-name": "Item", type: "string" } } });
    emitter.typeOf({ type: "object", properties: { b: { "x-jc-name": "Item", type: "integer" } } });
    expect(emitter.declarations().map((d) => d.name)).toEqual(["Item", "Item2"]);
  });

  it("declares recursive $defs as one named type that refers to itself", () => {
    // The loader's shape for a cycle: a `$ref` into the root's `$defs`.
    const tree = {
      $ref: "#/$defs/Tree",
      $defs: {
        Tree: {
          "x-jc-name": "Tree",
          type: "object",
          required: ["name"],
          properties: {
            name: { type: "string" },
            children: { type: "array", items: { $ref: "#/$defs/Tree" } },
          },
        },
      },
    };
    const emitter = new TypeEmitter(new NameScope());
    expect(emitter.declare("Tree Payload", tree)).toBe("TreePayload");
    expect(emitter.declare("Forest Payload", { ...tree })).toBe("ForestPayload");
    const decls = emitter.declarations();
    expect(decls.map((d) => d.name)).toEqual(["TreePayload", "Tree", "ForestPayload"]);
    expect(decls[1]).toMatchObject({
      properties: [
        { name: "name", type: "string", optional: false },
        { name: "children", type: "Tree[]", optional: true },
      ],
    });
    expect(decls[0]).toMatchObject({ type: "Tree" });
  });

  it("tags discriminated union branches with their schema name", () => {
    const cat = { "x-jc-name": "Cat", type: "object", properties: { petType: { type: "string" } } };
    const dog = { "x-jc-name": "Dog", type: "object", properties: { petType: { type: "string" } } };
    const { type } = typeOf({ discriminator: "petType", oneOf: [cat, dog] });
    expect(type).toBe('(Cat & { petType: "Cat" }) | (Dog & { petType: "Dog" })');
  });

  it("keeps branches that pin the discriminator themselves", () => {
    const a = { type: "object", properties: { kind: { const: "a" } }, required: ["kind"] };
    const b = { type: "object", properties: { kind: { const: "b" } }, required: ["kind"] };
    const { type } = typeOf({ discriminator: { propertyName: "kind" }, oneOf: [a, b] });
    expect(type).toBe('{\n  kind: "a";\n} | {\n  kind: "b";\n}');
  });

  it("writes descriptions and examples as safe JSDoc", () => {
    const emitter = new TypeEmitter(new NameScope());
    emitter.declare("Thing", {
      type: "object",
      description: "Ends */ here",
      properties: { a: { type: "string", examples: ["x*/y"], description: "@evil" } },
    });
    const decl = emitter.declarations()[0];
    const text = JSON.stringify(decl);
    expect(text).not.toContain("*/");
    expect(text).toContain("*\\\\/");
  });
});
