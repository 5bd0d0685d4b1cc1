/** Regenerates the rule tables in docs/diff.md: `npx tsx test/compat/update-docs.ts`. */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { updateRuleTables } from "../../src/compat/docs.js";

const file = fileURLToPath(new URL("../../docs/diff.md", import.meta.url));
writeFileSync(file, updateRuleTables(readFileSync(file, "utf8")));
// The repository formats Markdown with biome (aligned tables); keep the file as it wants it.
execFileSync("npx", ["biome", "format", "--write", file], { stdio: "inherit" });
console.log(`updated ${file}`);
