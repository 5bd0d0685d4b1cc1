import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { diffSchemas } from "../../src/compat/schema/index.js";
import type { JsonSchema } from "../../src/model/types.js";

/**
 * Labelled pairs rewritten from the schema-registry world (see the fixture's header). The
 * registry labels BACKWARD with the new schema as reader; FORWARD(old, new) is
 * BACKWARD(new, old), which the symmetry check below uses.
 */
interface Pair {
  readonly name: string;
  readonly old: JsonSchema;
  readonly new: JsonSchema;
  readonly backward: boolean;
  readonly agree?: boolean;
  readonly why?: string;
}

const pairs = parse(
  readFileSync(fileURLToPath(new URL("./fixtures/registry-pairs.yaml", import.meta.url)), "utf8"),
) as Pair[];

function backwardCompatible(oldSchema: JsonSchema, newSchema: JsonSchema): boolean {
  return !diffSchemas(oldSchema, newSchema).some((c) => c.backward === "breaking");
}

function forwardCompatible(oldSchema: JsonSchema, newSchema: JsonSchema): boolean {
  return !diffSchemas(oldSchema, newSchema).some((c) => c.forward === "breaking");
}

describe("schema-registry labelled pairs", () => {
  it("has a good sample", () => {
    expect(pairs.length).toBeGreaterThan(100);
  });

  it.each(pairs.map((p) => [p.name, p] as const))("%s", (_name, pair) => {
    const expected = pair.agree === false ? !pair.backward : pair.backward;
    expect(backwardCompatible(pair.old, pair.new)).toBe(expected);
  });

  it.each(pairs.map((p) => [p.name, p] as const))(
    "forward of %s is backward with the roles swapped",
    (_name, pair) => {
      expect(forwardCompatible(pair.new, pair.old)).toBe(backwardCompatible(pair.old, pair.new));
    },
  );

  it("disagrees with the labels only where documented", () => {
    const disagreements = pairs.filter((p) => p.agree === false);
    for (const p of disagreements) expect(p.why).toBeTruthy();
    expect(disagreements.length).toBeLessThanOrEqual(3);
  });
});
