import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `jetcontract validate` as a process (the essentials; validate-main.test.ts covers the rest
 * through the same `main()` in-process, which is much faster on a busy machine): `node bin/jetcontract.js` runs `dist/` (npm test builds
 * first). Checks exit codes, the output formats and that no stack trace reaches the user.
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const bin = path.join(root, "bin/jetcontract.js");
const spec = (p: string) => path.join(root, p);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd = root): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function expectNoStack(r: Run): void {
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .+[:(]/);
}

let dir: string;
let orders: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "jc-cli-"));
  orders = await readFile(spec("specs/orders.asyncapi.yaml"), "utf8");
});

describe("jetcontract validate", () => {
  it("exits 0 on the example specs, with nothing on stdout", async () => {
    const r = await run([
      "validate",
      "specs/orders.asyncapi.yaml",
      "specs/orders.asyncapi-2.6.yaml",
      "specs/inventory.asyncapi-3.1.yaml",
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(r.stderr).toContain("3 files valid");
  });

  it("exits 1 on a copy with one annotation broken, naming file, line, column and rule", async () => {
    const file = path.join(dir, "broken.yaml");
    const text = orders.replace(
      "    x-retry:\n      maxAttempts: 5\n",
      "    x-retry:\n      maxAttemps: 5\n",
    );
    expect(text).not.toBe(orders);
    await writeFile(file, text);
    const r = await run(["validate", file]);
    expect(r.code).toBe(1);
    const lines = text.split("\n");
    const line = lines.indexOf("      maxAttemps: 5") + 1;
    expect(r.stdout.trim()).toBe(
      `${file}:${line}:7 error jc-annotation-invalid unknown key \`maxAttemps\` in \`x-retry\`; did you mean \`maxAttempts\`?`,
    );
    expectNoStack(r);
  });

  it("--format json prints the problems as data", async () => {
    const r = await run([
      "validate",
      "--format",
      "json",
      "test/spec/fixtures/malformed/wrong-types.yaml",
    ]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.problems.length).toBeGreaterThan(3);
    expect(out.problems[0]).toMatchObject({
      ruleId: "jc-annotation-invalid",
      severity: "error",
      location: { file: "test/spec/fixtures/malformed/wrong-types.yaml", line: 8, column: 7 },
    });
  });

  it("--format github prints workflow annotations", async () => {
    const r = await run([
      "validate",
      "--format",
      "github",
      "test/spec/fixtures/malformed/remote-ref.yaml",
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toMatch(
      /^::error file=test\/spec\/fixtures\/malformed\/remote-ref\.yaml,line=11,col=11,title=remote-ref::remote reference `https:\/\/example\.com\/schemas\/order\.json` is not fetched/,
    );
  });

  it("--strict fails on warnings", async () => {
    const strict = await run([
      "validate",
      "--strict",
      "test/spec/fixtures/rules/jc-receive-without-retry-or-dlq.yaml",
    ]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("warning jc-receive-without-retry-or-dlq");
  });

  it("exits 2 on a missing file and on bad flags, without a stack trace", async () => {
    const missing = await run(["validate", "no-such-spec.yaml"]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain("no such file: no-such-spec.yaml");
    expectNoStack(missing);
    const badFlag = await run(["validate", "--format", "xml", "specs/orders.asyncapi.yaml"]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain(
      "jetcontract validate: --format xml is not one of text, json, github",
    );
    expectNoStack(badFlag);
  });

  it("--allow-remote-refs fetches remote references (from a loopback server)", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"type":"object","properties":{"orderId":{"type":"string"}}}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/order.json`;
      const file = path.join(dir, "remote.yaml");
      await writeFile(
        file,
        (await readFile(spec("test/spec/fixtures/malformed/remote-ref.yaml"), "utf8")).replace(
          "https://example.com/schemas/order.json",
          url,
        ),
      );
      const allowed = await run(["validate", "--allow-remote-refs", file]);
      expect(allowed.stdout).not.toContain("error");
      expect(allowed.code).toBe(0);
    } finally {
      server.close();
    }
  });
});

afterAll(() => rm(dir, { recursive: true, force: true }));
