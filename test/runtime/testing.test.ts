/** `@jetcontract/runtime/testing`: the helpers users test their handlers with. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "../../packages/runtime/src/index.js";
import { fakeHandlerContext, runHandlerOnce } from "../../packages/runtime/src/testing.js";
import {
  consumerDescriptor,
  type Env,
  fixedRetry,
  makeStreams,
  names,
  type Order,
  startEnv,
} from "./support.js";

describe("fakeHandlerContext", () => {
  it("gives defaults, takes overrides, counts working() and aborts on demand", async () => {
    const ctx = fakeHandlerContext({ attempt: 3, idempotencyKey: "K1" });
    expect(ctx).toMatchObject({ attempt: 3, idempotencyKey: "K1", deliveryCount: 1 });
    const handler = async (_o: Order, c: typeof ctx) => {
      c.working();
      c.working();
      await new Promise((resolve) => c.signal.addEventListener("abort", resolve, { once: true }));
      return c.signal.reason;
    };
    const running = handler({ id: "A", qty: 1 }, ctx);
    ctx.abort("timeout");
    expect(await running).toBe("timeout");
    expect(ctx.workingCalls).toBe(2);
  });
});

describe("runHandlerOnce on a real server", () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv();
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it("reports an ack after a retry, and a dead-letter with its reason", async () => {
    const n = names("th");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n, { retry: fixedRetry(3, 20) });
    let calls = 0;
    const flaky = async () => {
      if (++calls === 1) throw new TransientError("first call fails");
    };
    expect(await runHandlerOnce(env.nc, d, flaky, { id: "A", qty: 1 })).toEqual({
      outcome: "acked",
      attempts: 2,
    });
    const poison = await runHandlerOnce(
      env.nc,
      d,
      () => {
        throw new PermanentError("no such sku");
      },
      { id: "B", qty: 1 },
    );
    expect(poison).toMatchObject({
      outcome: "dead-lettered",
      attempts: 1,
      event: { reason: "permanent", errorMessage: "no such sku" },
    });
  });
});
