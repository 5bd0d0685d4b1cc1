/**
 * One cluster chaos run: three nats-server nodes, the fixture contract applied, one producer
 * and two consumer processes on the same durable; kill -9 steps (the stream leader's node, the
 * KV bucket leader's node, a consumer process) fired by progress, each victim restarted; then,
 * once the consumer has nothing pending, the logs and the DLQ are reckoned (tally.ts).
 */
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type NatsCluster, startNatsCluster } from "../support/nats-cluster.js";
import { applyChaosContract, type ChaosContract } from "./contract.js";
import { type ChildHandle, spawnChild } from "./processes.js";
import {
  type ChildMessage,
  type ConsumerProcessConfig,
  type DedupMode,
  type Effect,
  type OrderPlaced,
  type ProducerProcessConfig,
  parseEffectLog,
  parsePublishLog,
} from "./protocol.js";
import { type Tally, tally } from "./tally.js";

/** When a step fires: a fraction of the good messages published, or handled (effects). */
export type Trigger = { readonly published: number } | { readonly handled: number };

export type KillStep =
  | {
      readonly target: "stream-leader" | "kv-leader";
      readonly at: Trigger;
      /** Keep the node down this long (a timed outage); default: until the others made progress. */
      readonly outageMs?: number;
    }
  | { readonly target: "consumer"; readonly at: Trigger };

export interface ClusterChaosOptions {
  readonly contract: ChaosContract;
  readonly mode: DedupMode;
  readonly messages: number;
  readonly poison: number;
  readonly steps: readonly KillStep[];
  readonly log?: (line: string) => void;
}

