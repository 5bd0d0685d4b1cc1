import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { freePort, type NatsServer, startNatsServer } from "../support/nats-server.js";

/**
 * Every command with a table of wrong command lines: each exits 2 with one clear message
 * before it acts. "Before it acts" is observed, not assumed: the commands run in a scratch
 * directory that must stay as it was, and point at a private nats-server whose monitoring
 * endpoint must still count zero client connections and zero streams afterwards.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SPEC = path.join(ROOT, "specs/orders.asyncapi.yaml");
const VERSION = (
  JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as {
    version: string;
  }
).version;

let server: NatsServer;
let monitor: string;
let cwd: string;
let before: string[];

async function run(args: readonly string[], io: Partial<CliIO> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    cwd,
    out: (t) => {
      stdout += t.endsWith("\n") ? t : `${t}\n`;
    },
    err: (t) => {
      stderr += t.endsWith("\n") ? t : `${t}\n`;
    },
    ...io,
  });
  return { code, stdout, stderr };
}

/** Client connections the server has ever accepted, and the streams it holds. */
async function serverTouched(): Promise<{ connections: number; streams: number }> {
  const varz = (await (await fetch(`${monitor}/varz`)).json()) as { total_connections: number };
  const jsz = (await (await fetch(`${monitor}/jsz`)).json()) as { streams: number };
  return { connections: varz.total_connections, streams: jsz.streams };
}

/** Every path under the scratch directory, to see that nothing was written. */
async function listing(): Promise<string[]> {
  return (await readdir(cwd, { recursive: true })).map(String).sort();
}

