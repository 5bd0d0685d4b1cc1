import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type NatsCluster, startNatsCluster } from "./nats-cluster.js";

describe("test nats cluster harness", () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startNatsCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.dispose();
  });

  it("runs an R3 stream that elects a new leader when its leader is killed", async () => {
    const nc = await connect({ servers: [...cluster.urls] });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.add({
        name: "HARNESS",
        subjects: ["harness.>"],
        num_replicas: 3,
      });
      expect(info.config.num_replicas).toBe(3);
      const leader = info.cluster?.leader;
      expect(cluster.nodes.map((n) => n.name)).toContain(leader);
      await cluster.node(leader ?? "").kill();
      let next: string | undefined;
      for (let i = 0; i < 120 && (next === undefined || next === leader); i++) {
        next = await jsm.streams
          .info("HARNESS")
          .then((s) => s.cluster?.leader)
          .catch(() => undefined);
        if (next === undefined || next === leader) await new Promise((r) => setTimeout(r, 250));
      }
      expect(next).toBeDefined();
      expect(next).not.toBe(leader);
      await cluster.node(leader ?? "").start();
    } finally {
      await nc.close();
    }
  }, 60_000);
});
