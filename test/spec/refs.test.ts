import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadContract } from "../../src/spec/index.js";
import { fixture, repoPath } from "./helpers.js";

/** A loopback HTTP server serving one schema, counting requests. */
let server: Server;
let base: string;
let requests: string[] = [];
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    if (req.url === "/order.json") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          type: "object",
          required: ["orderId"],
          properties: { orderId: { type: "string" } },
        }),
      );
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(path.join(tmpdir(), "jc-refs-"));
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function specWithRemote(url: string): Promise<string> {
  const file = path.join(
    dir,
    `remote-${requests.length}-${Math.random().toString(36).slice(2)}.yaml`,
  );
  await writeFile(
    file,
    `asyncapi: 3.0.0
info:
  title: Remote
  version: 1.0.0
channels:
  placed:
    address: orders.placed
    messages:
      placed:
        payload:
          $ref: '${url}'
`,
  );
  return file;
}

describe("remote references", () => {
  it("are refused by default, located at the $ref, and nothing is fetched", async () => {
    requests = [];
    const file = await specWithRemote(`${base}/order.json`);
    const { contract, problems } = await loadContract(file);
    expect(contract).toBeUndefined();
    expect(problems).toEqual([
      expect.objectContaining({
        ruleId: "remote-ref",
        severity: "error",
        location: expect.objectContaining({ file, line: 11, column: 11 }),
        message: expect.stringContaining("--allow-remote-refs"),
      }),
    ]);
    expect(requests).toEqual([]);
  });

  it("are fetched with allowRemoteRefs, and inlined into the model", async () => {
    requests = [];
    const file = await specWithRemote(`${base}/order.json`);
    const { contract, problems } = await loadContract(file, { allowRemoteRefs: true });
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    const payload = contract?.messages[0]?.payload as { properties?: object; "x-jc-name"?: string };
    expect(Object.keys(payload.properties ?? {})).toEqual(["orderId"]);
    expect(payload["x-jc-name"]).toBe("order");
    expect(requests).toContain("/order.json");
    expect(contract?.files).toContain(`${base}/order.json`);
  });

  it("a remote reference that cannot be fetched is a located error", async () => {
    const file = await specWithRemote(`${base}/missing.json`);
    const { problems } = await loadContract(file, { allowRemoteRefs: true });
    expect(problems).toEqual([
      expect.objectContaining({
        ruleId: "dangling-ref",
        location: expect.objectContaining({ line: 11 }),
        message: expect.stringContaining("HTTP 404"),
      }),
    ]);
  });

  it("the fixture with an https reference is refused without network", async () => {
    const { problems } = await loadContract(fixture("malformed", "remote-ref.yaml"));
    expect(problems.map((p) => p.ruleId)).toEqual(["remote-ref"]);
  });
});

describe("local references across files", () => {
  it("resolve against the referring file and are listed in files", async () => {
    const root = repoPath("specs/multi-file/asyncapi.yaml");
    const { contract, problems } = await loadContract(root);
    expect(problems).toEqual([]);
    expect(contract?.files).toEqual(
      [
        root,
        repoPath("specs/multi-file/messages.yaml"),
        repoPath("specs/multi-file/schemas/shipment.yaml"),
        repoPath("specs/multi-file/schemas/address.yaml"),
      ]
        .map((p) => path.relative(process.cwd(), p))
        .map((p, i) => (i === 0 ? root : p)),
    );
    const message = contract?.messages[0];
    expect(message?.id).toBe("ShipmentDispatched");
    expect(message?.location.file).toBe(
      path.relative(process.cwd(), repoPath("specs/multi-file/messages.yaml")),
    );
    const payload = message?.payload as { properties: Record<string, Record<string, unknown>> };
    const address = payload.properties.address;
    expect(address?.["x-jc-name"]).toBe("Address");
    expect(address?.["x-jc-at"]).toMatch(/schemas\/address\.yaml:2:3$/);
  });

  it("JSON pointer escapes ~0 and ~1 and percent-encoding are decoded", async () => {
    const file = path.join(dir, "escapes.yaml");
    await writeFile(
      file,
      `asyncapi: 3.0.0
info:
  title: Escapes
  version: 1.0.0
channels:
  placed:
    address: orders.placed
    messages:
      placed:
        payload:
          $ref: '#/components/schemas/a~1b~0c'
      other:
        payload:
          $ref: '#/components/schemas/with%20space'
components:
  schemas:
    a/b~c:
      type: string
    with space:
      type: integer
`,
    );
    const { contract, problems } = await loadContract(file);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    const byId = Object.fromEntries((contract?.messages ?? []).map((m) => [m.id, m.payload]));
    expect(byId["placed.placed"]).toMatchObject({ type: "string", "x-jc-name": "a/b~c" });
    expect(byId["placed.other"]).toMatchObject({ type: "integer", "x-jc-name": "with space" });
  });
});

afterAll(() => rm(dir, { recursive: true, force: true }));
