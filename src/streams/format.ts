import type { ApplyResult } from "./apply.js";
import type { FieldChange, JetStreamPlan, PlanAction, PlanItem } from "./plan.js";
import { msToGoDuration, nanosToMs } from "./units.js";

const SYMBOL: Record<PlanAction, string> = {
  create: "+",
  update: "~",
  "needs-recreate": "!",
  delete: "-",
  unchanged: "=",
  "unmanaged-on-server": "?",
  unavailable: "#",
};

/** Fields whose API values are nanoseconds; shown with a Go duration beside them. */
const DURATION_FIELDS = new Set(["max_age", "duplicate_window", "ack_wait", "backoff"]);

/** A plan as text for people: one line per resource, one indented line per changed field. */
export function formatPlanText(plan: JetStreamPlan, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const r of plan.refusals) lines.push(`error: ${r}`);
  for (const w of plan.warnings) lines.push(`warning: ${w}`);
  for (const item of plan.items) {
    if (item.action === "unchanged" && options.verbose !== true) continue;
    lines.push(itemLine(item));
    for (const change of item.changes) lines.push(`    ${changeLine(change)}`);
  }
  lines.push(planSummary(plan));
  return `${lines.join("\n")}\n`;
}

export function planSummary(plan: JetStreamPlan): string {
  const count = (a: PlanAction) => plan.items.filter((i) => i.action === a).length;
  return (
    `Plan (nats-server ${plan.server.version}): ${count("create")} to create, ${count("update")} to update, ` +
    `${count("needs-recreate")} to re-create, ${count("delete")} to delete, ${count("unchanged")} unchanged, ` +
    `${count("unmanaged-on-server")} unmanaged on server` +
    (count("unavailable") > 0
      ? `, ${count("unavailable")} unavailable (known to the server, but their servers do not answer: run plan again once they are back).`
      : ".")
  );
}

/** What apply did, as text. */
export function formatApplyText(result: ApplyResult): string {
  const lines: string[] = [];
  for (const r of result.plan.refusals) lines.push(`error: ${r}`);
  for (const w of result.plan.warnings) lines.push(`warning: ${w}`);
  if (result.plan.refusals.length > 0) {
    lines.push("Refused: the server would not accept the contract as it is; nothing was changed.");
    return `${lines.join("\n")}\n`;
  }
  const unavailable = result.plan.items.filter((i) => i.action === "unavailable");
  if (unavailable.length > 0) {
    for (const item of unavailable) lines.push(itemLine(item));
    lines.push(
      `Stopped: ${unavailable.length} resource(s) are known to the server but unavailable (their servers do not answer); nothing was changed. Run apply again once they are back.`,
    );
    return `${lines.join("\n")}\n`;
  }
  if (result.refused.length > 0) {
    for (const item of result.refused) {
      lines.push(itemLine(item));
      for (const change of item.changes) lines.push(`    ${changeLine(change)}`);
    }
    lines.push(
      `Refused: ${result.refused.length} resource(s) need re-creating, which deletes their messages or state; nothing was changed. Re-run with --allow-recreate to do it.`,
    );
    return `${lines.join("\n")}\n`;
  }
  for (const item of result.applied) lines.push(itemLine(item, true));
  lines.push(
    result.applied.length === 0
      ? "Nothing to change."
      : `Applied ${result.applied.length} change(s).`,
  );
  return `${lines.join("\n")}\n`;
}

function itemLine(item: PlanItem, done = false): string {
  const owner =
    item.action === "unmanaged-on-server" && item.managedBy !== undefined
      ? ` (marked as managed by "${item.managedBy}")`
      : "";
  const verb: Record<PlanAction, string> = {
    create: done ? "created" : "create",
    update: done ? "updated" : "update",
    "needs-recreate": done ? "re-created" : "needs-recreate",
    delete: done ? "deleted" : "delete",
    unchanged: "unchanged",
    "unmanaged-on-server": "unmanaged-on-server",
    unavailable: "unavailable",
  };
  return `${SYMBOL[item.action]} ${item.kind} ${item.name}: ${verb[item.action]}${owner}`;
}

function changeLine(change: FieldChange): string {
  const show = (value: unknown) => {
    const text = JSON.stringify(value);
    if (!DURATION_FIELDS.has(change.field)) return text;
    const human = Array.isArray(value)
      ? `[${value.map((v) => (typeof v === "number" ? msToGoDuration(nanosToMs(v)) : String(v))).join(", ")}]`
      : typeof value === "number"
        ? msToGoDuration(nanosToMs(value))
        : undefined;
    return human === undefined ? text : `${text} (${human})`;
  };
  const fixed = change.immutable ? " (cannot change in place)" : "";
  return `${change.field}: ${show(change.server)} -> ${show(change.contract)}${fixed}`;
}
