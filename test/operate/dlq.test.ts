import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createConsumer,
  ensureConsumer,
  PermanentError,
  RedriveHeaders,
} from "../../packages/runtime/src/index.js";
import type { Contract } from "../../src/model/types.js";
import { loadContract } from "../../src/spec/index.js";
import { applyJetStream } from "../../src/streams/index.js";
import { type Env, names, type Order, readStream, startEnv, waitFor } from "../runtime/support.js";
import { cli, descriptorFor, type Names, type SpecOptions, writeSpec } from "./support.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const children = new Set<ChildProcess>();
let env: Env;

beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  for (const c of children) c.kill("SIGKILL");
  await env?.dispose();
});

function spawnNode(args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: root,
    env: { ...process.env, ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, exited, output: () => out };
}

async function setUp(n: Names, options: SpecOptions) {
  const spec = await writeSpec(n, options);
  const { contract } = await loadContract(spec);
  expect(contract).toBeDefined();
  const applied = await applyJetStream(env.nc, contract as Contract, {});
  expect(applied.refused).toEqual([]);
  return { spec, contract: contract as Contract };
}

const conn = (spec: string) => [spec, "--server", env.server.url];

/**
 * Dead-letters one message per kind (and several of one cause) through the real runtime:
 * a process that dies in the handler twice (caught by the max-deliveries catcher), permanent
 * failures, a schema failure, and a transient failure whose attempts run out.
 */
async function deadLetterEveryKind(n: Names, options: SpecOptions, effects: Map<string, number>) {
  const d = descriptorFor(n, options);
  await ensureConsumer(env.nc, d, { maxDeliver: 2 });
  const js = jetstream(env.nc);
  const publish = (value: unknown) =>
    js.publish(n.subject, JSON.stringify(value), {
      msgID: (value as { id: string }).id,
    });

  // Crash loop: each worker claims the key (KV dedup) and dies in the handler.
  await publish({ id: "C1", qty: 1 });
  const over = { dedup: d.dedup, retry: d.retry };
  const deliveries = async () =>
    (await env.jsm.consumers.info(n.stream, n.durable)).delivered.consumer_seq;
  for (let spawned = 0; (await deliveries()) < 2; spawned++) {
    expect(spawned).toBeLessThan(10);
    const worker = spawnNode([join(root, "test", "runtime", "fixtures", "worker.ts")], {
      WORKER_CONFIG: JSON.stringify({ url: env.server.url, names: n, over, mode: "die" }),
    });
    await Promise.race([
      worker.exited,
      waitFor(async () => (await deliveries()) >= 2, 15_000, "deliveries").catch(() => undefined),
    ]);
    worker.child.kill("SIGKILL");
    await worker.exited;
  }

  let broken = true;
  const consumer = env.track(
    createConsumer<Order>(env.nc, d, (order) => {
      if (broken) {
        if (order.id.startsWith("P")) {
          throw new PermanentError(
            `order ${order.id} rejected: customer "c-${order.qty}" is blocked`,
          );
        }
        if (order.id.startsWith("E"))
          throw new Error(`stock service timed out after ${order.qty * 100}ms`);
      }
      effects.set(order.id, (effects.get(order.id) ?? 0) + 1);
    }),
  );
  // The consumer's own max-deliveries catcher (on by default) dead-letters the crash loop.
  const caught = consumer.events.once("deliveriesExhausted");
  let deadLettered = 0;
  const allDead = new Promise<void>((resolve) =>
    consumer.events.on("deadLettered", () => {
      if (++deadLettered === 6) resolve();
    }),
  );
  await consumer.start();
  await caught;
  for (const id of ["P1", "P2", "P3"]) await publish({ id, qty: Number(id.slice(1)) });
  await publish({ id: "S1", qty: 0 });
  for (const id of ["E1", "E2"]) await publish({ id, qty: Number(id.slice(1)) });
  await allDead;
  return {
    consumer,
    fix: () => {
      broken = false;
    },
  };
}

