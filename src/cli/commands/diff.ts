import { existsSync } from "node:fs";
import path from "node:path";
import {
  COMPATIBILITY_MODES,
  DIFF_FORMATS,
  type DiffConfig,
  type DiffFormat,
  type DiffSource,
  diffFiles,
  fails,
  findDiffConfig,
  formatReport,
  isCompatInputError,
  loadDiffConfig,
  summarizeReport,
} from "../../compat/index.js";
import type { CompatibilityMode } from "../../model/types.js";
import type { CliCommand } from "../command.js";
import { ExitCode, UsageError } from "../exit.js";
import {
  checkInputFile,
  choiceOption,
  formatOption,
  listOption,
  refPolicy,
  valueOption,
  withRefFlags,
} from "../options.js";

const FAIL_ON = ["breaking", "warning"] as const;
type FailOn = (typeof FAIL_ON)[number];

/** A `--history` entry: a file when one exists, `REV:path`, or a revision of the current file. */
function historySource(entry: string, currentPath: string, cwd: string): DiffSource {
  if (existsSync(path.resolve(cwd, entry))) return { path: entry };
  // An absolute path or a file name cannot be a revision: report the missing file as such.
  if (path.isAbsolute(entry)) return { path: entry };
  const colon = entry.indexOf(":");
  if (colon > 0) return { revision: entry.slice(0, colon), path: entry.slice(colon + 1) };
  if (/\.(ya?ml|json)$/i.test(entry)) return { path: entry };
  return { revision: entry, path: currentPath };
}

/** `jetcontract diff OLD NEW` / `jetcontract diff NEW --against REV`: breaking-change check. */
export const diffCommand: CliCommand = {
  command: "diff <files..>",
  describe:
    "Check that a contract (or a JSON Schema) can replace its earlier versions without breaking producers or consumers",
  builder: (yargs) =>
    withRefFlags(yargs)
      .positional("files", {
        type: "string",
        array: true,
        describe: "OLD NEW, or NEW with --against/--history",
      })
      .option(
        "against",
        valueOption(
          "against",
          "Compare with the same file at this git revision (branch, tag, commit)",
        ),
      )
      .option(
        "history",
        listOption(
          "history",
          "Earlier versions, oldest first (files, REV:path, or revisions), for *_TRANSITIVE modes",
        ),
      )
      .option(
        "mode",
        choiceOption(
          "mode",
          COMPATIBILITY_MODES,
          "Override every message's mode (x-compatibility)",
        ),
      )
      .option(
        "format",
        formatOption(
          DIFF_FORMATS,
          "Output: text (file:line:col level rule message), json, markdown, github, junit",
          "text",
        ),
      )
      .option("allow-major", {
        type: "boolean",
        describe:
          "Accept breaking changes when info.version has a new major number; otherwise require one",
      })
      .option(
        "fail-on",
        choiceOption(
          "fail-on",
          FAIL_ON,
          "Exit 1 on breaking changes (default), or on warnings too",
        ),
      )
      .option(
        "config",
        valueOption("config", "Configuration file (default: .jetcontract-diff.yaml here or above)"),
      ),
  prepare: (args, io) => {
    const files = (args.files as string[] | undefined) ?? [];
    const against = args.against as string | undefined;
    const history = (args.history as string[] | undefined) ?? [];
    const format = (args.format as DiffFormat | undefined) ?? "text";
    let previous: DiffSource[];
    let current: DiffSource;
    if (files.length === 2 && against === undefined) {
      previous = [{ path: files[0] as string }];
      current = { path: files[1] as string };
    } else if (files.length === 1 && (against !== undefined || history.length > 0)) {
      current = { path: files[0] as string };
      previous = against !== undefined ? [{ path: current.path, revision: against }] : [];
    } else if (files.length === 2) {
      throw new UsageError("give either OLD NEW, or NEW with --against REV, not both");
    } else {
      throw new UsageError(
        files.length === 1
          ? "nothing to compare against: give OLD NEW, or NEW --against REV"
          : "expected OLD NEW, or NEW --against REV",
      );
    }
    previous = [...history.map((h) => historySource(h, current.path, io.cwd)), ...previous];
    const configFlag = args.config as string | undefined;
    if (configFlag !== undefined) checkInputFile("config", configFlag, io.cwd);
    const mode = args.mode as CompatibilityMode | undefined;
    const failOnFlag = args.failOn as FailOn | undefined;

    return async () => {
      try {
        const configPath = configFlag ?? (await findDiffConfig(io.cwd));
        const config: DiffConfig | undefined =
          configPath !== undefined ? await loadDiffConfig(configPath, io.cwd) : undefined;
        const failOn = failOnFlag ?? config?.failOn ?? "breaking";
        const report = await diffFiles(previous, current, {
          cwd: io.cwd,
          ...refPolicy(args),
          ...(mode ? { mode } : {}),
          ...(config?.messageModes ? { messageModes: config.messageModes } : {}),
          ...(config?.ignore ? { ignore: config.ignore } : {}),
          ...(config?.format ? { format: config.format } : {}),
          ...(args.allowMajor === true ? { allowMajor: true } : {}),
        });
        const output = formatReport(report, format, { failOn });
        if (output !== "") io.out(output);
        if (format === "github") io.err(summarizeReport(report, { failOn }));
        const failing = report.changes.some((c) => fails(c, failOn));
        return failing ? ExitCode.invalid : ExitCode.ok;
      } catch (error) {
        if (!isCompatInputError(error)) throw error;
        // A file that was read but is not a valid schema or contract is the user's input
        // being wrong (exit 1, as validate); a file that cannot be read is exit 2.
        if (error.kind === "could-not-run") throw new UsageError(error.message);
        io.err(`jetcontract diff: ${error.message}`);
        return ExitCode.invalid;
      }
    };
  },
};
