/**
 * The property behind every "compatible" verdict, checked on random schema pairs with ajv as
 * the judge: when `diff` says BACKWARD holds, every value the old schema accepts is accepted
 * by the new one; when it says FORWARD holds, the reverse. Schemas come from a grammar over
 * the keywords the checker reasons about; the new schema is the old one mutated (a subschema
 * replaced, a keyword dropped), so pairs are related as real versions are. Values are drawn
 * from a vocabulary that the schemas' names, bounds and patterns use, so they hit edges.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { diffSchemas } from "../../../src/compat/schema/index.js";
import type { JsonSchema } from "../../../src/model/types.js";

type Schema = boolean | { [key: string]: unknown };

const NAMES = ["a", "b", "c"] as const;
const PATTERNS = ["^a", "b$", "a*", "^[ab]+$", "x*", "(a|)"] as const;
const NUMBERS = [-1, 0, 1, 2, 3, 5, 10] as const;

/** A schema object with one to three of the given keywords. */
function fewKeys(keywords: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Schema> {
  const entries = Object.entries(keywords).map(([key, arb]) =>
    arb.map((value) => [key, value] as const),
  );
  return fc
    .uniqueArray(fc.oneof(...entries), { minLength: 1, maxLength: 3, selector: (e) => e[0] })
    .map((list) => Object.fromEntries(list));
}

const leaf: fc.Arbitrary<Schema> = fc.oneof(
  fc.constantFrom<Schema>(true, false, {}),
  fewKeys({
    type: fc.oneof(
      fc.constantFrom("null", "boolean", "integer", "number", "string", "object", "array"),
      fc.constantFrom(["string", "null"], ["integer", "string"], ["number", "boolean"]),
    ),
    enum: fc.uniqueArray(fc.constantFrom<unknown>(1, 2, "a", "b", null, true), {
      minLength: 1,
      maxLength: 3,
    }),
    const: fc.constantFrom<unknown>(1, "a", null),
    minimum: fc.constantFrom(...NUMBERS),
    maximum: fc.constantFrom(...NUMBERS),
    exclusiveMinimum: fc.constantFrom(...NUMBERS),
    exclusiveMaximum: fc.constantFrom(...NUMBERS),
    multipleOf: fc.constantFrom(1, 2, 3, 0.5),
    minLength: fc.constantFrom(0, 1, 2),
    maxLength: fc.constantFrom(0, 1, 2, 3),
    pattern: fc.constantFrom(...PATTERNS),
    format: fc.constantFrom("date", "email"),
    contentMediaType: fc.constantFrom("application/json", "text/csv"),
    minItems: fc.constantFrom(0, 1, 2),
    maxItems: fc.constantFrom(0, 1, 2),
    uniqueItems: fc.boolean(),
    minProperties: fc.constantFrom(0, 1, 2),
    maxProperties: fc.constantFrom(0, 1, 2),
    required: fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 2 }),
    dependentRequired: fc.constantFrom({ a: ["b"] }, { b: ["c"] }),
  }),
);

const schema: fc.Arbitrary<Schema> = fc.letrec<{ node: Schema }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fewKeys({
      type: fc.constantFrom("object", "array"),
      properties: fc.dictionary(fc.constantFrom(...NAMES), tie("node"), { maxKeys: 3 }),
      required: fc.uniqueArray(fc.constantFrom(...NAMES), { maxLength: 2 }),
      additionalProperties: tie("node"),
      unevaluatedProperties: fc.constantFrom<Schema>(false, { type: "integer" }),
      patternProperties: fc.dictionary(fc.constantFrom("^a", "b"), tie("node"), {
        maxKeys: 1,
      }),
      propertyNames: fc.record({ pattern: fc.constantFrom(...PATTERNS) }),
      items: tie("node"),
      prefixItems: fc.array(tie("node"), { maxLength: 2 }),
      unevaluatedItems: fc.constantFrom<Schema>(false, { type: "boolean" }),
      contains: tie("node"),
    }),
    fc.record({ allOf: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ anyOf: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ oneOf: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
    fc.record({
      type: fc.constantFrom("integer", "object", "string"),
      anyOf: fc.array(tie("node"), { minLength: 1, maxLength: 2 }),
    }),
    fc.record({ not: tie("node") }),
    // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword
    fc.record({ if: tie("node"), then: tie("node"), else: tie("node") }, { requiredKeys: ["if"] }),
    fc.constantFrom<Schema>({ $ref: "#/$defs/D" }, { $ref: "#D" }),
  ),
})).node;

/** A root: the schema, with `$defs/D` (also anchored as `#D`) for references. */
const root: fc.Arbitrary<Schema> = fc
  .tuple(schema, leaf)
  .map(([s, d]) =>
    typeof s === "boolean"
      ? s
      : { ...s, $defs: { D: typeof d === "boolean" ? d : { ...d, $anchor: "D" } } },
  );

/** Every object/array node of a schema, with a way to replace it. */
function slots(value: unknown): { get: () => unknown; set: (v: unknown) => void }[] {
  const out: { get: () => unknown; set: (v: unknown) => void }[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      out.push({
        get: () => record[key],
        set: (v) => {
          if (v !== undefined) record[key] = v;
          else if (Array.isArray(node)) node.splice(Number(key), 1);
          else delete record[key];
        },
      });
      visit(record[key]);
    }
  };
  visit(value);
  return out;
}

