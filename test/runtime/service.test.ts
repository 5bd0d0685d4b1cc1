/** createService: start, health as data and over HTTP, graceful stop on a signal. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createConsumer,
  createPublisher,
  createService,
  ensureConsumer,
  evaluateHealth,
} from "../../packages/runtime/src/index.js";
import {
  consumerDescriptor,
  type Env,
  makeStreams,
  names,
  type Order,
  publisherDescriptor,
  startEnv,
} from "./support.js";

describe("evaluateHealth", () => {
  const consumer = { durable: "d", stream: "S", running: true, inFlight: 0 };
  it.each([
    ["all running", { connection: "connected", consumers: [consumer] }, true, true],
    ["reconnecting", { connection: "reconnecting", consumers: [consumer] }, true, false],
    [
      "breaker open",
      { connection: "connected", consumers: [{ ...consumer, breaker: "open" }] },
      true,
      false,
    ],
    [
      "not started",
      { connection: "connected", consumers: [{ ...consumer, running: false }] },
      true,
      false,
    ],
    [
      "durable gone",
      {
        connection: "connected",
        consumers: [{ ...consumer, running: false, closed: "consumer-not-found" }],
      },
      false,
      false,
    ],
    ["connection closed", { connection: "closed", consumers: [consumer] }, false, false],
  ] as const)("%s", (_name, snapshot, live, ready) => {
    const h = evaluateHealth({ stopping: false, ...snapshot });
    expect([h.live, h.ready]).toEqual([live, ready]);
  });
});

describe("createService on a real server", () => {
  let env: Env;
  beforeAll(async () => {
    env = await startEnv();
  });
  afterAll(async () => {
    await env?.dispose();
  });

  it("serves health, and on a signal lets in-flight handlers finish, then drains", async () => {
    const n = names("sv");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n);
    await ensureConsumer(env.nc, d);
    const nc = await env.connect();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered: () => void = () => undefined;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const done: string[] = [];
    const consumer = createConsumer<Order>(nc, d, async (o) => {
      entered();
      await gate;
      done.push(o.id);
    });
    const service = createService({
      connection: nc,
      consumers: [consumer],
      signals: ["SIGUSR2"],
      health: { port: 0 },
    });
    await service.start();
    const ready = await fetch(`${service.healthUrl}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      live: true,
      ready: true,
      connection: "connected",
      consumers: [{ durable: n.durable, stream: n.stream, running: true, inFlight: 0 }],
    });

    await createPublisher<Order>(env.nc, publisherDescriptor(n)).publish({ id: "S1", qty: 1 });
    await inHandler;
    expect(service.health().consumers[0]?.inFlight).toBe(1);
    process.kill(process.pid, "SIGUSR2");
    // Stopping: not ready any more, while the handler still runs.
    await expect.poll(() => service.health().ready).toBe(false);
    expect(done).toEqual([]);
    release();
    await service.stopped;
    expect(done).toEqual(["S1"]);
    expect(nc.isClosed()).toBe(true);
    const info = await env.jsm.consumers.info(n.stream, n.durable);
    expect(info.num_ack_pending).toBe(0);
    await expect(fetch(`${service.healthUrl}/health/live`)).rejects.toThrow();
  });
});
