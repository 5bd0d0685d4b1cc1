import { lstat, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Problem } from "../model/problem.js";
import type { Contract } from "../model/types.js";
import { loadContract } from "../spec/index.js";
import { type EmittedFile, emitContract } from "./emit.js";
import { GENERATED_MARKER } from "./generated-file.js";

export interface GenerateOptions {
  /** The AsyncAPI document. */
  readonly spec: string;
  /** Output directory; every write stays inside it. */
  readonly outDir: string;
  /** Compare instead of writing: report files that are missing, changed or extra. */
  readonly check?: boolean;
  /** Remove generated files (those with the generator header) that this run no longer produces. */
  readonly clean?: boolean;
  /** Let `$ref`s to http(s) URLs be fetched (default false). */
  readonly allowRemoteRefs?: boolean;
  /** Let local `$ref`s lead outside the spec's folder (default false). */
  readonly allowOutsideRefs?: boolean;
  /** Directory relative paths are resolved against (default `process.cwd()`). */
  readonly cwd?: string;
}

/**
 * What happened to one file, relative to `outDir`:
 * - `written` / `unchanged`: generate wrote it, or found it already up to date;
 * - `removed`: `clean` deleted a stale generated file;
 * - `missing` / `changed` / `extra`: `check` found it absent, different, or no longer generated.
 */
export type FileStatus = "written" | "unchanged" | "removed" | "missing" | "changed" | "extra";

export interface FileOutcome {
  readonly path: string;
  readonly status: FileStatus;
}

export interface GenerateResult {
  /** False when the spec has errors (nothing was written) or, with `check`, when `outDir` is stale. */
  readonly ok: boolean;
  /** With `check`: true when `outDir` differs from what would be generated. */
  readonly stale: boolean;
  readonly files: readonly FileOutcome[];
  /** Problems of the spec (as `validate` reports them) and the generator's warnings. */
  readonly problems: readonly Problem[];
}

/** A write that would leave the output directory, or would follow a link out of it. */
export class UnsafeOutputPathError extends Error {
  override readonly name = "UnsafeOutputPathError";
  readonly path: string;
  constructor(target: string, why: string) {
    super(`refusing to write ${target}: ${why}`);
    this.path = target;
  }
}

/**
 * `jetcontract generate` as a library function: load the spec, emit, then write (or, with
 * `check`, compare). Problems in the spec come back as data, and then nothing is written.
 */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const cwd = options.cwd ?? process.cwd();
  const { contract, problems } = await loadContract(options.spec, {
    cwd,
    ...(options.allowRemoteRefs !== undefined ? { allowRemoteRefs: options.allowRemoteRefs } : {}),
    ...(options.allowOutsideRefs !== undefined
      ? { allowOutsideRefs: options.allowOutsideRefs }
      : {}),
  });
  if (!contract) return { ok: false, stale: false, files: [], problems };
  return generateFromContract(contract, { ...options, cwd }, problems);
}

/** As `generate`, for a model already loaded. */
export async function generateFromContract(
  contract: Contract,
  options: GenerateOptions,
  specProblems: readonly Problem[] = [],
): Promise<GenerateResult> {
  const cwd = options.cwd ?? process.cwd();
  const outDir = path.resolve(cwd, options.outDir);
  const specPath = path.resolve(cwd, options.spec);
  const source = toPosix(path.relative(outDir, specPath)) || path.basename(specPath);
  const emitted = emitContract(contract, {
    source,
    ...(options.allowRemoteRefs !== undefined ? { allowRemoteRefs: options.allowRemoteRefs } : {}),
  });
  // The loader already ran the rules codegen runs again (same findings): report each once.
  const seen = new Set(specProblems.map((p) => JSON.stringify(p)));
  const problems = [
    ...specProblems,
    ...emitted.problems.filter((p) => !seen.has(JSON.stringify(p))),
  ];
  const existing = await generatedFilesIn(outDir);
  const files: FileOutcome[] = [];

  if (options.check) {
    for (const file of emitted.files) {
      const current = await readIfExists(safeTarget(outDir, file.path));
      files.push({
        path: file.path,
        status:
          current === undefined ? "missing" : current === file.content ? "unchanged" : "changed",
      });
    }
    const wanted = new Set(emitted.files.map((f) => f.path));
    for (const extra of existing.filter((p) => !wanted.has(p)))
      files.push({ path: extra, status: "extra" });
    const stale = files.some((f) => f.status !== "unchanged");
    return { ok: !stale, stale, files: sortOutcomes(files), problems };
  }

  await mkdir(outDir, { recursive: true });
  for (const file of emitted.files) files.push(await writeOne(outDir, file));
  if (options.clean) {
    const wanted = new Set(emitted.files.map((f) => f.path));
    for (const stale of existing.filter((p) => !wanted.has(p))) {
      await rm(safeTarget(outDir, stale));
      files.push({ path: stale, status: "removed" });
    }
  }
  return { ok: true, stale: false, files: sortOutcomes(files), problems };
}

async function writeOne(outDir: string, file: EmittedFile): Promise<FileOutcome> {
  const target = safeTarget(outDir, file.path);
  const info = await lstat(target).catch(() => undefined);
  if (info && !info.isFile()) {
    throw new UnsafeOutputPathError(
      target,
      "it exists and is not a regular file (a link or a folder)",
    );
  }
  const current = info ? await readFile(target, "utf8") : undefined;
  if (current === file.content) return { path: file.path, status: "unchanged" };
  await writeFile(target, file.content, "utf8");
  return { path: file.path, status: "written" };
}

/** Resolves `relative` inside `outDir`, refusing anything that would land outside it. */
export function safeTarget(outDir: string, relative: string): string {
  if (path.isAbsolute(relative) || relative.includes("\0")) {
    throw new UnsafeOutputPathError(relative, "not a relative path");
  }
  const target = path.resolve(outDir, relative);
  const rel = path.relative(outDir, target);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new UnsafeOutputPathError(target, `it is outside ${outDir}`);
  }
  return target;
}

/** Regular files directly in `dir` that start with the generator's marker (never anything else). */
async function generatedFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const head = await readHead(path.join(dir, entry.name));
    if (head.includes(GENERATED_MARKER)) out.push(entry.name);
  }
  return out.sort();
}

async function readHead(file: string): Promise<string> {
  const text = await readIfExists(file);
  return (text ?? "").slice(0, 200).split("\n")[0] ?? "";
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return undefined;
  }
}

function sortOutcomes(files: FileOutcome[]): FileOutcome[] {
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}
