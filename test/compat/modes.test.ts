import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  checkCompatibility,
  diffContractHistory,
  diffContracts,
  diffFiles,
} from "../../src/compat/index.js";
import type { CompatibilityMode, Contract, JsonSchema, Message } from "../../src/model/types.js";

const loc = (pointer = "") => ({ file: "spec.yaml", line: 1, column: 1, pointer });

function message(id: string, payload: JsonSchema, mode?: CompatibilityMode): Message {
  return {
    id,
    name: id,
    contentType: "application/json",
    payload,
    compatibility: mode ?? "BACKWARD",
    compatibilityExplicit: mode !== undefined,
    examples: [],
    channelIds: [],
    location: loc(`/components/messages/${id}`),
  };
}

function contract(
  messages: Message[],
  defaultCompatibility: CompatibilityMode = "BACKWARD",
): Contract {
  return {
    asyncapiVersion: "3.0.0",
    info: { title: "t", version: "1" },
    files: ["spec.yaml"],
    defaultCompatibility,
    servers: [],
    streams: [],
    channels: [],
    messages,
    operations: [],
    location: loc(),
  };
}

const open = { type: "object", properties: { id: { type: "string" } } };
const withNote = {
  type: "object",
  properties: { id: { type: "string" }, note: { type: "string" } },
};

describe("modes", () => {
  it.each([
    ["BACKWARD", false],
    ["FORWARD", true],
    ["FULL", false],
    ["NONE", true],
  ] as const)("adding a typed property to an open object under %s: compatible=%s", (mode, ok) => {
    expect(checkCompatibility(open, withNote, mode).compatible).toBe(ok);
  });

  it.each([
    ["BACKWARD", true],
    ["FORWARD", false],
    ["FULL", false],
  ] as const)("removing it again under %s: compatible=%s", (mode, ok) => {
    expect(checkCompatibility(withNote, open, mode).compatible).toBe(ok);
  });

  it("judges each message under its own mode, the option overriding all", () => {
    const before = contract([message("A", open, "FORWARD"), message("B", open)]);
    const after = contract([message("A", withNote, "FORWARD"), message("B", withNote)]);
    const report = diffContracts(before, after);
    expect(report.messages.map((m) => [m.messageId, m.mode, m.modeSource, m.compatible])).toEqual([
      ["A", "FORWARD", "message", true],
      ["B", "BACKWARD", "default", false],
    ]);
    const forced = diffContracts(before, after, { mode: "FORWARD" });
    expect(forced.compatible).toBe(true);
    expect(forced.messages.every((m) => m.modeSource === "option")).toBe(true);
  });

  it("applies per-message overrides from configuration below --mode", () => {
    const before = contract([message("A", open), message("B", open)]);
    const after = contract([message("A", withNote), message("B", open)]);
    const report = diffContracts(before, after, { messageModes: { A: "NONE" } });
    expect(report.compatible).toBe(true);
    expect(report.messages[0]).toMatchObject({
      messageId: "A",
      mode: "NONE",
      modeSource: "config",
    });
  });

  it("checks transitive modes against every earlier version, others against the last", () => {
    const v1 = contract([message("A", { type: "object", properties: { n: { type: "integer" } } })]);
    const v2 = contract([message("A", { type: "object" })]);
    const v3 = contract([message("A", { type: "object", properties: { n: { type: "string" } } })]);
    const history = [
      { label: "v1", contract: v1 },
      { label: "v2", contract: v2 },
    ];
    // v2 -> v3 adds a typed property to an open object (breaking BACKWARD from v2 too), so use
    // FORWARD, where v2 -> v3 is fine but v1 -> v3 changes the type of n.
    const last = diffContractHistory(history, { label: "v3", contract: v3 }, { mode: "FORWARD" });
    expect(last.compatible).toBe(true);
    const all = diffContractHistory(
      history,
      { label: "v3", contract: v3 },
      {
        mode: "FORWARD_TRANSITIVE",
      },
    );
    expect(all.compatible).toBe(false);
    expect(all.changes.find((c) => c.level === "error")?.against).toBe("v1");
  });

  it("marks ignored changes and leaves them out of the verdict", () => {
    const before = contract([message("A", open)]);
    const after = contract([message("A", withNote)]);
    const report = diffContracts(before, after, {
      ignore: [
        { rule: "property-added-to-open-model", message: "A", reason: "readers ignore extras" },
      ],
    });
    expect(report.compatible).toBe(true);
    expect(report.changes[0]?.ignoredReason).toBe("readers ignore extras");
    const other = diffContracts(before, after, {
      ignore: [{ rule: "property-added-to-open-model", message: "B", reason: "other message" }],
    });
    expect(other.compatible).toBe(false);
  });
});

describe("plain JSON Schema files", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "jc-compat-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => writeFileSync(path.join(dir, name), text);

  it("compares them as one payload, with positions and local definitions", async () => {
    write(
      "old.json",
      `{\n  "type": "object",\n  "properties": {\n    "item": { "$ref": "#/definitions/Item" }\n  },\n  "definitions": {\n    "Item": { "type": "object", "properties": { "next": { "$ref": "#/definitions/Item" }, "qty": { "type": "integer" } } }\n  }\n}\n`,
    );
    write(
      "new.yaml",
      "type: object\nproperties:\n  item:\n    $ref: '#/$defs/Item'\n$defs:\n  Item:\n    type: object\n    properties:\n      next:\n        $ref: '#/$defs/Item'\n      qty:\n        type: number\n",
    );
    const report = await diffFiles([{ path: "old.json" }], { path: "new.yaml" }, { cwd: dir });
    expect(report.changes.map((c) => [c.ruleId, c.path])).toEqual([
      ["type-widened", "/properties/item/properties/qty"],
    ]);
    expect(report.compatible).toBe(true);
    expect(report.changes[0]?.location).toMatchObject({ file: "new.yaml", line: 12, column: 9 });
    const forward = await diffFiles(
      [{ path: "old.json" }],
      { path: "new.yaml" },
      {
        cwd: dir,
        mode: "FORWARD",
      },
    );
    expect(forward.compatible).toBe(false);
  });

  it("terminates on recursive schemas that differ inside the cycle", () => {
    const tree = (leaf: string): JsonSchema => ({
      $ref: "#/$defs/Node",
      $defs: {
        Node: {
          type: "object",
          properties: {
            value: { type: leaf },
            children: { type: "array", items: { $ref: "#/$defs/Node" } },
          },
        },
      },
    });
    const result = checkCompatibility(tree("integer"), tree("string"));
    expect(result.compatible).toBe(false);
    expect(result.changes.map((c) => c.path)).toEqual(["/properties/value"]);
  });
});
