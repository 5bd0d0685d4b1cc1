import { readFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createContext } from "../../src/codegen/context.js";
import { esmFromAjv } from "../../src/codegen/emit-validators.js";
import { emitContract } from "../../src/codegen/index.js";
import { acceptsEverything } from "../../src/codegen/schema-utils.js";
import type { Contract, JsonSchemaObject } from "../../src/model/types.js";
import { loadContract } from "../../src/spec/index.js";
import { OUT, REPO, writeFiles } from "./support.js";

type Validator = ((data: unknown) => boolean) & { errors?: unknown };

interface Loaded {
  contract: Contract;
  validators: Record<string, Validator>;
  /** Text of the generated validators.ajv.ts. */
  ajvModule: string;
}

const SPECS = [
  "specs/orders.asyncapi.yaml",
  "test/codegen/fixtures/hostile.asyncapi.yaml",
  "test/codegen/fixtures/multi.asyncapi.yaml",
];
const loaded = new Map<string, Loaded>();

beforeAll(async () => {
  for (const spec of SPECS) {
    const { contract } = await loadContract(spec, { cwd: REPO });
    if (!contract) throw new Error(`${spec} does not load`);
    const dir = path.join(OUT, "validators", spec.replace(/[^A-Za-z0-9]+/g, "_"));
    await writeFiles(dir, emitContract(contract, { source: spec }).files);
    const validators = (await import(
      pathToFileURL(path.join(dir, "validators.ts")).href
    )) as Record<string, Validator>;
    const ajvModule = await readFile(path.join(dir, "validators.ajv.ts"), "utf8");
    loaded.set(spec, { contract, validators, ajvModule });
  }
}, 120_000);

/** The generated validator of a message's payload, by the name the generator gave it. */
function payloadValidator(l: Loaded, messageId: string): Validator {
  const plan = createContext(l.contract, "spec").messages.find((m) => m.message.id === messageId);
  if (!plan) throw new Error(`no message ${messageId}`);
  const v = l.validators[plan.validatePayload];
  if (v) return v;
  // No validator is generated for a schema that accepts everything, and only then.
  expect(acceptsEverything(plan.message.payload)).toBe(true);
  return Object.assign((_data: unknown) => true, { errors: null });
}

/** Mutations of a valid payload that its schema must reject. */
function mutations(
  schema: JsonSchemaObject,
  example: Record<string, unknown>,
): [string, unknown][] {
  const out: [string, unknown][] = [];
  out.push(["not an object", "not an object"]);
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  for (const key of required) {
    const { [key]: _removed, ...rest } = example;
    out.push([`without required ${key}`, rest]);
  }
  const props = (schema.properties ?? {}) as Record<string, JsonSchemaObject>;
  for (const [key, prop] of Object.entries(props)) {
    if (!(key in example)) continue;
    if (prop.type === "string") out.push([`${key} as a number`, { ...example, [key]: 12345 }]);
    if (prop.type === "integer") out.push([`${key} as a string`, { ...example, [key]: "12" }]);
    if (Array.isArray(prop.enum))
      out.push([`${key} outside its enum`, { ...example, [key]: "__nope__" }]);
    if (typeof prop.pattern === "string")
      out.push([`${key} against its pattern`, { ...example, [key]: "!!" }]);
  }
  if (schema.additionalProperties === false)
    out.push(["an unknown property", { ...example, __extra__: 1 }]);
  return out;
}

function resolveRoot(schema: JsonSchemaObject): JsonSchemaObject {
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#/$defs/")) {
    const defs = schema.$defs as Record<string, JsonSchemaObject>;
    return defs[ref.slice("#/$defs/".length)] as JsonSchemaObject;
  }
  return schema;
}

