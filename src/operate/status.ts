/**
 * `status`: per consumer of the contract, what the server says (exists, drift from the contract,
 * pending, ack pending, redelivered, waiting pulls, last activity, DLQ depth) and a verdict
 * against the contract's `x-monitor` thresholds. `readStatus` does the IO; `evaluate` decides.
 */
import type { ConsumerInfo } from "@nats-io/jetstream";
import type { Contract, MonitorPolicy } from "../model/types.js";
import { planJetStream } from "../streams/plan.js";
import { type ConsumerTarget, consumerTargets, deadLetterStreams } from "./contract.js";
import { isNotFound, oneLine, readDeadLetters } from "./read.js";
import { clientOf, type OperateSession } from "./session.js";

export type Level = "OK" | "WARNING" | "CRITICAL";
export const LEVEL_CODE: Readonly<Record<Level, number>> = { OK: 0, WARNING: 1, CRITICAL: 2 };

export interface ConsumerStatus {
  readonly operationId: string;
  readonly stream: string;
  readonly durable: string;
  readonly streamExists: boolean;
  readonly exists: boolean;
  /** Fields whose server value differs from the contract's (empty when in line). */
  readonly drift: readonly string[];
  readonly pending: number;
  readonly ackPending: number;
  readonly redelivered: number;
  readonly waiting: number;
  /** Last delivery or ack (ISO 8601), when the server knows one. */
  readonly lastActive?: string;
  /** Time since then, ms. */
  readonly idleMs?: number;
  readonly dlqStream?: string;
  readonly dlqDepth: number;
  readonly level: Level;
  /** Why the level is not OK, one line each. */
  readonly findings: readonly string[];
}

export interface StatusReport {
  readonly consumers: readonly ConsumerStatus[];
  readonly level: Level;
  /** When the server was read (ISO 8601). */
  readonly at: string;
}

export type ServerState = Omit<ConsumerStatus, "level" | "findings">;

/** Reads the server's state for each consumer of the contract and evaluates it. */
export async function readStatus(
  session: OperateSession,
  contract: Contract,
  options: { readonly nowMs?: number } = {},
): Promise<StatusReport> {
  const nowMs = options.nowMs ?? Date.now();
  const targets = consumerTargets(contract);
  const plan = await planJetStream(session.nc, contract);
  const drift = new Map<string, string[]>();
  for (const item of plan.items) {
    if (item.kind === "consumer" && item.durable !== undefined) {
      drift.set(
        `${item.stream}/${item.durable}`,
        item.changes.map((c) => c.field),
      );
    }
  }
  const depth = await dlqDepths(session, deadLetterStreams(targets));
  const consumers: ConsumerStatus[] = [];
  for (const t of targets) {
    const state = await consumerState(session, t, nowMs);
    const dlqDepth = t.dlq ? (depth.get(`${t.dlq.stream}\u0000${t.durable}`) ?? 0) : 0;
    consumers.push(
      evaluate(
        {
          ...state,
          drift: state.exists ? (drift.get(`${t.stream}/${t.durable}`) ?? []) : [],
          dlqDepth,
          ...(t.dlq ? { dlqStream: t.dlq.stream } : {}),
        },
        t.monitor,
      ),
    );
  }
  return {
    consumers,
    level: worst(consumers.map((c) => c.level)),
    at: new Date(nowMs).toISOString(),
  };
}

async function consumerState(
  session: OperateSession,
  t: ConsumerTarget,
  nowMs: number,
): Promise<Omit<ServerState, "drift" | "dlqDepth" | "dlqStream">> {
  const base = { operationId: t.operationId, stream: t.stream, durable: t.durable };
  const empty = { pending: 0, ackPending: 0, redelivered: 0, waiting: 0 };
  let info: ConsumerInfo;
  try {
    info = await session.jsm.consumers.info(t.stream, t.durable);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    const streamExists = await session.jsm.streams.info(t.stream).then(
      () => true,
      (e: unknown) => {
        if (isNotFound(e)) return false;
        throw e;
      },
    );
    return { ...base, ...empty, streamExists, exists: false };
  }
  const last = Math.max(activeMs(info.delivered.last_active), activeMs(info.ack_floor.last_active));
  return {
    ...base,
    streamExists: true,
    exists: true,
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
    redelivered: info.num_redelivered,
    waiting: info.num_waiting,
    ...(last > 0
      ? { lastActive: new Date(last).toISOString(), idleMs: Math.max(0, nowMs - last) }
      : {}),
  };
}

/** The server sends `last_active` as a date-time string (typed as nanoseconds in nats.js). */
function activeMs(value: unknown): number {
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) || ms <= 0 ? 0 : ms;
  }
  if (typeof value === "number" && value > 0) return Math.round(value / 1e6);
  return 0;
}

/** Dead letters per DLQ stream and origin consumer (headers only). */
async function dlqDepths(session: OperateSession, streams: readonly string[]) {
  const js = clientOf(session);
  const out = new Map<string, number>();
  for (const stream of streams) {
    try {
      for await (const d of readDeadLetters(js, session.jsm, stream, { headersOnly: true })) {
        const key = `${stream}\u0000${d.originConsumer ?? ""}`;
        out.set(key, (out.get(key) ?? 0) + 1);
      }
    } catch (error) {
      if (!/does not exist/.test(oneLine(error))) throw error;
    }
  }
  return out;
}

/** The verdict for one consumer (pure). Without a policy, nothing but existence is checked. */
export function evaluate(s: ServerState, monitor: MonitorPolicy | undefined): ConsumerStatus {
  const findings: string[] = [];
  let level: Level = "OK";
  const raise = (to: Level, why: string) => {
    findings.push(`${to}: ${why}`);
    if (LEVEL_CODE[to] > LEVEL_CODE[level]) level = to;
  };
  if (!s.streamExists) raise("CRITICAL", `stream ${s.stream} does not exist`);
  else if (!s.exists) raise("CRITICAL", `consumer ${s.durable} does not exist`);
  if (s.drift.length > 0) raise("WARNING", `drifted from the contract: ${s.drift.join(", ")}`);
  if (monitor) {
    const check = (value: number, max: number, what: string, unit = "") => {
      if (value > max) raise("CRITICAL", `${what} ${value}${unit} > ${max}${unit}`);
      else if (value > max * monitor.warnAt)
        raise(
          "WARNING",
          `${what} ${value}${unit} > ${Math.floor(max * monitor.warnAt)}${unit} (${monitor.warnAt} of ${max}${unit})`,
        );
    };
    check(s.pending, monitor.maxPending, "pending");
    check(s.ackPending, monitor.maxAckPending, "ack pending");
    check(s.dlqDepth, monitor.maxDlqDepth, "DLQ depth");
    // Idle counts only while work waits: a quiet consumer with nothing to do is fine.
    if (s.idleMs !== undefined && s.pending + s.ackPending > 0) {
      check(Math.round(s.idleMs / 1000), Math.round(monitor.maxIdleMs / 1000), "idle", "s");
    }
  }
  return { ...s, level, findings };
}

export function worst(levels: readonly Level[]): Level {
  let out: Level = "OK";
  for (const l of levels) if (LEVEL_CODE[l] > LEVEL_CODE[out]) out = l;
  return out;
}
