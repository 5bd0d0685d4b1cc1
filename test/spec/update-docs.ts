/** Regenerates the rule table in docs/annotations.md: `npm run docs:rules`. */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { updateRuleTable } from "../../src/spec/rules/docs.js";

const file = fileURLToPath(new URL("../../docs/annotations.md", import.meta.url));
writeFileSync(file, updateRuleTable(readFileSync(file, "utf8")));
console.log(`updated ${file}`);
