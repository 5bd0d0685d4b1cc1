/** Text renderings of operate results (tables, Prometheus exposition). Pure; the CLI prints. */
import type { DeadLetter } from "./dead-letter.js";
import type { PurgeResult, ShownDeadLetter } from "./dlq.js";
import { groupOf } from "./normalise.js";
import type { RedriveSummary } from "./redrive.js";
import type { DlqStreamStats } from "./stats.js";
import { LEVEL_CODE, type StatusReport } from "./status.js";

/** Columns padded to their widest cell; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  }
  return rows
    .map((row) =>
      row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  "),
    )
    .join("\n");
}

const pct = (r: number | undefined) => (r === undefined ? "" : ` (${Math.round(r * 100)}%)`);

export function formatStatsText(stats: readonly DlqStreamStats[]): string {
  const out: string[] = [];
  for (const s of stats) {
    const u = s.usage;
    const limits = [
      `${u.messages} msgs${u.maxMessages ? ` of ${u.maxMessages}${pct(u.messagesRatio)}` : ""}`,
      `${u.bytes} bytes${u.maxBytes ? ` of ${u.maxBytes}${pct(u.bytesRatio)}` : ""}`,
      ...(u.maxAgeMs
        ? [
            // An empty stream has no oldest message to measure against its max age.
            u.messages > 0 && u.ageRatio !== undefined
              ? `oldest at ${Math.round(u.ageRatio * 100)}% of max age ${Math.round(u.maxAgeMs / 1000)}s`
              : `max age ${Math.round(u.maxAgeMs / 1000)}s`,
          ]
        : []),
    ];
    out.push(
      `${s.stream}: ${s.count} dead letter${s.count === 1 ? "" : "s"} selected; stream ${limits.join(", ")}`,
    );
    for (const c of s.consumers) {
      out.push(`  ${c.consumer}: ${c.count}, oldest ${c.oldest}, newest ${c.newest}`);
      out.push(`    by reason: ${entries(c.byReason)}`);
      out.push(`    by error class: ${entries(c.byErrorClass)}`);
      out.push(
        table([
          ["    group", "count", "class", "message"],
          ...c.groups.map((g) => [`    ${g.id}`, String(g.count), g.errorClass, g.pattern]),
        ]),
      );
    }
  }
  return out.join("\n");
}

function entries(r: Readonly<Record<string, number>>): string {
  return Object.entries(r)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

export function lsHeader(): string[] {
  return [
    "STREAM",
    "SEQ",
    "DEAD-LETTERED",
    "CONSUMER",
    "SUBJECT",
    "REASON",
    "CLASS",
    "GROUP",
    "MESSAGE",
  ];
}

export function lsRow(d: DeadLetter): string[] {
  return [
    d.stream,
    String(d.seq),
    new Date(d.storedAtMs).toISOString(),
    d.originConsumer ?? "?",
    d.originSubject ?? "?",
    d.reason,
    d.errorClass,
    groupOf(d).id,
    d.errorMessage.length > 80 ? `${d.errorMessage.slice(0, 79)}…` : d.errorMessage,
  ];
}

/** One dead letter as JSON-ready data (payload omitted; `show` has it). */
export function deadLetterJson(d: DeadLetter): Record<string, unknown> {
  const { data: _data, ...rest } = d;
  return { ...rest, storedAt: new Date(d.storedAtMs).toISOString(), group: groupOf(d).id };
}

export function formatShowText(s: ShownDeadLetter): string {
  const d = s.deadLetter;
  const out = [
    `${d.stream} #${d.seq}  ${d.subject}  ${new Date(d.storedAtMs).toISOString()}`,
    "headers:",
  ];
  for (const [k, v] of Object.entries(d.headers).sort(([a], [b]) => a.localeCompare(b))) {
    out.push(`  ${k}: ${v}`);
  }
  out.push("payload:");
  if (!s.payload) out.push(`  (${d.size} bytes, not UTF-8)`);
  else if ("json" in s.payload) out.push(indent(JSON.stringify(s.payload.json, null, 2)));
  else out.push(indent(s.payload.text));
  const c = s.check;
  if (c.status === "valid") out.push(`schema: passes the current schema of ${c.messageId}`);
  else if (c.status === "unchecked") out.push(`schema: not checked (${c.reason})`);
  else {
    out.push(`schema: FAILS the current schema of ${c.messageId}`);
    for (const i of c.issues) out.push(`  ${i.path || "/"}: ${i.message}`);
  }
  return out.join("\n");
}

const indent = (text: string) =>
  text
    .split("\n")
    .map((l) => `  ${l}`)
    .join("\n");

