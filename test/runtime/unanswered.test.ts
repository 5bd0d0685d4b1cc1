import { TimeoutError } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import { retryUnanswered } from "../../packages/runtime/src/unanswered.js";

describe("retryUnanswered", () => {
  it("asks again while nobody answers, and returns the first answer", async () => {
    let calls = 0;
    const value = await retryUnanswered(async () => {
      calls++;
      if (calls < 3) throw new TimeoutError();
      return "answered";
    }, 5_000);
    expect(value).toBe("answered");
    expect(calls).toBe(3);
  });

  it("throws any other failure at once", async () => {
    let calls = 0;
    const refused = retryUnanswered(async () => {
      calls++;
      throw new Error("consumer not found");
    }, 5_000);
    await expect(refused).rejects.toThrow("consumer not found");
    expect(calls).toBe(1);
  });

  it("gives up with the last failure once its bound has passed", async () => {
    let calls = 0;
    const silent = retryUnanswered(async () => {
      calls++;
      throw new TimeoutError();
    }, 250);
    await expect(silent).rejects.toBeInstanceOf(TimeoutError);
    // Pauses of 100 ms, then 200 ms: the second would pass the 250 ms bound.
    expect(calls).toBe(2);
  });
});
