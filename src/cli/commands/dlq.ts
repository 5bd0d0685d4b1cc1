import { createInterface } from "node:readline/promises";
import type { Contract } from "../../model/types.js";
import {
  consumerTargets,
  type DlqFilter,
  deadLetterJson,
  dlqStats,
  formatPurgeText,
  formatRedriveText,
  formatShowText,
  formatStatsText,
  lsHeader,
  lsRow,
  OperateInputError,
  type PurgeSelection,
  parseTimeBound,
  purgeDeadLetters,
  redriveDeadLetters,
  scopeStreams,
  selectDeadLetters,
  showDeadLetter,
  table,
} from "../../operate/index.js";
import { parseDuration, UnitParseError } from "../../spec/index.js";
import type { CliCommand } from "../command.js";
import { CONNECTION_FLAGS, connectionOptions, withConnectionFlags } from "../connection.js";
import { ExitCode, UsageError } from "../exit.js";
import type { CliIO } from "../io.js";
import { listOption, refPolicy, valueOption, withRefFlags } from "../options.js";
import { loadContractOrExit, onTerminal, withServer } from "./operate-common.js";

const ACTIONS = ["stats", "ls", "show", "redrive", "purge"] as const;
type Action = (typeof ACTIONS)[number];

const FILTER_FLAGS = [
  "consumer",
  "subject",
  "reason",
  "errorClass",
  "text",
  "since",
  "until",
  "fromSeq",
  "toSeq",
  "group",
] as const;
const FLAGS: Record<Action, readonly string[]> = {
  stats: ["stream", "format", ...FILTER_FLAGS],
  ls: ["stream", "format", ...FILTER_FLAGS],
  show: ["stream", "format"],
  redrive: ["stream", "format", "to", "force", "keep", "dryRun", "rate", "limit", ...FILTER_FLAGS],
  purge: ["stream", "format", "olderThan", "dryRun", "yes", ...FILTER_FLAGS],
};
const FORMATS: Record<Action, readonly string[]> = {
  stats: ["text", "json"],
  ls: ["table", "json", "ndjson"],
  show: ["text", "json"],
  redrive: ["text", "json"],
  purge: ["text", "json"],
};
const ALL_FLAGS = [...new Set(Object.values(FLAGS).flat())];

/**
 * `jetcontract dlq stats|ls|show|redrive|purge <spec>`: the dead letters of the contract's
 * consumers, summarised, listed, inspected, re-driven or deleted.
 */
