import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveJetStreamConfig } from "../../src/streams/derive.js";
import { planJetStream } from "../../src/streams/plan.js";
import { renderStreamFiles, type StreamFileFormat } from "../../src/streams/render.js";
import type { JetStreamConfig } from "../../src/streams/types.js";
import { type NatsServer, startNatsServer } from "../support/nats-server.js";
import { ordersContract } from "./support/contracts.js";
import { loadExample, ROOT } from "./support/example.js";

const GOLDEN_DIR = join(ROOT, "test/streams/golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

async function exampleConfig(): Promise<JetStreamConfig> {
  const { config, problems } = deriveJetStreamConfig(await loadExample());
  expect(problems).toEqual([]);
  if (!config) throw new Error("no config");
  return config;
}

describe("golden files of the example spec (UPDATE_GOLDEN=1 to regenerate)", () => {
  it.each<[StreamFileFormat, string]>([
    ["nack", "jetstream.nack.yaml"],
    ["terraform", "jetstream.tf"],
  ])("%s output matches %s", async (format, name) => {
    const { files } = await renderStreamFiles(await exampleConfig(), { format });
    expect(files.map((f) => f.path)).toEqual([name]);
    const content = files[0]?.content ?? "";
    const golden = join(GOLDEN_DIR, name);
    if (UPDATE) await writeFile(golden, content);
    expect(content).toBe(await readFile(golden, "utf8"));
  });

  it("the loader's model of the example derives what the hand-built model does", async () => {
    const strip = (c: JetStreamConfig) =>
      JSON.stringify(c, (k, v) => (k === "location" ? undefined : v));
    const fromHand = deriveJetStreamConfig(ordersContract()).config;
    if (!fromHand) throw new Error("no config");
    expect(strip(await exampleConfig())).toBe(strip(fromHand));
  });
});

describe("json files load into nats-server as the nats CLI sends them", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });

  it("the server accepts every file, and the result is what apply would make", async () => {
    const config = await exampleConfig();
    const { files } = await renderStreamFiles(config, { format: "json" });
    const request = async (subject: string, body: string) => {
      const reply = await nc.request(subject, body, { timeout: 5_000 });
      const answer = reply.json<{ error?: { description: string } }>();
      expect(answer.error, `${subject}: ${answer.error?.description}`).toBeUndefined();
    };
    // Streams first (nats stream add --config FILE), then consumers (nats consumer add STREAM --config FILE).
    for (const file of files.filter((f) => !f.path.startsWith("consumer."))) {
      const cfg = JSON.parse(file.content) as { name: string };
      await request(`$JS.API.STREAM.CREATE.${cfg.name}`, file.content);
    }
    for (const file of files.filter((f) => f.path.startsWith("consumer."))) {
      const [, stream] = file.path.split(".");
      const cfg = JSON.parse(file.content) as { durable_name: string };
      await request(
        `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.${cfg.durable_name}`,
        JSON.stringify({ stream_name: stream, config: cfg }),
      );
    }
    const plan = await planJetStream(nc, config);
    expect(plan.items.filter((i) => i.action !== "unchanged")).toEqual([]);
    expect(plan.items).toHaveLength(files.length);
  });
});
