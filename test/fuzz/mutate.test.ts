import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { SCHEMAS } from "./harness.js";
import { MAX_MUTATED_DEPTH, mutate, nestingDepth, random } from "./mutate.js";

describe("mutate", () => {
  it("keeps a case with two deep nestings within the depth bound (seed 20261201, case 1327)", () => {
    // The harness's random source for that case; its first draw picked the third schema seed.
    const rng = random((20261201 * 100_003 + 1327) >>> 0);
    expect(Math.floor(rng() * 9)).toBe(8);
    const mutated = mutate(rng, JSON.stringify(SCHEMAS[2], null, 2), (t) => parse(t), true);
    // The case that overflowed JSON.stringify: two deep nestings of the same document.
    expect(mutated.applied.filter((m) => m === "deepNest").length).toBeGreaterThan(1);
    const depth = nestingDepth(JSON.parse(mutated.bytes.toString("utf8")));
    expect(depth).toBeGreaterThan(1000);
    expect(depth).toBeLessThanOrEqual(MAX_MUTATED_DEPTH);
  });

  it("measures nesting iteratively, deeper than the stack allows recursion", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nestingDepth(deep as never)).toBe(100_000);
    expect(nestingDepth({ a: [1, { b: {} }] })).toBe(4);
    expect(nestingDepth("x")).toBe(0);
  });
});
