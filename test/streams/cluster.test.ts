import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIO } from "../../src/cli/io.js";
import { main } from "../../src/cli/main.js";
import { type NatsCluster, startNatsCluster } from "../support/nats-cluster.js";
import { startNatsServer } from "../support/nats-server.js";
import { ROOT } from "./support/example.js";

const SPEC = join(ROOT, "test/streams/fixtures/cluster.asyncapi.yaml");

async function run(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), cwd: ROOT };
  const code = await main(args, io);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** Waits until `check` holds, polling the server (elections have no event to await). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("streams plan/apply on a three-node JetStream cluster", { timeout: 120_000 }, () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let servers: string;
  beforeAll(async () => {
    cluster = await startNatsCluster();
    servers = cluster.urls.join(",");
    nc = await connect({ servers: [...cluster.urls] });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await cluster?.dispose();
  });

  it("applies R3 streams, placement, a mirror, a source, an R3 dedup bucket and a memory consumer; plan then sees no change", async () => {
    const applied = await run("streams", "apply", SPEC, "--server", servers);
    expect(applied.stderr).not.toMatch(/ (error|warning) /);
    expect(applied.code).toBe(0);

    const jsm = await jetstreamManager(nc);
    const orders = await jsm.streams.info("ORDERS");
    expect(orders.config.num_replicas).toBe(3);
    expect(orders.config.placement?.cluster).toBe("jc");
    expect((await jsm.streams.info("ORDERS_ARCHIVE")).config.mirror?.name).toBe("ORDERS");
    expect((await jsm.streams.info("ORDERS_AUDIT")).config.sources?.[0]).toMatchObject({
      name: "ORDERS",
      filter_subject: "orders.placed",
    });
    // The dedup bucket is as replicated as the stream it guards, without saying so.
    expect((await jsm.streams.info("KV_handler_dedup")).config.num_replicas).toBe(3);
    expect((await jsm.consumers.info("ORDERS", "handler")).config.mem_storage).toBe(true);

    const plan = await run("streams", "plan", SPEC, "--server", servers);
    expect(plan.stdout).toContain("0 to create, 0 to update");
    expect(plan.code).toBe(0);
  });

  it("refuses more replicas than the cluster has servers, before changing anything", async () => {
    const dir = await mkdtemp(join(tmpdir(), "jc-cluster-"));
    try {
      const spec = join(dir, "r4.asyncapi.yaml");
      const text = await readFile(SPEC, "utf8");
      await writeFile(
        spec,
        text.replace("ORDERS_DLQ:\n      replicas: 3", "ORDERS_DLQ:\n      replicas: 4"),
      );
      const plan = await run("streams", "plan", spec, "--server", servers);
      expect(plan.stdout).toContain(
        "error: stream ORDERS_DLQ asks for 4 replicas, but cluster jc has 3 servers",
      );
      expect(plan.code).toBe(1);
      const apply = await run("streams", "apply", spec, "--server", servers);
      expect(apply.stdout).toContain("nothing was changed");
      expect(apply.code).toBe(1);
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info("ORDERS_DLQ")).config.num_replicas).toBe(3);

      // Fewer replicas is allowed, and said plainly.
      await writeFile(
        spec,
        text.replace("ORDERS_DLQ:\n      replicas: 3", "ORDERS_DLQ:\n      replicas: 1"),
      );
      const lower = await run("streams", "plan", spec, "--server", servers);
      expect(lower.stdout).toContain(
        "warning: stream ORDERS_DLQ: apply lowers its replicas from 3 to 1; it then survives 0 server failure(s) instead of 1",
      );
      expect(lower.code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("with a node down, reports the assets only it held as unavailable (not create), and apply changes nothing", async () => {
    const jsm = await jetstreamManager(nc);
    // The R1 mirror lives on one server: stop that one.
    const archive = await jsm.streams.info("ORDERS_ARCHIVE");
    const holder = cluster.node(archive.cluster?.leader ?? "");
    const others = cluster.nodes.filter((n) => n !== holder).map((n) => n.url);
    await holder.kill();
    try {
      const onOthers = others.join(",");
      // The R3 streams stay available once they have a leader among the two left.
      await until(
        async () => (await jsm.streams.info("ORDERS")).cluster?.leader !== holder.name,
        "ORDERS to have a leader on a running server",
      );
      // The killed node may have led the meta group: wait until the API answers again.
      await cluster.waitForJetStream(others[0]);
      const plan = await run("streams", "plan", SPEC, "--server", onOthers);
      expect(plan.stdout, plan.stderr).toContain("# stream ORDERS_ARCHIVE: unavailable");
      expect(plan.stdout).not.toMatch(/\+ stream ORDERS_ARCHIVE/);
      // The leaders notice the lost peer within seconds; plan then says so.
      await until(
        async () =>
          (await run("streams", "plan", SPEC, "--server", onOthers)).stdout.includes(
            `replica on ${holder.name} is not current`,
          ),
        "plan to report the offline replica",
      );
      expect(plan.code).toBe(2);
      const apply = await run("streams", "apply", SPEC, "--server", onOthers);
      expect(apply.stdout).toContain("nothing was changed");
      expect(apply.code).toBe(2);
    } finally {
      await holder.start();
    }
    await cluster.waitForJetStream(holder.url);
    await until(
      async () => (await jsm.streams.info("ORDERS_ARCHIVE")).cluster?.leader === holder.name,
      "the mirror to be back",
    );
    const plan = await run("streams", "plan", SPEC, "--server", servers);
    expect(plan.code).toBe(0);
  });
});

describe("streams against a JetStream domain", { timeout: 60_000 }, () => {
  it("plans and applies through --js-domain, and says which domain did not answer", async () => {
    const dir = await mkdtemp(join(tmpdir(), "jc-domain-"));
    const config = join(dir, "hub.conf");
    await writeFile(config, "jetstream {\n  domain: hub\n}\n");
    const server = await startNatsServer({ extraArgs: ["-c", config] });
    try {
      const spec = join(ROOT, "specs/orders.asyncapi.yaml");
      const applied = await run(
        "streams",
        "apply",
        spec,
        "--server",
        server.url,
        "--js-domain",
        "hub",
      );
      expect(applied.code).toBe(0);
      const plan = await run("streams", "plan", spec, "--server", server.url, "--js-domain", "hub");
      expect(plan.stdout).toContain("0 to create, 0 to update");
      expect(plan.code).toBe(0);
      const wrong = await run(
        "streams",
        "plan",
        spec,
        "--server",
        server.url,
        "--js-domain",
        "leaf",
      );
      expect(wrong.stderr).toContain("JetStream (domain leaf) is not available");
      expect(wrong.code).toBe(2);
    } finally {
      await server.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