export const dlqCommand: CliCommand = {
  command: "dlq <action> <spec> [seq]",
  describe:
    "Dead letters of the contract's consumers: `stats`, `ls`, `show <seq>`, `redrive [seq]`, `purge`",
  builder: (yargs) =>
    withConnectionFlags(
      withRefFlags(yargs)
        .positional("action", { type: "string", describe: ACTIONS.join(" | ") })
        .positional("spec", { type: "string", describe: "The AsyncAPI file" })
        .positional("seq", { type: "string", describe: "show / redrive: one DLQ sequence" })
        .option("stream", valueOption("stream", "One DLQ stream of the contract (default: all)"))
        .option(
          "format",
          valueOption("format", "stats/show/redrive/purge: text|json; ls: table|json|ndjson"),
        )
        .option("consumer", listOption("consumer", "Origin consumer (durable)"))
        .option("subject", listOption("subject", "Origin subject, NATS wildcards allowed"))
        .option("reason", listOption("reason", "permanent, attempts-exhausted, max-deliveries"))
        .option("error-class", listOption("error-class", "Error class, e.g. SchemaValidationError"))
        .option("text", valueOption("text", "Text in the error message (case-insensitive)"))
        .option(
          "since",
          valueOption("since", "Dead-lettered at or after: a date-time or a duration ago (2h)"),
        )
        .option(
          "until",
          valueOption("until", "Dead-lettered before: a date-time or a duration ago"),
        )
        .option("from-seq", valueOption("from-seq", "Lowest DLQ sequence"))
        .option("to-seq", valueOption("to-seq", "Highest DLQ sequence"))
        .option("group", listOption("group", "Failure group id from `dlq stats`"))
        .option("to", valueOption("to", "redrive: publish to this subject instead of the origin"))
        .option("force", {
          type: "boolean",
          describe: "redrive: also messages that fail the current schema",
        })
        .option("keep", { type: "boolean", describe: "redrive: keep the DLQ copies" })
        .option("dry-run", {
          type: "boolean",
          describe: "redrive/purge: say what would happen, change nothing",
        })
        .option("rate", valueOption("rate", "redrive: at most N messages per second (N or N/s)"))
        .option("limit", valueOption("limit", "redrive: at most N messages"))
        .option(
          "older-than",
          valueOption("older-than", "purge: dead-lettered longer ago than this (7d)"),
        )
        .option("yes", {
          type: "boolean",
          describe: "purge: do not ask (required without a terminal)",
        }),
    ),
  prepare: (args, io) => {
    const action = String(args.action);
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`unknown action "${action}": use ${ACTIONS.join(", ")}`);
    }
    const a = action as Action;
    // Every flag understood before the contract is read or a server contacted.
    rejectUnusedFlags(a, args);
    const format = (args.format as string | undefined)?.toLowerCase() ?? (FORMATS[a][0] as string);
    if (!FORMATS[a].includes(format)) {
      throw new UsageError(
        `--format ${args.format} is not for dlq ${a}; use ${FORMATS[a].join(" or ")}`,
      );
    }
    const seq = parseSeq(a, args.seq);
    const nowMs = Date.now();
    const filter = parseFilter(args, nowMs);
    const stream = args.stream as string | undefined;
    const rate = parseRate(args.rate);
    const limit = positiveInt(args.limit, "--limit");
    if (a === "purge" && !args.dryRun && !args.yes && !onTerminal()) {
      throw new UsageError(
        "purge deletes dead letters: confirm with --yes (no terminal to ask on), or use --dry-run",
      );
    }
    const target = connectionOptions(args, io.cwd);
    return async () => {
      const contract = await loadContractOrExit(String(args.spec), refPolicy(args), io);
      if (typeof contract === "number") return contract;
      const scope = {
        ...(stream !== undefined ? { stream } : {}),
        ...(filter.consumers ? { consumers: filter.consumers } : {}),
      };
      // Names the contract does not know are mistakes too, found before connecting.
      try {
        scopeStreams(consumerTargets(contract), scope);
      } catch (error) {
        if (error instanceof OperateInputError) throw new UsageError(error.message);
        throw error;
      }
      return withServer(target, async (session) => {
        switch (a) {
          case "stats": {
            const stats = await dlqStats(session, contract, { ...scope, filter, nowMs });
            io.out(format === "json" ? JSON.stringify(stats, null, 2) : formatStatsText(stats));
            return stats.some((s) => s.count > 0) ? ExitCode.invalid : ExitCode.ok;
          }
          case "ls":
            return list(session, contract, { ...scope, filter }, format, io);
          case "show": {
            const shown = await showDeadLetter(session, contract, { seq: seq as number, ...scope });
            if (format === "json") {
              io.out(
                JSON.stringify({ ...shown, deadLetter: deadLetterJson(shown.deadLetter) }, null, 2),
              );
            } else io.out(formatShowText(shown));
            return shown.check.status === "invalid" ? ExitCode.invalid : ExitCode.ok;
          }
          case "redrive":
            return redrive(
              session,
              contract,
              args,
              {
                ...scope,
                filter: seq ? { ...filter, fromSeq: seq, toSeq: seq } : filter,
                rate,
                limit,
              },
              format,
              io,
            );
          case "purge": {
            const result = await purgeDeadLetters(session, contract, {
              ...scope,
              filter,
              dryRun: args.dryRun === true,
              ...(args.yes ? {} : { confirm: (s) => ask(s, io) }),
            });
            io.out(format === "json" ? JSON.stringify(result, null, 2) : formatPurgeText(result));
            return result.declined ? ExitCode.invalid : ExitCode.ok;
          }
        }
      });
    };
  },
};

async function list(
  session: Parameters<Parameters<typeof withServer>[1]>[0],
  contract: Contract,
  options: Parameters<typeof selectDeadLetters>[2],
  format: string,
  io: CliIO,
): Promise<ExitCode> {
  const rows: string[][] = [lsHeader()];
  const json: Record<string, unknown>[] = [];
  for await (const d of selectDeadLetters(session, contract, options)) {
    if (format === "ndjson") io.out(JSON.stringify(deadLetterJson(d)));
    else if (format === "json") json.push(deadLetterJson(d));
    else rows.push(lsRow(d));
  }
  if (format === "json") io.out(JSON.stringify(json, null, 2));
  if (format === "table") io.out(rows.length > 1 ? table(rows) : "no dead letters selected");
  return ExitCode.ok;
}

