/**
 * The KV dedup store through a bucket leader election, against an in-memory bucket that fails on
 * a script (no server): calls are retried while unanswered, within their bound, and a write of
 * its own that timed out but landed is recognised. The same on a real 3-node cluster:
 * cluster-election.test.ts.
 */
import type { KV } from "@nats-io/kv";
import { NoRespondersError, RequestError, TimeoutError } from "@nats-io/nats-core";
import { describe, expect, it } from "vitest";
import { KvDedupStore } from "../../packages/runtime/src/dedup/kv.js";
import { isDedupStoreError } from "../../packages/runtime/src/index.js";

/** What goes wrong with the next request: refused, lost on the way, or applied with its reply lost. */
type Fault = "no-responders" | "lost" | "landed";

function faultyBucket(faults: Fault[]) {
  const entries = new Map<string, { value: Uint8Array; revision: number }>();
  let revision = 0;
  let requests = 0;
  const wrongLast = () => Object.assign(new Error("wrong last sequence"), { code: 10071 });
  const run = async <R>(apply: () => R): Promise<R> => {
    requests++;
    const fault = faults.shift();
    if (fault === "no-responders") {
      throw new Error("jetstream is not enabled", {
        cause: new RequestError("no responders", { cause: new NoRespondersError("$KV.B") }),
      });
    }
    if (fault === "lost") throw new TimeoutError();
    const result = apply();
    if (fault === "landed") throw new TimeoutError();
    return result;
  };
  const put = (key: string, value: Uint8Array) => {
    entries.set(key, { value, revision: ++revision });
    return revision;
  };
  const kv = {
    create: (key: string, value: Uint8Array) =>
      run(() => {
        if (entries.has(key)) throw wrongLast();
        return put(key, value);
      }),
    update: (key: string, value: Uint8Array, last: number) =>
      run(() => {
        if (entries.get(key)?.revision !== last) throw wrongLast();
        return put(key, value);
      }),
    put: (key: string, value: Uint8Array) => run(() => put(key, value)),
    get: (key: string) =>
      run(() => {
        const e = entries.get(key);
        return e ? { ...e, operation: "PUT" as const } : null;
      }),
    delete: (key: string) => run(() => void entries.delete(key)),
  };
  return {
    kv: kv as unknown as KV,
    requests: () => requests,
    stored: (key: string) => {
      const e = entries.get(key);
      return e && JSON.parse(new TextDecoder().decode(e.value));
    },
  };
}

const store = (kv: KV, rideThroughMs = 5_000) =>
  new KvDedupStore(kv, { leaseMs: 30_000, owner: "me", rideThroughMs });

describe("KV dedup store through a bucket leader election", () => {
  it("a claim refused while the leader is elected goes through once it answers", async () => {
    const b = faultyBucket(["no-responders", "no-responders", "lost"]);
    const claim = await store(b.kv).claim("order-1", "S:1");
    expect(claim.status).toBe("claimed");
    expect(b.stored("order-1")).toMatchObject({ s: "c", o: "me", r: "S:1" });
  });

  it("a claim whose create landed but timed out is recognised as its own, not 'busy'", async () => {
    const b = faultyBucket(["landed"]);
    const claim = await store(b.kv).claim("order-2", "S:2");
    expect(claim.status).toBe("claimed");
  });

  it("another holder's live claim is still 'busy' after an ambiguous create", async () => {
    const b = faultyBucket([]);
    await new KvDedupStore(b.kv, { leaseMs: 30_000, owner: "other" }).claim("order-3", "S:3");
    b.kv.create = (() => {
      const create = b.kv.create.bind(b.kv);
      let first = true;
      return async (k: string, v: Uint8Array) => {
        if (first) {
          first = false;
          throw new TimeoutError();
        }
        return create(k, v);
      };
    })() as KV["create"];
    const claim = await store(b.kv).claim("order-3", "S:3");
    expect(claim.status).toBe("busy");
  });

  it("done markers and renewals ride through too; a renewal that landed keeps the claim", async () => {
    const b = faultyBucket([]);
    const s = store(b.kv);
    const claim = await s.claim("order-4", "S:4");
    if (claim.status !== "claimed") throw new Error("not claimed");
    b.kv.update = wrap(b.kv.update.bind(b.kv), ["landed"]);
    await s.renew(claim.token);
    b.kv.update = wrap(b.kv.update.bind(b.kv), ["no-responders"]);
    await s.complete(claim.token);
    expect(b.stored("order-4")).toEqual({ s: "d" });
  });

  it("gives up after its bound with a DedupStoreError (the consumer then releases the message)", async () => {
    const b = faultyBucket(Array.from({ length: 100 }, () => "no-responders" as const));
    const started = Date.now();
    const error = await store(b.kv, 300)
      .claim("order-5", "S:5")
      .catch((e: unknown) => e);
    expect(isDedupStoreError(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(b.requests()).toBeGreaterThan(1);
  });
});

/** The same request function failing first as scripted. */
function wrap<A extends unknown[], R>(fn: (...args: A) => Promise<R>, faults: Fault[]) {
  return async (...args: A): Promise<R> => {
    const fault = faults.shift();
    if (fault === "no-responders") {
      throw new RequestError("no responders", { cause: new NoRespondersError("$KV.B") });
    }
    if (fault === "lost") throw new TimeoutError();
    const result = await fn(...args);
    if (fault === "landed") throw new TimeoutError();
    return result;
  };
}
