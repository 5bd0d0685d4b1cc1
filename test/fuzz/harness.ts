import { spawn } from "node:child_process";
import { cp, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { typeCheck } from "../codegen/support.js";
import { mutate, type Rng, random } from "./mutate.js";

/**
 * The fuzzer: each case mutates a seed (an example contract or a JSON Schema), runs one
 * jetcontract command on it in a process of its own with a time and memory cap, and classifies
 * what went wrong. A sample of the generated outputs is type-checked at the end, in one tsc run.
 */

export const REPO = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** The CLI under test; FUZZ_BIN points a long run at a snapshot, so rebuilding dist/ meanwhile is safe. */
const BIN = process.env.FUZZ_BIN ?? path.join(REPO, "bin/jetcontract.js");
/** Under test/**\/out/ (git-ignored), inside the package so generated code resolves `jetcontract/runtime`. */
export const WORK = path.join(REPO, "test/fuzz/out");

export type Verdict =
  | "crash"
  | "hang"
  | "internal-error"
  | "stray-write"
  | "bad-exit"
  | "does-not-compile";

export interface Failure {
  readonly id: string;
  readonly verdict: Verdict;
  readonly command: string;
  readonly mutations: readonly string[];
  readonly detail: string;
  /** Where the inputs are kept for reproducing. */
  readonly dir: string;
}

export interface FuzzOptions {
  readonly cases: number;
  readonly seed: number;
  /** Processes at once (default 2: the machine has two cores). */
  readonly jobs?: number;
  /** Wall-clock cap per case (default 30 s; a case over it is run again alone to confirm). */
  readonly timeoutMs?: number;
  /** V8 heap cap per case in MiB (default 1024). */
  readonly memoryMiB?: number;
  /** How many successful `generate` outputs to type-check (default 40). */
  readonly compileSample?: number;
  /** Called after each case. */
  readonly progress?: (done: number, failures: number) => void;
  /** Called with each failure as it is found. */
  readonly onFailure?: (failure: Failure) => void;
}

/** JavaScript's own words and stack lines: none may reach a user. */
export const INTERNAL_TEXT =
  /\b(TypeError|RangeError|ReferenceError|SyntaxError|EvalError|URIError|InternalError)\b|Cannot read propert|Cannot set propert|is not a function|is not iterable|is not defined|Maximum call stack|Invalid string length|Invalid array length|out of memory|\[object Object\]|^\s+at .+[:(]\d+|uncaught|internal error|Unexpected token/im;

interface Seed {
  readonly name: string;
  /** Files copied beside the mutated one (a multi-file contract). */
  readonly dir?: string;
  readonly file: string;
  readonly text: string;
  readonly kind: "asyncapi" | "schema";
}

/** The JSON Schema seeds, after the example contracts in `seeds()`. */
export const SCHEMAS: readonly unknown[] = [
  {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    required: ["id", "lines"],
    properties: {
      id: { type: "string", format: "uuid" },
      total: { type: "number", minimum: 0 },
      status: { enum: ["new", "paid", "shipped"] },
      lines: { type: "array", items: { $ref: "#/$defs/Line" }, minItems: 1 },
      note: { oneOf: [{ type: "string" }, { type: "null" }] },
    },
    additionalProperties: false,
    $defs: {
      Line: {
        type: "object",
        required: ["sku"],
        properties: { sku: { type: "string", pattern: "^[A-Z]+$" }, qty: { type: "integer" } },
      },
    },
  },
  {
    type: "object",
    properties: {
      tree: { $ref: "#/definitions/Node" },
      tags: { type: "array", items: { type: "string" }, uniqueItems: true },
      meta: { type: "object", additionalProperties: { type: "string" } },
    },
    definitions: {
      Node: {
        type: "object",
        properties: { children: { type: "array", items: { $ref: "#/definitions/Node" } } },
      },
    },
  },
  {
    allOf: [
      { type: "object", properties: { a: { type: "string" } } },
      { anyOf: [{ required: ["a"] }, { properties: { b: { const: 1 } } }] },
    ],
  },
];

async function seeds(): Promise<Seed[]> {
  const out: Seed[] = [];
  for (const name of [
    "orders.asyncapi.yaml",
    "orders.asyncapi-2.6.yaml",
    "inventory.asyncapi-3.1.yaml",
  ]) {
    const file = path.join(REPO, "specs", name);
    out.push({ name, file: name, text: await readFile(file, "utf8"), kind: "asyncapi" });
  }
  const multi = path.join(REPO, "specs/multi-file");
  for (const file of ["asyncapi.yaml", "messages.yaml", "schemas/shipment.yaml"]) {
    out.push({
      name: `multi-file/${file}`,
      dir: multi,
      file,
      text: await readFile(path.join(multi, file), "utf8"),
      kind: "asyncapi",
    });
  }
  SCHEMAS.forEach((schema, i) => {
    out.push({
      name: `schema-${i}.json`,
      file: `schema-${i}.json`,
      text: JSON.stringify(schema, null, 2),
      kind: "schema",
    });
  });
  return out;
}

interface Case {
  readonly id: string;
  readonly dir: string;
  readonly args: string[];
  readonly mutations: string[];
  readonly outDir?: string;
}

const COMMANDS = ["validate", "generate", "streams", "diff"] as const;

/** Writes one case's files and picks its command. */
async function makeCase(
  rng: Rng,
  index: number,
  seedList: readonly Seed[],
  casesDir: string,
): Promise<Case> {
  const seed = seedList[Math.floor(rng() * seedList.length)] as Seed;
  const id = `case-${String(index).padStart(5, "0")}`;
  const dir = path.join(casesDir, id);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const json = seed.kind === "schema" || (seed.dir === undefined && rng() < 0.3);
  // The multi-file contract is mutated in one of its files; the root is always the spec.
  const rootName = seed.dir
    ? "asyncapi.yaml"
    : json
      ? seed.file.replace(/\.ya?ml$/, ".json")
      : seed.file;
  if (seed.dir) await cp(seed.dir, dir, { recursive: true });
  const seedText =
    json && seed.kind === "asyncapi" ? JSON.stringify(parse(seed.text), null, 2) : seed.text;
  const mutated = mutate(rng, seedText, (t) => parse(t, { maxAliasCount: 100 }), json);
  const target = seed.dir ? seed.file : rootName;
  await writeFile(path.join(dir, target), mutated.bytes);
  const command =
    seed.kind === "schema"
      ? rng() < 0.85
        ? "diff"
        : "validate"
      : (COMMANDS[index % COMMANDS.length] ?? "validate");
  const outDir = "out";
  let args: string[];
  switch (command) {
    case "generate":
      args = ["generate", rootName, "--out", outDir];
      break;
    case "streams":
      args = [
        "streams",
        rootName,
        "--format",
        ["json", "nack", "terraform"][index % 3] as string,
        "--out",
        outDir,
      ];
      break;
    case "diff": {
      // Compare with the unmutated seed, in either direction.
      const original = `original-${rootName}`;
      await writeFile(
        path.join(dir, original),
        seed.dir ? await readFile(path.join(seed.dir, "asyncapi.yaml")) : seedText,
      );
      args = rng() < 0.5 ? ["diff", original, rootName] : ["diff", rootName, original];
      break;
    }
    default:
      args = ["validate", rootName];
  }
  return {
    id,
    dir,
    args,
    mutations: [`${seed.name}${json ? " (as JSON)" : ""}`, ...mutated.applied],
    ...(command === "generate" || command === "streams" ? { outDir: path.join(dir, outDir) } : {}),
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly timedOut: boolean;
}

function run(c: Case, timeoutMs: number, memoryMiB: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${memoryMiB}`, BIN, ...c.args], {
      cwd: c.dir,
      env: { ...process.env, NO_COLOR: "1", DEBUG: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const keep = (chunk: Buffer) => {
      if (output.length < 200_000) output += chunk.toString("utf8");
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut });
    });
  });
}

/** What went wrong with one run, if anything. */
function classify(
  r: Run,
  stray: readonly string[],
): { verdict: Verdict; detail: string } | undefined {
  if (r.timedOut) return { verdict: "hang", detail: "no exit within the time cap" };
  if (r.signal)
    return { verdict: "crash", detail: `killed by ${r.signal}: ${firstLines(r.output)}` };
  if (stray.length > 0) return { verdict: "stray-write", detail: stray.join(", ") };
  const internal = INTERNAL_TEXT.exec(r.output);
  if (internal) return { verdict: "internal-error", detail: lineOf(r.output, internal.index) };
  if (r.code !== 0 && r.code !== 1 && r.code !== 2)
    return {
      verdict: r.code === 134 ? "crash" : "bad-exit",
      detail: `exit ${r.code}: ${firstLines(r.output)}`,
    };
  return undefined;
}

function firstLines(text: string): string {
  return text.split("\n").slice(0, 3).join(" | ").slice(0, 400);
}

function lineOf(text: string, index: number): string {
  const start = text.lastIndexOf("\n", index) + 1;
  const end = text.indexOf("\n", index);
  return text.slice(start, end < 0 ? undefined : end).slice(0, 400);
}

/** Runs the fuzzer; failures are kept under test/fuzz/out/failures-<seed>/. */
export async function fuzz(options: FuzzOptions): Promise<{ cases: number; failures: Failure[] }> {
  const jobs = options.jobs ?? 2;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const memoryMiB = options.memoryMiB ?? 1024;
  const sampleMax = options.compileSample ?? 40;
  const seedList = await seeds();
  const failures: Failure[] = [];
  const keepDir = path.join(WORK, `failures-${options.seed}`);
  await rm(keepDir, { recursive: true, force: true });
  const casesDir = path.join(WORK, `cases-${options.seed}`);
  await rm(casesDir, { recursive: true, force: true });
  const compileDir = path.join(WORK, `compile-${options.seed}`);
  await rm(compileDir, { recursive: true, force: true });
  const sampled: Case[] = [];
  let next = 0;
  let done = 0;

  const fail = async (c: Case, verdict: Verdict, detail: string) => {
    const kept = path.join(keepDir, c.id);
    await cp(c.dir, kept, { recursive: true });
    failures.push({
      id: c.id,
      verdict,
      command: `jetcontract ${c.args.join(" ")}`,
      mutations: c.mutations,
      detail,
      dir: kept,
    });
  };

  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= options.cases) return;
      // One random source per case: a case is reproduced from (seed, index) alone.
      const rng = random((options.seed * 100_003 + index) >>> 0);
      const c = await makeCase(rng, index, seedList, casesDir);
      const before = new Set(await listFiles(c.dir));
      let r = await run(c, timeoutMs, memoryMiB);
      if (r.timedOut) r = await run(c, timeoutMs * 3, memoryMiB); // a loaded machine, or a real hang
      const after = await listFiles(c.dir);
      const stray = after.filter(
        (f) => !before.has(f) && !(c.outDir && f.startsWith(`${c.outDir}${path.sep}`)),
      );
      const problem = classify(r, stray);
      if (problem) await fail(c, problem.verdict, problem.detail);
      else if (c.args[0] === "generate" && r.code === 0 && sampled.length < sampleMax && c.outDir) {
        sampled.push(c);
        await cp(c.dir, path.join(compileDir, c.id), { recursive: true }); // inputs and output
      }
      if (!problem) await rm(c.dir, { recursive: true, force: true });
      done++;
      options.progress?.(done, failures.length);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));

  if (sampled.length > 0) {
    const tsc = await typeCheck(compileDir, ["**/*.ts"]);
    if (tsc.status !== 0) {
      for (const c of sampled) {
        const errors = tsc.output
          .split("\n")
          .filter((l) => l.includes(`${c.id}/`) && /error TS\d+/.test(l));
        if (errors.length === 0) continue;
        failures.push({
          id: c.id,
          verdict: "does-not-compile",
          command: `jetcontract ${c.args.join(" ")}`,
          mutations: c.mutations,
          detail: errors.slice(0, 3).join(" | ").slice(0, 400),
          dir: path.join(compileDir, c.id),
        });
      }
    }
  }
  await rm(casesDir, { recursive: true, force: true });
  return { cases: options.cases, failures: failures.sort((a, b) => (a.id < b.id ? -1 : 1)) };
}

/** One failure as a report line. */
export function describeFailure(f: Failure): string {
  return `${f.id} ${f.verdict}: ${f.command}\n  mutations: ${f.mutations.join(", ")}\n  ${f.detail}\n  inputs: ${path.relative(REPO, f.dir)}`;
}
