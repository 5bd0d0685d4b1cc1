import {
  formatStatusPrometheus,
  formatStatusText,
  LEVEL_CODE,
  readStatus,
  type StatusReport,
} from "../../operate/index.js";
import { parseDuration, UnitParseError } from "../../spec/index.js";
import type { CliCommand } from "../command.js";
import { connectionOptions, withConnectionFlags } from "../connection.js";
import { ExitCode, UsageError } from "../exit.js";
import type { CliIO } from "../io.js";
import { formatOption, refPolicy, withRefFlags } from "../options.js";
import { loadContractOrExit, onTerminal, withServer } from "./operate-common.js";

const FORMATS = ["text", "json", "prometheus"] as const;

/**
 * `jetcontract status <spec>`: each consumer of the contract as the server sees it, against the
 * contract's `x-monitor` thresholds. `--check` exits 0 OK, 1 WARNING, 2 CRITICAL.
 */
export const statusCommand: CliCommand = {
  command: "status <spec>",
  describe:
    "Consumers of the contract on the server: existence, drift, lag, ack pending, redeliveries, DLQ depth; `--check` for monitoring",
  builder: (yargs) =>
    withConnectionFlags(
      withRefFlags(yargs)
        .positional("spec", { type: "string", describe: "The AsyncAPI file" })
        .option("format", formatOption(FORMATS, "Output: text, json or prometheus", "text"))
        .option("check", {
          type: "boolean",
          describe: "Exit 0 OK, 1 WARNING, 2 CRITICAL against the contract's x-monitor thresholds",
        })
        .option("watch", {
          type: "string",
          describe: "Refresh in place every interval (default 2s)",
        }),
    ),
  prepare: (args, io) => {
    const format = (args.format as string | undefined) ?? "text";
    if (Array.isArray(args.watch)) throw new UsageError("--watch may be given once");
    const watchMs = parseWatch(args.watch);
    if (watchMs !== undefined && args.check) {
      throw new UsageError("--check reads once and exits with the level; drop --watch");
    }
    const target = connectionOptions(args, io.cwd);
    return async () => {
      const contract = await loadContractOrExit(String(args.spec), refPolicy(args), io);
      if (typeof contract === "number") return contract;
      return withServer(target, async (session) => {
        if (watchMs === undefined) {
          const report = await readStatus(session, contract);
          io.out(render(report, format));
          if (args.check) return LEVEL_CODE[report.level] as ExitCode;
          return ExitCode.ok;
        }
        await watch(watchMs, io, async () => render(await readStatus(session, contract), format));
        return ExitCode.ok;
      });
    };
  },
};

function render(report: StatusReport, format: string): string {
  if (format === "json") return JSON.stringify(report, null, 2);
  if (format === "prometheus") return formatStatusPrometheus(report);
  return formatStatusText(report);
}

/** Redraws until Ctrl-C; on a terminal the screen is cleared, otherwise reports are appended. */
async function watch(intervalMs: number, io: CliIO, read: () => Promise<string>): Promise<void> {
  let stop = false;
  let wake: (() => void) | undefined;
  const onSignal = () => {
    stop = true;
    wake?.();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const clear = onTerminal();
  try {
    while (!stop) {
      const text = await read();
      io.out(clear ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, intervalMs);
      });
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function parseWatch(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (value === "") return 2_000;
  try {
    const ms = parseDuration(String(value));
    if (ms >= 100) return ms;
  } catch (error) {
    if (!(error instanceof UnitParseError)) throw error;
  }
  throw new UsageError(`--watch "${String(value)}": give an interval of at least 100ms, e.g. 2s`);
}
