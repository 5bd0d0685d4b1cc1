import { fileURLToPath } from "node:url";

/** Absolute path of a file under test/spec/fixtures. */
export function fixture(...parts: string[]): string {
  return fileURLToPath(new URL(`./fixtures/${parts.join("/")}`, import.meta.url));
}

/** Absolute path of a file under the repository root. */
export function repoPath(...parts: string[]): string {
  return fileURLToPath(new URL(`../../${parts.join("/")}`, import.meta.url));
}
