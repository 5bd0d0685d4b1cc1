import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nkeys } from "@nats-io/transport-node";
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

describe("connectJetStream with an nkey seed file", () => {
  let server: NatsServer;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "jc-streams-nkey-"));
    const user = nkeys.createUser();
    await writeFile(join(dir, "user.nk"), `${new TextDecoder().decode(user.getSeed())}\n`);
    await writeFile(
      join(dir, "server.conf"),
      `authorization { users = [ { nkey: "${user.getPublicKey()}" } ] }\n`,
    );
    server = await startNatsServer({ extraArgs: ["-c", join(dir, "server.conf")] });
  });
  afterAll(async () => {
    await server?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("signs the server's nonce with the seed", async () => {
    const session = await connectJetStream({ server: server.url, nkey: join(dir, "user.nk") });
    await session.close();
    await expect(connectJetStream({ server: server.url })).rejects.toThrow(/authorization failed/);
  });
});

describe("connectJetStream over mutual TLS", () => {
  let server: NatsServer;
  let dir: string;
  const file = (name: string) => join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "jc-streams-tls-"));
    const openssl = (...args: string[]) => run("openssl", args, dir);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    await openssl(
      "req",
      "-x509",
      ...ec,
      "-days",
      "1",
      "-subj",
      "/CN=jc-test-ca",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
    );
    await writeFile(file("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    await writeFile(file("client.ext"), "extendedKeyUsage=clientAuth\n");
    for (const who of ["server", "client"]) {
      await openssl(
        "req",
        ...ec,
        "-subj",
        `/CN=${who}`,
        "-keyout",
        `${who}.key`,
        "-out",
        `${who}.csr`,
      );
      await openssl(
        "x509",
        "-req",
        "-in",
        `${who}.csr`,
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        `${who}.ext`,
        "-out",
        `${who}.pem`,
      );
    }
    server = await startNatsServer({
      extraArgs: [
        "--tlsverify",
        "--tlscert",
        file("server.pem"),
        "--tlskey",
        file("server.key"),
        "--tlscacert",
        file("ca.pem"),
      ],
    });
  });
  afterAll(async () => {
    await server?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("connects with the CA, client certificate and key", async () => {
    const session = await connectJetStream({
      server: server.url,
      tlsCa: file("ca.pem"),
      tlsCert: file("client.pem"),
      tlsKey: file("client.key"),
    });
    try {
      expect(session.nc.info?.tls_required).toBe(true);
      expect((await session.jsm.getAccountInfo()).streams).toBe(0);
    } finally {
      await session.close();
    }
  });

  it("is refused without a client certificate", async () => {
    const failure = connectJetStream({ server: server.url, tlsCa: file("ca.pem") });
    await expect(failure).rejects.toBeInstanceOf(StreamsConnectionError);
    await expect(failure).rejects.toThrow(
      `cannot connect to ${server.url}: the server refused the TLS handshake (does it require a client certificate? use --tls-cert and --tls-key)`,
    );
  });

  it("fails with one line without the CA", async () => {
    await expect(connectJetStream({ server: server.url })).rejects.toThrow(
      `cannot connect to ${server.url}: unable to verify the first certificate`,
    );
  });
});

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")}: ${stderr}`));
      else resolve();
    });
  });
}
