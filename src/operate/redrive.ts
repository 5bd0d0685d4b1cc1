/**
 * `dlq redrive`: publishes selected dead letters back to their origin subject (or `to`), then
 * deletes each DLQ copy once the publish was acknowledged. Safe to stop and re-run: the
 * `Nats-Msg-Id` of a re-drive is derived from the DLQ stream and sequence, so a copy published
 * before a crash and not yet deleted is dropped as a duplicate by the origin stream, and the
 * DLQ copy is deleted then. The consumer takes over a dedup claim the failed original still
 * holds (see `@jetcontract/runtime`'s redrive module).
 */
import { DeadLetterHeaders, RedriveHeaders, redriveMsgId } from "@jetcontract/runtime";
import { headers as createHeaders, type MsgHdrs } from "@nats-io/transport-node";
import type { Contract } from "../model/types.js";
import { consumerTargets, PayloadChecker, type SchemaIssue, targetOf } from "./contract.js";
import type { DeadLetter } from "./dead-letter.js";
import { deleteMessage, type SelectOptions, selectDeadLetters } from "./dlq.js";
import { oneLine } from "./read.js";
import { clientOf, type OperateSession } from "./session.js";

export interface RedriveOptions extends SelectOptions {
  /** Publish to this subject instead of each message's origin subject. */
  readonly to?: string;
  /** Re-drive messages that fail the current schema (or cannot be checked). */
  readonly force?: boolean;
  /** Keep the DLQ copies. */
  readonly keep?: boolean;
  readonly dryRun?: boolean;
  /** Messages per second at most; unlimited when absent. */
  readonly ratePerSec?: number;
  /** Re-drive at most this many. */
  readonly limit?: number;
  /** Publishes in flight at once (default 64). */
  readonly inFlight?: number;
  readonly onProgress?: (progress: RedriveProgress) => void;
  readonly now?: () => Date;
}

export interface RedriveProgress {
  readonly redriven: number;
  readonly skipped: number;
  readonly failed: number;
}

export interface Redriven {
  readonly stream: string;
  readonly seq: number;
  readonly subject: string;
  /** Sequence in the origin stream; undefined in a dry run. */
  readonly publishedSeq?: number;
  /** The origin stream had it already (an earlier run published it before stopping). */
  readonly duplicate: boolean;
}

export interface Skipped {
  readonly stream: string;
  readonly seq: number;
  readonly reason: string;
  readonly issues?: readonly SchemaIssue[];
}

export interface Failed {
  readonly stream: string;
  readonly seq: number;
  readonly error: string;
}

export interface RedriveSummary {
  readonly dryRun: boolean;
  readonly redriven: readonly Redriven[];
  readonly skipped: readonly Skipped[];
  readonly failed: readonly Failed[];
  /** Stopped by the signal before the selection was done. */
  readonly stopped: boolean;
}

type Decision =
  | { readonly kind: "redrive"; readonly subject: string; readonly expectStream?: string }
  | { readonly kind: "skip"; readonly reason: string; readonly issues?: readonly SchemaIssue[] };

/** Decides what to do with one dead letter (pure). */
export function decideRedrive(
  d: DeadLetter,
  options: Pick<RedriveOptions, "to" | "force">,
  check: ReturnType<PayloadChecker["check"]>,
  originStreamKnown: boolean,
): Decision {
  const subject = options.to ?? d.originSubject;
  if (subject === undefined) {
    return { kind: "skip", reason: `no ${DeadLetterHeaders.originSubject} header; use --to` };
  }
  if (!options.force) {
    if (check.status === "invalid") {
      return {
        kind: "skip",
        reason: `fails the current schema of ${check.messageId}`,
        issues: check.issues,
      };
    }
    if (check.status === "unchecked")
      return { kind: "skip", reason: `not checked: ${check.reason}` };
  }
  // Ask the origin stream to store it (unless sent elsewhere): a subject no stream captures fails.
  const expect = options.to === undefined && originStreamKnown ? d.originStream : undefined;
  return { kind: "redrive", subject, ...(expect ? { expectStream: expect } : {}) };
}

