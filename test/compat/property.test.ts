import fc from "fast-check";
import { describe, it } from "vitest";
import { diffProperty } from "./property/diff-property.js";

describe("diff property (ajv as the judge)", () => {
  // Seeded: a failure prints the seed and the shrunk counterexample. The long run is
  // `npm run fuzz:diff -- --pairs 5000 --seed S`.
  it("never says compatible when a value the old (new) schema accepts is rejected by the other", () => {
    fc.assert(diffProperty, { numRuns: 2000, seed: 20261201 });
  }, 180_000);
});
