import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadContract } from "../../src/spec/index.js";
import { fixture, repoPath } from "./helpers.js";

const schema = JSON.parse(readFileSync(repoPath("schema/annotations.schema.json"), "utf8"));
const base = readFileSync(fixture("base.asyncapi.yaml"), "utf8");
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "jc-annotations-"));
});

/** Loads the base fixture with the receive operation's `x-retry` block replaced. */
async function withReceiveAnnotations(yaml: string) {
  const text = base.replace("    x-retry:\n      maxAttempts: 3\n", yaml);
  expect(text).not.toBe(base);
  const file = path.join(dir, `spec-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  const result = await loadContract(file);
  const lines = text.split("\n");
  return { ...result, lineOf: (content: string) => lines.indexOf(content) + 1 };
}

describe("the shipped JSON Schema", () => {
  it("accepts the example documents as an editor would check them", () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    for (const file of [
      "specs/orders.asyncapi.yaml",
      "specs/orders.asyncapi-2.6.yaml",
      "specs/inventory.asyncapi-3.1.yaml",
    ]) {
      expect(
        validate(parseYaml(readFileSync(repoPath(file), "utf8"))),
        JSON.stringify(validate.errors),
      ).toBe(true);
    }
    expect(
      validate(parseYaml(readFileSync(fixture("malformed", "wrong-types.yaml"), "utf8"))),
    ).toBe(false);
  });

  it("documents a default or meaning for every annotation field", () => {
    for (const name of [
      "stream",
      "x-consumer",
      "x-retry",
      "x-dedup",
      "x-circuit-breaker",
      "x-monitor",
      "x-publish",
    ]) {
      const def = schema.definitions[name];
      for (const [key, field] of Object.entries(
        def.properties as Record<string, { description?: string }>,
      )) {
        if (["description", "store", "consecutiveFailures"].includes(key)) continue;
        expect(field.description, `${name}.${key}`).toBeTruthy();
      }
    }
  });
});

describe("annotation checks", () => {
  it.each([
    ["x-circuitbreaker", "x-circuit-breaker"],
    ["x-dedupe", "x-dedup"],
    ["x-retries", "x-retry"],
    ["x-consumers", "x-consumer"],
    ["x-breaker", "x-circuit-breaker"],
    ["x-dead-letter", "x-dlq"],
  ])("an unknown key close to ours is an error: %s → did you mean %s", async (typo, meant) => {
    const { problems, lineOf } = await withReceiveAnnotations(`    ${typo}: {}\n`);
    expect(problems).toContainEqual(
      expect.objectContaining({
        ruleId: "jc-annotation-unknown",
        message: `unknown annotation \`${typo}\`; did you mean \`${meant}\`?`,
        location: expect.objectContaining({ line: lineOf(`    ${typo}: {}`), column: 5 }),
      }),
    );
  });

  it("leaves other people's extensions alone", async () => {
    const { problems } = await withReceiveAnnotations(
      "    x-retry:\n      maxAttempts: 3\n    x-amazon-apigateway-integration: {}\n    x-internal: true\n",
    );
    expect(problems.filter((p) => p.ruleId.startsWith("jc-annotation"))).toEqual([]);
  });

  it("suggests the key meant inside an annotation", async () => {
    const { problems, lineOf } = await withReceiveAnnotations(
      "    x-retry:\n      maxAttempts: 3\n    x-consumer:\n      durabel: worker\n",
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        ruleId: "jc-annotation-invalid",
        message: "unknown key `durabel` in `x-consumer`; did you mean `durable`?",
        location: expect.objectContaining({ line: lineOf("      durabel: worker"), column: 7 }),
      }),
    );
  });

  it("says when a dedup field does not belong to the chosen store", async () => {
    const { problems } = await withReceiveAnnotations(
      "    x-retry:\n      maxAttempts: 3\n    x-dedup:\n      store: memory\n      bucket: orders\n",
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        ruleId: "jc-annotation-invalid",
        message: expect.stringContaining("`x-dedup.bucket` does not apply"),
      }),
    );
  });

  it("refuses more than 5 stream replicas (JetStream's limit) as an error", async () => {
    const text = base.replace("    ORDERS:\n", "    ORDERS:\n      replicas: 6\n");
    expect(text).not.toBe(base);
    const file = path.join(dir, "replicas.yaml");
    await writeFile(file, text);
    const { problems, contract } = await loadContract(file);
    expect(contract).toBeUndefined();
    expect(problems).toContainEqual(
      expect.objectContaining({
        ruleId: "jc-annotation-invalid",
        severity: "error",
        message: expect.stringContaining("5"),
        location: expect.objectContaining({
          line: text.split("\n").indexOf("      replicas: 6") + 1,
        }),
      }),
    );
  });

  it("reports every bad field at once (allErrors)", async () => {
    const { problems } = await withReceiveAnnotations(
      "    x-retry:\n      maxAttempts: 0\n      jitter: some\n      initialDelay: soon\n",
    );
    expect(problems.filter((p) => p.ruleId === "jc-annotation-invalid")).toHaveLength(3);
  });

  it("accepts a size as integer bytes", async () => {
    const text = base.replace(
      "        - orders.>\n",
      "        - orders.>\n      maxBytes: 1048576\n      maxMsgSize: 1MiB\n",
    );
    const file = path.join(dir, "sizes.yaml");
    await writeFile(file, text);
    const { contract, problems } = await loadContract(file);
    expect(problems).toEqual([]);
    expect(contract?.streams.find((s) => s.name === "ORDERS")).toMatchObject({
      maxBytes: 1_048_576,
      maxMsgSizeBytes: 1_048_576,
    });
  });
});

afterAll(() => rm(dir, { recursive: true, force: true }));
