import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadContract } from "../../src/spec/index.js";
import { deriveJetStreamConfig } from "../../src/streams/derive.js";
import { renderStreamFiles } from "../../src/streams/render.js";
import type { JetStreamConfig } from "../../src/streams/types.js";
import { ROOT } from "./support/example.js";

/** The cluster settings of a contract, in each output format. */
describe("cluster layout in the stream files", () => {
  let config: JetStreamConfig;
  beforeAll(async () => {
    const loaded = await loadContract(join(ROOT, "test/streams/fixtures/cluster.asyncapi.yaml"));
    if (!loaded.contract) throw new Error("fixture does not load");
    const derived = deriveJetStreamConfig(loaded.contract);
    if (!derived.config) throw new Error("fixture does not derive");
    config = derived.config;
  });

  const file = async (format: "json" | "nack" | "terraform", path: string) => {
    const out = await renderStreamFiles(config, { format });
    const found = out.files.find((f) => f.path === path);
    if (!found) throw new Error(`no ${path} in ${out.files.map((f) => f.path).join(", ")}`);
    return found.content;
  };

  it("writes placement, mirror, sources, consumer replicas and bucket replicas as JetStream API JSON", async () => {
    const orders = JSON.parse(await file("json", "stream.ORDERS.json"));
    expect(orders).toMatchObject({ num_replicas: 3, placement: { cluster: "jc" } });
    const archive = JSON.parse(await file("json", "stream.ORDERS_ARCHIVE.json"));
    expect(archive.mirror).toEqual({ name: "ORDERS" });
    expect(archive).not.toHaveProperty("duplicate_window");
    const audit = JSON.parse(await file("json", "stream.ORDERS_AUDIT.json"));
    expect(audit.sources).toEqual([{ name: "ORDERS", filter_subject: "orders.placed" }]);
    const bucket = JSON.parse(await file("json", "kv.KV_handler_dedup.json"));
    expect(bucket.num_replicas).toBe(3);
    const consumer = JSON.parse(await file("json", "consumer.ORDERS.handler.json"));
    expect(consumer.mem_storage).toBe(true);
    expect(consumer).not.toHaveProperty("num_replicas");
  });

  it("writes them as NACK resources", async () => {
    const docs = parseAllDocuments(await file("nack", "jetstream.nack.yaml")).map((d) => d.toJS());
    const spec = (kind: string, name: string) =>
      docs.find(
        (d) => d?.kind === kind && (d.spec.name ?? d.spec.bucket ?? d.spec.durableName) === name,
      )?.spec;
    expect(spec("Stream", "ORDERS")).toMatchObject({ replicas: 3, placement: { cluster: "jc" } });
    expect(spec("Stream", "ORDERS_ARCHIVE").mirror).toEqual({ name: "ORDERS" });
    expect(spec("Stream", "ORDERS_ARCHIVE")).not.toHaveProperty("subjects");
    expect(spec("Stream", "ORDERS_AUDIT").sources).toEqual([
      { name: "ORDERS", filterSubject: "orders.placed" },
    ]);
    expect(spec("KeyValue", "handler_dedup")).toMatchObject({ replicas: 3, storage: "file" });
    expect(spec("Consumer", "handler")).toMatchObject({ memStorage: true });
  });

  it("writes them as Terraform resources", async () => {
    const tf = await file("terraform", "jetstream.tf");
    expect(tf).toContain('placement_cluster = "jc"');
    expect(tf).toMatch(/mirror \{\n\s+name = "ORDERS"\n\s+\}/);
    expect(tf).toMatch(
      /source \{\n\s+name {11}= "ORDERS"\n\s+filter_subject = "orders.placed"\n\s+\}/,
    );
    expect(tf).toMatch(/resource "jetstream_kv_bucket" "handler_dedup" \{[^}]*replicas {4}= 3/);
    expect(tf).toMatch(/resource "jetstream_consumer" "ORDERS_handler" \{[^}]*memory {10}= true/);
  });
});

/**
 * `terraform fmt`'s rule: in a run of attribute lines (no blank line, block or comment between),
 * every `=` stands one space after the longest name. Checked with terraform 1.x on this output.
 */
function misalignedHcl(text: string): string[] {
  const bad: string[] = [];
  let group: Array<{ line: string; indent: number; name: string; eq: number }> = [];
  const close = () => {
    const width = Math.max(0, ...group.map((g) => g.name.length));
    for (const g of group) if (g.eq !== g.indent + width + 1) bad.push(g.line);
    group = [];
  };
  for (const line of text.split("\n")) {
    const m = /^( *)([a-z_]+)( +)= /.exec(line);
    if (!m) {
      close();
      continue;
    }
    const indent = (m[1] ?? "").length;
    if (group.length > 0 && group[0]?.indent !== indent) close();
    group.push({ line, indent, name: m[2] ?? "", eq: line.indexOf("=") });
  }
  close();
  return bad;
}

describe("Terraform layout", () => {
  it("lines up every attribute group as terraform fmt does, whatever placement, mirror and sources hold", async () => {
    const loaded = await loadContract(
      join(ROOT, "test/streams/fixtures/cluster-variants.asyncapi.yaml"),
    );
    const config = loaded.contract && deriveJetStreamConfig(loaded.contract).config;
    if (!config) throw new Error("fixture does not derive");
    const out = await renderStreamFiles(config, { format: "terraform" });
    const tf = out.files.find((f) => f.path === "jetstream.tf")?.content ?? "";
    expect(tf).toContain('  placement_cluster = "jc"\n  placement_tags    = ["eu", "ssd"]\n');
    expect(tf).toContain('  placement_tags = ["hdd"]\n');
    expect(tf).toMatch(/source \{\n {4}name {6}= "ORDERS_DLQ"\n {4}start_seq = 5\n/);
    expect(misalignedHcl(tf)).toEqual([]);
    expect(misalignedHcl('  name = "a"\n  filter_subject = "b"\n')).toHaveLength(1); // the check bites
  });
});
