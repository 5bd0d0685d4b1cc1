/** Which DLQ streams a command reads, from the contract and the operator's narrowing. */
import { closest } from "fastest-levenshtein";
import type { ConsumerTarget } from "./contract.js";
import { deadLetterStreams } from "./contract.js";
import { OperateInputError } from "./errors.js";

export interface Scope {
  /** `--stream`: one DLQ stream of the contract. */
  readonly stream?: string;
  /** `--consumer`: origin consumers; their DLQ streams are read. */
  readonly consumers?: readonly string[];
}

/** DLQ streams to read; an `OperateInputError` for a name the contract does not know. */
export function scopeStreams(targets: readonly ConsumerTarget[], scope: Scope): string[] {
  const all = deadLetterStreams(targets);
  if (all.length === 0) {
    throw new OperateInputError("the contract declares no dead-letter queue (x-dlq)");
  }
  const durables = targets.map((t) => t.durable);
  for (const c of scope.consumers ?? []) {
    if (!durables.includes(c)) throw new OperateInputError(unknown("consumer", c, durables));
  }
  if (scope.stream !== undefined && !all.includes(scope.stream)) {
    throw new OperateInputError(unknown("DLQ stream", scope.stream, all));
  }
  let streams = all;
  if (scope.consumers && scope.consumers.length > 0) {
    const wanted = new Set(
      targets
        .filter((t) => scope.consumers?.includes(t.durable) && t.dlq)
        .map((t) => t.dlq?.stream),
    );
    streams = streams.filter((s) => wanted.has(s));
  }
  if (scope.stream !== undefined) streams = streams.filter((s) => s === scope.stream);
  return streams;
}

function unknown(what: string, name: string, known: readonly string[]): string {
  const near = known.length > 0 ? closest(name, [...known]) : undefined;
  const hint = near ? ` (did you mean ${near}?)` : "";
  return `the contract has no ${what} ${name}${hint}; it has: ${known.join(", ") || "none"}`;
}
