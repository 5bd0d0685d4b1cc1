import { resolve } from "node:path";
import type { Problem } from "../../model/problem.js";
import type { Contract } from "../../model/types.js";
import { FILE_UNREADABLE, loadContract } from "../../spec/index.js";
import {
  applyJetStream,
  DEFAULT_SERVER,
  deriveJetStreamConfig,
  formatApplyText,
  formatPlanText,
  type JetStreamConfig,
  type JetStreamConnectOptions,
  planJetStream,
  renderStreamFiles,
  STREAM_FILE_FORMATS,
  type StreamFileFormat,
  StreamsError,
  writeStreamFiles,
} from "../../streams/index.js";
import type { CliCommand } from "../command.js";
import { ExitCode, UsageError } from "../exit.js";
import { formatText } from "../format-problems.js";
import type { CliIO } from "../io.js";

const ACTIONS = ["plan", "apply"] as const;
type Action = (typeof ACTIONS)[number];
const FORMATS = [...STREAM_FILE_FORMATS, "text"] as const;

/**
 * `jetcontract streams <spec> --format json|nack|terraform --out DIR` writes files;
 * `jetcontract streams plan|apply <spec> [--server URL ...]` compares with or changes a server.
 */
export const streamsCommand: CliCommand = {
  command: "streams <specOrAction> [spec]",
  describe:
    "Derive JetStream streams, consumers and KV buckets: write them as files (json, nack, terraform), or `plan` / `apply` them against a server",
  builder: (yargs) =>
    yargs
      .positional("specOrAction", {
        type: "string",
        describe: "The AsyncAPI file (files mode), or `plan` / `apply` followed by the file",
      })
      .positional("spec", { type: "string", describe: "The AsyncAPI file (after plan / apply)" })
      .option("format", {
        choices: FORMATS as unknown as string[],
        describe:
          "Files: json (default), nack or terraform. Plan/apply output: text (default) or json",
      })
      .option("out", { type: "string", describe: "Output directory for files" })
      .options(CONNECTION_OPTIONS)
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
  run: async (args, io) => {
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
    const format = args.format as string | undefined;
    const out = args.out as string | undefined;
    // Flag mistakes first: they need no spec loading.
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
    const target = action ? connectOptions(args) : undefined;

    const config = await loadConfig(spec, io);
    if (typeof config === "number") return config;

    try {
      if (!action || !target) {
        return await writeFiles(config, (format ?? "json") as StreamFileFormat, out ?? ".", io);
      }
      if (action === "plan") {
        const plan = await planJetStream(target, config, { prune: args.prune === true });
        io.out(
          format === "json"
            ? JSON.stringify(plan, null, 2)
            : formatPlanText(plan, { verbose: args.verbose === true }),
        );
        return plan.pending ? ExitCode.invalid : ExitCode.ok;
      }
      const result = await applyJetStream(target, config, {
        allowRecreate: args.allowRecreate === true,
        prune: args.prune === true,
      });
      io.out(format === "json" ? JSON.stringify(result, null, 2) : formatApplyText(result));
      return result.refused.length > 0 ? ExitCode.invalid : ExitCode.ok;
    } catch (error) {
      if (error instanceof StreamsError) throw new UsageError(error.message);
      throw error;
    }
  },
};

/** Loads and derives; prints problems to stderr. Returns an exit code when it cannot go on. */
async function loadConfig(spec: string, io: CliIO): Promise<JetStreamConfig | ExitCode> {
  const { contract, problems } = await loadContract(spec, { cwd: io.cwd });
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

/** How to reach the server: the flags of every command that connects (`dlq`, `status` too). */
export const CONNECTION_OPTIONS = {
  server: {
    type: "string",
    describe: `NATS server URL(s), comma separated (default ${DEFAULT_SERVER})`,
  },
  creds: { type: "string", describe: "User credentials file" },
  nkey: { type: "string", describe: "NKey seed file" },
  user: { type: "string", describe: "User name" },
  password: { type: "string", describe: "Password (with --user)" },
  token: { type: "string", describe: "Authentication token" },
  "tls-ca": { type: "string", describe: "CA certificate file to verify the server" },
  "tls-cert": { type: "string", describe: "Client certificate file" },
  "tls-key": { type: "string", describe: "Client private key file" },
} as const;

/** Flags that mean nothing in a mode are mistakes, not silently ignored. */
const CONNECTION_FLAGS = [
  "server",
  "creds",
  "nkey",
  "user",
  "password",
  "token",
  "tlsCa",
  "tlsCert",
  "tlsKey",
];
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

export function connectOptions(args: Record<string, unknown>): JetStreamConnectOptions {
  const str = (key: string) => (typeof args[key] === "string" ? (args[key] as string) : undefined);
  const options: Record<string, string> = {};
  const map: [keyof JetStreamConnectOptions, string][] = [
    ["server", "server"],
    ["creds", "creds"],
    ["nkey", "nkey"],
    ["user", "user"],
    ["password", "password"],
    ["token", "token"],
    ["tlsCa", "tlsCa"],
    ["tlsCert", "tlsCert"],
    ["tlsKey", "tlsKey"],
  ];
  for (const [to, from] of map) {
    const value = str(from);
    if (value !== undefined) options[to] = value;
  }
  if (options.password !== undefined && options.user === undefined) {
    throw new UsageError("--password needs --user");
  }
  return options as JetStreamConnectOptions;
}
