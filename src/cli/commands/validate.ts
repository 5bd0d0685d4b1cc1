import { FILE_UNREADABLE, validateSpecs } from "../../spec/index.js";
import type { CliCommand } from "../command.js";
import { ExitCode } from "../exit.js";
import {
  formatProblems,
  PROBLEM_FORMATS,
  type ProblemFormat,
  summarize,
} from "../format-problems.js";
import { formatOption } from "../options.js";

/** `jetcontract validate <spec>...`: AsyncAPI, annotations and semantic rules. */
export const validateCommand: CliCommand = {
  command: "validate <specs..>",
  describe:
    "Check AsyncAPI documents, their jetcontract annotations and the rules that tie them together",
  builder: (yargs) =>
    yargs
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
      .option("strict", { type: "boolean", default: false, describe: "Fail on warnings too" })
      .option("allow-remote-refs", {
        type: "boolean",
        default: false,
        describe: "Fetch $refs to http(s) URLs (refused by default)",
      })
      .option("allow-outside-refs", {
        type: "boolean",
        default: false,
        describe: "Follow $refs to files outside the spec's folder (refused by default)",
      }),
  prepare: (args, io) => {
    const specs = (args.specs as string[] | undefined) ?? [];
    const format = (args.format as ProblemFormat | undefined) ?? "text";
    return async () => {
      const { problems, ok } = await validateSpecs(specs, {
        cwd: io.cwd,
        strict: args.strict === true,
        allowRemoteRefs: args.allowRemoteRefs === true,
        allowOutsideRefs: args.allowOutsideRefs === true,
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
