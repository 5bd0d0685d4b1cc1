/**
 * What every builder of the Contract model shares: the workspace, the notes kept for the
 * semantic rules, and small readers of raw document values.
 */
import type { SourceLocation } from "../../model/types.js";
import { isRecord, joinPointer } from "../pointer.js";
import { parseDuration, parseSize } from "../units.js";
import type { Located, Workspace } from "../workspace.js";

/** Where one jetcontract annotation was written, for rules that need the raw value. */
export interface AnnotationSite {
  readonly key: string;
  readonly owner: "root" | "channel" | "message" | "operation";
  /** Id of the channel, message or operation ("" for the root). */
  readonly ownerId: string;
  readonly value: unknown;
  readonly absolutePath: string;
  readonly pointer: string;
}

/** Things the builder saw that the model cannot hold, for the semantic rules. */
export interface BuildNotes {
  readonly annotations: AnnotationSite[];
  /** `x-dlq.channel` references that do not point at a channel of the document. */
  readonly unresolvedDlq: { operationId: string; ref: string; location: SourceLocation }[];
  /** Operations whose `channel` reference does not point at a channel of the document. */
  readonly unresolvedChannels: { operationId: string; location: SourceLocation }[];
  /** Idempotency key expressions that are not `$message.payload#/…` or `$message.header#/…`. */
  readonly badKeyExpressions: { messageId: string; expression: string; location: SourceLocation }[];
  /** Objects that may carry annotations, with the kind of place they are. */
  readonly owners: AnnotationOwner[];
  /** Payload schema format when not JSON Schema, by message id. */
  readonly nonJsonPayloads: Map<string, string>;
}

export interface AnnotationOwner {
  readonly kind: "root" | "channel" | "message" | "receive" | "send";
  readonly id: string;
  readonly value: Record<string, unknown>;
  readonly absolutePath: string;
  readonly pointer: string;
}

export const JETCONTRACT_KEYS = {
  root: ["x-jetstream", "x-compatibility"],
  channel: ["x-jetstream"],
  message: ["x-idempotency-key", "x-compatibility"],
  receive: ["x-consumer", "x-retry", "x-dlq", "x-dedup", "x-circuit-breaker", "x-monitor"],
  send: ["x-publish"],
} as const;

/** Every annotation key, whatever it annotates. */
export const ALL_ANNOTATION_KEYS: readonly string[] = [
  ...new Set(Object.values(JETCONTRACT_KEYS).flat()),
];

export interface BuildContext {
  readonly v2: boolean;
  readonly ws: Workspace;
  readonly root: string;
  readonly doc: Record<string, unknown>;
  readonly notes: BuildNotes;
  /** The document's `info.title`: the owner marked on the resources it derives. */
  readonly title: string;
}

/** The location of the key at `pointer` (in the root file unless `abs` is given). */
export function locate(ctx: BuildContext, pointer: string, abs = ctx.root): SourceLocation {
  return ctx.ws.locateKey(abs, pointer);
}

/** Notes each of `keys` that `obj` carries, where it is written. */
export function noteAnnotations(
  notes: BuildNotes,
  keys: readonly string[],
  owner: AnnotationSite["owner"],
  ownerId: string,
  obj: Located,
): void {
  if (!isRecord(obj.value)) return;
  for (const key of keys) {
    const value = obj.value[key];
    if (value === undefined) continue;
    notes.annotations.push({
      key,
      owner,
      ownerId,
      value,
      absolutePath: obj.absolutePath,
      pointer: joinPointer(obj.pointer, key),
    });
  }
}

/**
 * Merges traits into an object. AsyncAPI 3.x: the object's own fields win over the traits'.
 * AsyncAPI 2.x: traits are merge-patched onto the object in order, so a trait's field wins.
 * (Shallow: the top-level fields of the object.)
 */
export function applyTraits(
  ctx: BuildContext,
  at: Located,
  field: string,
): Record<string, unknown> {
  const value = isRecord(at.value) ? at.value : {};
  const traits = value[field];
  if (!Array.isArray(traits) || traits.length === 0) return value;
  let merged: Record<string, unknown> = {};
  traits.forEach((t, i) => {
    const tr = ctx.ws.deref({
      value: t,
      absolutePath: at.absolutePath,
      pointer: joinPointer(at.pointer, field, i),
    });
    if (tr && isRecord(tr.value)) merged = { ...merged, ...tr.value };
  });
  const { [field]: _drop, ...own } = value;
  return ctx.v2 ? { ...own, ...merged } : { ...merged, ...own };
}

export function entries(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}

export function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
export function int(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) ? value : undefined;
}
export function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
/** A duration in ms; undefined when absent or unparsable (the annotation schema reports it). */
export function dur(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}
export function size(value: unknown): number | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  try {
    return parseSize(value);
  } catch {
    return undefined;
  }
}
/** One of `allowed`, else undefined. */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === "string" && (allowed as readonly string[]).includes(value)
    ? (value as T)
    : undefined;
}

/** `{ [key]: value }` when value is defined, else `{}` (for exactOptionalPropertyTypes). */
export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

export function addUnique(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byKey<T>(items: readonly T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) => cmp(key(a), key(b)));
}

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
