import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yargs from "yargs";
import { connectionOptions, withConnectionFlags } from "../../src/cli/connection.js";

/** The shared connection flags, parsed as any command that connects parses them. */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "jc-cli-conn-"));
  await writeFile(path.join(dir, "ops.creds"), "creds\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function parse(args: string[]) {
  const argv = await withConnectionFlags(yargs().strict().exitProcess(false))
    .fail((m, e) => {
      throw e ?? new Error(m);
    })
    .parseAsync(args);
  return connectionOptions(argv as Record<string, unknown>, dir);
}

describe("connection flags", () => {
  it("defaults to the local server", async () => {
    expect(await parse([])).toEqual({ server: ["nats://127.0.0.1:4222"] });
  });

  it("takes servers repeated and comma-separated, in order", async () => {
    const options = await parse(["--server", "nats://a:4222,nats://b:4222", "-s", "c:4222"]);
    expect(options.server).toEqual(["nats://a:4222", "nats://b:4222", "c:4222"]);
  });

  it("maps every flag to the connect options, the timeout in milliseconds", async () => {
    expect(
      await parse(["--creds", "ops.creds", "--tls-ca", "ops.creds", "--timeout", "1m30s"]),
    ).toEqual({
      server: ["nats://127.0.0.1:4222"],
      creds: "ops.creds",
      tlsCa: "ops.creds",
      timeoutMs: 90_000,
    });
    expect(await parse(["--user", "ops", "--password", "pw"])).toMatchObject({
      user: "ops",
      password: "pw",
    });
  });
});