async function redrive(
  session: Parameters<Parameters<typeof withServer>[1]>[0],
  contract: Contract,
  args: Record<string, unknown>,
  options: {
    stream?: string;
    consumers?: readonly string[];
    filter: DlqFilter;
    rate: number | undefined;
    limit: number | undefined;
  },
  format: string,
  io: CliIO,
): Promise<ExitCode> {
  const controller = new AbortController();
  // Ctrl-C: finish the publishes in flight (and their deletes), then print the summary.
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const progress = onTerminal() && format === "text";
  try {
    const summary = await redriveDeadLetters(session, contract, {
      ...(options.stream !== undefined ? { stream: options.stream } : {}),
      ...(options.consumers ? { consumers: options.consumers } : {}),
      filter: options.filter,
      ...(args.to !== undefined ? { to: String(args.to) } : {}),
      force: args.force === true,
      keep: args.keep === true,
      dryRun: args.dryRun === true,
      ...(options.rate !== undefined ? { ratePerSec: options.rate } : {}),
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      signal: controller.signal,
      ...(progress
        ? {
            onProgress: (p) =>
              process.stderr.write(
                `\r\x1b[2Kre-driven ${p.redriven}  skipped ${p.skipped}  failed ${p.failed}`,
              ),
          }
        : {}),
    });
    if (progress) process.stderr.write("\r\x1b[2K");
    io.out(format === "json" ? JSON.stringify(summary, null, 2) : formatRedriveText(summary));
    const clean = summary.skipped.length === 0 && summary.failed.length === 0 && !summary.stopped;
    return clean ? ExitCode.ok : ExitCode.invalid;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function ask(selection: PurgeSelection, io: CliIO): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(
      `delete ${selection.count} dead letter${selection.count === 1 ? "" : "s"}? [y/N] `,
    );
    const yes = /^y(es)?$/i.test(answer.trim());
    if (!yes) io.err("nothing deleted");
    return yes;
  } finally {
    rl.close();
  }
}

function rejectUnusedFlags(action: Action, args: Record<string, unknown>): void {
  const allowed = new Set<string>([...FLAGS[action], ...CONNECTION_FLAGS]);
  for (const flag of ALL_FLAGS) {
    const value = args[flag];
    if (value === undefined || value === false || allowed.has(flag)) continue;
    const name = flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new UsageError(`--${name} has no effect with dlq ${action}`);
  }
  if (args.seq !== undefined && action !== "show" && action !== "redrive") {
    throw new UsageError(`dlq ${action} takes no sequence (use --from-seq / --to-seq)`);
  }
}

function parseSeq(action: Action, value: unknown): number | undefined {
  if (value === undefined) {
    if (action === "show")
      throw new UsageError("name the DLQ sequence: jetcontract dlq show <spec> <seq>");
    return undefined;
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`"${String(value)}" is not a DLQ sequence (a whole number from 1)`);
  return n;
}

function positiveInt(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} needs a whole number from 1, not "${String(value)}"`);
  return n;
}

/** `100`, `100/s`, `6000/m`. */
function parseRate(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*(s|m|h))?\s*$/.exec(String(value));
  const n = m ? Number(m[1]) / ({ s: 1, m: 60, h: 3600 }[m[2] ?? "s"] as number) : Number.NaN;
  if (!(n > 0))
    throw new UsageError(
      `--rate "${String(value)}": use messages per second, e.g. 50 or 50/s (or 600/m)`,
    );
  return n;
}

function parseFilter(args: Record<string, unknown>, nowMs: number): DlqFilter {
  const bound = (flag: string, value: unknown) => {
    if (value === undefined) return undefined;
    try {
      return parseTimeBound(String(value), nowMs, flag);
    } catch (error) {
      if (error instanceof OperateInputError) throw new UsageError(error.message);
      throw error;
    }
  };
  let untilMs = bound("--until", args.until);
  if (args.olderThan !== undefined) {
    let ms: number;
    try {
      ms = parseDuration(String(args.olderThan));
    } catch (error) {
      if (error instanceof UnitParseError) throw new UsageError(`--older-than: ${error.message}`);
      throw error;
    }
    untilMs = Math.min(untilMs ?? Number.POSITIVE_INFINITY, nowMs - ms);
  }
  const sinceMs = bound("--since", args.since);
  const fromSeq = positiveInt(args.fromSeq, "--from-seq");
  const toSeq = positiveInt(args.toSeq, "--to-seq");
  const lists = {
    consumers: args.consumer as string[] | undefined,
    subjects: args.subject as string[] | undefined,
    reasons: args.reason as string[] | undefined,
    errorClasses: args.errorClass as string[] | undefined,
    groups: args.group as string[] | undefined,
  };
  const filter: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({
    ...lists,
    sinceMs,
    untilMs,
    fromSeq,
    toSeq,
    text: args.text,
  })) {
    if (v !== undefined) filter[k] = v;
  }
  return filter as DlqFilter;
}