describe.each(["kv", "memory"] as const)("dlq with %s dedup on a real server", (dedup) => {
  it("stats groups, ls filters, show marks the schema failure; redrive brings each back once", async () => {
    const n = names(`op${dedup}`);
    const options: SpecOptions = { dedup };
    const { spec } = await setUp(n, options);
    const effects = new Map<string, number>();
    const { fix } = await deadLetterEveryKind(n, options, effects);
    expect([...effects.keys()]).toEqual([]);

    // stats: one line per cause, numbers and quoted values folded.
    const stats = await cli(["dlq", "stats", ...conn(spec), "--format", "json"]);
    expect(stats.code).toBe(1);
    const [s] = JSON.parse(stats.out) as Array<{
      stream: string;
      count: number;
      consumers: Array<{
        consumer: string;
        count: number;
        byReason: Record<string, number>;
        byErrorClass: Record<string, number>;
        groups: Array<{ id: string; count: number; errorClass: string; pattern: string }>;
      }>;
    }>;
    expect(s?.stream).toBe(n.dlqStream);
    expect(s?.count).toBe(7);
    const c = s?.consumers[0];
    expect(c?.consumer).toBe(n.durable);
    expect(c?.byReason).toEqual({ "attempts-exhausted": 2, "max-deliveries": 1, permanent: 4 });
    expect(c?.byErrorClass.PermanentError).toBe(3);
    expect(c?.byErrorClass.SchemaValidationError).toBe(1);
    const permanent = c?.groups.find((g) => g.errorClass === "PermanentError");
    expect(permanent).toMatchObject({
      count: 3,
      pattern: 'order <id> rejected: customer "…" is blocked',
    });
    const exhausted = c?.groups.find((g) => g.pattern.startsWith("stock service"));
    expect(exhausted).toMatchObject({ count: 2, pattern: "stock service timed out after <n>ms" });
    expect(c?.groups).toHaveLength(4);
    // The text form says the same in one line per group.
    const text = await cli(["dlq", "stats", ...conn(spec)]);
    expect(text.out).toContain(`${permanent?.id}  3`);

    // ls: filters by group, reason, error class and text; ndjson is one object a line.
    const byGroup = await cli([
      "dlq",
      "ls",
      ...conn(spec),
      "--group",
      permanent?.id ?? "",
      "--format",
      "ndjson",
    ]);
    const rows = byGroup.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; headers: Record<string, string> });
    expect(rows).toHaveLength(3);
    const byReason = await cli([
      "dlq",
      "ls",
      ...conn(spec),
      "--reason",
      "max-deliveries",
      "--format",
      "json",
    ]);
    const crash = JSON.parse(byReason.out) as Array<{ seq: number; reason: string }>;
    expect(crash.map((r) => r.reason)).toEqual(["max-deliveries"]);
    const schema = JSON.parse(
      (
        await cli([
          "dlq",
          "ls",
          ...conn(spec),
          "--error-class",
          "SchemaValidationError",
          "--format",
          "json",
        ])
      ).out,
    ) as Array<{ seq: number }>;
    expect(schema).toHaveLength(1);
    const timedOut = await cli(["dlq", "ls", ...conn(spec), "--text", "TIMED OUT"]);
    expect(timedOut.out.trim().split("\n")).toHaveLength(3); // header + 2
    const none = await cli(["dlq", "ls", ...conn(spec), "--since", "2099-01-01T00:00:00Z"]);
    expect(none.out).toContain("no dead letters selected");

    // show: the schema failure's path, against the contract's current schema.
    const shown = await cli(["dlq", "show", ...conn(spec), String(schema[0]?.seq)]);
    expect(shown.code).toBe(1);
    expect(shown.out).toContain("FAILS the current schema of Order");
    expect(shown.out).toContain("/qty: must be >= 1");
    expect(shown.out).toContain('"qty": 0');
    const fine = await cli([
      "dlq",
      "show",
      ...conn(spec),
      String(rows[0]?.seq),
      "--format",
      "json",
    ]);
    expect(JSON.parse(fine.out).check).toMatchObject({ status: "valid", messageId: "Order" });

    // Fixed: re-drive everything; the schema failure is skipped and listed.
    fix();
    const redriven = await cli(["dlq", "redrive", ...conn(spec)]);
    expect(redriven.code).toBe(1); // one skipped
    expect(redriven.out).toContain("re-drove 6, skipped 1, failed 0");
    expect(redriven.out).toContain("/qty: must be >= 1");
    await waitFor(() => effects.size === 6, 20_000, "every re-driven message handled");
    expect(Object.fromEntries(effects)).toEqual({ C1: 1, P1: 1, P2: 1, P3: 1, E1: 1, E2: 1 });
    const left = await readStream(env.jsm, n.dlqStream);
    expect(left.map((m) => m.seq)).toEqual([schema[0]?.seq]);
    // A re-drive carries the original headers, its origin and where it came from.
    const origin = await readStream(env.jsm, n.stream);
    const again = origin.find((m) => m.header?.get(RedriveHeaders.count) === "1");
    expect(again?.header?.get(RedriveHeaders.dlqStream)).toBe(n.dlqStream);
    expect(again?.header?.get("Nats-Msg-Id")).toMatch(new RegExp(`^redrive:${n.dlqStream}:\\d+$`));

    // Running it again does nothing more; the invalid one goes with purge.
    const rerun = await cli(["dlq", "redrive", ...conn(spec), "--format", "json"]);
    expect(JSON.parse(rerun.out).redriven).toEqual([]);
    const purged = await cli([
      "dlq",
      "purge",
      ...conn(spec),
      "--error-class",
      "SchemaValidationError",
      "--yes",
    ]);
    expect(purged).toMatchObject({ code: 0, out: "deleted 1 dead letter\n" });
    expect((await env.jsm.streams.info(n.dlqStream)).state.messages).toBe(0);
    expect(Object.fromEntries(effects)).toEqual({ C1: 1, P1: 1, P2: 1, P3: 1, E1: 1, E2: 1 });
  }, 90_000);
});

