import { describe, expect, it } from "vitest";
import * as runtimeExports from "../../packages/runtime/src/index.js";
import { emitContract } from "../../src/codegen/index.js";
import { runtime } from "../../src/codegen/runtime-symbols.js";
import type { Contract, SourceLocation } from "../../src/model/types.js";
import { receive, send } from "../streams/support/contracts.js";

const at: SourceLocation = { file: "hand.yaml", line: 1, column: 1, pointer: "" };

/** A contract built by hand, without the loader: emitters read only the model. */
const contract: Contract = {
  asyncapiVersion: "3.0.0",
  info: { title: "Hand", version: "0.1.0" },
  files: ["hand.yaml"],
  defaultCompatibility: "BACKWARD",
  servers: [],
  streams: [],
  channels: [
    {
      id: "telemetry",
      address: "devices.{deviceId}.telemetry",
      subject: "devices.*.telemetry",
      parameters: [{ name: "deviceId", location: at }],
      stream: "TELEMETRY",
      messageIds: ["Reading"],
      isDeadLetter: false,
      location: at,
    },
    {
      id: "noAddress",
      address: null,
      subject: null,
      parameters: [],
      messageIds: ["Reading"],
      isDeadLetter: false,
      location: at,
    },
  ],
  messages: [
    {
      id: "Reading",
      name: "Reading",
      contentType: "application/json",
      payload: { type: "object", required: ["value"], properties: { value: { type: "number" } } },
      headers: {
        type: "object",
        required: ["x-device-seq"],
        properties: { "x-device-seq": { type: "string" } },
      },
      idempotencyKey: {
        parts: [
          {
            expression: "$message.header#/x-device-seq",
            source: "header",
            pointer: "/x-device-seq",
            path: ["x-device-seq"],
          },
        ],
        separator: ":",
        location: at,
      },
      compatibility: "BACKWARD",
      compatibilityExplicit: false,
      examples: [],
      channelIds: ["noAddress", "telemetry"],
      location: at,
    },
  ],
  operations: [
    send({ id: "report", channelId: "telemetry", messageIds: ["Reading"], location: at }),
    receive({ id: "ingest", channelId: "telemetry", messageIds: ["Reading"], location: at }),
    send({ id: "lost", channelId: "noAddress", messageIds: ["Reading"], location: at }),
    receive({
      id: "replay",
      channelId: "telemetry",
      messageIds: ["Reading"],
      consumer: {
        durable: "replayer",
        ackWaitMs: 10_000,
        maxAckPending: 10,
        concurrency: 1,
        handlerTimeoutMs: 5_000,
        deliverPolicy: "last",
        replicas: 0,
        memoryStorage: false,
        location: at,
      },
      location: at,
    }),
  ],
  location: at,
};

describe("emitContract on a hand-built model", () => {
  const { files, problems } = emitContract(contract, { source: "hand.yaml" });
  const file = (name: string) => files.find((f) => f.path === name)?.content ?? "";

  it("types parameters without an enum as string and keys from headers", () => {
    expect(file("types.ts")).toContain(
      "export interface TelemetrySubjectParams {\n  deviceId: string;\n}",
    );
    expect(file("descriptors.ts")).toContain(
      'idempotencyKey: (_payload, headers) => keyPart(headers, ["x-device-seq"]),',
    );
    expect(file("descriptors.ts")).toContain('subjectParams: ["deviceId"],');
  });

  it("writes the model's resolved policies into consumers that declare none", () => {
    const d = file("descriptors.ts");
    expect(d).toContain('durable: "ingest",');
    expect(d).toMatch(/retry: \{\n {4}maxAttempts: 5,\n {4}strategy: "exponential",/);
    expect(d).toContain('dedup: {\n    store: "none",\n  },');
  });

  it("carries the resolved deliver policy into every consumer descriptor", () => {
    const d = file("descriptors.ts");
    const replay = d.slice(d.indexOf('durable: "replayer"'));
    expect(replay).toMatch(/^durable: "replayer",[^;]*deliverPolicy: "last",/);
    const ingest = d.slice(d.indexOf('durable: "ingest"'), d.indexOf('durable: "replayer"'));
    expect(ingest).toContain('deliverPolicy: "all",');
  });

  it("types consumer factories' connection as the publishers' Connectable", () => {
    const c = file("consumers.ts");
    expect(c).toContain("export function createIngestConsumer(\n  conn: Connectable,\n  handler:");
    expect(c).toContain("return createConsumer(conn, ingestConsumerDescriptor, handler, options);");
    expect(c).not.toContain("ConsumerConnection");
  });

  it("reports what it could not generate as problems, at the operation", () => {
    expect(problems).toEqual([
      {
        ruleId: "jc-operation-not-generated",
        severity: "warning",
        message:
          "no publisher is generated for operation `lost`: its channel has no address, so there is no subject",
        location: at,
        file: at.file,
      },
    ]);
    expect(file("producers.ts")).not.toContain("Lost");
  });
});

describe("runtime symbol table", () => {
  it("names only values the runtime really exports", () => {
    for (const symbol of Object.values(runtime)) {
      if (symbol.typeOnly) continue;
      const value = (runtimeExports as Record<string, unknown>)[symbol.name];
      // Functions, and the ajv helpers that are objects (format tables, the URI parser).
      expect(["function", "object"]).toContain(typeof value);
      expect(value).toBeTruthy();
    }
  });
});
