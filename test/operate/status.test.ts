import { jetstream } from "@nats-io/jetstream";
// No types ship with the parser; its one function returns metric families.
// @ts-expect-error untyped module
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeadLetterHeaders } from "../../packages/runtime/src/dead-letter.js";
import { createConsumer } from "../../packages/runtime/src/index.js";
import type { Contract } from "../../src/model/types.js";
import { loadContract } from "../../src/spec/index.js";
import { applyJetStream } from "../../src/streams/index.js";
import { type Env, names, type Order, startEnv, waitFor } from "../runtime/support.js";
import { cli, descriptorFor, type Names, writeSpec } from "./support.js";

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.dispose();
});

interface Family {
  name: string;
  type: string;
  metrics: Array<{ value: string; labels: Record<string, string> }>;
}
const parse = parsePrometheusTextFormat as (text: string) => Family[];

async function deadLetter(n: Names, count: number) {
  const js = jetstream(env.nc);
  for (let i = 0; i < count; i++) {
    const headers = buildDeadLetterHeaders(undefined, {
      originSubject: n.subject,
      originStream: n.stream,
      originSequence: 1_000 + i,
      originConsumer: n.durable,
      attempts: 1,
      deliveries: 1,
      errorClass: "PermanentError",
      errorMessage: "rejected",
      firstFailureAt: new Date(),
      lastFailureAt: new Date(),
      reason: "permanent",
    });
    await js.publish(n.dlqSubject, JSON.stringify({ id: `D${i}`, qty: 1 }), { headers });
  }
}