/** The new version: the old one with one place replaced by a part of `other`, or removed. */
function mutate(
  old: Schema,
  other: Schema,
  pick: number,
  pickOther: number,
  drop: boolean,
): Schema {
  const copy = structuredClone(old);
  const places = slots(copy);
  if (places.length === 0) return structuredClone(other);
  const place = places[pick % places.length];
  if (!place) return copy;
  if (drop) {
    place.set(undefined);
    return copy;
  }
  const donors = slots(other).map((s) => s.get());
  const donor = donors.length > 0 ? donors[pickOther % donors.length] : other;
  place.set(structuredClone(donor));
  return copy;
}

export const schemaPair: fc.Arbitrary<{ old: Schema; new: Schema }> = fc
  .tuple(root, root, fc.nat(), fc.nat(), fc.boolean(), fc.nat(5))
  .map(([old, other, pick, pickOther, drop, kind]) => ({
    old,
    // Mostly mutations; sometimes the same schema, sometimes an unrelated one.
    new:
      kind === 0
        ? structuredClone(other)
        : kind === 1
          ? structuredClone(old)
          : mutate(old, other, pick, pickOther, drop),
  }));

const jsonValue: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom<unknown>(null, true, false, 0, 1, 2, 3, 5, 10, -1, 0.5, 2.5, 11),
    fc.constantFrom("", "a", "b", "ab", "ba", "x", "aab", "abc", "2020-01-01", "a@b.c", "[]"),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "b", "c", "d", "ab"), tie("v"), { maxKeys: 3 }),
  ),
})).v;

// Through JSON, as messages arrive: fast-check's dictionaries can have a null prototype, on
// which ajv's uniqueItems comparison throws.
export const values: fc.Arbitrary<unknown[]> = fc
  .array(jsonValue, { minLength: 20, maxLength: 40 })
  .map((list) => JSON.parse(JSON.stringify(list)) as unknown[]);

let ajv = newAjv();
let compiled = 0;
function newAjv(): Ajv2020 {
  return new Ajv2020({ strict: false, validateFormats: false });
}

function compile(s: Schema): ((value: unknown) => boolean) | undefined {
  // A fresh instance now and then keeps ajv's schema cache small.
  if (++compiled % 200 === 0) ajv = newAjv();
  try {
    const validate = ajv.compile(s as object | boolean as object);
    return (value) => {
      try {
        return validate(value) === true;
      } catch {
        return false;
      }
    };
  } catch {
    return undefined; // not a schema ajv accepts (e.g. an unresolvable $ref): no judge
  }
}

/**
 * Schemas the judge gets wrong, left out rather than judged wrongly:
 * - ajv 8 does not count the items a trivial `contains` (`{}`, `true`) matched as evaluated,
 *   so `{contains: {}, unevaluatedItems: false}` rejects `[null]` (JSON Schema 2020-12 accepts
 *   it); the checker compares these without the rewrite to `items`.
 * - ajv 8.20 skips `contains` on an empty array beside `prefixItems` (the generated code leaves
 *   prefixItems' result unset when there is no item), so `{prefixItems: [{type: string}],
 *   contains: {}}` accepts `[]` (2020-12 rejects it: nothing is contained). Seed 42, pair 1115.
 */
function ajvMisjudges(s: unknown): boolean {
  if (typeof s !== "object" || s === null) return false;
  const node = s as Record<string, unknown>;
  if (node.contains !== undefined && node.unevaluatedItems !== undefined) return true;
  if (node.contains !== undefined && node.prefixItems !== undefined) return true;
  return Object.values(node).some(ajvMisjudges);
}

/**
 * A counterexample, or undefined: a value the "compatible" direction should carry over but
 * the other schema rejects.
 */
export function falseCompatible(
  pair: { old: Schema; new: Schema },
  sample: readonly unknown[],
): string | undefined {
  const changes = diffSchemas(pair.old as JsonSchema, pair.new as JsonSchema);
  const backward = !changes.some((c) => c.backward === "breaking");
  const forward = !changes.some((c) => c.forward === "breaking");
  if (!backward && !forward) return undefined;
  if (ajvMisjudges(pair.old) || ajvMisjudges(pair.new)) return undefined;
  const oldOk = compile(pair.old);
  const newOk = compile(pair.new);
  if (!oldOk || !newOk) return undefined;
  for (const value of sample) {
    const o = oldOk(value);
    const n = newOk(value);
    if (backward && o && !n)
      return `BACKWARD said compatible, but ${JSON.stringify(value)} passes old and fails new`;
    if (forward && n && !o)
      return `FORWARD said compatible, but ${JSON.stringify(value)} passes new and fails old`;
  }
  return undefined;
}

/** The property, for fc.assert. */
export const diffProperty = fc.property(schemaPair, values, (pair, sample) => {
  const problem = falseCompatible(pair, sample);
  if (problem)
    throw new Error(
      `${problem}\nold: ${JSON.stringify(pair.old)}\nnew: ${JSON.stringify(pair.new)}`,
    );
});
