import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { freePort, type NatsServer, startNatsServer } from "../support/nats-server.js";
import { EXAMPLE_SPEC, ROOT } from "./support/example.js";

/** A process start loads every command module; allow for a busy machine. */
const PROCESS_TEST_TIMEOUT = 120_000;

/** Runs the built CLI (`npm run build` first; `npm test` does) as a process. */
function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "bin/jetcontract.js"), ...args],
      { cwd: ROOT, timeout: 110_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs the command in-process with captured output. */
async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), cwd: ROOT };
  const code = await main(args, io);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

const lines = (text: string) => text.split("\n").filter((l) => l.trim() !== "");

describe("jetcontract streams (process)", { timeout: PROCESS_TEST_TIMEOUT }, () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer({ extraArgs: ["--user", "ops", "--pass", "s3cret"] });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it.concurrent("gives one clear line and exit 2 when the server is unreachable", async () => {
    const port = await freePort();
    const run = await cli("streams", "plan", EXAMPLE_SPEC, "--server", `nats://127.0.0.1:${port}`);
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([
      `jetcontract streams: cannot connect to nats://127.0.0.1:${port}: connection refused (is nats-server running there?)`,
    ]);
    expect(run.stdout).toBe("");
  });

  it.concurrent("gives one clear line and exit 2 on bad credentials", async () => {
    const run = await cli(
      "streams",
      "plan",
      EXAMPLE_SPEC,
      "--server",
      server.url,
      "--user",
      "ops",
      "--password",
      "wrong",
    );
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([
      `jetcontract streams: cannot connect to ${server.url}: authorization failed (Authorization Violation)`,
    ]);
  });

  it.concurrent("plans with exit 1 while changes are pending, and 0 once applied", async () => {
    const auth = ["--server", server.url, "--user", "ops", "--password", "s3cret"];
    const before = await cli("streams", "plan", EXAMPLE_SPEC, ...auth);
    expect(before.code).toBe(1);
    expect(before.stdout).toContain("+ stream ORDERS: create");
    expect(before.stdout).toContain("Plan (nats-server 2.9.10): 7 to create, 0 to update");

    // The same command in-process from here on: a process start is slow on a busy machine.
    const apply = await run("streams", "apply", EXAMPLE_SPEC, ...auth);
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain("Applied 7 change(s).");

    const after = await run("streams", "plan", EXAMPLE_SPEC, ...auth, "--format", "json");
    expect(after.code).toBe(0);
    const plan = JSON.parse(after.stdout) as { pending: boolean; items: { action: string }[] };
    expect(plan.pending).toBe(false);
    expect(plan.items.every((i) => i.action === "unchanged")).toBe(true);
  });
});

/** The same command in-process, for behaviour that does not need a process. */
describe("jetcontract streams (in-process)", () => {
  it("writes the files of a format under --out", async () => {
    const dir = await mkdtemp(join(tmpdir(), "jc-streams-cli-"));
    try {
      const result = await run("streams", EXAMPLE_SPEC, "--format", "json", "--out", dir);
      expect(result.code).toBe(0);
      expect((await readdir(dir)).sort()).toEqual([
        "consumer.ORDERS.fulfilment.json",
        "consumer.ORDERS.stock-release.json",
        "consumer.PAYMENTS.ledger.json",
        "kv.KV_orders_dedup.json",
        "stream.ORDERS.json",
        "stream.ORDERS_DLQ.json",
        "stream.PAYMENTS.json",
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each<[string[], string]>([
    [
      ["streams", EXAMPLE_SPEC, "--format", "nack"],
      "jetcontract streams: name the output directory with --out DIR",
    ],
    [
      ["streams", EXAMPLE_SPEC, "--format", "text", "--out", "x"],
      "jetcontract streams: --format text is for plan/apply; files are json, nack or terraform",
    ],
    [
      ["streams", "plan", EXAMPLE_SPEC, "--format", "nack"],
      "jetcontract streams: --format nack is for files; plan prints text or json",
    ],
    [
      ["streams", "plan"],
      "jetcontract streams: name the AsyncAPI file: jetcontract streams plan <spec>",
    ],
    [
      ["streams", "plan", EXAMPLE_SPEC, "--out", "x"],
      "jetcontract streams: --out has no effect when streams plan",
    ],
    [
      ["streams", "plan", EXAMPLE_SPEC, "--allow-recreate"],
      "jetcontract streams: --allow-recreate has no effect when streams plan",
    ],
    [
      ["streams", EXAMPLE_SPEC, "--out", "x", "--server", "nats://h:4222"],
      "jetcontract streams: --server has no effect when writing files",
    ],
  ])("rejects %j with one line and exit 2", async (args, message) => {
    const result = await run(...args);
    expect(result.code).toBe(2);
    expect(lines(result.stderr)).toEqual([message]);
  });
});
