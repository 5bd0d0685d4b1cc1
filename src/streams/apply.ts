import { consumerUpdate } from "@jetcontract/runtime/internal";
import type {
  ConsumerConfig,
  JetStreamManager,
  StreamConfig,
  StreamUpdateConfig,
} from "@nats-io/jetstream";
import type { Contract } from "../model/types.js";
import { oneLine } from "./connect.js";
import { StreamsApiError } from "./errors.js";
import {
  computePlan,
  consumerConfigFor,
  type JetStreamPlan,
  type JetStreamTarget,
  type PlanItem,
  serverSupport,
  streamConfigFor,
  toConfig,
  withManager,
} from "./plan.js";
import type { JetStreamConfig } from "./types.js";

export interface ApplyOptions {
  /** Delete and re-create resources whose immutable fields changed (their messages or state are lost). */
  readonly allowRecreate?: boolean;
  /** Delete streams, buckets and consumers this contract's owner marked and no longer declares. */
  readonly prune?: boolean;
}

export interface ApplyResult {
  /** The plan computed before any change. */
  readonly plan: JetStreamPlan;
  /** Items acted on, in order, with the action taken. */
  readonly applied: readonly PlanItem[];
  /** Needs-recreate items refused for lack of `allowRecreate`; when set, nothing was changed. */
  readonly refused: readonly PlanItem[];
}

/**
 * Makes the server match the contract: creates and updates (idempotent: a second run does
 * nothing), re-creates only with `allowRecreate`, deletes only with `prune` and only what
 * carries this owner's marker. When a re-create is needed but not allowed, nothing at all is
 * changed and the refused items are returned.
 */
export async function applyJetStream(
  target: JetStreamTarget,
  input: Contract | JetStreamConfig,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const config = toConfig(input);
  return withManager(target, async (server) => {
    const { jsm } = server;
    const planOptions = { prune: options.prune === true };
    const plan = await computePlan(server, config, planOptions);
    // What the server would refuse, and what cannot be seen now, stops apply before any change.
    if (plan.refusals.length > 0 || plan.items.some((i) => i.action === "unavailable")) {
      return { plan, applied: [], refused: [] };
    }
    const refused = plan.items.filter((i) => i.action === "needs-recreate");
    if (refused.length > 0 && options.allowRecreate !== true) {
      return { plan, applied: [], refused };
    }
    const support = serverSupport(plan.server.version);
    const applied: PlanItem[] = [];

    // 1. Pruned consumers first, then pruned streams and buckets (taking their consumers along).
    for (const item of plan.items) {
      if (item.action !== "delete" || item.kind !== "consumer" || item.durable === undefined)
        continue;
      if (
        plan.items.some(
          (s) => s.kind !== "consumer" && s.stream === item.stream && s.action === "delete",
        )
      )
        continue;
      await call(`delete consumer ${item.name}`, () =>
        jsm.consumers.delete(item.stream, item.durable as string),
      );
      applied.push(item);
    }
    for (const item of plan.items) {
      if (item.action !== "delete" || item.kind === "consumer") continue;
      await call(`delete stream ${item.stream}`, () => jsm.streams.delete(item.stream));
      applied.push(item);
    }

    // 2. Streams and buckets.
    for (const item of plan.items) {
      if (item.kind === "consumer") continue;
      const desired = config.streams.find((s) => s.name === item.stream);
      if (!desired) continue;
      const cfg = streamConfigFor(desired, support);
      switch (item.action) {
        case "create":
          await call(`create stream ${cfg.name}`, () => jsm.streams.add(wire<StreamConfig>(cfg)));
          applied.push(item);
          break;
        case "update":
          await call(`update stream ${cfg.name}`, () =>
            jsm.streams.update(cfg.name, wire<StreamUpdateConfig>(updatable(cfg))),
          );
          applied.push(item);
          break;
        case "needs-recreate":
          await call(`delete stream ${cfg.name}`, () => jsm.streams.delete(cfg.name));
          await call(`create stream ${cfg.name}`, () => jsm.streams.add(wire<StreamConfig>(cfg)));
          applied.push(item);
          break;
        default:
          break;
      }
    }

    // 3. Consumers, planned again: a re-created stream has lost its consumers.
    const again = await computePlan(server, config, { prune: false });
    for (const item of again.items) {
      if (item.kind !== "consumer" || item.durable === undefined) continue;
      const desired = config.consumers.find(
        (c) => c.stream === item.stream && c.durable === item.durable,
      );
      if (!desired) continue;
      await applyConsumer(jsm, item, desired.stream, consumerConfigFor(desired, support));
      if (item.action !== "unchanged") applied.push(item);
    }
    return { plan, applied, refused: [] };
  });
}

async function applyConsumer(
  jsm: JetStreamManager,
  item: PlanItem,
  stream: string,
  cfg: ReturnType<typeof consumerConfigFor>,
): Promise<void> {
  switch (item.action) {
    case "create":
      await call(`create consumer ${item.name}`, () =>
        jsm.consumers.add(stream, wire<ConsumerConfig>(cfg)),
      );
      break;
    case "update":
      await call(`update consumer ${item.name}`, () =>
        jsm.consumers.update(stream, cfg.durable_name, wire<ConsumerConfig>(consumerUpdate(cfg))),
      );
      break;
    case "needs-recreate":
      await call(`delete consumer ${item.name}`, () =>
        jsm.consumers.delete(stream, cfg.durable_name),
      );
      await call(`create consumer ${item.name}`, () =>
        jsm.consumers.add(stream, wire<ConsumerConfig>(cfg)),
      );
      break;
    default:
      break;
  }
}

/** The part of a stream config the update API accepts (name, retention, storage are fixed). */
function updatable(cfg: ReturnType<typeof streamConfigFor>) {
  const {
    name: _name,
    retention: _retention,
    storage: _storage,
    max_consumers: _max,
    ...rest
  } = cfg;
  return rest;
}

async function call<T>(what: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    throw new StreamsApiError(`${what} failed: ${oneLine(error)}`, "api", { cause: error });
  }
}

/** Our wire objects carry plain strings where nats.js has literal unions; same JSON. */
function wire<T>(config: object): T {
  return config as T;
}