export interface ClusterChaosReport extends Tally {
  /** What was killed, in order, e.g. `stream-leader n2 down 7.1s`. */
  readonly kills: readonly string[];
  /** Steps whose trigger was never reached (the run then proved less than asked). */
  readonly missedSteps: readonly string[];
  readonly publishRetries: number;
  /** Consumer processes that exited before they were ready (and the error they printed). */
  readonly startFailures: readonly string[];
  /**
   * Notable runtime events of the consumers that ran to the end (`released:dedup-unavailable`,
   * `skipped:key-done`, `dead-lettered:permanent`, `error:ack`, ...): a killed process's are lost.
   */
  readonly consumerEvents: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

/** Publishes in flight at once in the producer. */
const PUBLISH_CONCURRENCY = 16;
/** A node killed without a set outage comes back after this share of the messages was handled. */
const PROGRESS_WHILE_DOWN = 0.05;
/** Starts of a consumer process tried before the run gives up. */
const MAX_START_ATTEMPTS = 5;
/** Longest wait for anything the run waits on (progress, elections, the drain). */
const STALL_LIMIT_MS = 120_000;

export async function runClusterChaos(options: ClusterChaosOptions): Promise<ClusterChaosReport> {
  const startedAt = Date.now();
  const log = options.log ?? (() => {});
  const { contract } = options;
  const dir = await mkdtemp(join(tmpdir(), "jetcontract-chaos-run-"));
  const progress = new Progress();
  const children = new Set<ChildHandle>();
  // What the `finally` tears down, as far as it got.
  const started: { cluster?: NatsCluster; monitor?: NatsConnection } = {};
  try {
    const cluster = await startNatsCluster();
    started.cluster = cluster;
    const monitor = await connect({
      servers: [...cluster.urls],
      name: "chaos monitor",
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    started.monitor = monitor;
    await applyChaosContract(cluster.urls, contract);
    const jsm = await jetstreamManager(monitor, { timeout: 2_000 });

    const consumerSlots = ["a", "b"].map((slot) => ({ slot, incarnation: 0 }));
    const startFailures: string[] = [];
    /** Spawns the slot's next incarnation; one that dies before it is ready is started again. */
    const startConsumer = async (c: { slot: string; incarnation: number }) => {
      for (let attempt = 1; ; attempt++) {
        c.incarnation++;
        const name = `consumer ${c.slot}#${c.incarnation}`;
        const config: ConsumerProcessConfig = {
          servers: cluster.urls,
          generatedDir: contract.generatedDir,
          mode: options.mode,
          effectsFile: join(dir, `effects-${c.slot}-${c.incarnation}.log`),
          name,
        };
        const handle = spawnChild("consumer-process.ts", name, config, (m) => progress.on(m));
        children.add(handle);
        try {
          await handle.next("ready");
          return handle;
        } catch (error) {
          // A finding, reported: as a supervisor would, the run starts the process again.
          children.delete(handle);
          const why = handle.errorLine();
          startFailures.push(`${name}: ${why}`);
          log(`${name} failed to start: ${why}`);
          if (attempt >= MAX_START_ATTEMPTS) throw error;
        }
      }
    };
    const consumers = await Promise.all(consumerSlots.map(startConsumer));

    const producerConfig: ProducerProcessConfig = {
      servers: cluster.urls,
      generatedDir: contract.generatedDir,
      messages: options.messages,
      poison: options.poison,
      concurrency: PUBLISH_CONCURRENCY,
      publishedFile: join(dir, "published.log"),
    };
    const producer = spawnChild("producer-process.ts", "producer", producerConfig, (m) =>
      progress.on(m),
    );
    children.add(producer);
    const producerDone = producer.next("done");
    // Awaited below; a run that fails before then kills the producer, which rejects it.
    producerDone.catch(() => undefined);

    const kills: string[] = [];
    const missedSteps: string[] = [];
    const total = options.messages + options.poison;
    /** Waits for a step's trigger; false (and noted) when it is never reached. */
    const reached = async (step: KillStep) => {
      const { at } = step;
      const ok = await progress.until(
        () =>
          "published" in at
            ? progress.published >= at.published * total
            : progress.effects >= at.handled * options.messages,
        STALL_LIMIT_MS,
      );
      if (!ok) {
        const label = `${step.target} at ${JSON.stringify(at)}`;
        missedSteps.push(label);
        log(`step not reached: ${label}`);
      }
      return ok;
    };

    const killConsumer = async () => {
      const slot = consumerSlots[0] as { slot: string; incarnation: number };
      const victim = consumers[0] as ChildHandle;
      victim.send({ type: "stall" });
      const stalled = await victim.next("stalled");
      await victim.kill();
      children.delete(victim);
      const what = `consumer ${slot.slot}#${slot.incarnation} (${stalled.held} mid-handler${stalled.unsettled > 0 ? `, ${stalled.unsettled} acks unsettled` : ""})`;
      log(`killed ${what} after ${progress.effects} effects`);
      kills.push(what);
      consumers[0] = await startConsumer(slot);
    };

    const killNode = async (target: "stream-leader" | "kv-leader", outageMs?: number) => {
      // A node is killed only when the one killed before it has caught up (two of three
      // replicas down would be a loss of quorum, not a failover).
      await waitForReplicas(jsm, contract);
      const stream = target === "stream-leader" ? contract.stream : contract.kvStream;
      const leader = await leaderOf(jsm, stream);
      const node = cluster.node(leader);
      const downAt = Date.now();
      await node.kill();
      log(
        `killed ${target} ${leader} (${stream}) after ${progress.published} published, ${progress.effects} effects`,
      );
      if (outageMs !== undefined) {
        // The outage's length is what this step tests.
        await new Promise((resolve) => setTimeout(resolve, outageMs));
      } else {
        // Down until the others took over: a new leader, then progress made without the node.
        const successor = await leaderOf(jsm, stream, leader);
        log(`${successor} leads ${stream} after ${Date.now() - downAt} ms`);
        const goal = Math.min(
          options.messages,
          progress.effects + Math.max(1, Math.floor(PROGRESS_WHILE_DOWN * options.messages)),
        );
        if (!(await progress.until(() => progress.effects >= goal, STALL_LIMIT_MS)))
          log(`no progress in ${STALL_LIMIT_MS} ms with ${leader} down`);
      }
      await node.start();
      const downMs = Date.now() - downAt;
      kills.push(`${target} ${leader} down ${(downMs / 1_000).toFixed(1)}s`);
      log(`restarted ${leader} after ${downMs} ms`);
    };

    // Two lanes: node kills one after the other; consumer kills on their own triggers, so a
    // slow failover does not push them past the end of the run.
    const lane = async (steps: readonly KillStep[]) => {
      for (const step of steps) {
        if (!(await reached(step))) continue;
        if (step.target === "consumer") await killConsumer();
        else await killNode(step.target, step.outageMs);
      }
    };
    // Both lanes end before the run goes on or is torn down (no kill or restart after it).
    const lanes = await Promise.allSettled([
      lane(options.steps.filter((s) => s.target !== "consumer")),
      lane(options.steps.filter((s) => s.target === "consumer")),
    ]);
    for (const l of lanes) if (l.status === "rejected") throw l.reason;

    const { publishRetries } = await producerDone;
    log(
      `published ${progress.publishedOk} of ${total} (${progress.published - progress.publishedOk} failed); waiting for the consumer to drain`,
    );
    await waitForReplicas(jsm, contract);
    if (!(await drained(jsm, contract))) log("the consumer did not drain; reckoning what was done");
    log(await serverState(jsm, contract));
    const events = await Promise.all(
      consumers.map(async (c) => {
        const stopped = c.next("events");
        c.send({ type: "stop" });
        const { counts } = await stopped;
        await c.exited;
        return counts;
      }),
    );

    const publishes = parsePublishLog(await readFile(producerConfig.publishedFile, "utf8"));
    const effects: Effect[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.startsWith("effects-"))) {
      effects.push(...parseEffectLog(await readFile(join(dir, file), "utf8")));
    }
    const dlqIds = (await storedMessages(jsm, contract.dlqStream)).map((m) => m.orderId);
    const verdict = tally({ publishes, effects, dlqIds });
    if (verdict.lost.length > 0) log(await whereAreLost(jsm, contract.stream, verdict.lost));
    return {
      ...verdict,
      kills,
      missedSteps,
      publishRetries,
      startFailures,
      consumerEvents: sumCounts(events),
      durationMs: Date.now() - startedAt,
    };
  } finally {
    await Promise.all([...children].map((c) => c.kill()));
    await started.monitor?.close().catch(() => undefined);
    await started.cluster?.dispose();
    await rm(dir, { recursive: true, force: true });
  }
}

function sumCounts(all: readonly Readonly<Record<string, number>>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const counts of all) {
    for (const [name, n] of Object.entries(counts)) sum[name] = (sum[name] ?? 0) + n;
  }
  return sum;
}

/** Counts from the children's IPC messages, with waiters woken on each message (no polling). */
class Progress {
  published = 0;
  publishedOk = 0;
  effects = 0;
  readonly #waiters = new Set<() => void>();

