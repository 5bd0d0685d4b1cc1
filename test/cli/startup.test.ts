import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SPEC = path.join(ROOT, "specs/orders.asyncapi.yaml");

/**
 * The commands that never contact a server do not load a NATS client (nor OpenTelemetry): they
 * cost those commands about 0.1 s of CPU at every start. Each command runs in its own process
 * with a module hook that lists every `@nats-io` or `@opentelemetry` module resolved.
 */
describe("commands that contact no server load no NATS client", { timeout: 120_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "jc-startup-"));
    await writeFile(
      path.join(dir, "hooks.mjs"),
      [
        'import { appendFileSync } from "node:fs";',
        "export async function resolve(specifier, context, next) {",
        "  const result = await next(specifier, context);",
        '  if (/@nats-io|@opentelemetry/.test(result.url)) appendFileSync(process.env.JC_TRACE, result.url + "\\n");',
        "  return result;",
        "}",
      ].join("\n"),
    );
    await writeFile(
      path.join(dir, "register.mjs"),
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(path.join(dir, "hooks.mjs")).href)});\n`,
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the CLI; resolves to its exit code and the NATS and OpenTelemetry modules it loaded. */
  async function run(name: string, args: string[]): Promise<{ code: number; loaded: string[] }> {
    const trace = path.join(dir, `${name}.trace`);
    await writeFile(trace, "");
    const code = await new Promise<number>((resolve) => {
      execFile(
        process.execPath,
        [
          "--import",
          path.join(dir, "register.mjs"),
          path.join(ROOT, "bin/jetcontract.js"),
          ...args,
        ],
        { cwd: dir, env: { ...process.env, JC_TRACE: trace }, timeout: 110_000 },
        (error) => resolve(error ? (typeof error.code === "number" ? error.code : -1) : 0),
      );
    });
    const loaded = (await readFile(trace, "utf8")).split("\n").filter(Boolean);
    return { code, loaded };
  }

  it.concurrent.each([
    ["validate", ["validate", SPEC]],
    ["generate", ["generate", SPEC, "--out", "generated"]],
    ["streams", ["streams", SPEC, "--out", "streams"]],
    ["diff", ["diff", SPEC, SPEC]],
  ])("%s", async (name, args) => {
    expect(await run(name, args)).toEqual({ code: 0, loaded: [] });
  });

  it("the hook sees a command that does load the client", async () => {
    // `status` reads the DLQ through NATS: its connection failure (no server) still loads it.
    const { loaded } = await run("status", ["status", SPEC, "--server", "nats://127.0.0.1:1"]);
    expect(loaded.length).toBeGreaterThan(0);
  });
});
