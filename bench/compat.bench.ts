/**
 * Benchmark for `jetcontract diff`: two versions of a 200-message AsyncAPI contract with a
 * few dozen changes (schema and contract level). Measures the whole process (spawned CLI:
 * startup, loading and validating both documents, diffing, formatting) and its peak memory,
 * plus the library diff alone on already-loaded contracts.
 *
 *   npm run build && npx tsx bench/compat.bench.ts [--runs 3]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { diffContracts } from "../src/compat/index.js";
import { loadContract } from "../src/spec/index.js";

const MESSAGES = 200;
const runsAt = process.argv.indexOf("--runs");
const RUNS = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 3;
const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = path.join(root, "bench", "out", "compat");
mkdirSync(outDir, { recursive: true });

type Variant = "old" | "new";

/** Which messages change in the new version, and how (a few dozen in all). */
function change(i: number): string | undefined {
  // 30 of the 200 messages change.
  if (i % 20 >= 3) return undefined;
  const kinds = [
    "type-changed",
    "required-added",
    "property-removed-closed",
    "enum-narrowed",
    "optional-added-closed",
    "max-length-decreased",
    "address-changed",
  ];
  return kinds[(Math.floor(i / 20) * 3 + (i % 20)) % kinds.length];
}

function spec(variant: Variant): unknown {
  const channels: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    Money: {
      type: "object",
      additionalProperties: false,
      required: ["amount", "currency"],
      properties: {
        amount: { type: "integer", minimum: 0 },
        currency: { type: "string", pattern: "^[A-Z]{3}$" },
      },
    },
  };
  for (let i = 0; i < MESSAGES; i++) {
    const id = `Event${String(i).padStart(3, "0")}`;
    const kind = variant === "new" ? change(i) : undefined;
    const properties: Record<string, unknown> = {
      id: { type: "string", pattern: "^evt_[a-z0-9]+$" },
      at: { type: "string", format: "date-time" },
      total: { $ref: "#/components/schemas/Money" },
      status: { type: "string", enum: ["new", "open", "done", "failed"] },
      note: { type: "string", maxLength: 500 },
      lines: {
        type: "array",
        items: {
          type: "object",
          required: ["sku", "qty"],
          properties: { sku: { type: "string" }, qty: { type: "integer", minimum: 1 } },
        },
      },
    };
    const required = ["id", "at", "total"];
    if (kind === "type-changed") properties.at = { type: "integer" };
    if (kind === "required-added") required.push("status");
    if (kind === "property-removed-closed") delete properties.note;
    if (kind === "enum-narrowed") properties.status = { type: "string", enum: ["new", "done"] };
    if (kind === "optional-added-closed") properties.channel = { type: "string" };
    if (kind === "max-length-decreased") properties.note = { type: "string", maxLength: 100 };
    messages[id] = {
      name: id,
      "x-idempotency-key": "$message.payload#/id",
      payload: { type: "object", additionalProperties: false, required, properties },
    };
    const address = kind === "address-changed" ? `shop.v2.events.e${i}` : `shop.events.e${i}`;
    channels[`ch${i}`] = {
      address,
      messages: { [id]: { $ref: `#/components/messages/${id}` } },
      "x-jetstream": { stream: "SHOP" },
    };
    operations[`consume${i}`] = {
      action: "receive",
      channel: { $ref: `#/channels/ch${i}` },
      "x-consumer": { durable: `consume${i}` },
      "x-retry": { maxAttempts: 3, strategy: "fixed", initialDelay: "1s" },
    };
  }
  return {
    asyncapi: "3.0.0",
    info: { title: "Bench", version: variant === "old" ? "1.0.0" : "1.1.0" },
    "x-jetstream": { streams: { SHOP: { subjects: ["shop.>"], storage: "file" } } },
    channels,
    operations,
    components: { messages, schemas },
  };
}

const oldFile = path.join(outDir, "old.asyncapi.yaml");
const newFile = path.join(outDir, "new.asyncapi.yaml");
writeFileSync(oldFile, stringify(spec("old")));
writeFileSync(newFile, stringify(spec("new")));
const changed = Array.from({ length: MESSAGES }, (_, i) => change(i)).filter(Boolean).length;

