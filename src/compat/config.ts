import { readFile } from "node:fs/promises";
import path from "node:path";
import { closestName } from "../model/suggest.js";
import type { CompatibilityMode } from "../model/types.js";
import { isRecord } from "../spec/pointer.js";
import {
  CompatInputError,
  type PositionedDocument,
  parsePositioned,
  readErrorText,
} from "./document.js";
import { isRuleId, RULES } from "./rules.js";
import type { DiffOptions, FormatPolicy, IgnoreRule } from "./types.js";
import { COMPATIBILITY_MODES, FORMAT_POLICIES } from "./types.js";

/** The repository configuration file `jetcontract diff` looks for, from the directory up. */
export const CONFIG_FILE_NAME = ".jetcontract-diff.yaml";

/**
 * Repository configuration for `jetcontract diff`, e.g.:
 *
 * ```yaml
 * failOn: breaking            # or warning
 * format: assert              # format/content* changes: assert (default), warn or ignore
 * messages:
 *   OrderPlaced:
 *     mode: FULL_TRANSITIVE   # overrides the document's x-compatibility for this message
 * ignore:
 *   - rule: property-added-to-open-model
 *     message: OrderPlaced    # optional: only this message
 *     reason: consumers ignore unknown fields (ADR-12)
 * ```
 */
export interface DiffConfig extends DiffOptions {
  readonly failOn?: "breaking" | "warning";
  /** The file it came from. */
  readonly file: string;
}

/** Validates configuration data; throws `CompatInputError` naming file:line:col of the first problem. */
export function parseDiffConfig(doc: PositionedDocument): DiffConfig {
  const fail: (pointer: string, message: string) => never = (pointer, message) => {
    const at = doc.locate(pointer);
    throw new CompatInputError(`${at.file}:${at.line}:${at.column}: ${message}`, doc.file, {
      kind: "could-not-run",
    });
  };
  const checkKeys = (
    value: Record<string, unknown>,
    pointer: string,
    allowed: readonly string[],
  ) => {
    for (const key of Object.keys(value)) {
      if (allowed.includes(key)) continue;
      const hint = closestName(key, allowed);
      fail(
        `${pointer}/${key}`,
        `unknown key "${key}"${hint ? `; did you mean "${hint}"?` : ""} (allowed: ${allowed.join(", ")})`,
      );
    }
  };
  const mode = (value: unknown, pointer: string): CompatibilityMode => {
    if (typeof value === "string" && (COMPATIBILITY_MODES as readonly string[]).includes(value)) {
      return value as CompatibilityMode;
    }
    const hint = typeof value === "string" ? closestName(value, COMPATIBILITY_MODES) : undefined;
    return fail(
      pointer,
      `mode must be one of ${COMPATIBILITY_MODES.join(", ")}${hint ? `; did you mean "${hint}"?` : ""}`,
    );
  };

  const root = doc.value ?? {};
  if (!isRecord(root)) return fail("", "the configuration must be a mapping");
  checkKeys(root, "", ["failOn", "format", "messages", "ignore"]);
  let format: FormatPolicy | undefined;
  if (root.format !== undefined) {
    if (!(FORMAT_POLICIES as readonly unknown[]).includes(root.format)) {
      const hint =
        typeof root.format === "string" ? closestName(root.format, FORMAT_POLICIES) : undefined;
      fail(
        "/format",
        `format must be one of ${FORMAT_POLICIES.join(", ")}${hint ? `; did you mean "${hint}"?` : ""}`,
      );
    }
    format = root.format as FormatPolicy;
  }
  let failOn: DiffConfig["failOn"];
  if (root.failOn !== undefined) {
    if (root.failOn !== "breaking" && root.failOn !== "warning") {
      fail("/failOn", 'failOn must be "breaking" or "warning"');
    }
    failOn = root.failOn as DiffConfig["failOn"];
  }
  const messageModes: Record<string, CompatibilityMode> = {};
  if (root.messages !== undefined) {
    if (!isRecord(root.messages)) fail("/messages", "messages must map message ids to settings");
    for (const [id, settings] of Object.entries(root.messages as Record<string, unknown>)) {
      const pointer = `/messages/${id}`;
      if (!isRecord(settings)) fail(pointer, `settings of message "${id}" must be a mapping`);
      checkKeys(settings as Record<string, unknown>, pointer, ["mode"]);
      const value = (settings as Record<string, unknown>).mode;
      if (value !== undefined) messageModes[id] = mode(value, `${pointer}/mode`);
    }
  }
  const ignore: IgnoreRule[] = [];
  if (root.ignore !== undefined) {
    if (!Array.isArray(root.ignore)) fail("/ignore", "ignore must be a list");
    for (const [i, entry] of (root.ignore as unknown[]).entries()) {
      const pointer = `/ignore/${i}`;
      if (!isRecord(entry)) fail(pointer, "each ignore entry needs rule and reason");
      checkKeys(entry, pointer, ["rule", "message", "reason"]);
      if (typeof entry.rule !== "string") fail(pointer, "ignore entry without a rule id");
      if (!isRuleId(entry.rule)) {
        const hint = closestName(
          entry.rule,
          RULES.map((r) => r.id),
        );
        fail(
          `${pointer}/rule`,
          `unknown rule "${entry.rule}"${hint ? `; did you mean "${hint}"?` : ""}`,
        );
      }
      if (typeof entry.reason !== "string" || entry.reason.trim() === "") {
        fail(pointer, `ignoring ${entry.rule} needs a reason`);
      }
      if (entry.message !== undefined && typeof entry.message !== "string") {
        fail(`${pointer}/message`, "message must be a message id");
      }
      ignore.push({
        rule: entry.rule,
        reason: entry.reason.trim(),
        ...(typeof entry.message === "string" ? { message: entry.message } : {}),
      });
    }
  }
  return {
    file: doc.file,
    ...(failOn ? { failOn } : {}),
    ...(format ? { format } : {}),
    messageModes,
    ignore,
  };
}

/** Reads and validates a configuration file. */
export async function loadDiffConfig(file: string, cwd = process.cwd()): Promise<DiffConfig> {
  let text: string;
  try {
    text = await readFile(path.resolve(cwd, file), "utf8");
  } catch (error) {
    throw new CompatInputError(`cannot read configuration ${file}: ${readErrorText(error)}`, file, {
      cause: error,
      kind: "could-not-run",
    });
  }
  try {
    return parseDiffConfig(parsePositioned(text, file));
  } catch (error) {
    // A configuration that does not parse is a setting problem, like a bad flag.
    if (error instanceof CompatInputError && error.kind === "invalid") {
      throw new CompatInputError(error.message, file, { cause: error, kind: "could-not-run" });
    }
    throw error;
  }
}

/** Finds `.jetcontract-diff.yaml` in `cwd` or the nearest directory above it. */
export async function findDiffConfig(cwd: string): Promise<string | undefined> {
  let dir = path.resolve(cwd);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    try {
      await readFile(candidate);
      return candidate;
    } catch {
      // keep looking upwards
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
