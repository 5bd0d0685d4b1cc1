/**
 * `npm run chaos:cluster [-- --quick] [--messages N] [--runs N] [--modes memory,kv,kv-write]`:
 * the cluster chaos run of issue 13 (see scenario.ts). Per dedup mode it prints one line
 *   chaos:cluster mode=<mode> published=N handled=N lost=N duplicates=N dlq=N max-gap-ms=N
 * on stdout (runs summed, the gap the longest of them), a line per run on stdout too, and its
 * progress on stderr. Exit 1 when a message was lost or had two effects, the DLQ did not hold
 * each poison message once, or a kill step was never reached; 2 when it could not run.
 */
import { parseArgs } from "node:util";
import { type ChaosContract, prepareChaosContract } from "./contract.js";
import { DEDUP_MODES, type DedupMode, isDedupMode } from "./protocol.js";
import { type ClusterChaosReport, type KillStep, runClusterChaos } from "./scenario.js";
import { passed } from "./tally.js";

/** Each run (`--quick` too): two node kills (stream leader, KV leader) and a consumer kill. */
const KILL_STEPS: readonly KillStep[] = [
  { target: "stream-leader", at: { published: 0.25 } },
  { target: "kv-leader", at: { handled: 0.35 } },
  { target: "consumer", at: { handled: 0.6 } },
];
/** Issue 13: the longest gap during a 30 s outage of the KV leader's node stays under 15 s. */
const OUTAGE_MS = 30_000;
const OUTAGE_GAP_LIMIT_MS = 15_000;
const OUTAGE_STEPS: readonly KillStep[] = [
  { target: "kv-leader", at: { handled: 0.2 }, outageMs: OUTAGE_MS },
];
const POISON = 5;

interface Plan {
  readonly modes: readonly DedupMode[];
  readonly messages: number;
  readonly runs: readonly {
    readonly kind: "kills" | "outage";
    readonly steps: readonly KillStep[];
  }[];
}

function planFrom(argv: readonly string[]): Plan {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      messages: { type: "string" },
      runs: { type: "string" },
      modes: { type: "string" },
    },
    strict: true,
  });
  const count = (flag: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--${flag} must be a whole number above 0, not "${text}"`);
    return n;
  };
  const names = (values.modes ?? DEDUP_MODES.join(",")).split(",").map((m) => m.trim());
  const unknown = names.find((m) => !isDedupMode(m));
  if (unknown !== undefined)
    throw new Error(`--modes: unknown mode "${unknown}" (use ${DEDUP_MODES.join(", ")})`);
  // --quick: one shorter run per mode, without the outage run.
  const quick = values.quick === true;
  const runs = count("runs", values.runs, quick ? 1 : 3);
  return {
    modes: names.filter(isDedupMode),
    messages: count("messages", values.messages, quick ? 2_500 : 5_000),
    runs: [
      ...Array.from({ length: runs }, () => ({ kind: "kills" as const, steps: KILL_STEPS })),
      ...(quick ? [] : [{ kind: "outage" as const, steps: OUTAGE_STEPS }]),
    ],
  };
}

function runLine(mode: DedupMode, label: string, r: ClusterChaosReport, outage: boolean): string {
  const failures = r.publishFailures.length;
  const parts = [
    `  ${mode} ${label}:`,
    `published=${r.published} handled=${r.handled} lost=${r.lost.length} duplicates=${r.duplicates} dlq=${r.dlq}`,
    `max-gap-ms=${r.maxGapMs}`,
    `failed-publishes=${failures} publish-retries=${r.publishRetries} failed-starts=${r.startFailures.length}`,
    `kills=[${r.kills.join("; ")}]`,
    `${(r.durationMs / 1_000).toFixed(1)}s`,
  ];
  if (outage) {
    parts.push(
      `(${OUTAGE_MS / 1_000} s KV-leader outage: gap ${r.maxGapMs < OUTAGE_GAP_LIMIT_MS ? "under" : "NOT under"} ${OUTAGE_GAP_LIMIT_MS} ms)`,
    );
  }
  const notes = [
    r.lost.length > 0 ? `lost: ${r.lost.slice(0, 10).join(",")}` : "",
    r.duplicateIds.length > 0 ? `duplicated: ${r.duplicateIds.slice(0, 10).join(",")}` : "",
    ...r.dlqMismatches.slice(0, 10),
    failures > 0 ? `first failed publish: ${r.publishFailures[0]?.failure}` : "",
    ...r.missedSteps.map((s) => `step not reached: ${s}`),
    ...r.startFailures.map((s) => `failed to start: ${s}`),
  ].filter((n) => n !== "");
  const events = Object.entries(r.consumerEvents)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, n]) => `${name}=${n}`);
  if (events.length > 0) notes.push(`consumer events: ${events.join(" ")}`);
  return [parts.join(" "), ...notes.map((n) => `    ${n}`)].join("\n");
}

async function main(plan: Plan, contract: ChaosContract): Promise<boolean> {
  let ok = true;
  for (const mode of plan.modes) {
    const reports: ClusterChaosReport[] = [];
    for (const [i, run] of plan.runs.entries()) {
      const label = `run ${i + 1}/${plan.runs.length}${run.kind === "outage" ? " (outage)" : ""}`;
      const started = Date.now();
      const report = await runClusterChaos({
        contract,
        mode,
        messages: plan.messages,
        poison: POISON,
        steps: run.steps,
        log: (line) =>
          console.error(
            `[${mode} ${label} +${((Date.now() - started) / 1_000).toFixed(1)}s] ${line}`,
          ),
      });
      console.log(runLine(mode, label, report, run.kind === "outage"));
      if (!passed(report) || report.missedSteps.length > 0) ok = false;
      reports.push(report);
    }
    const sum = (f: (r: ClusterChaosReport) => number) => reports.reduce((a, r) => a + f(r), 0);
    console.log(
      `chaos:cluster mode=${mode} published=${sum((r) => r.published)} handled=${sum((r) => r.handled)} lost=${sum((r) => r.lost.length)} duplicates=${sum((r) => r.duplicates)} dlq=${sum((r) => r.dlq)} max-gap-ms=${Math.max(...reports.map((r) => r.maxGapMs))}`,
    );
  }
  return ok;
}

let plan: Plan;
try {
  plan = planFrom(process.argv.slice(2));
} catch (error) {
  console.error(`chaos:cluster: ${error instanceof Error ? error.message : String(error)}`);
  console.error(
    "usage: npm run chaos:cluster -- [--quick] [--messages N] [--runs N] [--modes memory,kv,kv-write]",
  );
  process.exit(1);
}
let contract: ChaosContract | undefined;
try {
  contract = await prepareChaosContract();
  process.exitCode = (await main(plan, contract)) ? 0 : 1;
} catch (error) {
  console.error(
    `chaos:cluster could not run: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 2;
} finally {
  await contract?.dispose();
}