// Whole process: the CLI as users run it, with its peak resident set size and CPU time (user +
// system, all threads; a busy machine disturbs it less than wall time) reported at exit.
const probe =
  "data:text/javascript,process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('JC_MAXRSS_KB '+u.maxRSS+' JC_CPU_US '+(u.userCPUTime+u.systemCPUTime)+'\\n')})";
const cpuOf = (stderr: string) => Number(/JC_CPU_US (\d+)/.exec(stderr)?.[1] ?? Number.NaN) / 1000;
// Baseline: a process that only parses the two documents with @asyncapi/parser (what any
// AsyncAPI tool pays), run the same way.
const baselineScript = path.join(outDir, "parse-only.mjs");
writeFileSync(
  baselineScript,
  [
    'import { readFileSync } from "node:fs";',
    'import { Parser } from "@asyncapi/parser";',
    "const parser = new Parser();",
    "for (const file of process.argv.slice(2)) {",
    '  const { document } = await parser.parse(readFileSync(file, "utf8"), { source: file });',
    '  if (!document) { console.error("parse failed: " + file); process.exit(2); }',
    "}",
  ].join("\n"),
);

const wall: number[] = [];
const cpu: number[] = [];
const rss: number[] = [];
const baseline: number[] = [];
const baselineCpu: number[] = [];
let exitCode = -1;
let breaking = 0;
// Interleaved (one diff, one baseline per round) so a busy machine slows both alike.
for (let run = 0; run < RUNS; run++) {
  let started = performance.now();
  const result = spawnSync(
    process.execPath,
    [
      "--import",
      probe,
      path.join(root, "bin", "jetcontract.js"),
      "diff",
      oldFile,
      newFile,
      "--format",
      "json",
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  wall.push(performance.now() - started);
  cpu.push(cpuOf(result.stderr));
  exitCode = result.status ?? -1;
  const match = /JC_MAXRSS_KB (\d+)/.exec(result.stderr);
  if (match?.[1]) rss.push(Number(match[1]) / 1024);
  if (exitCode === 1) {
    const report = JSON.parse(result.stdout) as { changes: { level: string }[] };
    breaking = report.changes.filter((c) => c.level === "error").length;
  } else {
    console.error(result.stderr);
  }

  started = performance.now();
  const parsed = spawnSync(
    process.execPath,
    ["--import", probe, baselineScript, oldFile, newFile],
    {
      encoding: "utf8",
    },
  );
  baseline.push(performance.now() - started);
  baselineCpu.push(cpuOf(parsed.stderr));
  if (parsed.status !== 0) console.error(parsed.stderr);
}

// Library only: load both once, then time the diff itself.
const loadStarted = performance.now();
const [a, b] = await Promise.all([loadContract(oldFile), loadContract(newFile)]);
const loadMs = performance.now() - loadStarted;
if (!a.contract || !b.contract) throw new Error("bench specs did not load");
const diffTimes: number[] = [];
for (let run = 0; run < 5; run++) {
  const started = performance.now();
  diffContracts(a.contract, b.contract);
  diffTimes.push(performance.now() - started);
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? NaN;
console.log(`jetcontract diff bench: ${MESSAGES} messages, ${changed} changed messages`);
console.log(`  exit code                    ${exitCode} (${breaking} breaking changes reported)`);
console.log(`  whole process (median of ${RUNS})  ${median(wall).toFixed(0)} ms`);
console.log(
  `  @asyncapi/parser alone, same two documents, as a process (median of ${RUNS})  ${median(baseline).toFixed(0)} ms`,
);
console.log(
  `  ratio whole diff / parser alone   ${(median(wall) / median(baseline)).toFixed(2)}x (target <= 1.2x)`,
);
console.log(
  `  CPU time (user + system): diff ${median(cpu).toFixed(0)} ms, parser alone ${median(baselineCpu).toFixed(0)} ms, ratio ${(median(cpu) / median(baselineCpu)).toFixed(2)}x`,
);
console.log(`  library load of both (spec loader, once)  ${loadMs.toFixed(0)} ms`);
console.log(`  peak RSS (max of ${RUNS})         ${Math.max(...rss).toFixed(1)} MiB`);
console.log(`  library diff only (median of 5) ${median(diffTimes).toFixed(1)} ms`);