describe("status on a real server", () => {
  it("--check goes OK → CRITICAL → OK with lag and with DLQ depth; prometheus output parses", async () => {
    const n = names("st");
    const spec = await writeSpec(n, {
      dedup: "memory",
      monitor: "{ maxPending: 5, maxDlqDepth: 2, warnAt: 0.5 }",
    });
    const conn = [spec, "--server", env.server.url];
    const check = async () => (await cli(["status", ...conn, "--check"])).code;

    // Nothing on the server yet: the consumer is missing.
    const missing = await cli(["status", ...conn, "--check"]);
    expect(missing.code).toBe(2);
    expect(missing.out).toContain("does not exist");

    const { contract } = await loadContract(spec);
    await applyJetStream(env.nc, contract as Contract, {});
    expect(await check()).toBe(0);

    // Lag: 3 pending is past half of 5 (WARNING), 8 past 5 (CRITICAL).
    const js = jetstream(env.nc);
    for (let i = 0; i < 3; i++)
      await js.publish(n.subject, JSON.stringify({ id: `A${i}`, qty: 1 }));
    expect(await check()).toBe(1);
    for (let i = 3; i < 8; i++)
      await js.publish(n.subject, JSON.stringify({ id: `A${i}`, qty: 1 }));
    const behind = await cli(["status", ...conn, "--check"]);
    expect(behind.code).toBe(2);
    expect(behind.out).toContain("CRITICAL: pending 8 > 5");

    // The consumer catches up.
    const consumer = env.track(
      createConsumer<Order>(env.nc, descriptorFor(n, { dedup: "memory" }), () => undefined),
    );
    await consumer.start();
    await waitFor(
      async () =>
        (await env.jsm.consumers.info(n.stream, n.durable)).num_ack_pending +
          (await env.jsm.consumers.info(n.stream, n.durable)).num_pending ===
        0,
      20_000,
      "the consumer to catch up",
    );
    expect(await check()).toBe(0);

    // DLQ depth: 3 dead letters of this consumer is past 2.
    await deadLetter(n, 3);
    const deep = await cli(["status", ...conn, "--check", "--format", "json"]);
    expect(deep.code).toBe(2);
    const report = JSON.parse(deep.out) as {
      consumers: Array<{ dlqDepth: number; level: string }>;
    };
    expect(report.consumers[0]).toMatchObject({ dlqDepth: 3, level: "CRITICAL" });

    // Prometheus text exposition, read by a real parser.
    const prom = await cli(["status", ...conn, "--format", "prometheus"]);
    expect(prom.code).toBe(0);
    const families = parse(prom.out);
    const family = (name: string) => families.find((f) => f.name === name);
    expect(family("jetcontract_dlq_messages")?.metrics[0]).toMatchObject({
      value: "3",
      labels: { operation: "handleOrder", stream: n.stream, consumer: n.durable },
    });
    expect(family("jetcontract_consumer_check_level")?.metrics[0]?.value).toBe("2");
    expect(family("jetcontract_consumer_pending_messages")?.type).toBe("GAUGE");
    expect(family("jetcontract_consumer_exists")?.metrics[0]?.value).toBe("1");

    // Purged: OK again.
    const purged = await cli(["dlq", "purge", ...conn, "--yes"]);
    expect(purged.out).toBe("deleted 3 dead letters\n");
    expect(await check()).toBe(0);
  }, 120_000);

  it("purge --older-than removes exactly the old ones; without --yes and no terminal it refuses", async () => {
    const n = names("pg");
    const spec = await writeSpec(n, { dedup: "memory" });
    const { contract } = await loadContract(spec);
    await applyJetStream(env.nc, contract as Contract, {});
    const conn = [spec, "--server", env.server.url];
    await deadLetter(n, 3);
    const oldest = (await env.jsm.streams.info(n.dlqStream)).state.last_seq;
    // The age is what is tested: let the first three grow older than the cut-off.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await deadLetter(n, 2);

    const refused = await cli(["dlq", "purge", ...conn, "--older-than", "2s"]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("--yes");
    expect((await env.jsm.streams.info(n.dlqStream)).state.messages).toBe(5);

    const dry = await cli(["dlq", "purge", ...conn, "--older-than", "2s", "--dry-run"]);
    expect(dry.out).toBe(`would delete 3 dead letters (${n.dlqStream}: 3)\n`);
    const purged = await cli(["dlq", "purge", ...conn, "--older-than", "2s", "--yes"]);
    expect(purged).toMatchObject({ code: 0, out: "deleted 3 dead letters\n" });
    const left = JSON.parse((await cli(["dlq", "ls", ...conn, "--format", "json"])).out) as Array<{
      seq: number;
    }>;
    expect(left.map((d) => d.seq)).toEqual([oldest + 1, oldest + 2]);

    // Reading from a sequence with nothing left after it ends (no wait for new messages).
    const last = String(oldest + 2);
    await cli(["dlq", "purge", ...conn, "--from-seq", last, "--yes"]);
    const after = await cli(["dlq", "ls", ...conn, "--from-seq", last]);
    expect(after.out).toBe("no dead letters selected\n");
  }, 60_000);

  it("a wrong command line never acts: flags are checked before the contract or the server", async () => {
    const spec = await writeSpec(names("bad"), { dedup: "memory" });
    const cases: Array<[string[], string]> = [
      [["dlq", "frob", spec], 'unknown action "frob"'],
      [["dlq", "ls", spec, "--yes"], "--yes has no effect with dlq ls"],
      [["dlq", "redrive", spec, "--rate", "fast"], '--rate "fast"'],
      [["dlq", "ls", spec, "--since", "yesterday"], '--since "yesterday"'],
      [["dlq", "show", spec], "name the DLQ sequence"],
      [["dlq", "ls", spec, "--format", "yaml"], "--format yaml is not for dlq ls"],
      [["status", spec, "--format", "xml"], "--format xml"],
      [
        ["dlq", "ls", spec, "--consumer", "nobody", "--server", "nats://127.0.0.1:1"],
        "the contract has no consumer nobody (did you mean",
      ],
      [["status", spec, "--server", "nats://127.0.0.1:1"], "cannot connect"],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.err).toContain(message);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });
});
