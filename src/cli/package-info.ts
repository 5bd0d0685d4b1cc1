import { readFileSync } from "node:fs";

/**
 * jetcontract's own package.json, found next to this module (`src/cli` and `dist/cli` are both
 * two levels down), never the project the command runs in.
 */
interface PackageInfo {
  readonly version: string;
  readonly bugs: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (cached) return cached;
  const json = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
    bugs?: { url?: unknown } | string;
  };
  const bugs = typeof json.bugs === "string" ? json.bugs : json.bugs?.url;
  cached = {
    version: typeof json.version === "string" ? json.version : "unknown",
    bugs: typeof bugs === "string" ? bugs : "the jetcontract issue tracker",
  };
  return cached;
}
