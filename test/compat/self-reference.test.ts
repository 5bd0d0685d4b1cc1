import { describe, expect, it } from "vitest";
import type { RuleId } from "../../src/compat/rules.js";
import { diffSchemas } from "../../src/compat/schema/index.js";
import type { JsonSchema } from "../../src/model/types.js";

/**
 * Schemas that refer to themselves with nothing in between (issue 15, fuzz seed 20261201 case
 * 791: `total: {oneOf: [{$ref: "#/properties/total"}, {type: string}]}` beside `type` and
 * `minimum` overflowed the stack). They are read as adding nothing, and a side that has one
 * where the other has none is reported as breaking for that side's readers, whose validators
 * recurse on it forever.
 */

const KINDS = ["oneOf", "anyOf", "allOf"] as const;
type Kind = (typeof KINDS)[number];

/** An object whose `total` refers to itself through `kind`, beside `extra` keywords. */
function looped(kind: Kind, extra: Record<string, unknown> = {}): JsonSchema {
  return {
    type: "object",
    properties: {
      total: { ...extra, [kind]: [{ $ref: "#/properties/total" }, { type: "string" }] },
    },
  };
}

const plain = (extra: Record<string, unknown> = {}): JsonSchema => ({
  type: "object",
  properties: { total: { type: "string", ...extra } },
});

function verdicts(a: JsonSchema, b: JsonSchema) {
  const changes = diffSchemas(a, b);
  return {
    rules: changes.map((c) => c.ruleId),
    backward: changes.some((c) => c.backward === "breaking") ? "breaking" : "compatible",
    forward: changes.some((c) => c.forward === "breaking") ? "breaking" : "compatible",
  };
}

describe.each(KINDS)("a property that refers to itself through %s", (kind) => {
  it("on both sides, unchanged: no change", () => {
    expect(diffSchemas(looped(kind), looped(kind))).toEqual([]);
  });

  it("on both sides, with a change beside it: that change, judged as usual", () => {
    const result = verdicts(looped(kind), looped(kind, { maxLength: 3 }));
    expect(result.rules).toEqual(["max-length-added"]);
    expect(result.backward).toBe("breaking");
    expect(result.forward).toBe("compatible");
  });

  it("on the new side only: breaking BACKWARD (new readers' validators recurse on it)", () => {
    const result = verdicts(plain(), looped(kind));
    expect(result.rules).toContain<RuleId>("self-reference-added");
    expect(result.backward).toBe("breaking");
  });

  it("on the old side only: breaking FORWARD (old readers' validators recursed on it)", () => {
    const result = verdicts(looped(kind), plain());
    expect(result.rules).toContain<RuleId>("self-reference-removed");
    expect(result.forward).toBe("breaking");
  });

  it("beside other keywords (the fuzz case's shape), on either side", () => {
    const fuzzed = looped(kind, { type: "number", minimum: 0 });
    const before: JsonSchema = {
      type: "object",
      properties: { total: { type: "number", minimum: 0 } },
    };
    expect(verdicts(fuzzed, fuzzed).rules).toEqual([]);
    const added = verdicts(before, fuzzed);
    expect(added.rules).toContain<RuleId>("self-reference-added");
    expect(added.backward).toBe("breaking");
    const removed = verdicts(fuzzed, before);
    expect(removed.rules).toContain<RuleId>("self-reference-removed");
    expect(removed.forward).toBe("breaking");
  });
});

describe("other loops with nothing in between", () => {
  it("reads the reference as adding nothing: the other branches decide", () => {
    // `oneOf: [self, string]` accepts what `oneOf: [string]` does; only the loop is reported.
    expect(verdicts(looped("oneOf"), plain()).rules).toEqual(["self-reference-removed"]);
    // With `integer` as the other branch, the type change is reported as well.
    const integer: JsonSchema = {
      type: "object",
      properties: { total: { anyOf: [{ $ref: "#/properties/total" }, { type: "integer" }] } },
    };
    expect(verdicts(integer, plain()).rules).toEqual(["self-reference-removed", "type-changed"]);
  });

  it("terminates on two definitions that include each other (allOf and anyOf)", () => {
    const mutual: JsonSchema = {
      $defs: {
        A: { allOf: [{ $ref: "#/$defs/B" }, { type: "string" }] },
        B: { anyOf: [{ $ref: "#/$defs/A" }, { minLength: 1 }] },
      },
      $ref: "#/$defs/A",
    };
    expect(diffSchemas(mutual, mutual)).toEqual([]);
    const result = verdicts(mutual, { type: "string" });
    expect(result.rules).toEqual(["self-reference-removed"]);
    expect(result.forward).toBe("breaking");
  });

  it("terminates on a reference back through `not`, compared as written", () => {
    const negated = (extra: Record<string, unknown>): JsonSchema => ({
      not: { $ref: "#" },
      ...extra,
    });
    expect(diffSchemas(negated({}), negated({}))).toEqual([]);
    expect(verdicts(negated({}), negated({ type: "string" })).rules).toEqual(["type-added"]);
  });

  it("terminates on a $ref that names itself", () => {
    const self: JsonSchema = { properties: { a: { $ref: "#/properties/a" } } };
    expect(diffSchemas(self, self)).toEqual([]);
  });
});

describe("recursion through `not` below a property", () => {
  it("terminates and still finds the change (the `not` relation shares the walk's memo)", () => {
    const tree = (extra: Record<string, unknown>): JsonSchema => ({
      properties: { x: { not: { $ref: "#" } } },
      ...extra,
    });
    expect(diffSchemas(tree({}), tree({}))).toEqual([]);
    const result = verdicts(tree({}), tree({ type: "object" }));
    expect(result.rules).toEqual(["type-added"]);
    expect(result.backward).toBe("breaking");
  });
});
