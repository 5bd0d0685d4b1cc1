import type { CliCommand } from "../command.js";
import { diffCommand } from "./diff.js";
import { generateCommand } from "./generate.js";
import { streamsCommand } from "./streams.js";
import { validateCommand } from "./validate.js";

/** Every CLI command, one module each. Add a command by adding its module here. */
export const commands: readonly CliCommand[] = [
  validateCommand,
  generateCommand,
  streamsCommand,
  diffCommand,
];
