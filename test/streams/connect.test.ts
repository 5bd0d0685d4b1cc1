import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectJetStream } from "../../src/streams/connect.js";
import { StreamsConnectionError } from "../../src/streams/errors.js";
import { type NatsServer, startNatsServer } from "../support/nats-server.js";

describe("connectJetStream", () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer({ extraArgs: ["--auth", "t0ken"] });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("authenticates with a token and reports the server version", async () => {
    const session = await connectJetStream({ server: server.url, token: "t0ken" });
    try {
      expect(session.nc.info?.version).toBe("2.9.10");
      expect((await session.jsm.getAccountInfo()).streams).toBe(0);
    } finally {
      await session.close();
    }
  });

  it("turns a wrong token into one StreamsConnectionError line", async () => {
    const failure = connectJetStream({ server: server.url, token: "wrong" });
    await expect(failure).rejects.toBeInstanceOf(StreamsConnectionError);
    await expect(failure).rejects.toThrow(
      `cannot connect to ${server.url}: authorization failed (Authorization Violation)`,
    );
  });

  it("names an unreadable credentials file", async () => {
    await expect(
      connectJetStream({ server: server.url, creds: "/nonexistent/ops.creds" }),
    ).rejects.toThrow(/^cannot read credentials file \/nonexistent\/ops\.creds: /);
  });
});
