import { describe, expect, it } from "vitest";
import type { Effect, PublishOutcome } from "./protocol.js";
import { longestGap, passed, tally } from "./tally.js";

const ok = (id: string, at: number): PublishOutcome => ({
  id,
  ackedAtMs: at,
  failure: undefined,
});
const failed = (id: string): PublishOutcome => ({ id, ackedAtMs: undefined, failure: "timeout" });
const effect = (id: string, atMs: number): Effect => ({ id, atMs });

describe("chaos tally", () => {
  it("a clean run: every acknowledged message once, every poison in the DLQ once", () => {
    const t = tally({
      publishes: [ok("O0", 1), ok("P0", 2), ok("O1", 3)],
      effects: [effect("O0", 5), effect("O1", 6)],
      dlqIds: ["P0"],
    });
    expect(t).toMatchObject({
      published: 2,
      handled: 2,
      lost: [],
      duplicates: 0,
      dlq: 1,
      dlqMismatches: [],
    });
    expect(passed(t)).toBe(true);
  });

  it("counts lost messages, duplicate effects across consumers and failed publishes", () => {
    const t = tally({
      publishes: [ok("O0", 1), ok("O1", 2), ok("O2", 3), failed("O3")],
      // O1 twice (two consumers), O2 three times, O0 never; O3's publish failed but was stored.
      effects: [
        effect("O1", 5),
        effect("O1", 6),
        effect("O2", 7),
        effect("O2", 8),
        effect("O2", 9),
        effect("O3", 10),
      ],
      dlqIds: [],
    });
    expect(t.lost).toEqual(["O0"]);
    expect(t.duplicates).toBe(3);
    expect(t.duplicateIds).toEqual(["O1", "O2"]);
    expect(t.published).toBe(3);
    expect(t.handled).toBe(3);
    expect(t.publishFailures.map((p) => p.id)).toEqual(["O3"]);
    expect(passed(t)).toBe(false);
  });

  it.each([
    ["missing from the DLQ", [], ["P0 is in the DLQ 0 times (expected once)"]],
    ["twice in the DLQ", ["P0", "P0"], ["P0 is in the DLQ 2 times (expected once)"]],
    ["a good message dead-lettered", ["P0", "O0"], ["O0 is in the DLQ 1 times (not poison)"]],
  ])("a DLQ mismatch: %s", (_name, dlqIds, mismatches) => {
    const t = tally({
      publishes: [ok("O0", 1), ok("P0", 2)],
      effects: [effect("O0", 3)],
      dlqIds,
    });
    expect(t.dlqMismatches).toEqual(mismatches);
    expect(passed(t)).toBe(false);
  });

  it("a poison message whose publish failed may be absent from the DLQ, but not handled", () => {
    const absent = tally({ publishes: [failed("P0")], effects: [], dlqIds: [] });
    expect(absent.dlqMismatches).toEqual([]);
    const handled = tally({ publishes: [failed("P0")], effects: [effect("P0", 1)], dlqIds: [] });
    expect(handled.dlqMismatches).toEqual(["P0 (poison) was handled"]);
  });
});

describe("longest processing gap", () => {
  it("counts a gap between effects only while a message was waiting", () => {
    // Effects at 10 and 100; message B acked at 60 waits until 100: the gap is 40, not 90.
    expect(longestGap([0, 60], [10, 100], [10, 100])).toBe(40);
  });

  it("counts the whole gap when a message waited through it", () => {
    // B acked at 5, handled at 100 (e.g. across an election): waiting since the effect at 10.
    expect(longestGap([0, 5], [10, 100], [10, 100])).toBe(90);
  });

  it("starts at the first acknowledgement, and ignores idle time with nothing waiting", () => {
    expect(longestGap([1_000], [1_250], [1_250])).toBe(250);
    // Both handled before the next was published: idle, no gap beyond each wait.
    expect(longestGap([0, 500], [20, 530], [20, 530])).toBe(30);
  });

  it("duplicate effects are effects: they end a gap too", () => {
    // A duplicate effect of A at 50 splits B's wait (acked 0, handled 100) into 40 + 50.
    expect(longestGap([0, 0], [10, 100], [10, 50, 100])).toBe(50);
  });

  it("a message never handled keeps the last stretch open only up to the last effect", () => {
    expect(longestGap([0, 0], [10, Number.POSITIVE_INFINITY], [10, 30])).toBe(20);
  });
});
