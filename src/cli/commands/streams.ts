import { resolve } from "node:path";
import type { Problem } from "../../model/problem.js";
import type { Contract } from "../../model/types.js";
import { FILE_UNREADABLE, loadContract } from "../../spec/index.js";
// Plan and apply (and the NATS client under them) are imported when a server is asked: writing
// files needs neither, and loading them cost those runs about 0.1 s.
import { deriveJetStreamConfig } from "../../streams/derive.js";
import { StreamsError } from "../../streams/errors.js";
import { formatApplyText, formatPlanText } from "../../streams/format.js";
import {
  renderStreamFiles,
  STREAM_FILE_FORMATS,
  type StreamFileFormat,
  writeStreamFiles,
} from "../../streams/render.js";
import type { JetStreamConfig } from "../../streams/types.js";
import type { CliCommand } from "../command.js";
import { CONNECTION_FLAGS, connectionOptions, withConnectionFlags } from "../connection.js";
import { ExitCode, UsageError } from "../exit.js";
import { formatText } from "../format-problems.js";
import type { CliIO } from "../io.js";
import { checkOutputDir, formatOption, refPolicy, valueOption, withRefFlags } from "../options.js";

const ACTIONS = ["plan", "apply"] as const;
type Action = (typeof ACTIONS)[number];
const FORMATS = [...STREAM_FILE_FORMATS, "text"] as const;
type Format = (typeof FORMATS)[number];

/**
 * `jetcontract streams <spec> --format json|nack|terraform --out DIR` writes files;
 * `jetcontract streams plan|apply <spec> [--server URL ...]` compares with or changes a server.
 */
export const streamsCommand: CliCommand = {
  command: "streams <specOrAction> [spec]",
  describe:
    "Derive JetStream streams, consumers and KV buckets: write them as files (json, nack, terraform), or `plan` / `apply` them against a server",
  builder: (yargs) =>
    withConnectionFlags(
      withRefFlags(yargs)
        .positional("specOrAction", {
          type: "string",
          describe: "The AsyncAPI file (files mode), or `plan` / `apply` followed by the file",
        })
        .positional("spec", { type: "string", describe: "The AsyncAPI file (after plan / apply)" })
        .option(
          "format",
          formatOption(
            FORMATS,
            "Files: json (default), nack or terraform. Plan/apply output: text (default) or json",
          ),
        )
        .option("out", valueOption("out", "Output directory for files", { alias: "o" }))
        .option("allow-recreate", {
          type: "boolean",
          default: false,
          describe:
            "apply: delete and re-create resources whose fixed fields changed (loses their data)",
        })
        .option("prune", {
          type: "boolean",
          default: false,
          describe: "plan/apply: delete resources this contract marked and no longer declares",
        })
        .option("verbose", {
          type: "boolean",
          default: false,
          describe: "plan: list unchanged resources too",
        }),
    ),
  flagHints: {
    "dry-run": "`jetcontract streams plan` shows the changes without applying them",
  },
  prepare: (args, io) => {
    const first = String(args.specOrAction);
    const action = (ACTIONS as readonly string[]).includes(first) ? (first as Action) : undefined;
    const spec = action ? (args.spec as string | undefined) : first;
    if (spec === undefined)
      throw new UsageError(`name the AsyncAPI file: jetcontract streams ${first} <spec>`);
    if (!action && args.spec !== undefined) {
      throw new UsageError(
        `unexpected argument "${String(args.spec)}": use streams <spec>, streams plan <spec> or streams apply <spec>`,
      );
    }
    const format = args.format as Format | undefined;
    const out = args.out as string | undefined;
    if (!action) {
      if (format !== undefined && !(STREAM_FILE_FORMATS as readonly string[]).includes(format)) {
        throw new UsageError(
          `--format ${format} is for plan/apply; files are json, nack or terraform`,
        );
      }
      if (out === undefined) throw new UsageError("name the output directory with --out DIR");
    } else if (format !== undefined && format !== "text" && format !== "json") {
      throw new UsageError(`--format ${format} is for files; ${action} prints text or json`);
    }
    rejectUnusedFlags(action, args);
    const refs = refPolicy(args);

    if (!action) {
      const dir = out as string;
      checkOutputDir("out", dir, io.cwd);
      return async () => {
        const config = await loadConfig(spec, refs, io);
        if (typeof config === "number") return config;
        return writeFiles(config, (format ?? "json") as StreamFileFormat, dir, io);
      };
    }
    const target = connectionOptions(args, io.cwd);
    return async () => {
      const config = await loadConfig(spec, refs, io);
      if (typeof config === "number") return config;
      try {
        if (action === "plan") {
          const { planJetStream } = await import("../../streams/plan.js");
          const plan = await planJetStream(target, config, { prune: args.prune === true });
          io.out(
            format === "json"
              ? JSON.stringify(plan, null, 2)
              : formatPlanText(plan, { verbose: args.verbose === true }),
          );
          // Unseen resources leave the plan incomplete: it could not run, whatever else it found.
          if (plan.items.some((i) => i.action === "unavailable")) return ExitCode.couldNotRun;
          return plan.pending || plan.refusals.length > 0 ? ExitCode.invalid : ExitCode.ok;
        }
        const { applyJetStream } = await import("../../streams/apply.js");
        const result = await applyJetStream(target, config, {
          allowRecreate: args.allowRecreate === true,
          prune: args.prune === true,
        });
        io.out(format === "json" ? JSON.stringify(result, null, 2) : formatApplyText(result));
        if (result.plan.refusals.length > 0 || result.refused.length > 0) return ExitCode.invalid;
        if (result.plan.items.some((i) => i.action === "unavailable")) return ExitCode.couldNotRun;
        return ExitCode.ok;
      } catch (error) {
        if (error instanceof StreamsError) throw new UsageError(error.message);
        throw error;
      }
    };
  },
};

