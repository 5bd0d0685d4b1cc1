import type { CliCommand } from "../command.js";

/**
 * Every CLI command, one module each, loaded on demand: a command's module pulls in its
 * stage (ajv, the AsyncAPI parser, nats.js), and a process should pay only for the
 * stage it runs. Add a command by adding its loader here.
 */
const commandLoaders: Readonly<Record<string, () => Promise<CliCommand>>> = {
  validate: async () => (await import("./validate.js")).validateCommand,
  generate: async () => (await import("./generate.js")).generateCommand,
  streams: async () => (await import("./streams.js")).streamsCommand,
  diff: async () => (await import("./diff.js")).diffCommand,
  dlq: async () => (await import("./dlq.js")).dlqCommand,
  status: async () => (await import("./status.js")).statusCommand,
};

/** The command names, for messages and "did you mean". */
export const COMMAND_NAMES: readonly string[] = Object.keys(commandLoaders);

/** The commands a run needs: the one named, or all (for help). */
export async function loadCommands(name: string | undefined): Promise<CliCommand[]> {
  const loader = name === undefined ? undefined : commandLoaders[name];
  if (loader) return [await loader()];
  return Promise.all(Object.values(commandLoaders).map((load) => load()));
}
