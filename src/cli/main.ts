import yargs from "yargs";
import type { CliCommand } from "./command.js";
import { loadCommands } from "./commands/index.js";
import { ExitCode, UsageError } from "./exit.js";
import { type CliIO, processIO } from "./io.js";

/**
 * Runs the CLI and returns the exit status: 0 ok, 1 invalid or breaking, 2 could not run.
 * Never throws for a user's mistake; unexpected errors print one line (stack with DEBUG=jetcontract).
 */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  let exitCode: number = ExitCode.ok;
  let usageFailure: string | undefined;

  const parser = yargs([...argv])
    .scriptName("jetcontract")
    .usage("$0 <command> [options]")
    .strict()
    .demandCommand(1, "Name a command: validate, generate, streams or diff.")
    .recommendCommands()
    .help()
    .version()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .showHelpOnFail(false)
    .fail((message, error) => {
      // yargs calls this for bad flags and unknown commands; errors thrown by handlers
      // are handled below instead.
      if (error && !(error instanceof UsageError)) throw error;
      usageFailure = message ?? error?.message ?? "invalid arguments";
    });

  for (const cmd of await loadCommands(argv)) {
    parser.command(cmd.command, cmd.describe, cmd.builder, async (args) => {
      exitCode = await runCommand(cmd, args, io);
    });
  }

  try {
    await parser.parseAsync();
  } catch (error) {
    io.err(`jetcontract: ${errorMessage(error)}`);
    if (process.env.DEBUG?.includes("jetcontract") && error instanceof Error && error.stack) {
      io.err(error.stack);
    }
    return ExitCode.couldNotRun;
  }
  if (usageFailure !== undefined) {
    io.err(`jetcontract: ${usageFailure}`);
    io.err("Run `jetcontract --help` for usage.");
    return ExitCode.couldNotRun;
  }
  return exitCode;
}

async function runCommand(
  cmd: CliCommand,
  args: Record<string, unknown>,
  io: CliIO,
): Promise<number> {
  try {
    return await cmd.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`jetcontract ${cmd.command.split(" ")[0]}: ${error.message}`);
      return ExitCode.couldNotRun;
    }
    throw error;
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
