import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadContract } from "../../src/spec/index.js";
import { repoPath } from "./helpers.js";

/**
 * The public examples of the AsyncAPI specification (2.6.0 and 3.0.0), next to the repository
 * at ../shared/corpus/asyncapi-spec. Each one must load into a model, or be rejected with
 * located, readable errors; documents with remote references are refused with `remote-ref`.
 * Files are discovered when the test runs.
 */
const corpus = repoPath("../shared/corpus/asyncapi-spec");

function walk(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    })
    .filter((f) => /\.(ya?ml|json)$/i.test(f))
    .sort();
}

const files = existsSync(corpus) ? walk(corpus) : [];
const hasRemoteRef = (file: string) =>
  /\$ref['"]?\s*:\s*['"]?https?:/.test(readFileSync(file, "utf8"));

describe("AsyncAPI specification examples", () => {
  it("the corpus is present", () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it.each(files.map((f) => [path.relative(corpus, f), f]))(
    "%s",
    { timeout: 30_000 },
    async (_name, file) => {
      const { contract, problems } = await loadContract(file);
      if (contract === undefined) {
        expect(problems.filter((p) => p.severity === "error").length).toBeGreaterThanOrEqual(1);
      } else {
        expect(JSON.parse(JSON.stringify(contract))).toEqual(contract);
        expect(contract.asyncapiVersion).toMatch(/^[23]\./);
      }
      for (const p of problems) {
        expect(p.location?.file).toBe(file);
        expect(p.location?.line).toBeGreaterThanOrEqual(1);
        expect(p.location?.column).toBeGreaterThanOrEqual(1);
        expect(p.message).not.toMatch(/\n\s+at |\bat .+\.[cm]?js:\d+/);
      }
      if (hasRemoteRef(file)) {
        expect(contract).toBeUndefined();
        expect(problems.some((p) => p.ruleId === "remote-ref")).toBe(true);
      }
    },
  );

  it("includes documents with remote references", () => {
    expect(files.filter(hasRemoteRef).length).toBeGreaterThan(0);
  });
});
