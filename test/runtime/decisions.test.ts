/**
 * The consumer's decisions, without a server: tables of [name, { given, want }] rows.
 */
import { JetStreamApiError } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import {
  afterClaim,
  afterFailure,
  attemptNumber,
  type DeliveryHistory,
  type FailureInput,
  goneReason,
  type Outcome,
  type PullGates,
  pullSize,
  type SettleKind,
  shouldResend,
  whenBreakerRefuses,
  whenDeadLetterFails,
} from "../../packages/runtime/src/consumer/decisions.js";
import { AttemptLedger } from "../../packages/runtime/src/consumer/ledger.js";
import type { ClaimResult } from "../../packages/runtime/src/dedup/types.js";
import {
  BusinessRuleError,
  DecodeError,
  HandlerTimeoutError,
  PermanentError,
  type RetryPolicy,
  SchemaValidationError,
  TransientError,
} from "../../packages/runtime/src/index.js";
import { type Unanswered, unansweredPauseMs } from "../../packages/runtime/src/unanswered.js";

const retry: RetryPolicy = {
  maxAttempts: 3,
  strategy: "exponential",
  initialDelayMs: 100,
  maxDelayMs: 1_000,
  multiplier: 2,
  jitter: "none",
};
const never = () => {
  throw new Error("no random number expected");
};

describe("attemptNumber", () => {
  const rows: [string, { deliveries: number; history?: DeliveryHistory; want: number }][] = [
    ["first delivery", { deliveries: 1, want: 1 }],
    ["the server's count when nothing is known", { deliveries: 4, want: 4 }],
    ["releases are not attempts", { deliveries: 4, history: { releases: 2 }, want: 2 }],
    [
      "racing redeliveries are not attempts",
      { deliveries: 5, history: { releases: 1, superseded: 2 }, want: 2 },
    ],
    [
      "never below the last attempt run here + 1 (a count rewound by the server)",
      { deliveries: 1, history: { releases: 0, lastAttempt: 3 }, want: 4 },
    ],
    ["never below 1", { deliveries: 1, history: { releases: 5 }, want: 1 }],
  ];
  it.each(rows)("%s", (_name, { deliveries, history, want }) => {
    expect(attemptNumber(deliveries, history)).toBe(want);
  });
});

describe("afterFailure", () => {
  const base: FailureInput = {
    failure: new Error("dependency down"),
    attempt: 1,
    retry,
    breaker: undefined,
    previousDelayMs: undefined,
    random: never,
  };
  type FailureRow = [
    string,
    { given: Partial<FailureInput>; want: { outcome: Outcome; breaker: string; spent: boolean } },
  ];
  const rows: FailureRow[] = [
    [
      "a transient failure is retried with the backoff of its attempt",
      {
        given: { attempt: 2 },
        want: { outcome: { action: "retry", delayMs: 200 }, breaker: "failure", spent: true },
      },
    ],
    [
      "TransientError.retryAfterMs overrides the backoff",
      {
        given: { failure: new TransientError("429", { retryAfterMs: 5_000 }) },
        want: { outcome: { action: "retry", delayMs: 5_000 }, breaker: "failure", spent: true },
      },
    ],
    [
      "a handler timeout is transient",
      {
        given: { failure: new HandlerTimeoutError(10) },
        want: { outcome: { action: "retry", delayMs: 100 }, breaker: "failure", spent: true },
      },
    ],
    [
      "the last attempt's failure dead-letters",
      {
        given: { attempt: 3 },
        want: {
          outcome: { action: "dead-letter", reason: "attempts-exhausted" },
          breaker: "failure",
          spent: true,
        },
      },
    ],
    ...[
      new PermanentError("no"),
      new BusinessRuleError("no stock"),
      new DecodeError("not JSON"),
      new SchemaValidationError("bad", []),
    ].map(
      (failure): FailureRow => [
        `a ${failure.name} is dead-lettered at once and tells the breaker nothing`,
        {
          given: { failure, breaker: { state: "open", msUntilHalfOpen: 50 } },
          want: {
            outcome: { action: "dead-letter", reason: "permanent" },
            breaker: "neutral",
            spent: false,
          },
        },
      ],
    ),
    [
      "with the breaker already open the message is released, its attempt not spent",
      {
        given: { attempt: 3, breaker: { state: "open", msUntilHalfOpen: 0 } },
        want: {
          outcome: { action: "release", reason: "breaker-open", delayMs: 1 },
          breaker: "failure",
          spent: false,
        },
      },
    ],
    [
      "the failure that opens the breaker (closed before it) is the message's own attempt",
      {
        given: { attempt: 3, breaker: { state: "closed", msUntilHalfOpen: 0 } },
        want: {
          outcome: { action: "dead-letter", reason: "attempts-exhausted" },
          breaker: "failure",
          spent: true,
        },
      },
    ],
    [
      "a failed half-open probe is its message's own attempt too",
      {
        given: { attempt: 1, breaker: { state: "half-open", msUntilHalfOpen: 0 } },
        want: { outcome: { action: "retry", delayMs: 100 }, breaker: "failure", spent: true },
      },
    ],
  ];
  it.each(rows)("%s", (_name, { given, want }) => {
    expect(afterFailure({ ...base, ...given })).toEqual(want);
  });

  it("draws jitter from the injected random source, decorrelated from the previous delay", () => {
    const decorrelated: RetryPolicy = { ...retry, jitter: "decorrelated" };
    const decision = afterFailure({
      ...base,
      retry: decorrelated,
      previousDelayMs: 300,
      random: () => 1,
    });
    // uniform in [initial, 3 × previous] capped at max: 1 → the top, 900
    expect(decision.outcome).toEqual({ action: "retry", delayMs: 900 });
  });
});

