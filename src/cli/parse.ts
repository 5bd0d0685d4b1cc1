import { closestName } from "../model/suggest.js";

/**
 * Command-line checks yargs does not phrase for users: unknown flags with "did you mean",
 * unknown commands, and its own failure messages rewritten as one readable line.
 */

/** The part of yargs' option table (`getOptions()`) that names the flags. */
export interface DeclaredFlags {
  readonly key: Readonly<Record<string, unknown>>;
  readonly alias: Readonly<Record<string, readonly string[]>>;
  readonly boolean: readonly string[];
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const dashes = (name: string) => (name.length === 1 ? `-${name}` : `--${name}`);

/** The first flag on the command line that the command does not declare, as a message. */
export function unknownFlagMessage(
  argv: readonly string[],
  declared: DeclaredFlags,
  hints: Readonly<Record<string, string>> = {},
): string | undefined {
  const names = new Set<string>();
  for (const key of Object.keys(declared.key)) names.add(kebab(key));
  for (const [key, aliases] of Object.entries(declared.alias)) {
    names.add(kebab(key));
    for (const alias of aliases) names.add(kebab(alias));
  }
  const booleans = new Set(declared.boolean.map(kebab));
  const long = [...names].filter((n) => n.length > 1 && n !== "$0" && n !== "_");

  for (const flag of flagsIn(argv)) {
    if (names.has(flag)) continue;
    if (flag.startsWith("no-") && booleans.has(flag.slice(3))) continue;
    const hint = hints[flag];
    if (hint !== undefined) return `unknown option ${dashes(flag)}: ${hint}`;
    const near = flag.length > 1 ? closestName(flag, long) : undefined;
    return `unknown option ${dashes(flag)}${near ? `; did you mean --${near}?` : ""}`;
  }
  return undefined;
}

/** Flag names as written (`--out=x` → `out`, `-o` → `o`, `-ab` → `a`, `b`), up to `--`. */
function* flagsIn(argv: readonly string[]): Generator<string> {
  for (const arg of argv) {
    if (arg === "--") return;
    if (arg.startsWith("--")) yield (arg.slice(2).split("=")[0] as string).trim();
    else if (arg.startsWith("-") && arg.length > 1 && !/^-\d/.test(arg)) {
      yield* arg.slice(1).split("=")[0] as string;
    }
  }
}

/** "unknown command" with the closest command name. */
export function unknownCommandMessage(name: string, commands: readonly string[]): string {
  const near = closestName(name, commands);
  return `unknown command "${name}"${near ? `; did you mean ${near}?` : ""} (commands: ${commands.join(", ")})`;
}

/**
 * yargs' failure messages (English: `main` sets the locale) as one line in our words.
 * `usage` is the command's usage line, for missing arguments.
 */
export function rephraseYargsFailure(message: string, usage: string): string {
  const text = message.trim();
  const notEnough = /^Not enough arguments following: (.+)$/.exec(text);
  if (notEnough) return `${dashes(notEnough[1] as string)} needs a value`;
  const missing = /^Missing required arguments?: ([^\n]+)/.exec(text);
  if (missing) {
    const flags = (missing[1] as string).split(", ").map(dashes);
    return `${flags.join(" and ")} ${flags.length === 1 ? "is" : "are"} required`;
  }
  const few = /^Not enough non-option arguments: got (\d+)/.exec(text);
  if (few) {
    const demanded = usage.match(/<[^>]+>/g) ?? [];
    const absent = demanded.slice(Number(few[1])).join(" ");
    return `missing ${absent || "arguments"} (usage: ${usage})`;
  }
  const extra = /^Unknown arguments?: (.+)$/.exec(text);
  if (extra) return `unexpected argument ${extra[1]} (usage: ${usage})`;
  if (/^Too many non-option arguments/.test(text)) return `too many arguments (usage: ${usage})`;
  const conflict = /^Arguments (\S+) and (\S+) are mutually exclusive$/.exec(text);
  if (conflict) {
    return `${dashes(conflict[1] as string)} and ${dashes(conflict[2] as string)} cannot be combined`;
  }
  return text.replace(/\s*\n\s*/g, " ");
}
