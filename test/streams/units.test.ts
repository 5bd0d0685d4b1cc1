import { describe, expect, it } from "vitest";
import { isValidJetStreamName, subjectCovers, subjectsOverlap } from "../../src/model/subjects.js";
import { msToGoDuration, msToNanos, msToSeconds, nanosToMs } from "../../src/streams/units.js";

describe("unit conversions", () => {
  it.each([
    [0, "0s"],
    [500, "500ms"],
    [1_500, "1s500ms"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [7 * 24 * 3_600_000, "168h"],
  ])("%sms is the Go duration %s", (ms, go) => {
    expect(msToGoDuration(ms)).toBe(go);
  });

  it("converts milliseconds to nanoseconds and back", () => {
    expect(msToNanos(30_000)).toBe(30_000_000_000);
    expect(nanosToMs(msToNanos(1_234))).toBe(1_234);
  });

  it("rounds seconds up and says so", () => {
    expect(msToSeconds(30_000)).toEqual({ seconds: 30, roundedUp: false });
    expect(msToSeconds(500)).toEqual({ seconds: 1, roundedUp: true });
  });
});

describe("subjects", () => {
  it.each<[string, string, boolean]>([
    ["orders.>", "orders.placed", true],
    ["orders.>", "orders", false],
    ["payments.*.captured", "payments.*.captured", true],
    ["payments.eu.captured", "payments.*.captured", false],
    ["a.*", "a.>", false],
    [">", "a.b.c", true],
  ])("%s covers %s: %s", (outer, inner, want) => {
    expect(subjectCovers(outer, inner)).toBe(want);
  });

  it.each<[string, string, boolean]>([
    ["a.>", "a.b", true],
    ["a.*", "a.b.c", false],
    ["a.*.c", "a.b.*", true],
    ["a.b", "a.c", false],
  ])("%s overlaps %s: %s", (x, y, want) => {
    expect(subjectsOverlap(x, y)).toBe(want);
    expect(subjectsOverlap(y, x)).toBe(want);
  });

  it("rejects names that would break subjects or paths", () => {
    expect(isValidJetStreamName("ORDERS_DLQ")).toBe(true);
    for (const bad of ["", "a.b", "a b", "a*", "a>", "../x", "a/b"])
      expect(isValidJetStreamName(bad)).toBe(false);
  });
});
