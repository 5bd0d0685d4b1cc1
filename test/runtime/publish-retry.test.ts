/**
 * Publish retries against a scripted JetStream client (no server): the deadline bounds them, and
 * "no responders" refusals (a stream leader election) do not spend the attempts. The same on a
 * real 3-node cluster: cluster-election.test.ts.
 */
import { headers, NoRespondersError, RequestError, TimeoutError } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import type { JsHandles } from "../../packages/runtime/src/connection.js";
import {
  isPublishRetriesExhaustedError,
  type PublishPolicy,
} from "../../packages/runtime/src/index.js";
import { pauseBeforeRetry, publishWithRetry } from "../../packages/runtime/src/publisher.js";

/** What the JetStream client throws when nobody answers: "jetstream is not enabled", the truth in its cause. */
const electing = () =>
  new Error("jetstream is not enabled", {
    cause: new RequestError("no responders", { cause: new NoRespondersError("orders.x") }),
  });

function scriptedHandles(failures: Array<() => Error>) {
  let calls = 0;
  const handles = {
    nc: undefined,
    js: {
      publish: async () => {
        calls++;
        const next = failures.shift();
        if (next) throw next();
        return { stream: "ORDERS", seq: 7, duplicate: false };
      },
    },
    // The stream exists: "no responders" means its leader is being elected.
    jsm: async () => ({ streams: { find: async () => "ORDERS" } }),
  } as unknown as JsHandles;
  return { handles, calls: () => calls };
}

const policy = (maxAttempts: number, deadlineMs: number): PublishPolicy => ({
  timeoutMs: 500,
  deadlineMs,
  retry: {
    maxAttempts,
    strategy: "fixed",
    initialDelayMs: 5,
    maxDelayMs: 5,
    multiplier: 1,
    jitter: "none",
  },
});

const request = (p: PublishPolicy) => ({
  subject: "orders.x",
  data: new Uint8Array(),
  msgId: "m1",
  headers: headers(),
  policy: p,
  random: Math.random,
});

describe("publishWithRetry", () => {
  it("rides through more instant 'no responders' refusals than it has attempts", async () => {
    const s = scriptedHandles(Array.from({ length: 12 }, () => electing));
    const result = await publishWithRetry(s.handles, request(policy(3, 5_000)));
    expect(result).toMatchObject({ stream: "ORDERS", seq: 7, attempts: 13 });
  });

  it("still spends its attempts on failures that reached a server, and names the cause", async () => {
    const s = scriptedHandles(Array.from({ length: 5 }, () => () => new TimeoutError()));
    const error = await publishWithRetry(s.handles, request(policy(3, 5_000))).catch((e) => e);
    expect(isPublishRetriesExhaustedError(error)).toBe(true);
    expect(s.calls()).toBe(3);
    expect(error.message).toMatch(/after 3 attempts .*: timed out/);
  });

  it("stops at the deadline with the real cause, not the client's 'jetstream is not enabled'", async () => {
    const s = scriptedHandles(Array.from({ length: 10_000 }, () => electing));
    const started = Date.now();
    const error = await publishWithRetry(s.handles, request(policy(3, 300))).catch((e) => e);
    expect(isPublishRetriesExhaustedError(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(error.message).toMatch(
      /not acknowledged within its 300 ms deadline \(\d+ attempts\): no responders/,
    );
    expect(error.message).not.toMatch(/jetstream is not enabled/);
    expect(error.attempts).toBe(s.calls());
  });
});

describe("pauseBeforeRetry", () => {
  it.each([
    ["the backoff delay when it fits", 200, 0, 1_000, 200],
    ["shortened so a last try fits before the deadline", 2_000, 0, 1_000, 900],
    ["none when no try fits any more", 50, 950, 1_000, undefined],
  ] as const)("%s", (_name, delay, now, deadline, want) => {
    expect(pauseBeforeRetry(delay, now, deadline)).toBe(want);
  });
});
