import type { CompatibilityMode } from "../model/types.js";
import { ruleById } from "./rules.js";
import type {
  Change,
  ChangeScope,
  DiffOptions,
  DiffReport,
  Direction,
  MessageSummary,
  ReportedChange,
} from "./types.js";
import { directionsOf } from "./types.js";

/** Judges one change under a mode: which checked directions it breaks and how loud it is. */
export function judge(
  change: Change,
  scope: ChangeScope,
  mode: CompatibilityMode,
  against: string,
  options: Pick<DiffOptions, "ignore" | "format"> = {},
): ReportedChange {
  const rule = ruleById(change.ruleId);
  // `format: ignore` reads format/content* as JSON Schema annotations: they break nothing.
  const annotationOnly = rule.annotation === true && options.format === "ignore";
  const breaks: Direction[] = annotationOnly
    ? []
    : directionsOf(mode).filter((d) => change[d] === "breaking");
  const severity =
    rule.annotation === true && options.format === "warn" ? "warning" : rule.severity;
  const level = breaks.length > 0 ? severity : "info";
  const messageId = scope.kind === "message" ? scope.messageId : undefined;
  const ignored = (options.ignore ?? []).find(
    (i) => i.rule === change.ruleId && (i.message === undefined || i.message === messageId),
  );
  const fix = breaks.length > 0 ? rule.fix : undefined;
  return {
    ...change,
    scope,
    mode,
    breaks,
    level,
    against,
    ...(fix ? { fix } : {}),
    ...(ignored ? { ignoredReason: ignored.reason } : {}),
  };
}

/** Whether a change fails the check: it breaks a checked direction (or warns, with `failOn`). */
export function fails(
  change: ReportedChange,
  failOn: "breaking" | "warning" = "breaking",
): boolean {
  if (change.ignoredReason !== undefined) return false;
  if (change.level === "error") return true;
  return failOn === "warning" && change.level === "warning";
}

function scopeKey(scope: ChangeScope): string {
  return scope.kind === "message"
    ? `0:${scope.messageId}:${scope.part === "headers" ? 0 : 1}`
    : `1:${scope.element}`;
}

function sortChanges(changes: ReportedChange[]): ReportedChange[] {
  const key = (c: ReportedChange) => {
    const loc = c.location;
    return [
      scopeKey(c.scope),
      c.against,
      loc?.file ?? "",
      String(loc?.line ?? 0).padStart(8, "0"),
      String(loc?.column ?? 0).padStart(6, "0"),
      c.path,
      c.ruleId,
    ].join("\u0000");
  };
  const unique = new Map<string, ReportedChange>();
  for (const c of changes) {
    const k = `${key(c)}\u0000${c.message}`;
    if (!unique.has(k)) unique.set(k, c);
  }
  return [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
}

export interface MessageMode {
  readonly messageId: string;
  readonly mode: CompatibilityMode;
  readonly modeSource: MessageSummary["modeSource"];
}

/** Resolves a message's mode: `--mode`, then the config's per-message override, then the document. */
export function messageMode(
  messageId: string,
  messageName: string | undefined,
  documentMode: CompatibilityMode,
  explicit: boolean,
  options: DiffOptions,
): MessageMode {
  if (options.mode) return { messageId, mode: options.mode, modeSource: "option" };
  const configured =
    options.messageModes?.[messageId] ??
    (messageName !== undefined ? options.messageModes?.[messageName] : undefined);
  if (configured) return { messageId, mode: configured, modeSource: "config" };
  return { messageId, mode: documentMode, modeSource: explicit ? "message" : "default" };
}

export function buildReport(
  current: string,
  previous: readonly string[],
  modes: readonly MessageMode[],
  changes: ReportedChange[],
): DiffReport {
  const sorted = sortChanges(changes);
  const messages: MessageSummary[] = [...modes]
    .sort((a, b) => (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0))
    .map((m) => {
      const own = sorted.filter(
        (c) => c.scope.kind === "message" && c.scope.messageId === m.messageId && !c.ignoredReason,
      );
      const errors = own.filter((c) => c.level === "error").length;
      return {
        messageId: m.messageId,
        mode: m.mode,
        modeSource: m.modeSource,
        compatible: errors === 0,
        errors,
        warnings: own.filter((c) => c.level === "warning").length,
        infos: own.filter((c) => c.level === "info").length,
      };
    });
  return {
    compatible: !sorted.some((c) => fails(c)),
    current,
    previous,
    messages,
    changes: sorted,
  };
}
