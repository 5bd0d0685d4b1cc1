/**
 * Long chaos run (not part of `npm test`): `npx tsx test/runtime/chaos.ts [messages] [outages]`.
 * Runs the scenario with memory dedup and with KV dedup; exits 1 when a message was lost or
 * had two effects.
 */
import { runChaos } from "./chaos-scenario.js";

const messages = Number(process.argv[2] ?? 5_000);
const outages = Number(process.argv[3] ?? 6);
let failed = false;
for (const dedup of ["memory", "kv"] as const) {
  const report = await runChaos({
    messages,
    outages,
    outageMs: 500,
    dedup,
    log: (line) => console.log(`[${dedup}] ${line}`),
  });
  console.log(
    `[${dedup}]`,
    JSON.stringify({ ...report, missing: report.missing.length, doubled: report.doubled.length }),
  );
  if (report.missing.length > 0 || report.doubled.length > 0 || report.deadLettered > 0) {
    failed = true;
    console.log(
      `[${dedup}] FAILED: missing ${report.missing.slice(0, 10)} doubled ${report.doubled.slice(0, 10)}`,
    );
  }
}
process.exit(failed ? 1 : 0);
