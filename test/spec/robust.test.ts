import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { loadContract } from "../../src/spec/index.js";
import { MAX_NESTING_DEPTH, walk } from "../../src/spec/walk.js";
import { fixture } from "./helpers.js";

/**
 * Issue 15: each minimal hostile input gets one clean message of ours, at the offending node,
 * and exit 1 ("your input is wrong"), quickly. The CLI runs in-process.
 */
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "jc-robust-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const HEAD = 'asyncapi: 3.0.0\ninfo: {title: t, version: "1"}\n';
/** JavaScript's own words, which must never reach a user. */
const INTERNAL =
  /TypeError|RangeError|ReferenceError|Maximum call stack|is not a function|Cannot read propert|Invalid string length|uncaught|\n\s+at /;

async function validate(name: string, text: string, ...flags: string[]) {
  const file = path.join(dir, name);
  await writeFile(file, text);
  let output = "";
  const code = await main(["validate", name, ...flags], {
    cwd: dir,
    out: (t) => {
      output += `${t}\n`;
    },
    err: (t) => {
      output += `${t}\n`;
    },
  });
  expect(output).not.toMatch(INTERNAL);
  return { code, output };
}

describe("issue 15: hostile inputs get our message, located, exit 1", () => {
  it("cause 1: a YAML alias inside its own anchor", async () => {
    const r = await validate("loop.yaml", `${HEAD}x-loop: &a\n  self: *a\n`);
    expect(r.code).toBe(1);
    expect(r.output).toContain("loop.yaml:4:9 error yaml-alias-cycle");
    expect(r.output).toContain("(/x-loop)");
  });

  it("cause 1: an alias cycle deeper down, in a referenced file too", async () => {
    await writeFile(path.join(dir, "cyc.yaml"), "A:\n  items: &x\n    - n: *x\n");
    const r = await validate(
      "cyc-root.yaml",
      `${HEAD}components:\n  schemas:\n    S:\n      $ref: './cyc.yaml#/A'\n`,
    );
    expect(r.code).toBe(1);
    expect(r.output).toContain("cyc.yaml:3:10 error yaml-alias-cycle");
  });

  it("cause 2: deep nesting never reaches the parser's exponential post-processing", {
    timeout: 60_000,
  }, async () => {
    // 60 nested lists took the parser's `parse` hours (2^60 visits); validation alone is linear.
    const lists = `{"asyncapi":"3.0.0","info":{"title":"t","version":"1"},"x-deep":${"[".repeat(60)}${"]".repeat(60)}}`;
    const r = await validate("lists.json", lists);
    expect(r.code).toBe(1);
    expect(r.output).toContain("lists.json:1:56 error jc-annotation-unknown");
    let schema: unknown = { type: "string" };
    for (let i = 0; i < 50; i++) schema = { oneOf: [schema, { type: "integer" }] };
    const doc = { asyncapi: "3.0.0", info: { title: "t", version: "1" } };
    const oneOf = await validate(
      "oneof.json",
      JSON.stringify({ ...doc, components: { schemas: { S: schema } } }),
    );
    expect(oneOf.output).toContain("1 file valid");
    expect(oneOf.code).toBe(0);
  });

  it("cause 6: nesting past the limit, in JSON, block YAML and through aliases", async () => {
    const deep = MAX_NESTING_DEPTH + 10;
    const json = await validate(
      "deep.json",
      `{"asyncapi":"3.0.0","info":{"title":"t","version":"1"},"x-deep":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    );
    expect(json.code).toBe(1);
    // At the first list past the limit: the first list (level 1) is at column 65.
    expect(json.output).toContain(`deep.json:1:${64 + MAX_NESTING_DEPTH} error nesting-too-deep`);
    const block = `${HEAD}x-deep:${Array.from({ length: deep }, (_, i) => `\n${" ".repeat(i + 1)}k${i}:`).join("")} 1\n`;
    const yaml = await validate("deep.yaml", block);
    expect(yaml.code).toBe(1);
    expect(yaml.output).toMatch(/deep\.yaml:\d+:\d+ error nesting-too-deep/);
    // Each alias adds 100 levels of nesting the text does not show.
    let aliases = `${HEAD}`;
    for (let i = 0; i < 4; i++) {
      aliases += `x-a${i}: &a${i} ${"[".repeat(100)}${i === 0 ? "1" : `*a${i - 1}`}${"]".repeat(100)}\n`;
    }
    const viaAliases = await validate("aliases.yaml", aliases);
    expect(viaAliases.code).toBe(1);
    expect(viaAliases.output).toMatch(/aliases\.yaml:\d+:\d+ error nesting-too-deep/);
  });

  it.each([
    ["in an x- key", "x-thing:\n  $ref: 1\n", "4:9", "not the number `1`"],
    ["null", "x-thing:\n  $ref: null\n", "4:9", "not null"],
    ["a mapping", "x-thing:\n  $ref: {a: 1}\n", "4:9", "not a mapping"],
    [
      "in x-dlq.channel",
      "operations:\n  r:\n    action: receive\n    channel: {$ref: '#/channels/c'}\n    x-dlq:\n      channel:\n        $ref: [1]\n",
      "9:15",
      "not a list",
    ],
    [
      "a schema property named $ref",
      "components:\n  schemas:\n    S:\n      type: object\n      properties:\n        $ref:\n          type: string\n",
      "9:11",
      "a property named `$ref`",
    ],
  ])("cause 7: a non-string $ref %s", async (_name, body, at, says) => {
    const r = await validate("ref.yaml", `${HEAD}${body}`);
    expect(r.code).toBe(1);
    expect(r.output).toContain(`ref.yaml:${at} error invalid-ref`);
    expect(r.output).toContain(says);
  });

  it("cause 8: YAML tags that make values JSON cannot hold", async () => {
    const binary = await validate(
      "binary.yaml",
      'asyncapi: 2.6.0\nid: !!binary aGVsbG8=\ninfo: {title: t, version: "1"}\nchannels: {}\n',
    );
    expect(binary.code).toBe(1);
    expect(binary.output).toContain(
      "binary.yaml:2:14 error not-json-value the YAML tag `!!binary`",
    );
    const inf = await validate("inf.yaml", `${HEAD}x-n: .inf\n`);
    expect(inf.output).toContain(
      "inf.yaml:3:6 error not-json-value `Infinity` is not a JSON number",
    );
    // An unknown tag is only a name: the value stays a string.
    const { problems } = await loadContract(path.join(dir, "inf.yaml"), {
      readFile: async () => 'asyncapi: 3.0.0\ninfo: {title: !custom t, version: "1"}\n',
    });
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
  });

  it("cause 9: /dev/zero, devices and files outside the spec's folder are not read", async () => {
    const spec = `${HEAD}components:\n  schemas:\n    S:\n      $ref: /dev/zero\n`;
    const refused = await validate("zero.yaml", spec);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("zero.yaml:6:7 error outside-ref");
    expect(refused.output).toContain("--allow-outside-refs");
    const allowed = await validate("zero.yaml", spec, "--allow-outside-refs");
    expect(allowed.code).toBe(1);
    expect(allowed.output).toContain("/dev/zero is not a regular file");
    // A symbolic link inside the folder counts where it leads.
    await symlink("/dev/zero", path.join(dir, "zero-link.yaml")).catch(() => undefined);
    const linked = await validate("link.yaml", spec.replace("/dev/zero", "./zero-link.yaml"));
    expect(linked.output).toContain("link.yaml:6:7 error outside-ref");
    const parent = await validate("parent.yaml", spec.replace("/dev/zero", "../x.yaml"));
    expect(parent.output).toContain("parent.yaml:6:7 error outside-ref");
  });

  it("cause 9: text past the size cap from a reader hook is refused", async () => {
    const { problems } = await loadContract("big.yaml", {
      cwd: dir,
      readFile: async () => `${HEAD}x-pad: "${"x".repeat(64 * 1024 * 1024)}"\n`,
    });
    expect(problems).toEqual([
      expect.objectContaining({
        ruleId: "file-unreadable",
        message: expect.stringContaining("larger than 64 MiB"),
      }),
    ]);
  });

  it("reads UTF-16 files with a byte-order mark, and drops a UTF-8 one", async () => {
    const text = `${HEAD}channels: {}\n`;
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    const be = Buffer.from(le).swap16();
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    for (const [name, bytes] of [
      ["le.yaml", le],
      ["be.yaml", be],
      ["bom.yaml", bom],
    ] as const) {
      await writeFile(path.join(dir, name), bytes);
      const { problems } = await loadContract(path.join(dir, name));
      expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    }
  });
});

describe("issue 9 item 4: a pointer that goes through a $ref", () => {
  it("resolves local and cross-file, as the reference parser does", async () => {
    const { contract, problems } = await loadContract(fixture("through-ref", "asyncapi.yaml"));
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    const ops = contract?.operations ?? [];
    expect(ops.map((o) => [o.id, o.channelId, o.messageIds])).toEqual([
      ["receiveEcho", "echo", ["Echo"]],
      ["sendEcho", "echo", ["Echo"]],
    ]);
    const message = contract?.messages.find((m) => m.id === "Echo");
    expect(message?.location?.file).toMatch(/commons\/messages\.yml$/);
  });

  it("a pointer that goes through a $ref and finds nothing names the file it looked in", async () => {
    const { problems } = await loadContract(fixture("through-ref", "dangling.yaml"));
    expect(problems).toEqual([
      expect.objectContaining({
        ruleId: "dangling-ref",
        message: expect.stringMatching(
          /\/channels\/echo\/messages\/nope does not exist in .*commons\/channels\.yml$/,
        ),
        location: expect.objectContaining({ line: 14, column: 9 }),
      }),
    ]);
  });

  it("a pointer that goes through itself is a cycle, not a hang", async () => {
    const r = await validate("through-loop.yaml", `${HEAD}x-a:\n  $ref: '#/x-a/b'\n`);
    expect(r.code).toBe(1);
    expect(r.output).toContain("through-loop.yaml:4:3 error ref-cycle");
  });
});

describe("problems from the AsyncAPI parser are located at the node", () => {
  it("inside a file reached through a pointer that goes through a $ref", async () => {
    await mkdir(path.join(dir, "loc"), { recursive: true });
    await writeFile(
      path.join(dir, "loc", "chan.yml"),
      "channels:\n  echo:\n    address: 5\n    messages:\n      echo:\n        payload:\n          type: object\n        bogus: 1\n",
    );
    const r = await validate(
      "loc/root.yaml",
      `${HEAD}channels:\n  echo:\n    $ref: './chan.yml#/channels/echo'\noperations:\n  s:\n    action: send\n    channel:\n      $ref: '#/channels/echo'\n    messages:\n      - $ref: '#/channels/echo/messages/echo'\n`,
    );
    expect(r.code).toBe(1);
    const lines = r.output.split("\n").filter((l) => l.includes(" error "));
    expect(lines).toEqual([
      'loc/chan.yml:3:5 error asyncapi-schema "address" property type must be string,null',
      'loc/chan.yml:8:9 error asyncapi-schema Property "bogus" is not expected to be here',
    ]);
  });
});

describe("walk", () => {
  it("stops at a value that contains itself and at the depth limit, without recursion", () => {
    const loop: Record<string, unknown> = { a: [1] };
    (loop.a as unknown[]).push({ back: loop });
    const seen: string[] = [];
    expect(walk(loop, ({ pointer }) => seen.push(pointer) > 0)).toEqual([
      { kind: "cycle", pointer: "/a/1/back", target: "" },
    ]);
    expect(seen).toEqual(["", "/a", "/a/0", "/a/1"]);
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(walk(deep, () => true)).toEqual([
      { kind: "too-deep", pointer: `/${Array(MAX_NESTING_DEPTH).fill("0").join("/")}` },
    ]);
  });
});
