/**
 * Codegen benchmark: a generated 200-channel, 200-message contract (10–30 fields per message,
 * nested objects, enums, shared `$ref` schemas) and a second version of it with 30 messages
 * changed. Runs `validate`, `generate` and `diff` as whole processes beside the baseline they
 * stand on, measured in the same run: a bare `@asyncapi/parser` parse of the same file (and
 * of both files, for diff). Prints median wall time, median CPU time (user + system, from
 * `/usr/bin/time -v`; n/a without it) and peak RSS (from `/usr/bin/time -v` when present, else
 * `process.resourceUsage().maxRSS` of a wrapper process), then the ratios the project tracks (`ratio validate/parser=X.XX`, ...) and the
 * same ratios of CPU time, which a machine busy with other work disturbs less than wall time.
 * Runs are interleaved (one of each step per round) so a busy machine slows every step alike.
 *
 *   npm run build && npx tsx bench/codegen.bench.ts [--runs 5] [--channels 200] [--quick]
 *
 * `--quick`: 40 channels, 1 run — a smoke check that every step works, not a measurement.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

const REPO = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const OUT = path.join(REPO, "bench/out/codegen");
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const QUICK = process.argv.includes("--quick");
const RUNS = arg("runs", QUICK ? 1 : 5);
const CHANNELS = arg("channels", QUICK ? 40 : 200);
/** Messages whose payload the second version changes (every k-th one, 30 in the full run). */
const CHANGED = Math.min(30, CHANNELS);

/** Deterministic pseudo-random numbers, so every run benchmarks the same document. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function buildSpec(channels: number, changed = 0): Record<string, unknown> {
  const random = rng(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const shared = {
    Money: {
      type: "object",
      required: ["amount", "currency"],
      properties: {
        amount: { type: "integer", minimum: 0 },
        currency: { type: "string", enum: ["EUR", "GBP", "USD", "JPY"] },
      },
    },
    Address: {
      type: "object",
      required: ["line1", "city", "country"],
      properties: {
        line1: { type: "string" },
        city: { type: "string" },
        postalCode: { type: "string" },
        country: { type: "string", pattern: "^[A-Z]{2}$" },
      },
    },
    EntityId: { type: "string", pattern: "^[a-z]+_[A-Za-z0-9]+$", description: "Prefixed id." },
    Audit: {
      type: "object",
      properties: {
        createdAt: { type: "string", format: "date-time" },
        createdBy: { type: "string", format: "email" },
        tags: { type: "array", items: { type: "string" } },
      },
    },
  };
  const refs = Object.keys(shared);
  const field = (depth: number): Record<string, unknown> => {
    const r = random();
    if (r < 0.12) return { $ref: `#/components/schemas/${pick(refs)}` };
    if (r < 0.25)
      return { type: "string", enum: ["a", "b", "c", "d"].slice(0, 2 + Math.floor(random() * 3)) };
    if (r < 0.35 && depth < 2) {
      const props: Record<string, unknown> = {};
      for (let i = 0; i < 4; i++) props[`n${i}`] = field(depth + 1);
      return { type: "object", required: ["n0"], properties: props };
    }
    if (r < 0.45) return { type: "array", items: field(depth + 1) };
    if (r < 0.6) return { type: "integer", minimum: 0 };
    if (r < 0.7) return { type: "string", format: "date-time" };
    if (r < 0.8) return { type: ["string", "null"] };
    return { type: "string", maxLength: 200, description: "A field." };
  };
  const spec: Record<string, unknown> = {
    asyncapi: "3.0.0",
    info: { title: "Bench", version: "1.0.0" },
    "x-jetstream": {
      streams: {
        BENCH: { subjects: ["bench.>"], duplicateWindow: "2m" },
        BENCH_DLQ: { subjects: ["benchdlq.>"] },
      },
    },
    channels: {} as Record<string, unknown>,
    operations: {} as Record<string, unknown>,
    components: { schemas: shared, messages: {} as Record<string, unknown> },
  };
  const ch = spec.channels as Record<string, unknown>;
  const ops = spec.operations as Record<string, unknown>;
  const msgs = (spec.components as { messages: Record<string, unknown> }).messages;
  ch.deadLetters = {
    address: "benchdlq.all",
    messages: { dl: { payload: {} } },
    "x-jetstream": { stream: "BENCH_DLQ" },
  };
  for (let i = 0; i < channels; i++) {
    const fields = 10 + Math.floor(random() * 21);
    const properties: Record<string, unknown> = { id: { $ref: "#/components/schemas/EntityId" } };
    for (let f = 1; f < fields; f++) properties[`field${f}`] = field(0);
    if (
      changed > 0 &&
      i % Math.floor(channels / changed) === 0 &&
      i / Math.floor(channels / changed) < changed
    ) {
      // v2: one field changes type (breaking), one optional field is added.
      properties.field1 = { type: "integer", minimum: 0 };
      properties.addedInV2 = { type: "string" };
    }
    msgs[`Event${i}`] = {
      name: `Event${i}`,
      "x-idempotency-key": "$message.payload#/id",
      payload: { type: "object", required: ["id", "field1"], properties },
    };
    ch[`event${i}`] = {
      address: `bench.event${i}`,
      messages: { m: { $ref: `#/components/messages/Event${i}` } },
      "x-jetstream": { stream: "BENCH" },
    };
    ops[`send${i}`] = { action: "send", channel: { $ref: `#/channels/event${i}` } };
    if (i % 2 === 0) {
      ops[`receive${i}`] = {
        action: "receive",
        channel: { $ref: `#/channels/event${i}` },
        "x-consumer": { durable: `consumer${i}` },
        "x-retry": { maxAttempts: 5, strategy: "exponential", initialDelay: "1s", maxDelay: "1m" },
        "x-dlq": { channel: { $ref: "#/channels/deadLetters" } },
      };
    }
  }
  return spec;
}

interface Measure {
  wallMs: number;
  /** User + system CPU time of the whole process (all its threads). */
  cpuMs: number;
  maxRssMb: number;
  code: number | null;
  stderr: string;
}

