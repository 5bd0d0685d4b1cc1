import {
  type Consumer,
  type ConsumerMessages,
  JetStreamApiError,
  type JsMsg,
} from "@nats-io/jetstream";
import {
  ClosedConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
} from "@nats-io/nats-core";
import { ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { describe, expect, it, vi } from "vitest";
import { baseDelayMs, seededRandom } from "../../packages/runtime/src/backoff.js";
import { PullLoop } from "../../packages/runtime/src/consumer/puller.js";
import { ConsumerTracing } from "../../packages/runtime/src/consumer/tracing.js";
import { MemoryDedupStore } from "../../packages/runtime/src/dedup/memory.js";
import { msToNanos, nanosToMs } from "../../packages/runtime/src/duration.js";
import {
  BusinessRuleError,
  backoffDelayMs,
  CircuitBreaker,
  type ConsumerDescriptor,
  consumerConfigFor,
  createBackoff,
  errorClassName,
  fillSubject,
  HandlerTimeoutError,
  isBusinessRuleError,
  isPermanentError,
  isTransientError,
  PermanentError,
  type RetryPolicy,
  SchemaValidationError,
  TransientError,
} from "../../packages/runtime/src/index.js";
import { consumerUpdate, managedOwner } from "../../packages/runtime/src/internal.js";
import { LruTtlMap } from "../../packages/runtime/src/lru.js";
import { classifyPublishFailure } from "../../packages/runtime/src/publisher.js";
import { destinationTemplate } from "../../packages/runtime/src/semconv.js";
import { creationLinks } from "../../packages/runtime/src/telemetry.js";

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  maxAttempts: 5,
  strategy: "exponential",
  initialDelayMs: 100,
  maxDelayMs: 1_000,
  multiplier: 2,
  jitter: "none",
  ...over,
});

describe("backoff", () => {
  it.each([
    ["fixed", [100, 100, 100, 100]],
    ["linear", [100, 200, 300, 400]],
    ["exponential", [100, 200, 400, 800]],
  ] as const)("%s base delays", (strategy, want) => {
    expect([1, 2, 3, 4].map((r) => baseDelayMs(policy({ strategy }), r))).toEqual(want);
  });

  it("caps at maxDelayMs", () => {
    expect(baseDelayMs(policy(), 10)).toBe(1_000);
    expect(baseDelayMs(policy({ strategy: "linear" }), 50)).toBe(1_000);
  });

  it("explicit delays override the strategy and the last repeats", () => {
    const p = policy({ delaysMs: [5, 50, 500], jitter: "full" });
    expect([1, 2, 3, 4, 9].map((r) => backoffDelayMs(p, r, () => 0))).toEqual([
      5, 50, 500, 500, 500,
    ]);
  });

  const jitterBounds = [
    ["none", (base: number): [number, number] => [base, base]],
    ["full", (base: number): [number, number] => [0, base]],
    ["equal", (base: number): [number, number] => [base / 2, base]],
  ] as const;
  it.each(jitterBounds)("%s jitter stays within bounds and spreads", (jitter, bounds) => {
    const random = seededRandom(42);
    const p = policy({ jitter });
    for (let retry = 1; retry <= 6; retry++) {
      const base = baseDelayMs(p, retry);
      const [lo, hi] = bounds(base);
      const samples = Array.from({ length: 2_000 }, () => backoffDelayMs(p, retry, random));
      for (const s of samples) {
        expect(s).toBeGreaterThanOrEqual(Math.floor(lo));
        expect(s).toBeLessThanOrEqual(Math.ceil(hi));
      }
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      // Uniform over [lo, hi]: the mean is the midpoint, within 5% of the base.
      expect(Math.abs(mean - (lo + hi) / 2)).toBeLessThanOrEqual(base * 0.05 + 1);
      if (jitter !== "none") expect(new Set(samples).size).toBeGreaterThan(10);
    }
  });

  it("decorrelated jitter stays within [initial, min(max, 3 × previous)]", () => {
    const random = seededRandom(7);
    const p = policy({ jitter: "decorrelated" });
    let b = createBackoff(p, random);
    let previous = p.initialDelayMs;
    const seen: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      expect(b.delayMs).toBeGreaterThanOrEqual(p.initialDelayMs);
      expect(b.delayMs).toBeLessThanOrEqual(Math.min(p.maxDelayMs, previous * 3) + 1);
      seen.push(b.delayMs);
      previous = b.delayMs;
      b = b.next();
    }
    expect(Math.max(...seen)).toBeGreaterThan(800);
  });

  it("random source extremes give the bounds exactly", () => {
    const p = policy({ jitter: "full" });
    expect(backoffDelayMs(p, 3, () => 0)).toBe(0);
    expect(backoffDelayMs(p, 3, () => 0.999999)).toBe(400);
    expect(backoffDelayMs(policy({ jitter: "equal" }), 3, () => 0)).toBe(200);
  });
});

