/**
 * The long run of the diff property: `npm run fuzz:diff -- --pairs 5000 --seed 42`.
 * Prints `fuzz:diff: N pairs, seed S, K false compatible` (and the counterexample).
 */
import fc from "fast-check";
import { diffProperty } from "./diff-property.js";

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`fuzz:diff: --${name} needs a whole number`);
    process.exit(2);
  }
  return value;
}

const pairs = flag("pairs", 5000);
const seed = flag("seed", Date.now() % 2 ** 31);
const result = fc.check(diffProperty, { numRuns: pairs, seed });
if (result.failed) {
  console.error(fc.defaultReportMessage(result));
}
console.log(
  `fuzz:diff: ${result.numRuns} pairs, seed ${seed}, ${result.failed ? 1 : 0} false compatible`,
);
process.exitCode = result.failed ? 1 : 0;