/** Loads and derives; prints problems to stderr. Returns an exit code when it cannot go on. */
async function loadConfig(
  spec: string,
  refs: ReturnType<typeof refPolicy>,
  io: CliIO,
): Promise<JetStreamConfig | ExitCode> {
  const { contract, problems } = await loadContract(spec, { cwd: io.cwd, ...refs });
  if (!contract) {
    report(problems, io);
    return problems.some((p) => p.ruleId === FILE_UNREADABLE)
      ? ExitCode.couldNotRun
      : ExitCode.invalid;
  }
  const derived = deriveJetStreamConfig(contract as Contract);
  report([...problems.filter((p) => p.severity === "error"), ...derived.problems], io);
  if (!derived.config) return ExitCode.invalid;
  return derived.config;
}

function report(problems: readonly Problem[], io: CliIO): void {
  if (problems.length > 0) io.err(formatText(problems));
}

async function writeFiles(
  config: JetStreamConfig,
  format: StreamFileFormat,
  out: string,
  io: CliIO,
): Promise<ExitCode> {
  const rendered = await renderStreamFiles(config, { format });
  const written = await writeStreamFiles(rendered.files, resolve(io.cwd, out));
  for (const note of rendered.notes) io.err(`note: ${note}`);
  io.err(`wrote ${written.length} file${written.length === 1 ? "" : "s"} to ${out}`);
  return ExitCode.ok;
}

/** Flags that mean nothing in a mode are mistakes, not silently ignored. */
const FLAGS_BY_MODE: Record<"files" | Action, readonly string[]> = {
  files: ["format", "out"],
  plan: ["format", "prune", "verbose", ...CONNECTION_FLAGS],
  apply: ["format", "prune", "allowRecreate", ...CONNECTION_FLAGS],
};
const ALL_FLAGS = ["format", "out", "prune", "verbose", "allowRecreate", ...CONNECTION_FLAGS];

function rejectUnusedFlags(action: Action | undefined, args: Record<string, unknown>): void {
  const mode = action ?? "files";
  const allowed = FLAGS_BY_MODE[mode];
  for (const flag of ALL_FLAGS) {
    const value = args[flag];
    if (value === undefined || value === false || allowed.includes(flag)) continue;
    const name = flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const where = mode === "files" ? "writing files" : `streams ${mode}`;
    throw new UsageError(`--${name} has no effect when ${where}`);
  }
}
