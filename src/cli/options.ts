import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Argv, Options } from "yargs";
import { closestName } from "../model/suggest.js";
import { DURATION_FORMS, parseDuration, UnitParseError } from "../spec/units.js";
import { UsageError } from "./exit.js";

/**
 * Option builders every command uses, so each kind of flag behaves the same everywhere:
 * a value flag needs its value and may be given once; a choice matches in any case; a list
 * takes the flag repeated or comma-separated. The checks run while yargs parses (as
 * `coerce`), so a wrong value stops the command before it does anything.
 */

/** A flag with one string value. */
export function valueOption(flag: string, describe: string, extra: Options = {}): Options {
  return { type: "string", requiresArg: true, describe, ...extra, coerce: (v) => single(flag, v) };
}

/** A flag with one value from a fixed set, matched in any case (`backward`, `JSON`). */
export function choiceOption<T extends string>(
  flag: string,
  choices: readonly T[],
  describe: string,
  defaultValue?: T,
): Options {
  return {
    type: "string",
    requiresArg: true,
    choices: [...choices],
    describe,
    ...(defaultValue !== undefined ? { default: defaultValue } : {}),
    coerce: (v) => oneOf(flag, single(flag, v), choices),
  };
}

/** `--format`: the output formats of a command, matched in any case. */
export function formatOption<T extends string>(
  formats: readonly T[],
  describe: string,
  defaultValue?: T,
): Options {
  return choiceOption("format", formats, describe, defaultValue);
}

/** A flag that takes several values: repeated (`--x a --x b`) or comma-separated (`--x a,b`). */
export function listOption(flag: string, describe: string): Options {
  return {
    type: "string",
    requiresArg: true,
    describe: `${describe} (repeat the flag or separate values with commas)`,
    coerce: (v) => list(flag, v),
  };
}

/** A duration flag (`500ms`, `5s`, `PT5S`), parsed to milliseconds. */
export function durationOption(flag: string, describe: string): Options {
  return {
    type: "string",
    requiresArg: true,
    describe: `${describe} (e.g. 500ms, 5s, 1m)`,
    coerce: (v) => duration(flag, single(flag, v)),
  };
}

function single(flag: string, value: unknown): string {
  if (Array.isArray(value)) {
    const given = value.map((v) => JSON.stringify(String(v))).join(", ");
    throw new UsageError(`--${flag} was given ${value.length} times (${given}); give it once`);
  }
  const text = String(value);
  if (text.trim() === "") throw new UsageError(`--${flag} needs a value`);
  return text;
}

function oneOf<T extends string>(flag: string, value: string, choices: readonly T[]): T {
  const key = (s: string) => s.toLowerCase().replace(/-/g, "_");
  const found = choices.find((c) => key(c) === key(value));
  if (found !== undefined) return found;
  const hint = closestName(value, choices);
  throw new UsageError(
    `--${flag} ${value} is not one of ${choices.join(", ")}${hint ? `; did you mean ${hint}?` : ""}`,
  );
}

function list(flag: string, value: unknown): string[] {
  const items = (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(","))
    .map((v) => v.trim());
  if (items.some((v) => v === "")) {
    throw new UsageError(`--${flag} has an empty entry; give values like --${flag} a,b`);
  }
  return items;
}

function duration(flag: string, value: string): number {
  try {
    const ms = parseDuration(value);
    if (ms > 0) return ms;
  } catch (error) {
    if (!(error instanceof UnitParseError)) throw error;
  }
  throw new UsageError(`--${flag} ${value} is not a positive duration; use ${DURATION_FORMS}`);
}

/**
 * An output directory: it may not exist yet (it is created), but it may not be a file,
 * nor sit under one. Checked before anything is written.
 */
export function checkOutputDir(flag: string, dir: string, cwd: string): void {
  const full = resolve(cwd, dir);
  for (let at = full; ; at = dirname(at)) {
    const kind = kindOf(at);
    if (kind === "directory") return;
    if (kind === "other") {
      throw new UsageError(
        at === full
          ? `--${flag} ${dir} is a file, not a directory`
          : `--${flag} ${dir} cannot be created: ${at} is a file, not a directory`,
      );
    }
    if (dirname(at) === at) return;
  }
}

/** An input file named by a flag: it must exist and be a file. */
export function checkInputFile(flag: string, file: string, cwd: string): void {
  const kind = kindOf(resolve(cwd, file));
  if (kind === "missing") throw new UsageError(`--${flag} ${file}: no such file`);
  if (kind === "directory") throw new UsageError(`--${flag} ${file} is a directory, not a file`);
}

function kindOf(path: string): "directory" | "other" | "missing" {
  try {
    return statSync(path).isDirectory() ? "directory" : "other";
  } catch {
    return "missing";
  }
}

/**
 * How far a spec's `$ref`s may reach, the same for every command that reads a spec: a
 * contract `validate` accepts with a flag is read the same way by `streams`, `diff`, `dlq`.
 */
export function withRefFlags(yargs: Argv): Argv {
  return yargs
    .option("allow-remote-refs", {
      type: "boolean",
      default: false,
      describe: "Fetch $refs to http(s) URLs (refused by default)",
    })
    .option("allow-outside-refs", {
      type: "boolean",
      default: false,
      describe: "Follow $refs to files outside the spec's folder (refused by default)",
    })
    .group(["allow-remote-refs", "allow-outside-refs"], "References:");
}

/** The loader options the reference flags ask for. */
export function refPolicy(args: Record<string, unknown>): {
  allowRemoteRefs: boolean;
  allowOutsideRefs: boolean;
} {
  return {
    allowRemoteRefs: args.allowRemoteRefs === true,
    allowOutsideRefs: args.allowOutsideRefs === true,
  };
}
