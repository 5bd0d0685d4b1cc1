/**
 * Long chaos run (not part of `npm test`): `npx tsx test/runtime/chaos.ts [messages] [outages]`.
 * Runs the scenario with memory dedup, KV dedup (default `doneMarker: "ack"`) and KV dedup with
 * `doneMarker: "write"`; exits 1 when a message was lost or had two effects. An optional third
 * argument picks the cases (comma-separated: memory,kv,kv-write).
 */
import { runChaos } from "./chaos-scenario.js";

const messages = Number(process.argv[2] ?? 5_000);
const outages = Number(process.argv[3] ?? 6);
const cases = (process.argv[4] ?? "memory,kv,kv-write").split(",");
let failed = false;
for (const name of cases) {
  const dedup = name === "memory" ? "memory" : "kv";
  const report = await runChaos({
    messages,
    outages,
    outageMs: 500,
    dedup,
    ...(name === "kv-write" ? { doneMarker: "write" as const } : {}),
    log: (line) => console.log(`[${name}] ${line}`),
  });
  console.log(
    `[${name}]`,
    JSON.stringify({ ...report, missing: report.missing.length, doubled: report.doubled.length }),
  );
  if (report.missing.length > 0 || report.doubled.length > 0 || report.deadLettered > 0) {
    failed = true;
    console.log(
      `[${name}] FAILED: missing ${report.missing.slice(0, 10)} doubled ${report.doubled.slice(0, 10)}`,
    );
  }
}
process.exit(failed ? 1 : 0);
