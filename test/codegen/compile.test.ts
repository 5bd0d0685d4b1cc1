// biome-ignore-all lint/suspicious/noTemplateCurlyInString: hostile spec text is written as plain strings on purpose
import { readFile } from "node:fs/promises";
import path from "node:path";
import ts from "typescript";
import { beforeAll, describe, expect, it } from "vitest";
import { emitContract } from "../../src/codegen/index.js";
import { loadContract } from "../../src/spec/index.js";
import {
  CORPUS,
  OUT,
  REPO,
  requireBuiltRuntime,
  specFiles,
  typeCheck,
  writeFiles,
} from "./support.js";

/**
 * One tsc run over the generated output of the hostile corpus and of every AsyncAPI
 * document in the shared corpus that loads.
 */
const DIR = path.join(OUT, "compile");
const HOSTILE = path.join(REPO, "test/codegen/fixtures/hostile.asyncapi.yaml");

const loaded: string[] = [];
let tsc: { status: number | null; output: string };

beforeAll(async () => {
  requireBuiltRuntime();
  const specs = [HOSTILE, ...(await specFiles(CORPUS))];
  for (const spec of specs) {
    const { contract } = await loadContract(path.relative(REPO, spec), { cwd: REPO });
    if (!contract) continue;
    const slug = path.relative(REPO, spec).replace(/[^A-Za-z0-9]+/g, "_");
    const { files } = emitContract(contract, { source: path.relative(REPO, spec) });
    await writeFiles(path.join(DIR, slug), files);
    loaded.push(slug);
  }
  tsc = await typeCheck(DIR, ["**/*.ts"]);
}, 180_000);

describe("generated code compiles under tsc --strict", () => {
  it("for the hostile corpus and every corpus document that loads", () => {
    expect(loaded).toContain("test_codegen_fixtures_hostile_asyncapi_yaml");
    // The shared corpus has documents the loader accepts; guard against a vacuous pass.
    expect(loaded.length).toBeGreaterThan(1);
    expect(tsc.output).toBe("");
    expect(tsc.status).toBe(0);
  });
});

describe("hostile names and texts", () => {
  const dir = path.join(DIR, "test_codegen_fixtures_hostile_asyncapi_yaml");
  const read = (file: string) => readFile(path.join(dir, file), "utf8");
  const FILES = [
    "types.ts",
    "validators.ts",
    "validators.ajv.ts",
    "descriptors.ts",
    "producers.ts",
    "consumers.ts",
    "index.ts",
  ];

  it("contain no injected code: no identifier the spec tried to smuggle in", async () => {
    const forbidden = new Set([
      "process",
      "console",
      "alert",
      "globalThis",
      "pwned",
      "exit",
      "eval",
      "Function",
      "require",
    ]);
    for (const file of FILES) {
      const source = ts.createSourceFile(file, await read(file), ts.ScriptTarget.Latest, true);
      const found: string[] = [];
      const visit = (node: ts.Node) => {
        if (ts.isIdentifier(node) && forbidden.has(node.text)) found.push(`${file}: ${node.text}`);
        ts.forEachChild(node, visit);
      };
      visit(source);
      expect(found).toEqual([]);
      // Every comment the spec's text reached is still closed where the generator closed it.
      expect((source as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics).toEqual([]);
    }
  });

  it("keep the hostile values, escaped, as literal types and strings", async () => {
    const types = await read("types.ts");
    expect(types).toContain(
      'enumValue?: "\\"); process.exit(1); //" | "*/ process.exit(4) /*" | "${process.exit(5)}" | "line\\nbreak\\u2028sep";',
    );
    expect(types).toContain('"we\\"ird/key": string;');
    expect(types).toContain(
      'region: "eu\\"); process.exit(1); //" | "`${globalThis.pwned}`" | "us";',
    );
    expect(types).toContain(
      "/** Schema docs *\\/ process.exit(3); /\\* with `backticks` and ${template} */",
    );
    const descriptors = await read("descriptors.ts");
    expect(descriptors).toContain(
      'idempotencyKey: (payload) => keyPart(payload, ["we\\"ird/key"])',
    );
    expect(descriptors).toContain('operationId: "receive `weird` */",');
  });

  it("give names that collide after sanitising distinct identifiers", async () => {
    const types = await read("types.ts");
    expect(types).toContain("export interface Class {");
    expect(types).toContain("export type Class2 = string;");
    const descriptors = await read("descriptors.ts");
    expect(descriptors).toMatch(/export const deletePublisher: /);
    expect(descriptors).toMatch(/export const deletePublisher2: /);
    expect(descriptors).toMatch(/export const aVeryLongOperationName\w*: ConsumerDescriptor/);
    const long = /export const (aVeryLongOperationName\w*):/.exec(descriptors)?.[1] ?? "";
    expect(long.length).toBeLessThanOrEqual(60);
  });
});
