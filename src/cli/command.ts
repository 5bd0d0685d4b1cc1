import type { Argv } from "yargs";
import type { ExitCode } from "./exit.js";
import type { CliIO } from "./io.js";

/** What a command does once its command line is understood. */
export type CliAction = () => Promise<ExitCode>;

/**
 * One CLI command: declares its flags on yargs, then runs a library function and maps the
 * result to output and an exit code. No behaviour lives here that a library user lacks.
 *
 * Two steps, so that a mistake never acts: `prepare` checks every flag and named path
 * (throwing `UsageError`) without writing anything or contacting a server, and returns the
 * action; `main` runs it only when the whole command line was understood.
 */
export interface CliCommand {
  readonly command: string;
  readonly describe: string;
  readonly builder: (yargs: Argv) => Argv;
  readonly prepare: (args: Record<string, unknown>, io: CliIO) => Promise<CliAction> | CliAction;
  /** Advice for flags users reach for that the command does not have (`dry-run` → use plan). */
  readonly flagHints?: Readonly<Record<string, string>>;
}
