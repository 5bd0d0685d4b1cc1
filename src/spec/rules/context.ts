import { closest, distance } from "fastest-levenshtein";
import type { Contract, Operation, ReceiveOperation, SendOperation } from "../../model/types.js";
import type { AnnotationSite, BuildNotes } from "../build.js";
import { isRecord, joinPointer } from "../pointer.js";
import type { Workspace } from "../workspace.js";
import type { ModelContext, RuleContext } from "./types.js";

// Contexts. The loader registers how to locate keys in a contract's source, so a stage that
// runs the model rules on a loaded contract reports the same locations as `validate`.

type Locators = Pick<ModelContext, "locate" | "locateIn" | "usesJetcontract">;
const locators = new WeakMap<Contract, Locators>();

/** The context of a loaded document (and registers its locator for the later stages). */
export function documentContext(input: {
  contract: Contract;
  notes: BuildNotes;
  ws: Workspace;
}): RuleContext {
  const { contract, notes, ws } = input;
  const known: Locators = {
    usesJetcontract: notes.annotations.length > 0,
    locate(key, owner, id, fallback, ...segments) {
      const s = site(notes, key, owner, id);
      return s ? ws.locateKey(s.absolutePath, joinPointer(s.pointer, ...segments)) : fallback;
    },
    locateIn(kind, id, fallback, ...segments) {
      const o = notes.owners.find((x) => x.kind === kind && x.id === id);
      // 2.x channels have no `address` (their key is it): fall back to the object.
      if (!o || (segments.length > 0 && !(String(segments[0]) in o.value))) return fallback;
      return ws.locateKey(o.absolutePath, joinPointer(o.pointer, ...segments));
    },
  };
  locators.set(contract, known);
  return { contract, notes, ws, ...known };
}

/** The context of a contract: the loader's when it loaded it, else model locations only. */
export function modelContext(contract: Contract): ModelContext {
  const known = locators.get(contract);
  if (known) return { contract, ...known };
  return {
    contract,
    usesJetcontract: usesAnnotations(contract),
    locate: (_key, _owner, _id, fallback) => fallback,
    locateIn: (_kind, _id, fallback) => fallback,
  };
}

/** A hand-built contract uses jetcontract when it declares anything JetStream-specific. */
function usesAnnotations(c: Contract): boolean {
  return (
    c.streams.length > 0 ||
    c.channels.some((ch) => ch.stream !== undefined) ||
    c.messages.some((m) => m.idempotencyKey !== undefined) ||
    c.operations.some((op) => op.annotated.length > 0)
  );
}

// Raw annotations, for document rules.

export function site(notes: BuildNotes, key: string, owner: AnnotationSite["owner"], id: string) {
  return notes.annotations.find((a) => a.key === key && a.owner === owner && a.ownerId === id);
}

/** The annotation as written (an empty record when absent or not a mapping). */
export function raw(
  ctx: RuleContext,
  key: string,
  owner: AnnotationSite["owner"],
  id: string,
): Record<string, unknown> {
  const value = site(ctx.notes, key, owner, id)?.value;
  return isRecord(value) ? value : {};
}

// Model lookups.

export const receives = (ctx: ModelContext) =>
  ctx.contract.operations.filter((o): o is ReceiveOperation => o.action === "receive");
export const sends = (ctx: ModelContext) =>
  ctx.contract.operations.filter((o): o is SendOperation => o.action === "send");
export const channelOf = (ctx: ModelContext, op: Operation) =>
  ctx.contract.channels.find((c) => c.id === op.channelId);
export const streamNamed = (ctx: ModelContext, name: string | undefined) =>
  name === undefined ? undefined : ctx.contract.streams.find((s) => s.name === name);
export const messagesOf = (ctx: ModelContext, op: Operation) =>
  op.messageIds.flatMap((id) => ctx.contract.messages.filter((m) => m.id === id));

// Wording.

export function didYouMean(word: string, candidates: readonly string[]): string {
  if (candidates.length === 0) return "";
  const best = closest(word, candidates);
  return distance(word, best) <= Math.max(2, Math.floor(word.length / 3))
    ? `; did you mean \`${best}\`?`
    : "";
}

/** A duration in the largest unit that divides it (`90s`, `2m`, `250ms`). */
export function ms(value: number): string {
  if (value % 86_400_000 === 0) return `${value / 86_400_000}d`;
  if (value % 3_600_000 === 0) return `${value / 3_600_000}h`;
  if (value % 60_000 === 0) return `${value / 60_000}m`;
  if (value % 1000 === 0) return `${value / 1000}s`;
  return `${value}ms`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
