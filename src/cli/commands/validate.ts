import { FILE_UNREADABLE, validateSpecs } from "../../spec/index.js";
import type { CliCommand } from "../command.js";
import { ExitCode } from "../exit.js";
import {
  formatProblems,
  PROBLEM_FORMATS,
  type ProblemFormat,
  summarize,
} from "../format-problems.js";
import { formatOption, refPolicy, withRefFlags } from "../options.js";

/** `jetcontract validate <spec>...`: AsyncAPI, annotations and semantic rules. */
export const validateCommand: CliCommand = {
  command: "validate <specs..>",
  describe:
    "Check AsyncAPI documents, their jetcontract annotations and the rules that tie them together",
  builder: (yargs) =>
    withRefFlags(yargs)
      .positional("specs", {
        type: "string",
        array: true,
        describe: "AsyncAPI files (YAML or JSON)",
      })
      .option(
        "format",
        formatOption(
          PROBLEM_FORMATS,
          "Output: text (file:line:col severity rule message), json, or github annotations",
          "text",
        ),
      )
      .option("strict", { type: "boolean", default: false, describe: "Fail on warnings too" }),
  prepare: (args, io) => {
    const specs = (args.specs as string[] | undefined) ?? [];
    const format = (args.format as ProblemFormat | undefined) ?? "text";
    return async () => {
      const { problems, ok } = await validateSpecs(specs, {
        cwd: io.cwd,
        strict: args.strict === true,
        ...refPolicy(args),
      });
      const output = formatProblems(problems, format, ok);
      if (output !== "") io.out(output);
      const couldNotRun = problems.some((p) => p.ruleId === FILE_UNREADABLE);
      if (format === "text") {
        const files = `${specs.length} file${specs.length === 1 ? "" : "s"}`;
        io.err(
          ok
            ? `${files} valid (${summarize(problems)})`
            : `${files} checked: ${summarize(problems)}`,
        );
      }
      if (couldNotRun) return ExitCode.couldNotRun;
      return ok ? ExitCode.ok : ExitCode.invalid;
    };
  },
};
