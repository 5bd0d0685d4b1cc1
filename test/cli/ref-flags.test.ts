import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { freePort } from "../support/nats-server.js";

/**
 * A contract whose message lives in a shared folder beside the spec's: every command that
 * reads a spec takes `--allow-outside-refs` and reads it the same way `validate` does.
 */
describe("--allow-outside-refs on every command that reads a spec", () => {
  let dir: string;
  let spec: string;
  let older: string;
  let deadServer: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "jc-refs-"));
    await mkdir(join(dir, "specs"));
    await mkdir(join(dir, "shared"));
    await writeFile(
      join(dir, "shared/placed.yaml"),
      "type: object\nrequired: [id]\nproperties:\n  id: {type: string}\n",
    );
    const text = (
      await readFile(
        new URL("../spec/fixtures/rules/jc-stream-no-subjects.yaml", import.meta.url),
        "utf8",
      )
    )
      .replace("    UNUSED:  # <- jc-stream-no-subjects\n      retention: limits\n", "")
      .replace(
        / {6}payload:\n {8}type: object\n[\s\S]*$/,
        "      payload:\n        $ref: '../shared/placed.yaml'\n",
      );
    spec = join(dir, "specs/orders.yaml");
    older = join(dir, "specs/orders-v1.yaml");
    await writeFile(spec, text);
    await writeFile(older, text);
    deadServer = `nats://127.0.0.1:${await freePort()}`;
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(...args: string[]) {
    const out: string[] = [];
    const io: CliIO = { out: (t) => out.push(t), err: (t) => out.push(t), cwd: dir };
    const code = await main(args, io);
    return { code, output: out.join("") };
  }

  const commands: [string, string[]][] = [
    ["validate", ["validate", "specs/orders.yaml"]],
    ["generate", ["generate", "specs/orders.yaml", "--out", "gen"]],
    ["streams files", ["streams", "specs/orders.yaml", "--out", "streams-out"]],
    ["diff", ["diff", "specs/orders-v1.yaml", "specs/orders.yaml"]],
  ];

  it.each(commands)(
    "%s refuses the outside $ref by default and follows it when allowed",
    async (_, args) => {
      const refused = await run(...args);
      expect(refused.output).toContain("outside-ref");
      expect(refused.output).toContain("--allow-outside-refs");
      expect(refused.code).toBe(1);
      const allowed = await run(...args, "--allow-outside-refs");
      expect(allowed.output).not.toContain("outside-ref");
      expect(allowed.code).toBe(0);
    },
  );

  it.each([
    ["status", ["status", "specs/orders.yaml", "--server", "DEAD"]],
    ["dlq stats", ["dlq", "stats", "specs/orders.yaml", "--server", "DEAD"]],
    ["streams plan", ["streams", "plan", "specs/orders.yaml", "--server", "DEAD"]],
  ])("%s reads the contract with the flag before it connects", async (_, args) => {
    const line = args.map((a) => (a === "DEAD" ? deadServer : a));
    const refused = await run(...line);
    expect(refused.output).toContain("outside-ref");
    expect(refused.code).toBe(1);
    // Allowed, the contract loads and the command goes on to the (absent) server.
    const allowed = await run(...line, "--allow-outside-refs");
    expect(allowed.output).not.toContain("outside-ref");
    expect(allowed.output).toContain("cannot connect");
    expect(allowed.code).toBe(2);
  });
});
