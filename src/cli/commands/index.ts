import type { CliCommand } from "../command.js";

/**
 * Every CLI command, one module each, loaded on demand: a command's module pulls in its
 * stage (ts-morph, the AsyncAPI parser, nats.js), and a process should pay only for the
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

/** The commands a run needs: the one named first on the command line, or all (for help). */
export async function loadCommands(argv: readonly string[]): Promise<CliCommand[]> {
  const first = argv.find((arg) => !arg.startsWith("-"));
  const loader = first === undefined ? undefined : commandLoaders[first];
  if (loader) return [await loader()];
  return Promise.all(Object.values(commandLoaders).map((load) => load()));
}
