import { execFile } from "node:child_process";
import { readFile, realpath } from "node:fs/promises";
import path from "node:path";
import type { Problem } from "../model/problem.js";
import type { CompatibilityMode, JsonSchema } from "../model/types.js";
import { FILE_UNREADABLE, loadContract } from "../spec/index.js";
import { type ContractVersion, diffContractHistory } from "./contract-diff.js";
import {
  CompatInputError,
  type PositionedDocument,
  parsePositioned,
  readErrorText,
} from "./document.js";
import { buildReport, judge, messageMode } from "./report.js";
import { diffSchemas } from "./schema-diff.js";
import type { DiffOptions, DiffReport, ReportedChange } from "./types.js";
import { isTransitive } from "./types.js";

/** One version to compare: a file on disk, or the file as it is at a git revision. */
export interface DiffSource {
  /** Path of the file, relative to `cwd` or absolute. */
  readonly path: string;
  /** A git revision (branch, tag, commit); the file is read with `git show REV:path`. */
  readonly revision?: string;
}

export interface DiffFilesOptions extends DiffOptions {
  /** Directory relative paths resolve against. Default: `process.cwd()`. */
  readonly cwd?: string;
  /** Fetch `$ref`s to http(s) URLs (refused by default). */
  readonly allowRemoteRefs?: boolean;
  /** Follow `$ref`s to files outside a spec's folder (refused by default). */
  readonly allowOutsideRefs?: boolean;
}

/** A label for a source, as reports show it: the path, or `REV:path`. */
export function sourceLabel(source: DiffSource): string {
  return source.revision !== undefined ? `${source.revision}:${source.path}` : source.path;
}

function run(cmd: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      [...args],
      { cwd, maxBuffer: 256 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) {
          const firstLine = (stderr || error.message).trim().split("\n")[0] ?? "";
          reject(new Error(firstLine));
        } else resolve(stdout);
      },
    );
  });
}

/** Reads files as they are at one git revision, for sources given as `--against REV`. */
export class GitRevisionReader {
  private root: Promise<string> | undefined;
  private verified: Promise<void> | undefined;

  constructor(
    readonly revision: string,
    private readonly cwd: string,
  ) {}

  private repoRoot(): Promise<string> {
    this.root ??= run("git", ["rev-parse", "--show-toplevel"], this.cwd)
      .then((out) => realpath(out.trim()))
      .catch((error: unknown) => {
        throw new CompatInputError(
          `cannot read revision ${this.revision}: not inside a git repository (${errorText(error)})`,
          this.revision,
          { kind: "could-not-run" },
        );
      });
    return this.root;
  }

  private async verify(): Promise<void> {
    this.verified ??= this.repoRoot().then(async (root) => {
      try {
        await run("git", ["rev-parse", "--verify", "--quiet", `${this.revision}^{commit}`], root);
      } catch {
        throw new CompatInputError(`unknown git revision "${this.revision}"`, this.revision, {
          kind: "could-not-run",
        });
      }
    });
    return this.verified;
  }

  private readonly texts = new Map<string, Promise<string>>();

  /**
   * Reads an absolute path (inside the repository) as it is at the revision, once: the root
   * file is read to tell its kind, then again by the spec loader.
   */
  readonly readFile = (absolutePath: string): Promise<string> => {
    let text = this.texts.get(absolutePath);
    if (!text) {
      text = this.show(absolutePath);
      this.texts.set(absolutePath, text);
    }
    return text;
  };