  on(message: ChildMessage): void {
    if (message.type === "published") {
      this.published++;
      if (message.ok) this.publishedOk++;
    } else if (message.type === "effect") this.effects++;
    else return;
    for (const wake of this.#waiters) wake();
  }

  /** Resolves true once `cond` holds, false after `timeoutMs`. */
  until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = (result: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(result);
      };
      const check = () => {
        if (cond()) done(true);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#waiters.add(check);
    });
  }
}

/**
 * The server name of `stream`'s leader (other than `not`). Polled: the cluster announces elections only in
 * advisories, and right after a kill there may be no leader for a few seconds.
 */
async function leaderOf(jsm: JetStreamManager, stream: string, not?: string): Promise<string> {
  let leader: string | undefined;
  const found = await poll(async () => {
    leader = (await jsm.streams.info(stream)).cluster?.leader;
    return leader !== undefined && leader !== not;
  });
  if (!found || leader === undefined) throw new Error(`${stream} has no leader`);
  return leader;
}

/** Waits until every replica of the run's streams and of the durable is up and current. */
async function waitForReplicas(jsm: JetStreamManager, contract: ChaosContract): Promise<void> {
  const streams = [contract.stream, contract.dlqStream, contract.kvStream];
  type Cluster = { leader?: string; replicas?: { current: boolean; offline?: boolean }[] };
  const healthy = (c: Cluster | undefined) =>
    c?.leader !== undefined &&
    (c.replicas ?? []).length === 2 &&
    (c.replicas ?? []).every((r) => r.current && r.offline !== true);
  const back = await poll(async () => {
    for (const stream of streams) {
      if (!healthy((await jsm.streams.info(stream)).cluster)) return false;
    }
    return healthy((await jsm.consumers.info(contract.stream, contract.durable)).cluster);
  });
  if (!back) throw new Error("the restarted node's replicas did not catch up");
}

/** Waits until the durable has nothing pending and nothing unacknowledged (false: it never did). */
async function drained(jsm: JetStreamManager, contract: ChaosContract): Promise<boolean> {
  return poll(async () => {
    const info = await jsm.consumers.info(contract.stream, contract.durable);
    return info.num_pending === 0 && info.num_ack_pending === 0;
  });
}

/** The stream's and the durable's counters, for the log (where did a lost message go?). */
async function serverState(jsm: JetStreamManager, contract: ChaosContract): Promise<string> {
  const s = (await jsm.streams.info(contract.stream)).state;
  const c = await jsm.consumers.info(contract.stream, contract.durable);
  return [
    `${contract.stream}: ${s.messages} messages, seq ${s.first_seq}..${s.last_seq}`,
    `${contract.durable}: delivered ${c.delivered.stream_seq}, ack floor ${c.ack_floor.stream_seq}, redelivered ${c.num_redelivered}, pending ${c.num_pending}, ack pending ${c.num_ack_pending}`,
  ].join("; ");
}

/** The `orderId` and sequence of every message in `stream`. */
async function storedMessages(
  jsm: JetStreamManager,
  stream: string,
): Promise<{ readonly orderId: string | undefined; readonly seq: number }[]> {
  const { state } = await jsm.streams.info(stream);
  const out: { orderId: string | undefined; seq: number }[] = [];
  for (let seq = state.first_seq; state.messages > 0 && seq <= state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m) out.push({ orderId: m.json<Partial<OrderPlaced>>().orderId, seq });
  }
  return out;
}

/** Whether lost messages are in the stream (the consumer passed them) or not (the stream lost them). */
async function whereAreLost(
  jsm: JetStreamManager,
  stream: string,
  lost: readonly string[],
): Promise<string> {
  const stored = new Map((await storedMessages(jsm, stream)).map((m) => [m.orderId, m.seq]));
  const present = lost.filter((id) => stored.has(id));
  const seqs = present.map((id) => stored.get(id));
  return `${present.length} of ${lost.length} lost messages are in ${stream}${present.length > 0 ? ` (seq ${seqs[0]}..${seqs[seqs.length - 1]})` : ""}`;
}

/**
 * Polls a server-side condition until it holds (true) or `STALL_LIMIT_MS` passed (false); API
 * calls that fail (as during an election) count as "not yet".
 */
async function poll(cond: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + STALL_LIMIT_MS;
  for (;;) {
    if (await cond().catch(() => false)) return true;
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
