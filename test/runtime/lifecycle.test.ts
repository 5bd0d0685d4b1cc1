/** Consumer and publisher lifecycles: missing resources, closed(), disposal. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigurationError,
  createConsumer,
  createPublisher,
  ensureConsumer,
  isPublishError,
  isStreamNotFoundForSubjectError,
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

let env: Env;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => {
  await env?.dispose();
});

describe("consumer lifecycle", () => {
  it("start() names a missing stream or durable and says how to create it", async () => {
    const n = names("lm");
    const noStream = createConsumer<Order>(env.nc, consumerDescriptor(n), () => undefined);
    const e1 = await noStream.start().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ConfigurationError);
    expect((e1 as Error).message).toBe(
      `stream ${n.stream} not found (consumer ${n.durable}): create it with \`jetcontract streams apply <contract>\``,
    );
    await makeStreams(env.nc, n);
    const noDurable = createConsumer<Order>(env.nc, consumerDescriptor(n), () => undefined);
    const e2 = await noDurable.start().catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(
      new RegExp(`^durable consumer ${n.durable} not found on stream ${n.stream}: .*streams apply`),
    );
  });

  it("closes by itself, with a reason, when its durable is deleted", async () => {
    const n = names("ld");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n);
    await ensureConsumer(env.nc, d);
    const consumer = env.track(createConsumer<Order>(env.nc, d, () => undefined));
    const event = consumer.events.once("closed");
    await consumer.start();
    await env.jsm.consumers.delete(n.stream, n.durable);
    const closed = await consumer.closed();
    expect(closed).toMatchObject({ reason: "consumer-not-found", consumer: n.durable });
    expect(await event).toBe(closed);
  });

  it("closes when its stream is deleted", async () => {
    const n = names("ls");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n);
    await ensureConsumer(env.nc, d);
    const consumer = env.track(createConsumer<Order>(env.nc, d, () => undefined));
    await consumer.start();
    await env.jsm.streams.delete(n.stream);
    expect((await consumer.closed()).reason).toMatch(/^(stream|consumer)-not-found$/);
  });

  it("`await using` stops the consumer and closed() says it was stopped", async () => {
    const n = names("lu");
    await makeStreams(env.nc, n);
    const d = consumerDescriptor(n);
    await ensureConsumer(env.nc, d);
    let closed: Promise<{ reason: string }> | undefined;
    {
      await using consumer = createConsumer<Order>(env.nc, d, () => undefined);
      await consumer.start();
      closed = consumer.closed();
    }
    expect((await closed).reason).toBe("stopped");
  });
});

describe("publisher lifecycle", () => {
  it("a missing stream names the stream of the contract and streams apply", async () => {
    const n = names("pm");
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    const error = await publisher.publish({ id: "A", qty: 1 }).catch((e: unknown) => e);
    expect(isStreamNotFoundForSubjectError(error)).toBe(true);
    expect((error as Error).message).toBe(
      `no stream captures subject ${n.subject} (the contract puts it in stream ${n.stream}): create it with \`jetcontract streams apply <contract>\``,
    );
  });

  it("close() waits for in-flight publishes and refuses new ones", async () => {
    const n = names("pc");
    await makeStreams(env.nc, n);
    const publisher = createPublisher<Order>(env.nc, publisherDescriptor(n));
    const inFlight = publisher.publish({ id: "A", qty: 1 });
    await publisher[Symbol.asyncDispose]();
    await expect(inFlight).resolves.toMatchObject({ seq: 1 });
    const refused = await publisher.publish({ id: "B", qty: 1 }).catch((e: unknown) => e);
    expect(isPublishError(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/is closed$/);
  });
});
