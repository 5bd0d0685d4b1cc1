/**
 * Failure groups: error messages with their variable parts folded, so 500 messages that failed
 * for one cause read as one line. A group id is a short stable hash of consumer, error class and
 * folded message: the same cause gets the same id in every run and on every machine.
 */
import { createHash } from "node:crypto";

const FOLDS: ReadonlyArray<readonly [RegExp, string]> = [
  // Quoted values first: what is inside them is data, whatever it looks like.
  [/"(?:[^"\\]|\\.)*"/g, '"…"'],
  [/'(?:[^'\\]|\\.)*'/g, "'…'"],
  [/`[^`]*`/g, "`…`"],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
  [/\b\d{4}-\d{2}-\d{2}[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?/g, "<time>"],
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, "<ip>"],
  [/\b0x[0-9a-f]+\b/gi, "<hex>"],
  // A number with its unit stays a number: "after 500ms" → "after <n>ms".
  [/\b\d+(?:\.\d+)?(ns|us|ms|s|m|h|d|[kmgt]i?b|b)\b/gi, "<n>$1"],
  // Ids: a long hex run, or a token with both letters and digits (`P17`, `ord_7f3a2c`).
  [/\b[0-9a-f]{16,}\b/gi, "<hex>"],
  [/\b(?=[\w-]*\d)(?=[\w-]*[a-z])[\w-]+\b/gi, "<id>"],
  [/-?\b\d+(?:\.\d+)?\b/g, "<n>"],
];

/** The message with numbers, ids, times, addresses and quoted values replaced by placeholders. */
export function normaliseErrorMessage(message: string): string {
  let out = message;
  for (const [pattern, replacement] of FOLDS) out = out.replace(pattern, replacement);
  return out.replace(/\s+/g, " ").trim();
}

/** Stable id of a failure group (10 hex characters). */
export function failureGroupId(
  consumer: string | undefined,
  errorClass: string,
  pattern: string,
): string {
  return createHash("sha256")
    .update(`${consumer ?? ""}\u0000${errorClass}\u0000${pattern}`)
    .digest("hex")
    .slice(0, 10);
}

/** The group of one dead letter. */
export function groupOf(d: {
  readonly originConsumer: string | undefined;
  readonly errorClass: string;
  readonly errorMessage: string;
}): { readonly id: string; readonly pattern: string } {
  const pattern = normaliseErrorMessage(d.errorMessage);
  return { id: failureGroupId(d.originConsumer, d.errorClass, pattern), pattern };
}
