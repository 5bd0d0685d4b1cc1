/**
 * Golden cases, one folder per feature under `fixtures/golden/<feature>/`: the contract
 * (`input.asyncapi.yaml`) and the committed output (`expected/`). Each is regenerated and
 * compared byte for byte (as `generate --check` does), then all are type-checked under the
 * strictest options users are likely to have. After a deliberate change to the output:
 *
 *   UPDATE_GOLDEN=1 npx vitest run test/codegen/golden.test.ts
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { generate } from "../../src/codegen/index.js";
import { OUT, REPO, requireBuiltRuntime, typeCheck } from "./support.js";

const GOLDEN = path.join(REPO, "test/codegen/fixtures/golden");
const FEATURES = readdirSync(GOLDEN, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const UPDATE = process.env.UPDATE_GOLDEN === "1";

describe("golden cases", () => {
  it("cover the features the issue lists", () => {
    expect(FEATURES).toEqual([
      "asyncapi-2.6",
      "enums-and-unions",
      "header-keys",
      "multi-message",
      "recursive-types",
      "subject-parameters",
    ]);
  });

  it.each(FEATURES)("%s: regenerating changes nothing", async (feature) => {
    const dir = path.join(GOLDEN, feature);
    const result = await generate({
      spec: path.join(dir, "input.asyncapi.yaml"),
      outDir: path.join(dir, "expected"),
      cwd: REPO,
      ...(UPDATE ? { clean: true } : { check: true }),
    });
    expect(result.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(result.files.filter((f) => f.status !== "unchanged" && f.status !== "written")).toEqual(
      [],
    );
    if (!UPDATE) expect(result.ok).toBe(true);
  });

  it("type-check under tsc --strict", async () => {
    requireBuiltRuntime();
    const dir = path.join(OUT, "golden");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(dir, { recursive: true });
    const include = FEATURES.map((f) =>
      path
        .relative(dir, path.join(GOLDEN, f, "expected", "*.ts"))
        .split(path.sep)
        .join("/"),
    );
    const { status, output } = await typeCheck(dir, include);
    expect(output).toBe("");
    expect(status).toBe(0);
  }, 120_000);
});
