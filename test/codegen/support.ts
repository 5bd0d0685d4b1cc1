import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { EmittedFile } from "../../src/codegen/index.js";

export const REPO = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const OUT = path.join(REPO, "test/codegen/out");
export const CORPUS = path.resolve(REPO, "../shared/corpus/asyncapi-spec");

/** Generated code imports `@jetcontract/runtime`, which resolves to packages/runtime/dist: it must be built. */
export function requireBuiltRuntime(): void {
  if (!existsSync(path.join(REPO, "packages/runtime/dist/index.d.ts"))) {
    throw new Error(
      "packages/runtime/dist is missing: run `npm run build` before the codegen tests",
    );
  }
}

export async function writeFiles(dir: string, files: readonly EmittedFile[]): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const file of files) await writeFile(path.join(dir, file.path), file.content);
}

/** The strict compiler options users are most likely to have, and then some. */
export const STRICT_OPTIONS = {
  target: "ES2022",
  lib: ["ES2023"],
  module: "NodeNext",
  moduleResolution: "NodeNext",
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  isolatedModules: true,
  verbatimModuleSyntax: true,
  skipLibCheck: true,
  noEmit: true,
  types: [],
};

/** Runs `tsc -p` on a tsconfig written into `dir` covering `include`; returns its output. */
export async function typeCheck(
  dir: string,
  include: readonly string[],
): Promise<{ status: number | null; output: string }> {
  const config = path.join(dir, "tsconfig.json");
  await writeFile(config, JSON.stringify({ compilerOptions: STRICT_OPTIONS, include }, null, 2));
  const tsc = path.join(REPO, "node_modules/typescript/bin/tsc");
  const run = spawnSync(process.execPath, [tsc, "-p", config], { encoding: "utf8", cwd: REPO });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Every YAML/JSON file under `dir`, sorted. */
export async function specFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (/\.(ya?ml|json)$/.test(entry.name)) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}