const noStack = /\n\s+at .+[:(]|Error:|TypeError|undefined \(reading/;

beforeAll(async () => {
  const monitorPort = await freePort();
  server = await startNatsServer({ extraArgs: ["-m", String(monitorPort)] });
  monitor = `http://127.0.0.1:${monitorPort}`;
  cwd = await mkdtemp(path.join(tmpdir(), "jc-bad-cli-"));
  // A file where a directory is expected, and a certificate without its key.
  await writeFile(
    path.join(cwd, "package.json"),
    '{ "name": "user-project", "version": "9.9.9" }\n',
  );
  await writeFile(path.join(cwd, "client.pem"), "not used\n");
  await mkdir(path.join(cwd, "existing-dir"));
  before = await listing();
});

afterAll(async () => {
  await server?.dispose();
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

/** [command line (URL stands for the private server), the one line it must print]. */
const table = (url: string): [string[], string][] => [
  // No command, or a typo of one.
  [[], "jetcontract: name a command: validate, generate, streams, diff, dlq, status"],
  [
    ["vaildate", SPEC],
    'jetcontract: unknown command "vaildate"; did you mean validate? (commands: validate, generate, streams, diff, dlq, status)',
  ],
  [["--chek"], "jetcontract: name a command: validate, generate, streams, diff, dlq, status"],

  // validate
  [["validate"], "jetcontract validate: missing <specs..> (usage: jetcontract validate <specs..>)"],
  [
    ["validate", SPEC, "--stirct"],
    "jetcontract validate: unknown option --stirct; did you mean --strict?",
  ],
  [["validate", "--frobnicate", SPEC], "jetcontract validate: unknown option --frobnicate"],
  [
    ["validate", SPEC, "--format", "xml"],
    "jetcontract validate: --format xml is not one of text, json, github",
  ],
  [["validate", SPEC, "--format"], "jetcontract validate: --format needs a value"],
  [
    ["validate", SPEC, "--format", "json", "--format", "text"],
    'jetcontract validate: --format was given 2 times ("json", "text"); give it once',
  ],

  // generate (would write under out/)
  [
    ["generate", SPEC, "--out", "out", "--chek"],
    "jetcontract generate: unknown option --chek; did you mean --check?",
  ],
  [
    ["generate", SPEC, "--out", "out", "--dry-run"],
    "jetcontract generate: unknown option --dry-run: --check writes nothing and names the files that would change",
  ],
  [["generate", SPEC], "jetcontract generate: --out is required"],
  [["generate", SPEC, "--out"], "jetcontract generate: --out needs a value"],
  [["generate", SPEC, "--out="], "jetcontract generate: --out needs a value"],
  [
    ["generate", SPEC, "--out", "out", "-o", "out2"],
    'jetcontract generate: --out was given 2 times ("out", "out2"); give it once',
  ],
  [
    ["generate", SPEC, "--out", "package.json"],
    "jetcontract generate: --out package.json is a file, not a directory",
  ],
  [
    ["generate", SPEC, "--out", "package.json/sub"],
    `jetcontract generate: --out package.json/sub cannot be created: ${path.join(cwd, "package.json")} is a file, not a directory`,
  ],
  [
    ["generate", SPEC, "--out", "out", "--check", "--clean"],
    "jetcontract generate: --check and --clean cannot be combined (--check writes nothing)",
  ],
  [
    ["generate", SPEC, SPEC, "--out", "out"],
    `jetcontract generate: unexpected argument ${SPEC} (usage: jetcontract generate <spec>)`,
  ],

  // streams files (would write under out/)
  [
    ["streams", SPEC, "--format", "nack"],
    "jetcontract streams: name the output directory with --out DIR",
  ],
  [
    ["streams", SPEC, "--out", "out", "--format", "yaml"],
    "jetcontract streams: --format yaml is not one of json, nack, terraform, text",
  ],
  [
    ["streams", SPEC, "--out", "out", "--fromat", "nack"],
    "jetcontract streams: unknown option --fromat; did you mean --format?",
  ],
  [
    ["streams", SPEC, "--out", "existing-dir", "--server", url],
    "jetcontract streams: --server has no effect when writing files",
  ],
  [
    ["streams", SPEC, "--out", "package.json"],
    "jetcontract streams: --out package.json is a file, not a directory",
  ],

  // streams plan (would connect)
  [
    ["streams", "plan", "--server", url],
    "jetcontract streams: name the AsyncAPI file: jetcontract streams plan <spec>",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--sever", url],
    "jetcontract streams: unknown option --sever; did you mean --server?",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--format", "nack"],
    "jetcontract streams: --format nack is for files; plan prints text or json",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--out", "out"],
    "jetcontract streams: --out has no effect when streams plan",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--creds", "a.creds", "--creds", "b.creds"],
    'jetcontract streams: --creds was given 2 times ("a.creds", "b.creds"); give it once',
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--creds", "missing.creds"],
    "jetcontract streams: --creds missing.creds: no such file",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--nkey", "existing-dir"],
    "jetcontract streams: --nkey existing-dir is a directory, not a file",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--password", "x"],
    "jetcontract streams: --password needs --user",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--user", "u", "--password", "p", "--token", "t"],
    "jetcontract streams: --user and --token are different ways to authenticate; give one",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--timeout", "soon"],
    "jetcontract streams: --timeout soon is not a positive duration; use `500ms`, `30s`, `5m`, `2h`, `7d` or ISO 8601 like `PT30S`, `P1D`",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--server", "http://x"],
    "jetcontract streams: --server http://x: use a nats:// or tls:// URL",
  ],
  [
    ["streams", "plan", SPEC, "--server", `${url},`],
    "jetcontract streams: --server has an empty entry; give values like --server a,b",
  ],
  [["streams", "plan", SPEC, "--server"], "jetcontract streams: --server needs a value"],

  // streams apply (would change the server)
  [
    ["streams", "apply", SPEC, "--server", url, "--dry-run"],
    "jetcontract streams: unknown option --dry-run: `jetcontract streams plan` shows the changes without applying them",
  ],
  [
    ["streams", "apply", SPEC, "--server", url, "--verbose"],
    "jetcontract streams: --verbose has no effect when streams apply",
  ],
  [
    ["streams", "apply", SPEC, "--server", url, "--prnue"],
    "jetcontract streams: unknown option --prnue; did you mean --prune?",
  ],
  [
    ["streams", "apply", SPEC, "--server", url, "--tls-cert", "client.pem"],
    "jetcontract streams: --tls-cert and --tls-key go together (mutual TLS needs both)",
  ],
  [
    [
      "streams",
      "apply",
      SPEC,
      "--server",
      url,
      "--js-domain",
      "hub",
      "--js-api-prefix",
      "$JS.hub.API",
    ],
    "jetcontract streams: --js-domain and --js-api-prefix both name the JetStream API (a domain is the prefix $JS.<domain>.API); give one",
  ],
  [
    ["streams", "plan", SPEC, "--server", url, "--js-domain", "hub.eu"],
    "jetcontract streams: --js-domain hub.eu: a JetStream domain is one word (no dots, spaces, * or >)",
  ],
  [
    ["streams", "apply", SPEC, "-s", url, "--format", "xml"],
    "jetcontract streams: --format xml is not one of json, nack, terraform, text",
  ],

  // diff
  [
    ["diff", SPEC],
    "jetcontract diff: nothing to compare against: give OLD NEW, or NEW --against REV",
  ],
  [
    ["diff", SPEC, SPEC, "--mode", "backwards"],
    "jetcontract diff: --mode backwards is not one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE; did you mean BACKWARD?",
  ],
  [["diff", SPEC, SPEC, "--mode"], "jetcontract diff: --mode needs a value"],
  [
    ["diff", SPEC, SPEC, "--format", "xml"],
    "jetcontract diff: --format xml is not one of text, json, markdown, github, junit",
  ],
  [
    ["diff", SPEC, SPEC, "--fail-on", "error"],
    "jetcontract diff: --fail-on error is not one of breaking, warning",
  ],
  [
    ["diff", SPEC, SPEC, "--mode", "full", "--mode", "none"],
    'jetcontract diff: --mode was given 2 times ("full", "none"); give it once',
  ],
  [
    ["diff", SPEC, SPEC, "--config", "nope.yaml"],
    "jetcontract diff: --config nope.yaml: no such file",
  ],
  [
    ["diff", SPEC, "--histroy", SPEC],
    "jetcontract diff: unknown option --histroy; did you mean --history?",
  ],

  [["validate", SPEC, "--no-such-flag"], "jetcontract validate: unknown option --no-such-flag"],
  // dlq and status (would connect; purge and redrive would change the server)
  [
    ["dlq", "frob", SPEC, "--server", url],
    'jetcontract dlq: unknown action "frob": use stats, ls, show, redrive, purge',
  ],
  [
    ["dlq", "purge", SPEC, "--server", url],
    "jetcontract dlq: purge deletes dead letters: confirm with --yes (no terminal to ask on), or use --dry-run",
  ],
  [
    ["dlq", "ls", SPEC, "--server", url, "--format", "xml"],
    "jetcontract dlq: --format xml is not for dlq ls; use table or json or ndjson",
  ],
  [
    ["dlq", "redrive", SPEC, "--server", url, "--rate", "fast"],
    'jetcontract dlq: --rate "fast": use messages per second, e.g. 50 or 50/s (or 600/m)',
  ],
  [
    ["dlq", "redrive", SPEC, "--server", url, "--older-than", "7d"],
    "jetcontract dlq: --older-than has no effect with dlq redrive",
  ],
  [
    ["dlq", "show", SPEC, "--server", url],
    "jetcontract dlq: name the DLQ sequence: jetcontract dlq show <spec> <seq>",
  ],
  [
    ["dlq", "redrive", SPEC, "--server", url, "--stream", "A", "--stream", "B"],
    'jetcontract dlq: --stream was given 2 times ("A", "B"); give it once',
  ],
  [
    ["status", SPEC, "--server", url, "--format", "xml"],
    "jetcontract status: --format xml is not one of text, json, prometheus",
  ],
  [
    ["status", SPEC, "--server", url, "--chek"],
    "jetcontract status: unknown option --chek; did you mean --check?",
  ],
  [
    ["status", SPEC, "--server", url, "--check", "--watch", "2s"],
    "jetcontract status: --check reads once and exits with the level; drop --watch",
  ],
];

describe("a wrong command line never acts", () => {
  it("exits 2 with one clear message, writes nothing and contacts no server", async () => {
    const rows = table(server.url);
    for (const [args, message] of rows) {
      const r = await run(args);
      const line = args.join(" ");
      expect(r.code, line).toBe(2);
      expect(r.stderr.split("\n")[0], line).toBe(message);
      expect(r.stdout, line).toBe("");
      expect(r.stderr, line).not.toMatch(noStack);
    }
    expect(await listing()).toEqual(before);
    expect(await serverTouched()).toEqual({ connections: 0, streams: 0 });
  });

  // The observations above can fail: the same server sees a correct command.
  it("sees a correct plan connect, with --server given as a list", async () => {
    const dead = `nats://127.0.0.1:${await freePort()}`;
    // The first server listed is down: the next one is tried (in the order given).
    const r = await run(["streams", "plan", SPEC, "--server", dead, "--server", server.url]);
    expect(r.code).toBe(1); // changes pending
    expect(r.stdout).toContain("+ stream ORDERS: create");
    expect((await serverTouched()).connections).toBeGreaterThan(0);
  });
});

describe("values are understood as users write them", () => {
  it("accepts modes and formats in any case", async () => {
    const r = await run([
      "diff",
      SPEC,
      SPEC,
      "--mode",
      "backward",
      "--format",
      "JSON",
      "--fail-on",
      "Warning",
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ changes: [] });
  });

  it("says in --help that list flags take several values", async () => {
    const r = await run(["streams", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /--server +NATS server URLs[^\n]*\n?[^\n]*repeat the flag or\s+separate\s+values\s+with\s+commas\)/,
    );
    expect(r.stdout).toContain("Connection:");
  });
});

describe("internal failures", () => {
  const explode: Partial<CliIO> = {
    out: () => {
      throw new TypeError("Cannot read properties of undefined (reading 'filter')");
    },
  };

  it("say internal error and where to report it, with no JavaScript error text", async () => {
    const r = await run(["validate", SPEC, "--format", "json"], explode);
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      "jetcontract validate: internal error (TypeError): this is a bug in jetcontract, not in your input.",
      "Please report it at https://github.com/jetcontract/jetcontract/issues with the command line; DEBUG=jetcontract prints the details.",
    ]);
  });

  it("print the stack with DEBUG=jetcontract", async () => {
    const saved = process.env.DEBUG;
    process.env.DEBUG = "jetcontract";
    try {
      const r = await run(["validate", SPEC, "--format", "json"], explode);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "TypeError: Cannot read properties of undefined (reading 'filter')",
      );
      expect(r.stderr).toMatch(/\n\s+at /);
    } finally {
      if (saved === undefined) delete process.env.DEBUG;
      else process.env.DEBUG = saved;
    }
  });

  it("report a failed file-system call as what could not be done, not as an internal error", async () => {
    // What fs calls throw (as root in a container, a real permission failure is hard to make).
    const denied = Object.assign(new Error("EACCES: permission denied, open 'out/types.ts'"), {
      code: "EACCES",
      syscall: "open",
      path: "out/types.ts",
    });
    const r = await run(["validate", SPEC, "--format", "json"], {
      out: () => {
        throw denied;
      },
    });
    expect(r.code).toBe(2);
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      "jetcontract validate: cannot open out/types.ts: permission denied",
    ]);
  });
});

/** Through the real launcher: the process's own output, exit code, and working directory. */
describe("bin/jetcontract.js", { timeout: 120_000 }, () => {
  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, "bin/jetcontract.js"), ...args],
        { cwd, timeout: 110_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  it.concurrent("prints jetcontract's own version, not the project's it runs in", async () => {
    const r = await cli(["--version"]);
    expect(r).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: "" });
    expect(VERSION).not.toBe("9.9.9");
  });

  it.concurrent("fails a typo with exit 2, one message and no stack trace", async () => {
    const r = await cli(["diff", SPEC, SPEC, "--mode", "fwd"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "jetcontract diff: --mode fwd is not one of BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE\nRun `jetcontract diff --help` for usage.\n",
    );
  });
});
