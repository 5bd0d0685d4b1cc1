import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Problem } from "../../src/model/problem.js";
import { loadContract } from "../../src/spec/index.js";
import { fixture } from "./helpers.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "jc-malformed-"));
});

/** No problem may carry a stack trace or an internal error text. */
function expectClean(problems: readonly Problem[]): void {
  for (const p of problems) {
    expect(p.message).not.toMatch(/\n\s+at |Error:|TypeError|undefined|\[object Object\]/);
    const file = p.location?.file ?? p.file;
    expect(file).toBeTruthy();
    if (p.location) {
      expect(p.location.line).toBeGreaterThanOrEqual(1);
      expect(p.location.column).toBeGreaterThanOrEqual(1);
    }
  }
}

describe("malformed inputs give one clean, located error", () => {
  it.each([
    ["YAML syntax error", "yaml-syntax.yaml", "yaml-syntax", 8],
    ["JSON syntax error", "json-syntax.json", "json-syntax", 9],
    ["dangling $ref", "dangling-ref.yaml", "dangling-ref", 10],
    ["$ref to a missing file", "dangling-ref.yaml", "dangling-ref", 15],
    ["$ref cycle", "ref-cycle.yaml", "ref-cycle", 14],
    ["wrong types in annotations", "wrong-types.yaml", "jc-annotation-invalid", 9],
    ["bad duration", "wrong-types.yaml", "jc-annotation-invalid", 22],
    ["empty file", "empty.yaml", "empty-document", 1],
    ["comments only", "comment-only.yaml", "not-asyncapi", 1],
    ["not an AsyncAPI document", "not-asyncapi.yaml", "not-asyncapi", 1],
    ["invalid AsyncAPI", "asyncapi-invalid.yaml", "asyncapi-schema", 10],
    ["remote $ref", "remote-ref.yaml", "remote-ref", 11],
  ])("%s", async (_name, file, ruleId, line) => {
    const path_ = fixture("malformed", file);
    const { contract, problems } = await loadContract(path_);
    expect(contract).toBeUndefined();
    expect(problems.map((p) => `${p.ruleId}@${p.location?.line}`)).toContain(`${ruleId}@${line}`);
    expect(problems.every((p) => (p.location?.file ?? p.file) === path_)).toBe(true);
    expectClean(problems);
  });

  it("says which duration forms are accepted", async () => {
    const { problems } = await loadContract(fixture("malformed", "wrong-types.yaml"));
    const duration = problems.find((p) => p.location?.line === 22);
    expect(duration?.message).toContain("`30s`");
    expect(duration?.message).toContain("PT30S");
    const strategy = problems.find((p) => p.location?.line === 26);
    expect(strategy?.message).toContain("did you mean `exponential`?");
  });

  it("locates AsyncAPI errors in the file they are in, once each", async () => {
    const root = fixture("malformed", "split", "root.yaml");
    const { problems } = await loadContract(root);
    const shown = (p: string) => path.relative(process.cwd(), p);
    expect(
      problems.map((p) => [p.ruleId, p.location?.file, p.location?.line, p.location?.column]),
    ).toEqual([
      ["asyncapi-schema", root, 18, 5],
      ["asyncapi-schema", shown(fixture("malformed", "split", "msgs.yaml")), 3, 3],
    ]);
  });

  it("reports a $ref cycle once, not once per reference", async () => {
    const { problems } = await loadContract(fixture("malformed", "ref-cycle.yaml"));
    expect(problems.filter((p) => p.ruleId === "ref-cycle")).toHaveLength(1);
  });

  it("a binary file", async () => {
    const file = path.join(dir, "image.yaml");
    await writeFile(
      file,
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0xff, 0xfe]),
    );
    const { contract, problems } = await loadContract(file);
    expect(contract).toBeUndefined();
    expect(problems).toEqual([expect.objectContaining({ ruleId: "not-text", severity: "error" })]);
    expectClean(problems);
  });

  it("a missing file, a directory", async () => {
    for (const file of [path.join(dir, "nope.yaml"), dir]) {
      const { contract, problems } = await loadContract(file);
      expect(contract).toBeUndefined();
      expect(problems).toEqual([expect.objectContaining({ ruleId: "file-unreadable", file })]);
    }
  });

  it("a file above the size limit is refused without reading it", async () => {
    const file = path.join(dir, "huge.yaml");
    const handle = await open(file, "w");
    await handle.truncate(65 * 1024 * 1024); // sparse: costs no disk or time
    await handle.close();
    const { problems } = await loadContract(file);
    expect(problems).toEqual([
      expect.objectContaining({
        ruleId: "file-unreadable",
        message: expect.stringContaining("MiB"),
      }),
    ]);
  });

  it("a very large spec (2500 channels, ~650 kB) loads", { timeout: 60_000 }, async () => {
    let text =
      "asyncapi: 3.0.0\ninfo:\n  title: Big\n  version: 1.0.0\nx-jetstream:\n  streams:\n    BIG:\n      subjects:\n        - big.>\nchannels:\n";
    for (let i = 0; i < 2500; i++) {
      text += `  c${i}:\n    address: big.c${i}\n    x-jetstream:\n      stream: BIG\n    messages:\n      m:\n        payload:\n          type: object\n          required: [id]\n          properties:\n            id:\n              type: string\n            n${i}:\n              type: integer\n`;
    }
    // One mistake near the end, to check positions in a big file.
    text += "  bad:\n    address: big..bad\n    x-jetstream:\n      stream: BIG\n";
    const file = path.join(dir, "big.yaml");
    await writeFile(file, text);
    const { problems } = await loadContract(file);
    const lines = text.split("\n");
    expect(problems).toEqual([
      expect.objectContaining({
        ruleId: "jc-subject-invalid",
        location: expect.objectContaining({ line: lines.indexOf("    address: big..bad") + 1 }),
      }),
    ]);
    const ok = await loadContract(file, {
      readFile: async () => text.replace("big..bad", "big.bad"),
    });
    expect(ok.problems).toEqual([]);
    expect(ok.contract?.channels).toHaveLength(2501);
  });

  it("keeps the given path in messages for the root file", async () => {
    const text = await readFile(fixture("malformed", "yaml-syntax.yaml"), "utf8");
    const { problems } = await loadContract("relative/spec.yaml", {
      cwd: dir,
      readFile: async () => text,
    });
    expect(problems[0]?.location?.file).toBe("relative/spec.yaml");
  });
});

afterAll(() => rm(dir, { recursive: true, force: true }));
