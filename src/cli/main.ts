import yargs, { type Argv } from "yargs";
import { JETCONTRACT_BUGS, JETCONTRACT_VERSION } from "../version.js";
import type { CliAction, CliCommand } from "./command.js";
import { COMMAND_NAMES, loadCommands } from "./commands/index.js";
import { ExitCode, UsageError } from "./exit.js";
import { type CliIO, processIO } from "./io.js";
import {
  type DeclaredFlags,
  rephraseYargsFailure,
  unknownCommandMessage,
  unknownFlagMessage,
} from "./parse.js";

/** A mistake in the command line itself: printed with a pointer to `--help`. */
class CommandLineError extends UsageError {}

/**
 * Runs the CLI and returns the exit status: 0 ok, 1 invalid or breaking, 2 could not run.
 *
 * The whole command line is understood first (yargs, then the command's own `prepare`),
 * and only then does the command act, so a mistake never writes a file or contacts a
 * server. Never throws; no JavaScript error text reaches the user (the stack only with
 * DEBUG=jetcontract).
 */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const name = commandName(argv);
  try {
    const action = await understand(argv, name, io);
    return action ? await action() : ExitCode.ok;
  } catch (error) {
    return reportFailure(error, name, io);
  }
}

/** Parses and checks everything; the action to run, or none when help or the version was printed. */
async function understand(
  argv: readonly string[],
  name: string | undefined,
  io: CliIO,
): Promise<CliAction | undefined> {
  const asksForInfo = argv.some((a) => a === "--help" || a === "--version");
  if (name === undefined && !asksForInfo) {
    throw new CommandLineError(`name a command: ${COMMAND_NAMES.join(", ")}`);
  }
  if (name !== undefined && !COMMAND_NAMES.includes(name)) {
    throw new CommandLineError(unknownCommandMessage(name, COMMAND_NAMES));
  }

  let chosen: { cmd: CliCommand; args: Record<string, unknown> } | undefined;
  const commands = await loadCommands(name);
  const named = commands.find((c) => c.command.split(" ")[0] === name);
  const usage = `jetcontract ${named?.command ?? "<command>"}`;
  let declared: DeclaredFlags | undefined;
  const parser = yargs()
    .scriptName("jetcontract")
    .usage("$0 <command> [options]")
    .locale("en")
    .strict()
    .help()
    .version(JETCONTRACT_VERSION)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .showHelpOnFail(false)
    .fail((message, error) => {
      // An unknown flag explains most other failures (it took the value meant for a
      // positional, say), so it is named first.
      const unknown = declared && unknownFlagMessage(argv, declared, named?.flagHints);
      throw new CommandLineError(
        unknown ?? rephraseYargsFailure(message ?? error?.message ?? "", usage),
      );
    });
  const withDeclared = (builder: CliCommand["builder"]) => (inner: Argv) => {
    const built = builder(inner);
    declared = (built as unknown as { getOptions(): DeclaredFlags }).getOptions();
    return built;
  };
  for (const cmd of commands) {
    parser.command(cmd.command, cmd.describe, withDeclared(cmd.builder), (args) => {
      // Only record the choice: the command runs after parsing has fully succeeded.
      chosen = { cmd, args };
    });
  }
  let printed = "";
  await parser.parseAsync([...argv], {}, (_error, _args, output) => {
    printed = output;
  });
  if (printed !== "") io.out(printed);
  if (!chosen) return undefined;
  return await chosen.cmd.prepare(chosen.args, io);
}

/** The command named on the line: its first word that is not a flag. */
function commandName(argv: readonly string[]): string | undefined {
  return argv.find((arg) => !arg.startsWith("-"));
}

/**
 * Prints a failure as the user should see it and returns exit status 2. The launcher also
 * uses it for an error that escapes `main` (a rejection after it returned).
 */
export function reportFailure(
  error: unknown,
  name: string | undefined,
  io: CliIO = processIO,
): number {
  const prefix =
    name !== undefined && COMMAND_NAMES.includes(name) ? `jetcontract ${name}` : "jetcontract";
  if (error instanceof UsageError) {
    io.err(`${prefix}: ${error.message}`);
    if (error instanceof CommandLineError) {
      io.err(`Run \`jetcontract${prefix === "jetcontract" ? "" : ` ${name}`} --help\` for usage.`);
    }
    return ExitCode.couldNotRun;
  }
  const system = systemErrorMessage(error);
  if (system !== undefined) {
    io.err(`${prefix}: ${system}`);
  } else {
    const kind = error instanceof Error ? error.name : typeof error;
    io.err(`${prefix}: internal error (${kind}): this is a bug in jetcontract, not in your input.`);
    io.err(
      `Please report it at ${JETCONTRACT_BUGS} with the command line; DEBUG=jetcontract prints the details.`,
    );
  }
  if (process.env.DEBUG?.includes("jetcontract")) {
    io.err(error instanceof Error && error.stack ? error.stack : String(error));
  }
  return ExitCode.couldNotRun;
}

const SYSTEM_REASONS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOSPC: "no space left on the device",
  EROFS: "read-only file system",
  ENOENT: "no such file or directory",
  ENOTDIR: "part of the path is a file, not a directory",
  EISDIR: "is a directory",
  EEXIST: "already exists",
  EMFILE: "too many open files",
};
const SYSTEM_VERBS: Readonly<Record<string, string>> = {
  mkdir: "create directory",
  open: "open",
  write: "write",
  read: "read",
  rename: "rename",
  unlink: "remove",
  rm: "remove",
  scandir: "list",
  stat: "read",
  lstat: "read",
};

/** A failed file-system call (`EACCES` ...) as one line: what could not be done, and why. */
function systemErrorMessage(error: unknown): string | undefined {
  const e = error as { code?: unknown; syscall?: unknown; path?: unknown } | undefined;
  if (typeof e?.code !== "string" || typeof e.syscall !== "string") return undefined;
  const verb = SYSTEM_VERBS[e.syscall] ?? e.syscall;
  const target = typeof e.path === "string" ? ` ${e.path}` : "";
  return `cannot ${verb}${target}: ${SYSTEM_REASONS[e.code] ?? e.code}`;
}