describe("durations", () => {
  it("converts ms and ns in one place", () => {
    expect(msToNanos(1_500)).toBe(1_500_000_000);
    expect(nanosToMs(2_000_000)).toBe(2);
  });
});

describe("errors", () => {
  it("classifies by class and guards across copies by a global brand", () => {
    const biz = new BusinessRuleError("no stock", "stock", { cause: new Error("x") });
    expect(isPermanentError(biz)).toBe(true);
    expect(isBusinessRuleError(biz)).toBe(true);
    expect(isTransientError(biz)).toBe(false);
    expect(biz.cause).toBeInstanceOf(Error);
    expect(isPermanentError(new SchemaValidationError("bad", []))).toBe(true);
    expect(isTransientError(new HandlerTimeoutError(5))).toBe(true);
    expect(new TransientError("later", { retryAfterMs: 42 }).retryAfterMs).toBe(42);
    // Another copy of the module (a second install, a bundle): the brand is a global symbol.
    class PermanentErrorCopy extends Error {}
    Object.defineProperty(
      PermanentErrorCopy.prototype,
      Symbol.for("@jetcontract/runtime.PermanentError"),
      {
        value: true,
      },
    );
    expect(isPermanentError(new PermanentErrorCopy("x"))).toBe(true);
    // A minifier renaming the class changes nothing; a look-alike name is not a brand.
    class PermanentError2 extends Error {}
    Object.defineProperty(PermanentError2, "name", { value: "PermanentError" });
    expect(isPermanentError(new PermanentError2("x"))).toBe(false);
    expect(isPermanentError(new Error("x"))).toBe(false);
    expect(errorClassName(new PermanentError("p"))).toBe("PermanentError");
    expect(errorClassName(new TypeError("t"))).toBe("TypeError");
  });

  it("names the failing paths and keywords of a schema failure, the first five", () => {
    const issue = (instancePath: string, message: string, keyword: string) => ({
      instancePath,
      message,
      keyword,
    });
    const e = new SchemaValidationError("OrderCreated does not match its schema", [
      issue("/lines/0/qty", "must be >= 1", "minimum"),
      issue("", "must have required property 'currency'", "required"),
    ]);
    expect(e.message).toBe(
      "OrderCreated does not match its schema: /lines/0/qty must be >= 1 (minimum); / must have required property 'currency' (required)",
    );
    expect(e.issues).toHaveLength(2);
    const many = new SchemaValidationError(
      "x",
      Array.from({ length: 8 }, (_, i) => issue(`/a/${i}`, "must be string", "type")),
    );
    expect(many.message).toMatch(/\/a\/4 must be string \(type\); and 3 more$/);
    expect(many.message).not.toContain("/a/5");
  });

  it("classifies publish failures by nats.js class and JetStream API code", () => {
    const api = (err_code: number, code: number) =>
      new JetStreamApiError({ err_code, code, description: "api" });
    expect(classifyPublishFailure(new TimeoutError())).toBe("transient");
    expect(classifyPublishFailure(new NoRespondersError("$JS.API"))).toBe("no-responders");
    // What the JetStream client throws on no responders: a wrapper with the RequestError as cause.
    const wrapped = new Error("jetstream is not enabled", {
      cause: new RequestError("no responders", { cause: new NoRespondersError("orders.x") }),
    });
    expect(classifyPublishFailure(wrapped)).toBe("no-responders");
    expect(classifyPublishFailure(api(10071, 400))).toBe("expectation");
    expect(classifyPublishFailure(api(10070, 400))).toBe("expectation");
    expect(classifyPublishFailure(api(10008, 503))).toBe("transient");
    expect(classifyPublishFailure(api(10000, 429))).toBe("transient");
    expect(classifyPublishFailure(api(10054, 400))).toBe("rejected");
    expect(classifyPublishFailure(new ClosedConnectionError())).toBe("rejected");
    // Look-alike classes (not nats.js's) are not mistaken for them.
    class ClosedConnectionErrorLookalike extends Error {}
    Object.defineProperty(ClosedConnectionErrorLookalike, "name", {
      value: "ClosedConnectionError",
    });
    expect(classifyPublishFailure(new ClosedConnectionErrorLookalike())).toBe("transient");
  });
});

