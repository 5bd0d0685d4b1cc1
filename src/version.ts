import { readFileSync } from "node:fs";

/**
 * jetcontract's own package.json (next to `src/` and `dist/`, never the project the command
 * runs in), read once: its version names generated files' headers and `--version`, its bug
 * tracker the "internal error" message.
 */
const json = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version?: unknown;
  bugs?: { url?: unknown } | string;
};
const bugs = typeof json.bugs === "string" ? json.bugs : json.bugs?.url;

export const JETCONTRACT_VERSION: string =
  typeof json.version === "string" ? json.version : "unknown";

/** Where to report a bug. */
export const JETCONTRACT_BUGS: string =
  typeof bugs === "string" ? bugs : "the jetcontract issue tracker";
