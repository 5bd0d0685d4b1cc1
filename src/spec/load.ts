import path from "node:path";
import type { Problem } from "../model/problem.js";
import type { Contract } from "../model/types.js";
import { validateAsyncApi } from "./asyncapi.js";
import { buildContract } from "./build.js";
import { isRecord } from "./pointer.js";
import { runRules } from "./rules/index.js";
import { FileReadError, Workspace } from "./workspace.js";

export interface LoadOptions {
  /** Let `$ref`s to http(s) URLs be fetched. Default false: they are refused with `remote-ref`. */
  allowRemoteRefs?: boolean;
  /**
   * Let local `$ref`s lead outside the folder of the spec (`../shared/x.yaml`, `/etc/...`).
   * Default false: they are refused with `outside-ref`, so a contract cannot make the tool read
   * arbitrary files.
   */
  allowOutsideRefs?: boolean;
  /** Reads a file (the spec and every local file it references), e.g. from a git revision. */
  readFile?: (absolutePath: string) => Promise<string>;
  /** Directory relative paths are resolved against and shown relative to. Default: process.cwd(). */
  cwd?: string;
}

export interface LoadResult {
  /** The model; undefined when any problem is an error. */
  contract: Contract | undefined;
  /** Every problem found, sorted by file, line, column. */
  problems: Problem[];
}

/** Rule id of the problem reported when the spec itself cannot be read (the CLI exits 2). */
export const FILE_UNREADABLE = "file-unreadable";

/** A spec whose root file has been read and parsed, and nothing more (see `openContract`). */
export interface OpenedContract {
  /** The root file's data; undefined when it could not be read or parsed (`load` says why). */
  readonly root: unknown;
  /** Finishes what `loadContract` does: references, validation, the model. */
  load(): Promise<LoadResult>;
}

/**
 * Loads an AsyncAPI document (2.6, 3.0, 3.1; YAML or JSON) with its local `$ref`s, validates
 * it (AsyncAPI, annotations, semantic rules) and builds the Contract model.
 * Never throws for a problem in the input: problems are returned as data.
 */
export async function loadContract(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  return (await openContract(file, options)).load();
}

/**
 * The first step of `loadContract`: reads and parses the root file only, so a caller can look
 * at its data (is it an AsyncAPI document at all?) before paying for the rest, without the
 * file being read or parsed a second time.
 */
export async function openContract(
  file: string,
  options: LoadOptions = {},
): Promise<OpenedContract> {
  const cwd = options.cwd ?? process.cwd();
  const rootPath = path.resolve(cwd, file);
  const ws = new Workspace(
    cwd,
    options.readFile,
    options.allowRemoteRefs ?? false,
    options.allowOutsideRefs ?? false,
  );
  const done = (contract?: Contract): LoadResult => {
    const fileOrder = ws.order.map((abs) => ws.files.get(abs)?.displayPath ?? abs);
    const problems = sortProblems(ws.problems, fileOrder);
    const failed = problems.some((p) => p.severity === "error");
    return { contract: failed ? undefined : contract, problems };
  };

  try {
    await ws.loadRoot(rootPath, file);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    ws.problems.push({ ruleId: FILE_UNREADABLE, severity: "error", message: error.message, file });
  }
  const root = hasErrors(ws.problems) ? undefined : ws.get(rootPath, "");
  return { root, load: () => loadOpened(ws, rootPath, file, done) };
}

async function loadOpened(
  ws: Workspace,
  rootPath: string,
  file: string,
  done: (contract?: Contract) => LoadResult,
): Promise<LoadResult> {
  if (hasErrors(ws.problems)) return done();

  const root = ws.get(rootPath, "");
  if (!isRecord(root) || typeof root.asyncapi !== "string") {
    ws.problems.push({
      ruleId: "not-asyncapi",
      severity: "error",
      message: isRecord(root)
        ? "this is not an AsyncAPI document: the `asyncapi` field (e.g. `asyncapi: 3.0.0`) is missing"
        : "this is not an AsyncAPI document: expected a mapping with an `asyncapi` field at the top",
      location: ws.locate(rootPath, ""),
      file,
    });
    return done();
  }
  if (!/^(2\.[0-6]|3\.[01])\.\d+$/.test(root.asyncapi)) {
    ws.problems.push({
      ruleId: "asyncapi-version",
      severity: "error",
      message: `AsyncAPI ${root.asyncapi} is not supported; use 2.6.0, 3.0.0 or 3.1.0`,
      location: ws.locate(rootPath, "/asyncapi"),
      file,
    });
    return done();
  }

  await ws.loadReferences();
  if (hasErrors(ws.problems)) return done();

  ws.problems.push(...(await validateAsyncApi(ws, rootPath)));
  if (hasErrors(ws.problems)) return done();

  const { contract, notes } = buildContract(ws, rootPath);
  const ctx = { contract, notes, ws };
  ws.problems.push(...runRules(ctx, "annotations"));
  if (hasErrors(ws.problems)) return done();
  ws.problems.push(...runRules(ctx, "semantic"));
  return done(contract);
}

/** Validates several specs; `ok` is false on any error, or any warning when `strict`. */
export async function validateSpecs(
  files: string[],
  options: LoadOptions & { strict?: boolean } = {},
): Promise<{ problems: Problem[]; ok: boolean }> {
  const problems: Problem[] = [];
  for (const file of files) problems.push(...(await loadContract(file, options)).problems);
  const ok = !problems.some(
    (p) => p.severity === "error" || (options.strict === true && p.severity === "warning"),
  );
  return { problems, ok };
}

function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === "error");
}

/** Problems without duplicates, by file (in load order: root first), line and column. */
function sortProblems(problems: readonly Problem[], fileOrder: readonly string[]): Problem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.ruleId}|${p.location?.file ?? p.file}|${p.location?.line}|${p.location?.column}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => {
    const fa = a.location?.file ?? a.file ?? "";
    const fb = b.location?.file ?? b.file ?? "";
    if (fa !== fb) {
      const ia = fileOrder.indexOf(fa);
      const ib = fileOrder.indexOf(fb);
      return (
        (ia < 0 ? fileOrder.length : ia) - (ib < 0 ? fileOrder.length : ib) || (fa < fb ? -1 : 1)
      );
    }
    return (
      (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
      (a.location?.column ?? 0) - (b.location?.column ?? 0)
    );
  });
}