describe("destinationTemplate", () => {
  it("names a subject's * tokens from the channel parameters (low-cardinality span names)", () => {
    expect(destinationTemplate("payments.*.captured", ["region"])).toBe(
      "payments.{region}.captured",
    );
    expect(destinationTemplate("a.*.b.*", ["x"])).toBe("a.{x}.b.*");
    expect(destinationTemplate("orders.placed")).toBe("orders.placed");
  });
});

describe("fillSubject", () => {
  it("fills * tokens by position or name and refuses unsafe values", () => {
    expect(fillSubject("orders.*.created.*", ["eu", "web"])).toBe("orders.eu.created.web");
    expect(fillSubject("orders.*.created", { region: "us" }, ["region"])).toBe("orders.us.created");
    expect(() => fillSubject("orders.*.created", ["a.b"])).toThrow(RangeError);
    expect(() => fillSubject("orders.*.created", [])).toThrow(RangeError);
  });
});

describe("LruTtlMap", () => {
  it("evicts the least recently used beyond maxEntries", () => {
    const m = new LruTtlMap<string, number>(2, 1_000, () => 0);
    m.set("a", 1);
    m.set("b", 2);
    m.get("a");
    m.set("c", 3);
    expect(m.get("b")).toBeUndefined();
    expect(m.get("a")).toBe(1);
    expect(m.get("c")).toBe(3);
    expect(m.size).toBe(2);
  });

  it("expires entries after the TTL", () => {
    let now = 0;
    const m = new LruTtlMap<string, number>(10, 100, () => now);
    m.set("a", 1);
    now = 99;
    expect(m.get("a")).toBe(1);
    now = 100;
    expect(m.get("a")).toBeUndefined();
    expect(m.size).toBe(0);
  });

  it("lists live entries oldest first without refreshing them", () => {
    let now = 0;
    const m = new LruTtlMap<string, number>(10, 100, () => now);
    m.set("a", 1);
    m.set("b", 2, 50);
    m.set("c", 3);
    expect([...m.entries()]).toEqual([
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ]);
    now = 60;
    expect([...m.entries()]).toEqual([
      ["a", 1],
      ["c", 3],
    ]);
    m.set("d", 4);
    expect([...m.entries()].map(([k]) => k)).toEqual(["a", "c", "d"]);
  });

  it("keeps recency, eviction and deletion consistent over many operations", () => {
    // A plain model (an array, oldest first) replayed against the map: 20,000 random operations.
    const m = new LruTtlMap<number, number>(50, 1_000, () => 0);
    const model: Array<[number, number]> = [];
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const key = rand(120);
      const at = model.findIndex(([k]) => k === key);
      const op = rand(3);
      if (op === 0) {
        m.set(key, i);
        if (at >= 0) model.splice(at, 1);
        model.push([key, i]);
        if (model.length > 50) model.shift();
      } else if (op === 1) {
        const expected = at >= 0 ? model[at]?.[1] : undefined;
        expect(m.get(key)).toBe(expected);
        if (at >= 0) model.push(...model.splice(at, 1));
      } else {
        expect(m.delete(key)).toBe(at >= 0);
        if (at >= 0) model.splice(at, 1);
      }
    }
    expect([...m.entries()]).toEqual(model);
    expect(m.size).toBe(model.length);
    for (const [k] of m.entries()) m.delete(k);
    expect(m.size).toBe(0);
    m.set(1, 1);
    expect([...m.entries()]).toEqual([[1, 1]]);
  });
});