export function formatRedriveText(r: RedriveSummary): string {
  const verb = r.dryRun ? "would re-drive" : "re-drove";
  const dup = r.redriven.filter((x) => x.duplicate).length;
  const out = [
    `${verb} ${r.redriven.length}${dup > 0 ? ` (${dup} already published by an earlier run)` : ""}, skipped ${r.skipped.length}, failed ${r.failed.length}${r.stopped ? "; stopped before the end (run again to continue)" : ""}`,
  ];
  for (const s of r.skipped) {
    out.push(`  skipped ${s.stream} #${s.seq}: ${s.reason}`);
    for (const i of s.issues ?? []) out.push(`    ${i.path || "/"}: ${i.message}`);
  }
  for (const f of r.failed) out.push(`  failed ${f.stream} #${f.seq}: ${f.error}`);
  return out.join("\n");
}

export function formatPurgeText(r: PurgeResult): string {
  const n = r.selected.count;
  if (r.dryRun) return `would delete ${n} dead letter${n === 1 ? "" : "s"}${perStream(r)}`;
  if (r.declined) return `nothing deleted (${n} selected)`;
  return `deleted ${r.deleted} dead letter${r.deleted === 1 ? "" : "s"}${r.missing > 0 ? ` (${r.missing} already gone)` : ""}`;
}

function perStream(r: PurgeResult): string {
  const parts = Object.entries(r.selected.byStream).map(([s, seqs]) => `${s}: ${seqs.length}`);
  return parts.length > 0 ? ` (${parts.join(", ")})` : "";
}

export function formatStatusText(r: StatusReport): string {
  const rows = [
    [
      "OPERATION",
      "STREAM",
      "CONSUMER",
      "STATE",
      "PENDING",
      "ACK-PENDING",
      "REDELIVERED",
      "WAITING",
      "LAST-ACTIVE",
      "DLQ",
      "LEVEL",
    ],
    ...r.consumers.map((c) => [
      c.operationId,
      c.stream,
      c.durable,
      !c.streamExists ? "no stream" : !c.exists ? "missing" : c.drift.length > 0 ? "drifted" : "ok",
      String(c.pending),
      String(c.ackPending),
      String(c.redelivered),
      String(c.waiting),
      c.lastActive ?? "-",
      String(c.dlqDepth),
      c.level,
    ]),
  ];
  const findings = r.consumers.flatMap((c) => c.findings.map((f) => `${c.durable}: ${f}`));
  return [table(rows), ...findings, `${r.level} at ${r.at}`].join("\n");
}

/** Prometheus text exposition format 0.0.4 (one gauge family per figure). */
export function formatStatusPrometheus(r: StatusReport): string {
  const families: Array<
    [string, string, (c: StatusReport["consumers"][number]) => number | undefined]
  > = [
    [
      "jetcontract_consumer_exists",
      "1 when the consumer exists on the server",
      (c) => (c.exists ? 1 : 0),
    ],
    [
      "jetcontract_consumer_drifted",
      "1 when the consumer's config differs from the contract",
      (c) => (c.drift.length > 0 ? 1 : 0),
    ],
    [
      "jetcontract_consumer_pending_messages",
      "Messages not yet delivered to the consumer",
      (c) => c.pending,
    ],
    [
      "jetcontract_consumer_ack_pending_messages",
      "Messages delivered and not yet acknowledged",
      (c) => c.ackPending,
    ],
    [
      "jetcontract_consumer_redelivered_messages",
      "Messages redelivered and not yet acknowledged",
      (c) => c.redelivered,
    ],
    ["jetcontract_consumer_waiting_pulls", "Pull requests waiting on the server", (c) => c.waiting],
    [
      "jetcontract_consumer_idle_seconds",
      "Seconds since the last delivery or ack",
      (c) => (c.idleMs === undefined ? undefined : c.idleMs / 1000),
    ],
    [
      "jetcontract_dlq_messages",
      "Dead letters of the consumer in its DLQ stream",
      (c) => c.dlqDepth,
    ],
    [
      "jetcontract_consumer_check_level",
      "status --check level: 0 OK, 1 WARNING, 2 CRITICAL",
      (c) => LEVEL_CODE[c.level],
    ],
  ];
  const out: string[] = [];
  for (const [name, help, value] of families) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const c of r.consumers) {
      const v = value(c);
      if (v === undefined) continue;
      const labels = `operation="${label(c.operationId)}",stream="${label(c.stream)}",consumer="${label(c.durable)}"`;
      out.push(`${name}{${labels}} ${v}`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** Label values escape backslash, double quote and newline. */
function label(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