/** Node arguments of the baseline: parse each file with a bare `@asyncapi/parser`, default options. */
function parserOnly(files: string[]): string[] {
  const script = `import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";
const parser = new Parser();
for (const file of ${JSON.stringify(files)}) {
  const { document, diagnostics } = await parser.parse(readFileSync(file, "utf8"), { source: file });
  if (!document) { console.error(diagnostics.filter((d) => d.severity === 0).map((d) => d.message).join("\\n")); process.exit(1); }
}`;
  return ["--input-type=module", "-e", script];
}

/** Runs `node <nodeArgs>` in the repository; wall time and peak RSS of the whole process. */
async function measure(nodeArgs: string[]): Promise<Measure> {
  const useTime = existsSync("/usr/bin/time");
  const [cmd, cmdArgs] = useTime
    ? ["/usr/bin/time", ["-v", process.execPath, ...nodeArgs]]
    : [
        process.execPath,
        [
          "-e",
          `const r=require("node:child_process").spawnSync(process.execPath,${JSON.stringify(nodeArgs)},{stdio:"inherit"});process.stderr.write("\\nMaximum resident set size (kbytes): "+process.resourceUsage().maxRSS+"\\n");process.exit(r.status??1)`,
        ],
      ];
  const t0 = performance.now();
  const child = spawn(cmd as string, cmdArgs as string[], {
    cwd: REPO,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const wallMs = performance.now() - t0;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const seconds = (label: string) =>
    Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1] ?? Number.NaN);
  const cpuMs = (seconds("User") + seconds("System")) * 1000;
  return { wallMs, cpuMs, maxRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN, code, stderr };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

interface Step {
  readonly name: string;
  readonly nodeArgs: string[];
  /** Exit codes that mean the step did its job (diff exits 1 on a breaking change). */
  readonly ok: readonly number[];
}

async function main(): Promise<void> {
  if (!existsSync(path.join(REPO, "dist/cli/main.js")))
    throw new Error("run `npm run build` first");
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  const specPath = path.join(OUT, "bench.asyncapi.yaml");
  const v2Path = path.join(OUT, "bench-v2.asyncapi.yaml");
  const spec = buildSpec(CHANNELS);
  await writeFile(specPath, stringify(spec, { aliasDuplicateObjects: false }));
  await writeFile(
    v2Path,
    stringify(buildSpec(CHANNELS, CHANGED), { aliasDuplicateObjects: false }),
  );
  const rel = path.relative(REPO, specPath);
  const relV2 = path.relative(REPO, v2Path);
  const gen = path.relative(REPO, path.join(OUT, "gen"));
  console.log(
    `spec: ${rel} — ${CHANNELS} channels, ${CHANNELS} messages, ${Object.keys(spec.operations as object).length} operations; v2: ${relV2} (${CHANGED} messages changed)`,
  );

  const cli = (...args: string[]) => ["bin/jetcontract.js", ...args];
  const steps: Step[] = [
    { name: "parser (1 file)", nodeArgs: parserOnly([rel]), ok: [0] },
    { name: "parser (2 files)", nodeArgs: parserOnly([rel, relV2]), ok: [0] },
    { name: "validate", nodeArgs: cli("validate", rel), ok: [0] },
    { name: "generate (write)", nodeArgs: cli("generate", rel, "--out", gen, "--clean"), ok: [0] },
    { name: "generate --check", nodeArgs: cli("generate", rel, "--out", gen, "--check"), ok: [0] },
    { name: "diff v1 v2", nodeArgs: cli("diff", rel, relV2), ok: [0, 1] },
  ];
  const runs = new Map<string, Measure[]>(steps.map((s) => [s.name, []]));
  for (let round = 0; round < RUNS; round++) {
    for (const step of steps) {
      const m = await measure(step.nodeArgs);
      if (m.code === null || !step.ok.includes(m.code)) {
        throw new Error(
          `${step.name} exited ${m.code}:\n${m.stderr.split("\n").slice(0, 20).join("\n")}`,
        );
      }
      runs.get(step.name)?.push(m);
    }
  }

  console.log(
    `\n${"step".padEnd(18)} ${"median wall".padStart(12)} ${"min".padStart(8)} ${"median CPU".padStart(11)} ${"peak RSS".padStart(10)}  (${RUNS} runs each, interleaved)`,
  );
  const seconds = (ms: number) => (Number.isNaN(ms) ? "n/a" : `${(ms / 1000).toFixed(2)} s`);
  const wallMedians = new Map<string, number>();
  const cpuMedians = new Map<string, number>();
  for (const step of steps) {
    const measured = runs.get(step.name) ?? [];
    const wall = median(measured.map((r) => r.wallMs));
    const cpu = median(measured.map((r) => r.cpuMs));
    wallMedians.set(step.name, wall);
    cpuMedians.set(step.name, cpu);
    const min = Math.min(...measured.map((r) => r.wallMs));
    const rss = Math.max(...measured.map((r) => r.maxRssMb));
    console.log(
      `${step.name.padEnd(18)} ${seconds(wall).padStart(12)} ${seconds(min).padStart(8)} ${seconds(cpu).padStart(11)} ${`${rss.toFixed(0)} MiB`.padStart(10)}`,
    );
  }
  const ratios = (label: string, medians: ReadonlyMap<string, number>) => {
    const ratio = (a: string, b: string) =>
      ((medians.get(a) ?? Number.NaN) / (medians.get(b) ?? Number.NaN)).toFixed(2);
    console.log(`${label}validate/parser=${ratio("validate", "parser (1 file)")}`);
    console.log(`${label}generate/parser=${ratio("generate (write)", "parser (1 file)")}`);
    console.log(`${label}diff/parser2=${ratio("diff v1 v2", "parser (2 files)")}`);
  };
  console.log("");
  ratios("cpu ratio ", cpuMedians);
  ratios("ratio ", wallMedians);
}

await main();
