import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { diffFiles } from "../../src/compat/index.js";

/** The repository's example contract through the real loader. */
const spec = fileURLToPath(new URL("../../specs/orders.asyncapi.yaml", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "jc-compat-example-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function edited(edits: [string, string][]): string {
  let text = readFileSync(spec, "utf8");
  for (const [from, to] of edits) {
    expect(text).toContain(from);
    text = text.replace(from, to);
  }
  const file = path.join(dir, `orders-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  return file;
}

describe("the orders example contract", () => {
  it("is compatible with itself", async () => {
    const report = await diffFiles([{ path: spec }], { path: spec });
    expect(report.changes).toEqual([]);
    expect(report.messages.find((m) => m.messageId === "OrderPlaced")?.mode).toBe("FULL");
  });

  it("reports schema and contract changes under each message's mode", async () => {
    const changed = edited([
      ["              - out-of-stock\n", "              - out-of-stock\n              - fraud\n"],
      ["            maxLength: 500", "            maxLength: 200"],
      ["    address: orders.cancelled", "    address: orders.canceled"],
    ]);
    const report = await diffFiles([{ path: spec }], { path: changed });
    expect(report.compatible).toBe(false);
    expect(
      report.changes.map((c) => [
        c.ruleId,
        c.level,
        c.scope.kind === "message" ? c.path : c.scope.element,
      ]),
    ).toEqual([
      ["enum-extended", "info", "/properties/reason"],
      ["max-length-decreased", "error", "/properties/note/maxLength"],
      ["channel-address-changed", "error", "channel orderCancelled"],
    ]);
    const note = report.changes[1];
    expect(note?.location?.file).toBe(changed);
    // Model schemas carry their node's position (`x-jc-at`): the `note` schema starts at its
    // `type: string` line, just above the edited `maxLength`.
    const lines = readFileSync(changed, "utf8").split("\n");
    expect(note?.location?.line).toBe(lines.indexOf("            maxLength: 200"));
  });
});