describe("redrive killed mid-run", () => {
  it("a re-run continues: no duplicate, no loss", async () => {
    const n = names("opkill");
    const options: SpecOptions = { dedup: "kv" };
    const { spec } = await setUp(n, options);
    const total = 150;
    // Dead letters written as the runtime writes them (origin headers), straight into the DLQ.
    const js = jetstream(env.nc);
    const { buildDeadLetterHeaders } = await import("../../packages/runtime/src/dead-letter.js");
    for (let i = 1; i <= total; i++) {
      const h = buildDeadLetterHeaders(undefined, {
        originSubject: n.subject,
        originStream: n.stream,
        originSequence: i,
        originConsumer: n.durable,
        attempts: 1,
        deliveries: 1,
        errorClass: "PermanentError",
        errorMessage: `order K${i} rejected`,
        firstFailureAt: new Date(),
        lastFailureAt: new Date(),
        reason: "permanent",
      });
      await js.publish(n.dlqSubject, JSON.stringify({ id: `K${i}`, qty: 1 }), { headers: h });
    }
    const before = (await env.jsm.streams.info(n.stream)).state.last_seq;
    const run = spawnNode([
      join(here, "fixtures", "cli.ts"),
      "dlq",
      "redrive",
      ...conn(spec),
      "--rate",
      "60/s",
    ]);
    // Kill it once a part is re-driven (the DLQ shrinks as copies are deleted).
    await waitFor(
      async () => (await env.jsm.streams.info(n.dlqStream)).state.messages <= total - 20,
      60_000,
      "part of the re-drive",
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; the re-drive printed: ${run.output()}`);
    });
    run.child.kill("SIGKILL");
    await run.exited;
    const leftAfterKill = (await env.jsm.streams.info(n.dlqStream)).state.messages;
    expect(leftAfterKill).toBeGreaterThan(0);
    expect(leftAfterKill).toBeLessThan(total);

    const rerun = await cli(["dlq", "redrive", ...conn(spec), "--format", "json"]);
    expect(rerun.code).toBe(0);
    expect((await env.jsm.streams.info(n.dlqStream)).state.messages).toBe(0);
    // Every dead letter is in the origin stream exactly once (a copy published just before
    // the kill and not yet deleted was dropped by the duplicate window on the re-run).
    const published = (await readStream(env.jsm, n.stream)).filter((m) => m.seq > before);
    const ids = published.map((m) => (JSON.parse(new TextDecoder().decode(m.data)) as Order).id);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
  }, 120_000);
});
