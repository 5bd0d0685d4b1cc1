import type { Argv } from "yargs";
import { type GenerateResult, generate, UnsafeOutputPathError } from "../../codegen/index.js";
import { FILE_UNREADABLE } from "../../spec/index.js";
import type { CliCommand } from "../command.js";
import { ExitCode, UsageError } from "../exit.js";
import { formatText } from "../format-problems.js";
import type { CliIO } from "../io.js";
import { checkOutputDir, refPolicy, valueOption, withRefFlags } from "../options.js";

/** `jetcontract generate <spec> --out DIR [--check] [--clean]`: a thin shell over `generate()`. */
export const generateCommand: CliCommand = {
  command: "generate <spec>",
  describe: "Generate typed producers, consumers, validators and descriptors from a contract",
  builder: (yargs: Argv) =>
    withRefFlags(yargs)
      .positional("spec", { type: "string", describe: "AsyncAPI document (YAML or JSON)" })
      .option(
        "out",
        valueOption("out", "Output directory (every write stays inside it)", {
          alias: "o",
          demandOption: true,
        }),
      )
      .option("check", {
        type: "boolean",
        default: false,
        describe: "Write nothing; exit 1 and name the files that differ when the output is stale",
      })
      .option("clean", {
        type: "boolean",
        default: false,
        describe: "Remove generated files (with the generator header) this run no longer produces",
      })
      .example("$0 generate specs/orders.asyncapi.yaml --out src/generated", "generate")
      .example("$0 generate specs/orders.asyncapi.yaml --out src/generated --check", "in CI"),
  flagHints: {
    "dry-run": "--check writes nothing and names the files that would change",
  },
  prepare: (args, io) => {
    const spec = args.spec;
    const out = args.out;
    if (typeof spec !== "string" || spec === "") throw new UsageError("name the spec file");
    if (typeof out !== "string") throw new UsageError("--out needs a directory");
    const check = args.check === true;
    if (check && args.clean === true) {
      throw new UsageError("--check and --clean cannot be combined (--check writes nothing)");
    }
    checkOutputDir("out", out, io.cwd);
    return async () => {
      let result: GenerateResult;
      try {
        result = await generate({
          spec,
          outDir: out,
          check,
          clean: args.clean === true,
          ...refPolicy(args),
          cwd: io.cwd,
        });
      } catch (error) {
        if (error instanceof UnsafeOutputPathError) throw new UsageError(error.message);
        throw error;
      }
      return report(result, check, out, io);
    };
  },
};

function report(result: GenerateResult, check: boolean, out: string, io: CliIO): ExitCode {
  if (result.problems.length > 0) io.err(formatText(result.problems));
  const errors = result.problems.filter((p) => p.severity === "error");
  if (errors.some((p) => p.ruleId === FILE_UNREADABLE)) return ExitCode.couldNotRun;
  if (errors.length > 0) return ExitCode.invalid;
  if (check) {
    const stale = result.files.filter((f) => f.status !== "unchanged");
    if (stale.length === 0) {
      io.out(`${out}: up to date (${result.files.length} files)`);
      return ExitCode.ok;
    }
    for (const f of stale) io.out(`${f.status.padEnd(8)} ${joinPath(out, f.path)}`);
    io.err(
      `${out} is stale: ${stale.length} file(s) differ. Run jetcontract generate to update it.`,
    );
    return ExitCode.invalid;
  }
  const changed = result.files.filter((f) => f.status !== "unchanged");
  for (const f of changed) io.out(`${f.status.padEnd(8)} ${joinPath(out, f.path)}`);
  io.out(`${out}: ${changed.length} of ${result.files.length} files changed`);
  return ExitCode.ok;
}

function joinPath(dir: string, file: string): string {
  return dir.endsWith("/") ? `${dir}${file}` : `${dir}/${file}`;
}
