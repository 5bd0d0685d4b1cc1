/**
 * The runtime as a user installs it: `npm pack` of packages/runtime, installed in a fresh folder
 * with @nats-io/transport-node (`--omit=dev`, from the local npm cache when it has them), then a
 * service made of the example contract's generated code compiled with `tsc --strict` and run
 * against a real nats-server. Also a CommonJS module requiring the runtime.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadContract } from "../../src/spec/index.js";
import { applyJetStream } from "../../src/streams/index.js";
import { requireBuiltRuntime } from "../codegen/support.js";
import { type Env, startEnv } from "./support.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const node = process.execPath;
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");

/** Whether this Node is in the runtime's `engines` range (`>=MAJOR.MINOR`). */
async function nodeInRange(): Promise<boolean> {
  const pkg = JSON.parse(await readFile(join(root, "packages/runtime/package.json"), "utf8")) as {
    engines: { node: string };
  };
  const [wantMajor = 0, wantMinor = 0] = pkg.engines.node.replace(">=", "").split(".").map(Number);
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

/** Installed packages (every package.json directly under a node_modules) and their bytes. */
async function footprint(dir: string): Promise<{ packages: string[]; bytes: number }> {
  const packages: string[] = [];
  let bytes = 0;
  const walk = async (d: string, inNodeModules: boolean): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = join(d, entry.name);
      if (entry.isDirectory()) {
        const isPackage =
          inNodeModules &&
          !entry.name.startsWith("@") &&
          !entry.name.startsWith(".") &&
          (await stat(join(p, "package.json")).then(
            () => true,
            () => false,
          ));
        if (isPackage) packages.push(p.slice(p.lastIndexOf("node_modules/") + 13));
        await walk(
          p,
          entry.name === "node_modules" || (inNodeModules && entry.name.startsWith("@")),
        );
      } else if (entry.isFile()) {
        bytes += (await stat(p)).size;
      }
    }
  };
  await walk(join(dir, "node_modules"), true);
  return { packages: packages.sort(), bytes };
}

let env: Env;
let work: string;
beforeAll(async () => {
  requireBuiltRuntime();
  env = await startEnv();
  work = await mkdtemp(join(tmpdir(), "jetcontract-pack-"));
});
afterAll(async () => {
  await env?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the packed runtime in a fresh project", () => {
  it("installs small and quiet, compiles a generated service strictly and runs it", async () => {
    // 1. Pack (dist is built by `npm run build`) and install as a user would.
    const packed = await run(
      "npm",
      [
        "pack",
        "--ignore-scripts",
        "--json",
        "--pack-destination",
        work,
        "-w",
        "@jetcontract/runtime",
      ],
      { cwd: root },
    );
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const app = join(work, "app");
    await mkdir(app);
    await writeFile(
      join(app, "package.json"),
      JSON.stringify({ name: "svc", version: "1.0.0", private: true, type: "module" }),
    );
    const install = await run(
      "npm",
      [
        "install",
        "--omit=dev",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        join(work, filename),
        "@nats-io/transport-node@^3.4.0",
      ],
      { cwd: app, env: { ...process.env, npm_config_loglevel: "warn", NO_COLOR: "1" } },
    );
    const warnings = `${install.stdout}\n${install.stderr}`
      .split("\n")
      .filter((l) => /npm warn/i.test(l));
    if (await nodeInRange()) expect(warnings).toEqual([]);
    // Outside the stated range the only complaint may be the engines check itself.
    else expect(warnings.filter((l) => !/EBADENGINE/.test(l))).toEqual([]);

    const { packages, bytes } = await footprint(app);
    expect(packages.length, packages.join(", ")).toBeLessThanOrEqual(20);
    expect(bytes).toBeLessThanOrEqual(12 * 1024 * 1024);
    // Nothing of the generator's toolchain, and no OpenTelemetry (an optional peer).
    expect(
      packages.filter((p) => /typescript|ts-morph|asyncapi|yargs|handlebars|opentelemetry/.test(p)),
    ).toEqual([]);

    // 2. The example's generated code plus a service, compiled strictly (library types too).
    const generated = join(app, "generated");
    await mkdir(generated);
    for (const f of await readdir(join(root, "generated-example"))) {
      if (f.endsWith(".ts")) await cp(join(root, "generated-example", f), join(generated, f));
    }
    for (const f of ["service.ts", "check.cts", "tsconfig.json"]) {
      await cp(join(here, "fixtures", "service", f), join(app, f));
    }
    await run(
      node,
      [tsc, "-p", "tsconfig.json", "--typeRoots", join(root, "node_modules", "@types")],
      {
        cwd: app,
      },
    ).catch((e: { stdout?: string }) => {
      throw new Error(`tsc failed in the fresh project:\n${e.stdout ?? String(e)}`);
    });

    // 3. Run it against a real server whose streams come from the contract.
    const { contract } = await loadContract(join(root, "specs", "orders.asyncapi.yaml"));
    if (!contract) throw new Error("the example contract does not load");
    await applyJetStream(env.nc, contract);
    const service = await run(node, [join("dist", "service.js"), env.server.url], {
      cwd: app,
      timeout: 30_000,
    });
    expect(service.stdout.trim()).toBe("handled ord_10001 attempt 2");

    // 4. A CommonJS module of the same project requires the runtime.
    const cjs = await run(node, [join("dist", "check.cjs")], { cwd: app });
    expect(cjs.stdout.trim()).toBe("cjs function true");
  }, 180_000);
});
