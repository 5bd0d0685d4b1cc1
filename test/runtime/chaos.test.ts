import { describe, expect, it } from "vitest";
import { runChaos } from "./chaos-scenario.js";

describe("chaos (short)", () => {
  it("kill -9 and restart the server while publishing and consuming: nothing lost, no double effect", async () => {
    const report = await runChaos({ messages: 300, outages: 2, outageMs: 300, dedup: "memory" });
    expect(report.published).toBe(300);
    expect(report.missing).toEqual([]);
    expect(report.doubled).toEqual([]);
    expect(report.deadLettered).toBe(0);
    expect(report.effects).toBe(300);
    // The outages were real: publishes had to be retried.
    expect(report.publishRetries).toBeGreaterThan(0);
  });
});

describe("chaos with KV dedup (short)", () => {
  it("kill -9 and restart the server: lost acks of completed messages are not processed again", async () => {
    const report = await runChaos({ messages: 300, outages: 2, outageMs: 300, dedup: "kv" });
    expect(report.missing).toEqual([]);
    expect(report.doubled).toEqual([]);
    expect(report.deadLettered).toBe(0);
    expect(report.effects).toBe(300);
  });
});
