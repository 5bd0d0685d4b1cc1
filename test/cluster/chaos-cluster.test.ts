import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChaosContract, prepareChaosContract } from "./contract.js";
import { runClusterChaos } from "./scenario.js";

describe("cluster chaos (short)", () => {
  let contract: ChaosContract;
  beforeAll(async () => {
    contract = await prepareChaosContract();
  });
  afterAll(async () => {
    await contract?.dispose();
  });

  it("kill -9 the stream leader's node and a consumer process (KV dedup): nothing lost, nothing twice, poison in the DLQ once", async () => {
    const poison = 3;
    const report = await runClusterChaos({
      contract,
      mode: "kv",
      messages: 500,
      poison,
      steps: [
        { target: "stream-leader", at: { published: 0.3 } },
        { target: "consumer", at: { handled: 0.5 } },
      ],
    });
    // The kills happened: a node down and back, a consumer process killed mid-handler.
    expect(report.missedSteps).toEqual([]);
    expect(report.kills).toHaveLength(2);
    expect(report.kills.some((k) => k.startsWith("stream-leader"))).toBe(true);
    expect(report.kills.some((k) => k.startsWith("consumer"))).toBe(true);

    expect(report.lost).toEqual([]);
    expect(report.duplicateIds).toEqual([]);
    // Every poison message whose publish was acknowledged is in the DLQ once, and no other.
    expect(report.dlqMismatches).toEqual([]);
    expect(report.dlq).toBeGreaterThan(0);
    // Issue 13 item 2 (publishes ride through elections) is not asserted here yet: see the
    // chaos:cluster output's failed-publishes.
  }, 120_000);
});
