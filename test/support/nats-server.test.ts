import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isListening, type NatsServer, startNatsServer } from "./nats-server.js";

describe("test nats-server harness", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it("stops and starts again on the same port", async () => {
    expect(await isListening(server.port)).toBe(true);
    await server.stop();
    expect(await isListening(server.port)).toBe(false);
    await server.start();
    expect(await isListening(server.port)).toBe(true);
  });
});
