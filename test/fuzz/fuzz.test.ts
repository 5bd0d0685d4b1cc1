import { describe, expect, it } from "vitest";
import { describeFailure, fuzz } from "./harness.js";

/**
 * The short fuzz run inside `npm test`: a fixed seed, each case its own process (capped in time
 * and memory), every command. The long run is `npm run fuzz -- --cases N --seed S`.
 */
const CASES = Number(process.env.FUZZ_CASES ?? 150);

describe("fuzz (short run)", () => {
  it(`${CASES} mutated contracts and schemas: no crash, hang, internal error text, stray write or uncompilable output`, {
    timeout: 600_000,
  }, async () => {
    const { failures } = await fuzz({ cases: CASES, seed: 15, jobs: 2, compileSample: 4 });
    expect(failures.map(describeFailure)).toEqual([]);
  });
});