// Headers that would change how the origin stream stores the copy; the re-drive sets its own id.
const DROPPED = /^(nats-msg-id|nats-expected-.*|nats-rollup|nats-ttl)$/i;

/** The dead letter's headers (its origin and failure headers included) plus the re-drive headers. */
export function redriveHeaders(d: DeadLetter, at: Date): MsgHdrs {
  const h = createHeaders();
  for (const [key, value] of Object.entries(d.headers)) {
    if (DROPPED.test(key) || key.startsWith("Jetcontract-Redrive-")) continue;
    h.set(key, value);
  }
  h.set(RedriveHeaders.count, String(d.redriveCount + 1));
  h.set(RedriveHeaders.dlqStream, d.stream);
  h.set(RedriveHeaders.dlqSequence, String(d.seq));
  h.set(RedriveHeaders.at, at.toISOString());
  return h;
}

export async function redriveDeadLetters(
  session: OperateSession,
  contract: Contract,
  options: RedriveOptions = {},
): Promise<RedriveSummary> {
  const targets = consumerTargets(contract);
  const checker = new PayloadChecker(contract);
  const js = clientOf(session);
  const now = options.now ?? (() => new Date());
  const redriven: Redriven[] = [];
  const skipped: Skipped[] = [];
  const failed: Failed[] = [];
  const maxInFlight = Math.max(1, options.inFlight ?? 64);
  const running = new Set<Promise<void>>();
  const progress = () =>
    options.onProgress?.({
      redriven: redriven.length,
      skipped: skipped.length,
      failed: failed.length,
    });
  const started = Date.now();
  let sent = 0;
  let stopped = false;

  const publish = async (d: DeadLetter, subject: string, expectStream?: string) => {
    try {
      const ack = await js.publish(subject, d.data ?? new Uint8Array(), {
        msgID: redriveMsgId(d.stream, d.seq),
        headers: redriveHeaders(d, now()),
        ...(expectStream ? { expect: { streamName: expectStream } } : {}),
      });
      if (!options.keep) await deleteMessage(session, d.stream, d.seq);
      redriven.push({
        stream: d.stream,
        seq: d.seq,
        subject,
        publishedSeq: ack.seq,
        duplicate: ack.duplicate,
      });
    } catch (error) {
      failed.push({ stream: d.stream, seq: d.seq, error: oneLine(error) });
    }
    progress();
  };

  for await (const d of selectDeadLetters(session, contract, { ...options, withPayload: true })) {
    if (options.signal?.aborted) {
      stopped = true;
      break;
    }
    if (options.limit !== undefined && sent >= options.limit) break;
    const target = targetOf(targets, d);
    const check = checker.check(target, d.data ?? new Uint8Array());
    const decision = decideRedrive(d, options, check, target !== undefined);
    if (decision.kind === "skip") {
      skipped.push({
        stream: d.stream,
        seq: d.seq,
        reason: decision.reason,
        ...(decision.issues ? { issues: decision.issues } : {}),
      });
      progress();
      continue;
    }
    sent++;
    if (options.dryRun) {
      redriven.push({ stream: d.stream, seq: d.seq, subject: decision.subject, duplicate: false });
      progress();
      continue;
    }
    if (options.ratePerSec !== undefined && options.ratePerSec > 0) {
      const dueMs = started + ((sent - 1) * 1000) / options.ratePerSec - Date.now();
      if (dueMs > 0 && !(await sleep(dueMs, options.signal))) {
        stopped = true;
        break;
      }
    }
    while (running.size >= maxInFlight) await Promise.race(running);
    const task = publish(d, decision.subject, decision.expectStream);
    running.add(task);
    void task.finally(() => running.delete(task));
  }
  await Promise.all(running);
  const bySeq = (a: { stream: string; seq: number }, b: { stream: string; seq: number }) =>
    a.stream.localeCompare(b.stream) || a.seq - b.seq;
  return {
    dryRun: options.dryRun === true,
    redriven: redriven.sort(bySeq),
    skipped: skipped.sort(bySeq),
    failed: failed.sort(bySeq),
    stopped: stopped || options.signal?.aborted === true,
  };
}

/** Sleeps; false when the signal aborted it. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