describe("afterClaim", () => {
  const ctx = { handlerTimeoutMs: 5_000, retry, random: never };
  const rows: [string, { claim: ClaimResult | undefined; want: Outcome }][] = [
    [
      "claimed: run the handler",
      { claim: { status: "claimed", token: { key: "k" } }, want: { action: "run" } },
    ],
    [
      "done: skip and ack",
      { claim: { status: "done" }, want: { action: "skip", reason: "key-done" } },
    ],
    [
      "busy: look again when the holder's lease ends",
      {
        claim: { status: "busy", retryAfterMs: 1_234.5 },
        want: { action: "release", reason: "claimed-elsewhere", delayMs: 1_235 },
      },
    ],
    [
      "busy with a long lease: look again after the holder's handler timeout at most",
      {
        claim: { status: "busy", retryAfterMs: 60_000 },
        want: { action: "release", reason: "claimed-elsewhere", delayMs: 5_100 },
      },
    ],
    [
      "store unreachable: release with the first backoff delay",
      { claim: undefined, want: { action: "release", reason: "dedup-unavailable", delayMs: 100 } },
    ],
  ];
  it.each(rows)("%s", (_name, { claim, want }) => {
    expect(afterClaim(claim, ctx)).toEqual(want);
  });
});

describe("whenBreakerRefuses and whenDeadLetterFails", () => {
  it.each([
    [
      "attempts left: released until the breaker half-opens",
      2,
      3,
      750,
      { action: "release", reason: "breaker-open", delayMs: 750 },
    ],
    [
      "attempts spent: dead-lettered without running",
      4,
      3,
      750,
      { action: "dead-letter", reason: "attempts-exhausted" },
    ],
    [
      "never a nak without delay",
      1,
      3,
      0,
      { action: "release", reason: "breaker-open", delayMs: 1 },
    ],
  ] as const)("%s", (_name, attempt, max, untilHalfOpen, want) => {
    expect(whenBreakerRefuses(attempt, max, untilHalfOpen)).toEqual(want);
  });

  it("a failed dead-letter publish gives the message back for a later delivery", () => {
    expect(whenDeadLetterFails(retry, never)).toEqual({
      action: "release",
      reason: "dead-letter-unavailable",
      delayMs: 100,
    });
  });
});

