import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { freePort, haltProcess, spawnNatsServer } from "./nats-server.js";

/**
 * A real JetStream cluster of nats-server processes on loopback: each node has its own client
 * and route port, its own store directory and server name, and routes to the others. Nodes can
 * be killed (SIGKILL, as a crash) and started again on the same ports and store.
 */
export interface ClusterNode {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  kill(): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export interface NatsCluster {
  readonly name: string;
  readonly nodes: readonly ClusterNode[];
  /** Every node's client URL, for a connection's server list. */
  readonly urls: readonly string[];
  /** The node called `name` (the server name a stream's cluster info reports as leader). */
  node(name: string): ClusterNode;
  /** Resolves once JetStream answers API requests through `url` (a meta leader is elected). */
  waitForJetStream(url?: string, timeoutMs?: number): Promise<void>;
  dispose(): Promise<void>;
}

export async function startNatsCluster(
  options: { size?: number; name?: string } = {},
): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const clusterName = options.name ?? "jc";
  const root = await mkdtemp(join(tmpdir(), "jetcontract-cluster-"));
  const specs: { name: string; port: number; routePort: number; storeDir: string }[] = [];
  for (let i = 0; i < size; i++) {
    specs.push({
      name: `n${i + 1}`,
      port: await freePort(),
      routePort: await freePort(),
      storeDir: join(root, `n${i + 1}`),
    });
  }
  const routes = specs.map((s) => `nats://127.0.0.1:${s.routePort}`).join(",");

  const nodes = specs.map((spec) => {
    let child: ChildProcess | undefined;
    const launch = async (): Promise<void> => {
      child = await spawnNatsServer(
        [
          "-a",
          "127.0.0.1",
          "-p",
          String(spec.port),
          "-n",
          spec.name,
          "-js",
          "-sd",
          spec.storeDir,
          "--cluster_name",
          clusterName,
          "--cluster",
          `nats://127.0.0.1:${spec.routePort}`,
          "--routes",
          routes,
        ],
        `nats-server ${spec.name}`,
      );
    };
    const halt = (signal: NodeJS.Signals): Promise<void> => {
      const proc = child;
      child = undefined;
      return haltProcess(proc, signal);
    };
    const node: ClusterNode = {
      name: spec.name,
      url: `nats://127.0.0.1:${spec.port}`,
      port: spec.port,
      get running() {
        return child !== undefined;
      },
      kill: () => halt("SIGKILL"),
      stop: () => halt("SIGTERM"),
      start: launch,
    };
    return node;
  });

  await Promise.all(nodes.map((n) => n.start()));
  const cluster: NatsCluster = {
    name: clusterName,
    nodes,
    urls: nodes.map((n) => n.url),
    node(name) {
      const found = nodes.find((n) => n.name === name);
      if (!found) throw new Error(`no cluster node called ${name}`);
      return found;
    },
    waitForJetStream: (url = nodes[0]?.url ?? "", timeoutMs = 30_000) =>
      waitForJetStream(url, timeoutMs),
    dispose: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
      await rm(root, { recursive: true, force: true });
    },
  };
  await cluster.waitForJetStream();
  return cluster;
}

/**
 * Polls `$JS.API.INFO` until the cluster answers it: right after start-up (or a meta leader's
 * loss) the servers are up but JetStream has no meta leader yet, and every API call fails.
 */
async function waitForJetStream(url: string, timeoutMs: number): Promise<void> {
  const nc = await connect({ servers: url, reconnect: false });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        const reply = await nc.request("$JS.API.INFO", undefined, { timeout: 1_000 });
        const info = reply.json<{ error?: unknown }>();
        if (info.error === undefined) return;
      } catch {
        // No responders or timeout: the meta group is still electing.
      }
      if (Date.now() > deadline)
        throw new Error(`JetStream on ${url} did not answer within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await nc.close();
  }
}