describe.each(SPECS)("validators generated for %s", (spec) => {
  it("accept every example of the spec", () => {
    const l = loaded.get(spec) as Loaded;
    let checked = 0;
    for (const message of l.contract.messages) {
      const validate = payloadValidator(l, message.id);
      for (const example of message.examples) {
        if (example.payload === undefined) continue;
        expect({
          message: message.id,
          ok: validate(example.payload),
          errors: validate.errors,
        }).toMatchObject({
          ok: true,
        });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("reject mutated examples", () => {
    const l = loaded.get(spec) as Loaded;
    let checked = 0;
    for (const message of l.contract.messages) {
      if (typeof message.payload !== "object") continue;
      const schema = resolveRoot(message.payload);
      if (schema.type !== "object") continue;
      const validate = payloadValidator(l, message.id);
      for (const example of message.examples) {
        if (typeof example.payload !== "object" || example.payload === null) continue;
        for (const [what, mutated] of mutations(
          schema,
          example.payload as Record<string, unknown>,
        )) {
          expect({ message: message.id, what, ok: validate(mutated) }).toEqual({
            message: message.id,
            what,
            ok: false,
          });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe("ajv helpers come from @jetcontract/runtime/internal", () => {
  it("generated validators import nothing from ajv or ajv-formats (pnpm: not the user's dependencies)", () => {
    for (const spec of SPECS) {
      const text = (loaded.get(spec) as Loaded).ajvModule;
      const imports = [...text.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
      expect(
        imports.every((m) => m === "@jetcontract/runtime/internal"),
        spec,
      ).toBe(true);
      expect(text).not.toMatch(/\bajv(-formats)?\/dist\b|\brequire\(|\beval\(|new Function/);
    }
    // The orders contract uses a format and string lengths: both helpers come from the runtime.
    expect((loaded.get(SPECS[0] as string) as Loaded).ajvModule).toMatch(
      /^import \{ ajvFullFormats, ajvUcs2length \} from "@jetcontract\/runtime\/internal";$/m,
    );
  });

  it("maps every helper ajv's standalone code requires, and refuses an unknown one", () => {
    const out = esmFromAjv(
      [
        '"use strict";',
        'const func0 = require("ajv/dist/runtime/equal").default;',
        'const func1 = require("ajv/dist/runtime/uri").default;',
        'const formats0 = require("ajv-formats/dist/formats").fullFormats["uri"];',
      ].join("\n"),
    );
    expect(out).toBe(
      [
        'import { ajvEqual, ajvFullFormats, ajvUri } from "@jetcontract/runtime/internal";',
        "",
        "const func0 = ajvEqual;",
        "const func1 = ajvUri;",
        'const formats0 = ajvFullFormats["uri"];',
      ].join("\n"),
    );
    expect(() => esmFromAjv('const f = require("ajv/dist/runtime/quote").default;')).toThrow(
      /unexpected helper/,
    );
    expect(() => esmFromAjv('const f = require("fs");')).toThrow(/unexpected require/);
  });

  it("names exported functions after their exports, leaving string literals alone", () => {
    const out = esmFromAjv(
      [
        "export const v0 = validate3;",
        "export const v1 = validate3;",
        "export const v2 = validate12;",
        'const schema1 = {"enum":["validate3","a \\"validate12\\" b"]};',
        'function validate3(data){if(data === "validate3"){return validate12(data);} return validate12.errors;}',
        "function validate12(data){return validate120(data) && validate3x;}",
      ].join("\n"),
      new Map([
        ["v0", "validateOrder"],
        ["v1", "validateOrderAgain"],
        ["v2", "validateLine"],
      ]),
    );
    expect(out).toBe(
      [
        "export const v1 = validateOrder;",
        'const schema1 = {"enum":["validate3","a \\"validate12\\" b"]};',
        'export function validateOrder(data){if(data === "validate3"){return validateLine(data);} return validateLine.errors;}',
        "export function validateLine(data){return validate120(data) && validate3x;}",
      ].join("\n"),
    );
  });
});

describe("validator formats and nested shapes (orders)", () => {
  it("checks formats and nested schemas precompiled with ajv-formats", () => {
    const l = loaded.get(SPECS[0] as string) as Loaded;
    const validate = payloadValidator(l, "OrderPlaced");
    const example = l.contract.messages.find((m) => m.id === "OrderPlaced")?.examples[0]
      ?.payload as Record<string, unknown>;
    expect(validate(example)).toBe(true);
    expect(validate({ ...example, placedAt: "yesterday" })).toBe(false);
    const customer = example.customer as Record<string, unknown>;
    expect(validate({ ...example, customer: { ...customer, email: "not-an-email" } })).toBe(false);
    expect(validate({ ...example, lines: [] })).toBe(false);
    expect(validate({ ...example, notes: null })).toBe(true);
  });
});

describe("operations with several messages (multi)", () => {
  it("validate a payload that any of the operation's messages accepts", () => {
    const l = loaded.get(SPECS[2] as string) as Loaded;
    const plan = createContext(l.contract, "spec").operations.find(
      (o) => o.operation.id === "handle",
    );
    const name = plan?.combined?.validatePayload ?? "";
    const validate = l.validators[name] as Validator;
    expect(name).toBe("validateHandlePayload");
    expect(validate({ kind: "created", id: "c1" })).toBe(true);
    expect(validate({ kind: "folder", id: "f1", children: [{ kind: "folder", id: "f2" }] })).toBe(
      true,
    );
    expect(validate({ kind: "other", id: "x" })).toBe(false);
    expect(validate({ kind: "folder", id: "f1", children: [{ kind: "created" }] })).toBe(false);
  });
});

describe("schemas that name themselves with nothing in between (self-reference)", () => {
  it("compile to validators that read the loop as adding nothing, as the types and diff do, instead of recursing until the stack runs out", async () => {
    const spec = "test/codegen/fixtures/self-reference.asyncapi.yaml";
    const { contract } = await loadContract(spec, { cwd: REPO });
    if (!contract) throw new Error(`${spec} does not load`);
    const dir = path.join(OUT, "validators", "self-reference");
    await writeFiles(dir, emitContract(contract, { source: spec }).files);
    const validators = (await import(
      pathToFileURL(path.join(dir, "validators.ts")).href
    )) as Record<string, Validator>;
    const l: Loaded = { contract, validators, ajvModule: "" };
    const anyTotal = payloadValidator(l, "AnyTotal");
    expect(anyTotal({ total: "12.50" })).toBe(true);
    expect(anyTotal({ total: 12.5 })).toBe(false);
    expect(anyTotal({})).toBe(true);
    // `total: oneOf [Total, string]` with Total read as `oneOf [string]`: a string matches both.
    const oneTotal = payloadValidator(l, "OneTotal");
    expect(oneTotal({ total: "12.50" })).toBe(false);
    expect(oneTotal({})).toBe(true);
    // A loop reference with a sibling keyword is its sibling.
    const allTotal = payloadValidator(l, "AllTotal");
    expect(allTotal({ total: "12" })).toBe(true);
    expect(allTotal({ total: "1" })).toBe(false);
    expect(allTotal({ total: 12 })).toBe(false);
  });
});