describe("pullSize", () => {
  const rows: [string, { given: PullGates; want: number }][] = [
    ["every free slot", { given: { limit: 8, inUse: 0, requested: 0 }, want: 8 }],
    ["free slots less those asked for", { given: { limit: 8, inUse: 2, requested: 2 }, want: 4 }],
    [
      "nothing below half the bulkhead (batches)",
      { given: { limit: 8, inUse: 5, requested: 0 }, want: 0 },
    ],
    ["one slot pulls one", { given: { limit: 1, inUse: 0, requested: 0 }, want: 1 }],
    [
      "nothing while the breaker is open",
      {
        given: { limit: 8, inUse: 0, requested: 0, breaker: { state: "open", capacity: 0 } },
        want: 0,
      },
    ],
    [
      "only the probes while half-open",
      {
        given: { limit: 8, inUse: 0, requested: 0, breaker: { state: "half-open", capacity: 1 } },
        want: 1,
      },
    ],
    [
      "no more probes than capacity, counting those asked for",
      {
        given: { limit: 8, inUse: 0, requested: 1, breaker: { state: "half-open", capacity: 1 } },
        want: 0,
      },
    ],
  ];
  it.each(rows)("%s", (_name, { given, want }) => {
    expect(pullSize(given)).toBe(want);
  });
});

describe("shouldResend", () => {
  const rows: [
    string,
    { kind: SettleKind; failure: Unanswered | undefined; now: number; want: boolean },
  ][] = [
    ["an ack nobody received", { kind: "ack", failure: "no-responders", now: 0, want: true }],
    [
      "an ack whose reply was lost (acks repeat safely)",
      { kind: "ack", failure: "timeout", now: 0, want: true },
    ],
    ["a term whose reply was lost", { kind: "term", failure: "timeout", now: 0, want: true }],
    ["a nak nobody received", { kind: "nak", failure: "no-responders", now: 0, want: true }],
    [
      "not a nak that may have been applied (a second would reschedule a redelivery)",
      { kind: "nak", failure: "timeout", now: 0, want: false },
    ],
    [
      "not after the ack wait (the server redelivers anyway)",
      { kind: "ack", failure: "no-responders", now: 1_000, want: false },
    ],
    ["not a refusal (closed connection)", { kind: "ack", failure: undefined, now: 0, want: false }],
  ];
  it.each(rows)("%s", (_name, { kind, failure, now, want }) => {
    expect(shouldResend(kind, failure, now, 1_000)).toBe(want);
  });

  it("pauses 100 ms doubling to 1 s between rounds", () => {
    expect([1, 2, 3, 4, 5, 9].map(unansweredPauseMs)).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
});

describe("goneReason", () => {
  const api = (err_code: number) =>
    new JetStreamApiError({ err_code, code: 404, description: "x" });
  it.each([
    ["stream not found", api(10059), "stream-not-found"],
    ["consumer not found", api(10014), "consumer-not-found"],
    ["another API error", api(10008), undefined],
    ["not an API error", new Error("consumer not found"), undefined],
  ] as const)("%s", (_name, error, want) => {
    expect(goneReason(error)).toBe(want);
  });
});

describe("AttemptLedger", () => {
  it("counts releases and racing redeliveries out of the attempt, keeps failure times, forgets settled messages", () => {
    const ledger = new AttemptLedger();
    expect(ledger.attemptOf(7, 1)).toBe(1);
    ledger.failed(7, 1, 1_000);
    ledger.delayed(7, 250);
    ledger.released(7); // breaker open on the 2nd delivery
    ledger.superseded(7); // a redelivery raced the 3rd
    expect(ledger.attemptOf(7, 4)).toBe(2);
    const entry = ledger.failed(7, 2, 2_000);
    expect(entry).toMatchObject({
      firstFailureAtMs: 1_000,
      lastFailureAtMs: 2_000,
      lastAttempt: 2,
    });
    expect(ledger.get(7)?.previousDelayMs).toBe(250);
    // The server's count rewound (a lost delivery): attempts still go up.
    expect(ledger.attemptOf(7, 1)).toBe(3);
    ledger.forget(7);
    expect(ledger.get(7)).toBeUndefined();
    // An entry evicted while the handler ran is rebuilt from the one the run started with.
    expect(ledger.failed(8, 3, 5_000, { releases: 2, firstFailureAtMs: 4_000 })).toMatchObject({
      releases: 2,
      firstFailureAtMs: 4_000,
      lastFailureAtMs: 5_000,
    });
  });
});