describe("ConsumerTracing.needsContext", () => {
  it("activates the process span when it records or carries the producer's trace, not otherwise", () => {
    const tracing = new ConsumerTracing("orders.created", {}, "ORDERS");
    // An unsampled trace from the producer: the handler's own publishes must pass it on.
    const unsampled = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: "1".repeat(32),
      spanId: "2".repeat(16),
      traceFlags: 0,
      isRemote: true,
    });
    const carried = { creation: unsampled, links: creationLinks(unsampled), recording: false };
    expect(carried.links).toHaveLength(1);
    expect(tracing.needsContext(carried)).toBe(true);
    expect(tracing.needsContext({ creation: ROOT_CONTEXT, links: [], recording: true })).toBe(true);
    // No trace and nothing recording: the span is the invalid one, activating it changes nothing.
    expect(tracing.needsContext({ creation: ROOT_CONTEXT, links: [], recording: false })).toBe(
      false,
    );
  });
});

describe("MemoryDedupStore", () => {
  it("claims once, reports busy while leased, done after complete, reclaims after lease", () => {
    let now = 0;
    const store = new MemoryDedupStore({
      maxEntries: 10,
      ttlMs: 1_000,
      leaseMs: 50,
      now: () => now,
    });
    const first = store.claim("k");
    expect(first.status).toBe("claimed");
    expect(store.claim("k")).toEqual({ status: "busy", retryAfterMs: 50 });
    now = 60; // holder died: lease over
    const second = store.claim("k");
    expect(second.status).toBe("claimed");
    if (second.status !== "claimed") throw new Error("unreachable");
    store.complete(second.token);
    expect(store.claim("k")).toEqual({ status: "done" });
    now = 60 + 1_000;
    expect(store.claim("k").status).toBe("claimed");
  });

  it("release makes the key claimable at once", () => {
    const store = new MemoryDedupStore({ maxEntries: 10, ttlMs: 1_000 });
    const c = store.claim("k");
    if (c.status !== "claimed") throw new Error("expected claim");
    store.release(c.token);
    expect(store.claim("k").status).toBe("claimed");
  });
});

describe("CircuitBreaker", () => {
  it("opens after consecutive failures, half-opens after the delay, closes after probes", () => {
    let now = 0;
    const changes: string[] = [];
    const b = new CircuitBreaker(
      { open: { kind: "consecutive", failures: 3 }, halfOpenAfterMs: 100, halfOpenProbes: 2 },
      (s, p) => changes.push(`${p}->${s}`),
      () => now,
    );
    b.onFailure();
    b.onFailure();
    b.onSuccess(); // resets the run
    b.onFailure();
    b.onFailure();
    expect(b.state).toBe("closed");
    b.onFailure();
    expect(b.state).toBe("open");
    expect(b.tryAcquire()).toBe(false);
    expect(b.msUntilHalfOpen()).toBe(100);
    now = 100;
    expect(b.state).toBe("half-open");
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    b.onNeutral(); // a probe that told nothing frees its slot
    expect(b.tryAcquire()).toBe(true);
    b.onSuccess();
    expect(b.state).toBe("half-open");
    b.onSuccess();
    expect(b.state).toBe("closed");
    expect(changes).toEqual(["closed->open", "open->half-open", "half-open->closed"]);
  });

  it("a failed probe opens again", () => {
    let now = 0;
    const b = new CircuitBreaker(
      { open: { kind: "consecutive", failures: 1 }, halfOpenAfterMs: 10, halfOpenProbes: 1 },
      () => {},
      () => now,
    );
    b.onFailure();
    now = 10;
    expect(b.tryAcquire()).toBe(true);
    b.onFailure();
    expect(b.state).toBe("open");
    expect(b.msUntilHalfOpen()).toBe(10);
  });

  it("opens on a failure ratio over the window once minCalls is reached", () => {
    let now = 0;
    const b = new CircuitBreaker(
      {
        open: { kind: "ratio", failureRatio: 0.5, windowMs: 1_000, minCalls: 4 },
        halfOpenAfterMs: 100,
        halfOpenProbes: 1,
      },
      () => {},
      () => now,
    );
    b.onFailure();
    b.onFailure();
    b.onSuccess();
    expect(b.state).toBe("closed"); // 3 calls < minCalls
    now = 2_000; // the old calls leave the window
    b.onSuccess();
    b.onSuccess();
    b.onFailure();
    expect(b.state).toBe("closed"); // 1/3 in window, below minCalls
    b.onFailure();
    expect(b.state).toBe("open"); // 2/4 = 0.5
  });
});

