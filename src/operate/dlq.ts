/**
 * `dlq stats`, `dlq ls`, `dlq show` and `dlq purge` as library functions: read the contract's
 * DLQ streams, select with a filter, summarise or delete. Nothing is printed here.
 */
import type { Contract } from "../model/types.js";
import {
  type ConsumerTarget,
  consumerTargets,
  PayloadChecker,
  type SchemaCheck,
  targetOf,
} from "./contract.js";
import type { DeadLetter } from "./dead-letter.js";
import { OperateInputError, OperateServerError } from "./errors.js";
import { type DlqFilter, matchesFilter } from "./filter.js";
import { oneLine, readDeadLetter, readDeadLetters, streamInfo } from "./read.js";
import { type Scope, scopeStreams } from "./scope.js";
import { clientOf, type OperateSession } from "./session.js";
import { DlqStatsBuilder, type DlqStreamStats } from "./stats.js";

export interface SelectOptions extends Scope {
  readonly filter?: DlqFilter;
  readonly signal?: AbortSignal;
}

/** The filter with the scope's consumers folded in (the scope names streams and consumers). */
function effectiveFilter(options: SelectOptions): DlqFilter {
  const f = options.filter ?? {};
  return options.consumers && options.consumers.length > 0
    ? { ...f, consumers: options.consumers }
    : f;
}

/** Dead letters of the contract's DLQ streams that pass the filter, stream by stream. */
export async function* selectDeadLetters(
  session: OperateSession,
  contract: Contract,
  options: SelectOptions & { readonly withPayload?: boolean } = {},
): AsyncGenerator<DeadLetter> {
  const streams = scopeStreams(consumerTargets(contract), options);
  const filter = effectiveFilter(options);
  const js = clientOf(session);
  for (const stream of streams) {
    const read = readDeadLetters(js, session.jsm, stream, {
      ...(filter.fromSeq !== undefined ? { fromSeq: filter.fromSeq } : {}),
      ...(filter.toSeq !== undefined ? { toSeq: filter.toSeq } : {}),
      headersOnly: options.withPayload !== true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const d of read) {
      if (matchesFilter(d, filter)) yield d;
    }
  }
}

/** `dlq stats`: one summary per DLQ stream of the contract (filters apply). */
export async function dlqStats(
  session: OperateSession,
  contract: Contract,
  options: SelectOptions & { readonly nowMs?: number } = {},
): Promise<DlqStreamStats[]> {
  const streams = scopeStreams(consumerTargets(contract), options);
  const out: DlqStreamStats[] = [];
  for (const stream of streams) {
    const builder = new DlqStatsBuilder(stream);
    for await (const d of selectDeadLetters(session, contract, { ...options, stream })) {
      builder.add(d);
    }
    const info = await streamInfo(session.jsm, stream);
    out.push(builder.summary(info, options.nowMs ?? Date.now()));
  }
  return out;
}

export interface ShownDeadLetter {
  readonly deadLetter: DeadLetter;
  /** The payload parsed as JSON, else as text, else undefined (binary). */
  readonly payload: { readonly json: unknown } | { readonly text: string } | undefined;
  /** Against the contract's current schema of the origin consumer's messages. */
  readonly check: SchemaCheck;
  readonly operationId: string | undefined;
}

/** `dlq show <seq>`: one dead letter, its payload, and whether it passes the current schema. */
export async function showDeadLetter(
  session: OperateSession,
  contract: Contract,
  options: { readonly seq: number; readonly stream?: string },
): Promise<ShownDeadLetter> {
  const targets = consumerTargets(contract);
  const streams = scopeStreams(
    targets,
    options.stream !== undefined ? { stream: options.stream } : {},
  );
  if (streams.length > 1) {
    throw new OperateInputError(
      `the contract has ${streams.length} DLQ streams (${streams.join(", ")}): name one with --stream`,
    );
  }
  const deadLetter = await readDeadLetter(session.jsm, streams[0] as string, options.seq);
  const target = targetOf(targets, deadLetter);
  const data = deadLetter.data ?? new Uint8Array();
  return {
    deadLetter,
    payload: decodePayload(data),
    check: new PayloadChecker(contract).check(target, data),
    operationId: target?.operationId,
  };
}

function decodePayload(data: Uint8Array): ShownDeadLetter["payload"] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    return undefined;
  }
  try {
    return { json: JSON.parse(text) };
  } catch {
    return { text };
  }
}

export interface PurgeOptions extends SelectOptions {
  readonly dryRun?: boolean;
  /** Asked with the selection before anything is deleted; false leaves everything. */
  readonly confirm?: (selected: PurgeSelection) => Promise<boolean>;
}

export interface PurgeSelection {
  /** Selected sequences per DLQ stream. */
  readonly byStream: Readonly<Record<string, readonly number[]>>;
  readonly count: number;
}

export interface PurgeResult {
  readonly selected: PurgeSelection;
  readonly deleted: number;
  /** Already gone when deleted (another purge or re-drive got there first). */
  readonly missing: number;
  readonly dryRun: boolean;
  /** The confirmation said no. */
  readonly declined: boolean;
}

/** `dlq purge`: deletes the selected dead letters (after `confirm`, unless a dry run). */
export async function purgeDeadLetters(
  session: OperateSession,
  contract: Contract,
  options: PurgeOptions = {},
): Promise<PurgeResult> {
  const byStream: Record<string, number[]> = {};
  let count = 0;
  for await (const d of selectDeadLetters(session, contract, options)) {
    const seqs = byStream[d.stream] ?? [];
    seqs.push(d.seq);
    byStream[d.stream] = seqs;
    count++;
  }
  const selected: PurgeSelection = { byStream, count };
  const base = { selected, deleted: 0, missing: 0, declined: false };
  if (options.dryRun || count === 0) return { ...base, dryRun: options.dryRun === true };
  if (options.confirm && !(await options.confirm(selected))) {
    return { ...base, dryRun: false, declined: true };
  }
  let deleted = 0;
  let missing = 0;
  for (const [stream, seqs] of Object.entries(byStream)) {
    await inBatches(seqs, 64, async (seq) => {
      if (await deleteMessage(session, stream, seq)) deleted++;
      else missing++;
    });
  }
  return { ...base, deleted, missing, dryRun: false };
}

/** Deletes one message; false when it was already gone. */
export async function deleteMessage(
  session: OperateSession,
  stream: string,
  seq: number,
): Promise<boolean> {
  try {
    return await session.jsm.streams.deleteMessage(stream, seq, false);
  } catch (error) {
    if (/no message found|not found/i.test(oneLine(error))) return false;
    throw new OperateServerError(`cannot delete ${stream} #${seq}: ${oneLine(error)}`, {
      cause: error,
    });
  }
}

async function inBatches<T>(items: readonly T[], size: number, run: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) {
    await Promise.all(items.slice(i, i + size).map(run));
  }
}

export type { ConsumerTarget };
