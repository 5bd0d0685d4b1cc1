import { parseArgs } from "node:util";
import { describeFailure, fuzz } from "./harness.js";

/**
 * `npm run fuzz -- --cases N --seed S [--jobs J] [--timeout MS]`: the long fuzz run. Prints each
 * failure (its inputs are kept under test/fuzz/out/) and ends with `fuzz: N cases, K failures`;
 * exits 1 when there is any failure.
 */
const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "500" },
    seed: { type: "string" },
    jobs: { type: "string", default: "2" },
    timeout: { type: "string", default: "30000" },
  },
  strict: true,
});
const number = (name: string, text: string | undefined): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`fuzz: --${name} needs a whole number, not ${text}\n`);
    process.exit(2);
  }
  return n;
};
const cases = number("cases", values.cases);
const seed =
  values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : number("seed", values.seed);
process.stderr.write(`fuzz: seed ${seed}\n`);
const started = Date.now();
const result = await fuzz({
  cases,
  seed,
  jobs: number("jobs", values.jobs),
  timeoutMs: number("timeout", values.timeout),
  onFailure: (f) => process.stderr.write(`${describeFailure(f)}\n`),
  progress: (done, failed) => {
    if (done % 100 === 0)
      process.stderr.write(
        `fuzz: ${done}/${cases}, ${failed} failures, ${Math.round((Date.now() - started) / 1000)} s\n`,
      );
  },
});
for (const f of result.failures) process.stdout.write(`${describeFailure(f)}\n`);
process.stdout.write(
  `fuzz: ${result.cases} cases, ${result.failures.length} failures (seed ${seed})\n`,
);
process.exitCode = result.failures.length > 0 ? 1 : 0;