describe("consumerConfigFor", () => {
  const descriptor: ConsumerDescriptor<unknown> = {
    operationId: "op",
    stream: "S",
    durable: "d",
    subject: "orders.created",
    message: { name: "M" },
    retry: policy({ maxAttempts: 4, jitter: "full" }),
    dedup: { store: "none" },
    concurrency: 8,
    handlerTimeoutMs: 1_000,
    ackWaitMs: 5_000,
    maxAckPending: 64,
  };

  it("derives a durable pull consumer: explicit ack, ns durations, no server backoff", () => {
    const c = consumerConfigFor(descriptor);
    expect(c).toEqual({
      durable_name: "d",
      description: "",
      deliver_policy: "all",
      ack_policy: "explicit",
      ack_wait: 5_000_000_000,
      max_deliver: 14,
      filter_subject: "orders.created",
      replay_policy: "instant",
      max_ack_pending: 64,
    });
    // The contract's delays are the runtime's nak delays alone: a server backoff would add to them.
    expect("backoff" in c).toBe(false);
  });

  it("keeps an explicit maxAckPending below the concurrency (a limit across processes)", () => {
    expect(consumerConfigFor({ ...descriptor, maxAckPending: 2 }).max_ack_pending).toBe(2);
  });

  it("marks the owner in the description and the metadata", () => {
    const c = consumerConfigFor({ ...descriptor, description: " Fulfils ", managedBy: "Orders" });
    expect(c.description).toBe("Fulfils [managed by jetcontract: Orders]");
    expect(managedOwner(c.description)).toBe("Orders");
    expect(c.metadata).toEqual({ "jetcontract.owner": "Orders" });
  });

  it("an update leaves the fixed fields out and clears a backoff left on the server", () => {
    const update = consumerUpdate(consumerConfigFor(descriptor));
    expect(update).not.toHaveProperty("durable_name");
    expect(update).not.toHaveProperty("deliver_policy");
    expect(update).not.toHaveProperty("ack_policy");
    expect(update.backoff).toEqual([]);
  });

  it("takes the deliver policy from the descriptor (default all)", () => {
    expect(consumerConfigFor(descriptor).deliver_policy).toBe("all");
    expect(consumerConfigFor({ ...descriptor, deliverPolicy: "new" }).deliver_policy).toBe("new");
    expect(consumerConfigFor({ ...descriptor, deliverPolicy: "last" }).deliver_policy).toBe("last");
  });
});

describe("PullLoop", () => {
  /** A consumer whose fetch delivers `count` messages, to the callback or (ignoring it) not. */
  function fakeConsumer(count: number, honoursCallback: boolean): Consumer {
    return {
      fetch: async (opts: { callback?: (m: JsMsg) => void }) => {
        if (honoursCallback) for (let i = 1; i <= count; i++) opts.callback?.({ seq: i } as JsMsg);
        return {
          close: async () => undefined,
          closed: async () => undefined,
          getReceived: () => count,
        } as unknown as ConsumerMessages;
      },
    } as unknown as Consumer;
  }

  /** One pull of 3 messages; resolves once the pull has ended (its slots are free again). */
  async function onePull(consumer: Consumer) {
    const dispatched: number[] = [];
    const errors: unknown[] = [];
    let pulls = 0;
    let freed = false;
    const loop = new PullLoop(consumer, {
      expiresMs: 1_000,
      want: (requested) => {
        if (pulls === 1 && requested === 0) freed = true; // the first pull ended
        return pulls++ === 0 ? 3 : 0;
      },
      idleMs: () => undefined,
      dispatch: (m) => dispatched.push(m.seq),
      onError: (e) => errors.push(e),
      onIdle: () => undefined,
    });
    loop.start();
    await vi.waitFor(() => expect(freed || errors.length > 0).toBe(true));
    await loop.stop();
    await loop.ended();
    return { dispatched, errors };
  }

  it("hands every fetched message to dispatch through the fetch callback", async () => {
    expect(await onePull(fakeConsumer(3, true))).toEqual({ dispatched: [1, 2, 3], errors: [] });
  });

  it("reports a nats.js that ignored the callback instead of leaving its messages unread", async () => {
    const { dispatched, errors } = await onePull(fakeConsumer(3, false));
    expect(dispatched).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/does not hand fetched messages to a callback/);
  });
});
