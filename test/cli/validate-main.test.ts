import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";

/** `jetcontract validate` through the CLI's `main()`, in-process, with captured output. */
const root = fileURLToPath(new URL("../..", import.meta.url));

async function cli(args: string[], cwd = root) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    cwd,
    out: (text) => {
      stdout += text.endsWith("\n") ? text : `${text}\n`;
    },
    err: (text) => {
      stderr += text.endsWith("\n") ? text : `${text}\n`;
    },
  });
  return { code, stdout, stderr };
}

function expectNoStack(r: { stdout: string; stderr: string }): void {
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+[:(]/);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "jc-cli-main-"));
});

describe("jetcontract validate (in-process)", () => {
  it.each([
    "yaml-syntax.yaml",
    "json-syntax.json",
    "dangling-ref.yaml",
    "ref-cycle.yaml",
    "wrong-types.yaml",
    "empty.yaml",
    "comment-only.yaml",
    "not-asyncapi.yaml",
    "asyncapi-invalid.yaml",
    "remote-ref.yaml",
  ])("malformed %s: exit 1, located errors, no stack trace", async (name) => {
    const file = `test/spec/fixtures/malformed/${name}`;
    const r = await cli(["validate", file]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(line).toMatch(
        new RegExp(`^${file.replace(/\./g, "\\.")}:\\d+:\\d+ error [a-z0-9-]+ \\S`),
      );
    expectNoStack(r);
  });

  it("a binary file: exit 1, clean message", async () => {
    const file = path.join(dir, "binary.json");
    await writeFile(file, Buffer.from([0, 1, 2, 3, 0xff, 0xfe, 0, 0]));
    const r = await cli(["validate", file]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toBe(
      `${file}:1:1 error not-text the file is not a text document (it contains binary data); expected YAML or JSON`,
    );
  });

  it("prints paths as given, relative to the current directory", async () => {
    const orders = await readFile(path.join(root, "specs/orders.asyncapi.yaml"), "utf8");
    await writeFile(
      path.join(dir, "typo.yaml"),
      orders.replace("x-retry:\n      maxAttempts: 5", "x-retyr:\n      maxAttempts: 5"),
    );
    const r = await cli(["validate", "typo.yaml"], dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^typo\.yaml:\d+:5 error jc-annotation-unknown unknown annotation `x-retyr`; did you mean `x-retry`\?$/m,
    );
  });

  it("warnings alone exit 0; --strict makes them fail", async () => {
    const file = "test/spec/fixtures/rules/jc-receive-without-retry-or-dlq.yaml";
    const lenient = await cli(["validate", file]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toMatch(/:\d+:3 warning jc-receive-without-retry-or-dlq /);
    expect((await cli(["validate", "--strict", file])).code).toBe(1);
  });

  it("exits 1 when any of several specs is invalid, reporting only that one", async () => {
    const r = await cli([
      "validate",
      "specs/orders.asyncapi.yaml",
      "test/spec/fixtures/malformed/dangling-ref.yaml",
    ]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(
      lines.every((l) => l.startsWith("test/spec/fixtures/malformed/dangling-ref.yaml:")),
    ).toBe(true);
  });

  it.each([
    ["a missing file", ["validate", "no-such-spec.yaml"], /no such file: no-such-spec\.yaml/],
    ["a directory", ["validate", "specs"], /specs is a directory/],
    ["no spec", ["validate"], /^jetcontract validate: missing <specs\.\.>/],
    [
      "a bad --format",
      ["validate", "--format", "xml", "specs/orders.asyncapi.yaml"],
      /^jetcontract validate: --format xml is not one of text, json, github$/m,
    ],
    [
      "an unknown flag",
      ["validate", "--frobnicate", "specs/orders.asyncapi.yaml"],
      /^jetcontract validate: unknown option --frobnicate$/m,
    ],
  ])("exits 2 on %s", async (_name, args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(message);
    expectNoStack(r);
  });
});

afterAll(() => rm(dir, { recursive: true, force: true }));
