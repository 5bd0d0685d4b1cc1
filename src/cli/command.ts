import type { Argv } from "yargs";
import type { ExitCode } from "./exit.js";
import type { CliIO } from "./io.js";

/**
 * One CLI command: declares its flags on yargs, then runs a library function and maps the
 * result to output and an exit code. No behaviour lives here that a library user lacks.
 */
export interface CliCommand {
  readonly command: string;
  readonly describe: string;
  readonly builder: (yargs: Argv) => Argv;
  readonly run: (args: Record<string, unknown>, io: CliIO) => Promise<ExitCode>;
}