  private async show(absolutePath: string): Promise<string> {
    await this.verify();
    const root = await this.repoRoot();
    const dir = await realpath(path.dirname(absolutePath)).catch(() => path.dirname(absolutePath));
    const rel = path.relative(root, path.join(dir, path.basename(absolutePath)));
    if (rel.startsWith("..") || path.isAbsolute(rel)) {
      throw new CompatInputError(
        `${absolutePath} is outside the git repository at ${root}`,
        absolutePath,
        { kind: "could-not-run" },
      );
    }
    const spec = `${this.revision}:${rel.split(path.sep).join("/")}`;
    try {
      return await run("git", ["show", spec], root);
    } catch (error) {
      throw new CompatInputError(`cannot read ${spec}: ${errorText(error)}`, spec, {
        kind: "could-not-run",
      });
    }
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readSource(
  source: DiffSource,
  cwd: string,
): Promise<{ text: string; reader?: GitRevisionReader }> {
  const absolute = path.resolve(cwd, source.path);
  if (source.revision !== undefined) {
    const reader = new GitRevisionReader(source.revision, path.dirname(absolute));
    return { text: await reader.readFile(absolute), reader };
  }
  try {
    return { text: await readFile(absolute, "utf8") };
  } catch (error) {
    throw new CompatInputError(`cannot read ${source.path}: ${readErrorText(error)}`, source.path, {
      cause: error,
      kind: "could-not-run",
    });
  }
}

function isAsyncApi(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && "asyncapi" in value
  );
}

function firstError(problems: readonly Problem[]): Problem | undefined {
  return problems.find((p) => p.severity === "error");
}

function problemText(problem: Problem): string {
  const loc = problem.location;
  const where = loc ? `${loc.file}:${loc.line}:${loc.column}` : (problem.file ?? "");
  return `${where}: ${problem.message} (${problem.ruleId})`;
}

interface LoadedSource {
  readonly source: DiffSource;
  readonly label: string;
  readonly doc: PositionedDocument;
  readonly reader?: GitRevisionReader;
}

/**
 * Compares files: AsyncAPI documents as contracts, or plain JSON Schema files (JSON or YAML,
 * no `asyncapi` key) as one message's payload. `previous` is oldest first; non-transitive
 * modes compare with its last entry, transitive ones with all. Throws `CompatInputError`
 * when a file cannot be read or parsed, or the inputs are of different kinds.
 */
export async function diffFiles(
  previous: readonly DiffSource[],
  current: DiffSource,
  options: DiffFilesOptions = {},
): Promise<DiffReport> {
  const cwd = options.cwd ?? process.cwd();
  if (previous.length === 0) {
    throw new CompatInputError(
      "nothing to compare against: give an earlier version",
      current.path,
      {
        kind: "could-not-run",
      },
    );
  }
  const all = [...previous, current];
  const loaded: LoadedSource[] = [];
  for (const source of all) {
    const { text, reader } = await readSource(source, cwd);
    const label = sourceLabel(source);
    loaded.push({
      source,
      label,
      doc: parsePositioned(text, label),
      ...(reader ? { reader } : {}),
    });
  }
  const kinds = new Set(loaded.map((l) => isAsyncApi(l.doc.value)));
  if (kinds.size > 1) {
    const odd = loaded.find(
      (l) => isAsyncApi(l.doc.value) !== isAsyncApi(loaded.at(-1)?.doc.value),
    );
    throw new CompatInputError(
      `cannot compare an AsyncAPI document with a plain JSON Schema (${odd?.label ?? "?"} differs from ${current.path})`,
      odd?.label ?? current.path,
    );
  }
  if (kinds.has(true)) {
    const versions: ContractVersion[] = [];
    for (const l of loaded) {
      const result = await loadContract(l.source.path, {
        cwd,
        ...(options.allowRemoteRefs !== undefined
          ? { allowRemoteRefs: options.allowRemoteRefs }
          : {}),
        ...(options.allowOutsideRefs !== undefined
          ? { allowOutsideRefs: options.allowOutsideRefs }
          : {}),
        ...(l.reader ? { readFile: l.reader.readFile } : {}),
      });
      const error = firstError(result.problems);
      if (!result.contract || error) {
        const prefix = l.source.revision !== undefined ? `at ${l.source.revision}: ` : "";
        throw new CompatInputError(
          `${prefix}${error ? problemText(error) : `${l.label} could not be loaded`}`,
          l.label,
          { kind: error?.ruleId === FILE_UNREADABLE ? "could-not-run" : "invalid" },
        );
      }
      versions.push({ label: l.label, contract: result.contract });
    }
    const currentVersion = versions.pop();
    if (!currentVersion) throw new CompatInputError("no current version", current.path);
    return markRevisions(diffContractHistory(versions, currentVersion, options), all);
  }
  if (options.allowMajor) {
    throw new CompatInputError(
      "--allow-major compares info.version, which plain JSON Schema files do not have: use it with AsyncAPI documents",
      current.path,
      { kind: "could-not-run" },
    );
  }
  for (const l of loaded) checkSchemaRoot(l.doc);
  const currentDoc = loaded.pop();
  if (!currentDoc) throw new CompatInputError("no current version", current.path);
  return markRevisions(diffSchemaDocuments(loaded, currentDoc, options), all);
}

/** A plain JSON Schema file holds an object or a boolean; anything else is not a schema. */
function checkSchemaRoot(doc: PositionedDocument): void {
  const value = doc.value;
  if (
    typeof value === "boolean" ||
    (typeof value === "object" && value !== null && !Array.isArray(value))
  ) {
    return;
  }
  const found = Array.isArray(value)
    ? "a list"
    : value === null || value === undefined
      ? "nothing"
      : `a ${typeof value}`;
  const at = doc.locate("");
  throw new CompatInputError(
    `${at.file}:${at.line}:${at.column}: a JSON Schema must be an object or a boolean, found ${found}`,
    doc.file,
  );
}

/** Locations inside a file read at a git revision name it `REV:path` and carry the revision. */
function markRevisions(report: DiffReport, sources: readonly DiffSource[]): DiffReport {
  const revisions = new Map(
    sources
      .filter((s) => s.revision !== undefined)
      .map((s) => [sourceLabel(s), s.revision as string]),
  );
  if (revisions.size === 0) return report;
  return {
    ...report,
    changes: report.changes.map((c) => {
      const revision = c.side === "old" ? revisions.get(c.against) : undefined;
      if (revision === undefined || !c.location) return c;
      const file = c.location.file.startsWith(`${revision}:`)
        ? c.location.file
        : `${revision}:${c.location.file}`;
      return { ...c, location: { ...c.location, file, revision } };
    }),
  };
}

function diffSchemaDocuments(
  history: readonly LoadedSource[],
  current: LoadedSource,
  options: DiffOptions,
): DiffReport {
  const messageId = current.source.path;
  const mode = messageMode(messageId, path.basename(messageId), "BACKWARD", false, options);
  const against = checkedVersions(history, mode.mode);
  const changes: ReportedChange[] = [];
  for (const version of against) {
    for (const change of diffSchemas(
      version.doc.value as JsonSchema,
      current.doc.value as JsonSchema,
      {
        oldPositions: (p) => version.doc.locateExact(p),
        newPositions: (p) => current.doc.locateExact(p),
      },
    )) {
      changes.push(
        judge(
          change,
          { kind: "message", messageId, part: "payload" },
          mode.mode,
          version.label,
          options,
        ),
      );
    }
  }
  return buildReport(
    current.label,
    history.map((h) => h.label),
    [mode],
    changes,
  );
}

function checkedVersions<T>(history: readonly T[], mode: CompatibilityMode): readonly T[] {
  if (mode === "NONE") return [];
  if (isTransitive(mode)) return history;
  const last = history.at(-1);
  return last === undefined ? [] : [last];
}
