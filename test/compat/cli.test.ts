import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The CLI as a process (`npm test` builds dist/ before vitest runs). */
const bin = fileURLToPath(new URL("../../bin/jetcontract.js", import.meta.url));
const contractDir = fileURLToPath(new URL("./fixtures/contract/", import.meta.url));

function jc(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === "number" ? code : 1, out: stdout, err: stderr });
    });
  });
}

const dir = mkdtempSync(path.join(tmpdir(), "jc-diff-cli-"));
const write = (name: string, text: string) => {
  mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
  writeFileSync(path.join(dir, name), text);
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  write(
    "v1.yaml",
    "type: object\nproperties:\n  id:\n    type: string\n  note:\n    type: string\nadditionalProperties: false\n",
  );
  // v2 removes `note` from a closed object (breaks BACKWARD) and adds a format (a warning).
  write(
    "v2.yaml",
    "type: object\nproperties:\n  id:\n    type: string\nadditionalProperties: false\n",
  );
  write(
    "v3.yaml",
    "type: object\nproperties:\n  id:\n    type: string\n    format: uuid\n  note:\n    type: string\nadditionalProperties: false\n",
  );
  write(
    "v3plain.yaml",
    "type: object\nproperties:\n  id:\n    type: string\n  note:\n    type: string\nadditionalProperties: false\n",
  );
  write("pipe.yaml", "type: object\nproperties:\n  'a|b':\n    type: string\n");
  write("broken.yaml", "type: object\nproperties: [\n");
});

describe("jetcontract diff (process)", () => {
  it("exits 0 and says so for a compatible change", async () => {
    const r = await jc(["diff", "v2.yaml", "v1.yaml"], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/v1\.yaml vs v2\.yaml: compatible/);
  });

  it("exits 1 with file:line:col level rule-id, pointing into the old file for a removal", async () => {
    const r = await jc(["diff", "v1.yaml", "v2.yaml"], dir);
    expect(r.code).toBe(1);
    expect(r.out.split("\n")[0]).toBe(
      'v1.yaml:5:3 error property-removed-from-closed-model v2.yaml payload /properties/note: property "note" removed from a closed object: old data carrying it is rejected (breaks BACKWARD) To fix: keep the property (deprecate it instead), or allow it through `additionalProperties`; or accept it: ignore property-removed-from-closed-model with a reason in .jetcontract-diff.yaml, or release it as a new major version with --allow-major.',
    );
  });

  it("treats a format change as breaking by default, and as a warning with format: warn", async () => {
    const strictFormat = await jc(["diff", "v1.yaml", "v3.yaml"], dir);
    expect(strictFormat.code).toBe(1);
    expect(strictFormat.out).toMatch(/^v3\.yaml:5:5 error format-added /m);
    const cfgDir = path.join(dir, "format-warn");
    mkdirSync(cfgDir, { recursive: true });
    writeFileSync(path.join(cfgDir, ".jetcontract-diff.yaml"), "format: warn\n");
    const files = [path.join(dir, "v1.yaml"), path.join(dir, "v3.yaml")];
    expect((await jc(["diff", ...files], cfgDir)).code).toBe(0);
    const strict = await jc(["diff", ...files, "--fail-on", "warning"], cfgDir);
    expect(strict.code).toBe(1);
    expect(strict.out).toMatch(/v3\.yaml:5:5 warning format-added /m);
  });

  it("writes a JUnit report with a failing test case per breaking message", async () => {
    const r = await jc(["diff", "v1.yaml", "v2.yaml", "--format", "junit"], dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(r.out).toContain('<testsuites name="jetcontract diff" tests="2" failures="1">');
    expect(r.out).toMatch(
      /<testcase classname="jetcontract.diff" name="message v2.yaml">\n\s+<failure type="property-removed-from-closed-model" message="v1.yaml:5:3 property &quot;note&quot; removed/,
    );
    const ok = await jc(["diff", "v2.yaml", "v1.yaml", "--format", "junit"], dir);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('failures="0"');
    expect(ok.out).not.toContain("<failure");
  });

  it("refuses --allow-major for plain JSON Schema files, which have no info.version", async () => {
    const r = await jc(["diff", "v1.yaml", "v2.yaml", "--allow-major"], dir);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toBe(
      "jetcontract diff: --allow-major compares info.version, which plain JSON Schema files do not have: use it with AsyncAPI documents",
    );
  });

  it("writes JSON, Markdown and GitHub annotations", async () => {
    const json = await jc(["diff", "v1.yaml", "v2.yaml", "--format", "json"], dir);
    const report = JSON.parse(json.out) as { compatible: boolean; changes: { ruleId: string }[] };
    expect(report.compatible).toBe(false);
    expect(report.changes.map((c) => c.ruleId)).toContain("property-removed-from-closed-model");

    const md = await jc(["diff", "v1.yaml", "pipe.yaml", "--format", "markdown"], dir);
    expect(md.out).toContain("| Message | Mode | Result | Breaking | Warnings | Other |");
    expect(md.out).toContain('property "a\\|b" added to a closed object');
    expect(md.out).not.toMatch(/\| property "a\|b"/);

    const gh = await jc(["diff", "v1.yaml", "v2.yaml", "--format", "github"], dir);
    expect(gh.out.split("\n")[0]).toMatch(
      /^::error file=v1\.yaml,line=5,col=3,title=jetcontract property-removed-from-closed-model::v2\.yaml payload \/properties\/note: /,
    );
    expect(gh.code).toBe(1);
  });

  it("exits 2 for a missing file, 1 for a parse error or a mixed pair, with one clean line", async () => {
    const missing = await jc(["diff", "v1.yaml", "nope.yaml"], dir);
    expect(missing.code).toBe(2);
    expect(missing.err.trim()).toBe("jetcontract diff: cannot read nope.yaml: no such file");
    const broken = await jc(["diff", "v1.yaml", "broken.yaml"], dir);
    expect(broken.code).toBe(1);
    expect(broken.err.trim().split("\n")).toHaveLength(1);
    expect(broken.err).toMatch(/broken\.yaml:\d+:\d+: cannot parse/);
    const mixed = await jc(["diff", path.join(contractDir, "previous.yaml"), "v1.yaml"], dir);
    expect(mixed.code).toBe(1);
    expect(mixed.err).toMatch(/cannot compare an AsyncAPI document with a plain JSON Schema/);
  });

  it.each([
    [
      "a scalar root",
      '"x"\n',
      /scalar\.yaml:1:1: a JSON Schema must be an object or a boolean, found a string/,
    ],
    [
      "a list root",
      "[1, 2]\n",
      /list\.yaml:1:1: a JSON Schema must be an object or a boolean, found a list/,
    ],
    [
      "a cyclic alias",
      "properties: &a1\n  x:\n    type: *a1\n",
      /cyclic\.yaml:3:11: the alias \*a1 refers to a node that contains it/,
    ],
    [
      "nesting past the parser's stack (2,000 levels, found by the fuzzer)",
      `${'{"items":'.repeat(2000)}{}${"}".repeat(2000)}\n`,
      /deep\.yaml:1:\d+: nested deeper than 256 levels/,
    ],
  ])("refuses %s with a located message and exit 1", async (_what, text, message) => {
    const name = String(message.source.match(/^(\w+)/)?.[1]);
    write(`${name}.yaml`, text);
    const r = await jc(["diff", "v1.yaml", `${name}.yaml`], dir);
    expect(r.code).toBe(1);
    expect(r.err.trim().split("\n")).toHaveLength(1);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/weak map|call stack|TypeError|\bat \//i);
  });

  it("compares a $defs entry that includes itself through allOf, without overflowing", async () => {
    const self = (type: string) =>
      `$defs:\n  A:\n    allOf: [{ $ref: "#/$defs/A" }]\n    type: ${type}\n$ref: "#/$defs/A"\n`;
    write("self-object.yaml", self("object"));
    write("self-string.yaml", self("string"));
    const same = await jc(["diff", "self-object.yaml", "self-object.yaml"], dir);
    expect(same.code).toBe(0);
    const changed = await jc(["diff", "self-object.yaml", "self-string.yaml"], dir);
    expect(changed.code).toBe(1);
    expect(changed.out).toMatch(/error type-changed/);
    expect(changed.err).toBe("");
  });

  it("compares a property that refers to itself through oneOf (fuzz seed 20261201, case 791)", async () => {
    const total = (extra: string) =>
      `type: object\nproperties:\n  total:\n    type: number\n    minimum: 0\n${extra}`;
    write("total.yaml", total(""));
    write(
      "total-self.yaml",
      total('    oneOf: [{ $ref: "#/properties/total" }, { type: string }]\n'),
    );
    const added = await jc(["diff", "total.yaml", "total-self.yaml"], dir);
    expect(added.code).toBe(1);
    expect(added.out).toMatch(/error self-reference-added/);
    expect(added.err).toBe("");
    const removed = await jc(["diff", "total-self.yaml", "total.yaml", "--mode", "FORWARD"], dir);
    expect(removed.code).toBe(1);
    expect(removed.out).toMatch(/error self-reference-removed/);
    expect(removed.err).toBe("");
  });

  it("names the file and the reason when --history or --config cannot be read", async () => {
    const history = await jc(["diff", "v1.yaml", "--history", "/nope.yaml"], dir);
    expect(history.code).toBe(2);
    expect(history.err.trim()).toBe("jetcontract diff: cannot read /nope.yaml: no such file");
    const config = await jc(["diff", "v1.yaml", "v2.yaml", "--config", "/nope.yaml"], dir);
    expect(config.code).toBe(2);
    expect(config.err.trim()).toBe("jetcontract diff: --config /nope.yaml: no such file");
  });

  it("checks earlier versions given with --history under transitive modes", async () => {
    // v1 -> v2 -> v1: against v2 alone adding `note` back to a closed object is compatible,
    // but v2 is not compatible with v1 FORWARD... use BACKWARD: v3 vs v2 ok, vs v1 ok; so
    // compare v2 (history v1, then v3): v3 -> v2 drops note (breaking vs v1 and v3).
    const last = await jc(["diff", "v3plain.yaml", "v2.yaml", "--mode", "FORWARD"], dir);
    expect(last.code).toBe(0);
    const transitive = await jc(
      ["diff", "v3plain.yaml", "v2.yaml", "--history", "v1.yaml", "--mode", "BACKWARD_TRANSITIVE"],
      dir,
    );
    expect(transitive.code).toBe(1);
    expect(transitive.out).toMatch(/\[vs v1\.yaml\]/);
  });

  it("honours a configuration file: ignore with a reason, and rejects unknown keys", async () => {
    const cfgDir = path.join(dir, "configured");
    mkdirSync(cfgDir, { recursive: true });
    writeFileSync(
      path.join(cfgDir, ".jetcontract-diff.yaml"),
      "ignore:\n  - rule: property-removed-from-closed-model\n    reason: no producer ever set note\n",
    );
    const r = await jc(["diff", "../v1.yaml", "../v2.yaml"], cfgDir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("(ignored: no producer ever set note)");
    writeFileSync(
      path.join(dir, "bad.yaml"),
      "ignore:\n  - rule: property-removed-from-closed-model\n    reasn: typo\n",
    );
    const bad = await jc(["diff", "v1.yaml", "v2.yaml", "--config", "bad.yaml"], dir);
    expect(bad.code).toBe(2);
    expect(bad.err.trim()).toBe(
      'jetcontract diff: bad.yaml:3:5: unknown key "reasn"; did you mean "reason"? (allowed: rule, message, reason)',
    );
  });
});

describe("jetcontract diff --against (temporary git repository)", () => {
  const repo = path.join(dir, "repo");
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: repo,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "t",
        GIT_AUTHOR_EMAIL: "t@example.com",
        GIT_COMMITTER_NAME: "t",
        GIT_COMMITTER_EMAIL: "t@example.com",
      },
    });

  beforeAll(() => {
    mkdirSync(path.join(repo, "specs"), { recursive: true });
    git("init", "-q");
    writeFileSync(
      path.join(repo, "specs", "shop.yaml"),
      [
        "asyncapi: 3.0.0",
        "info: { title: Shop, version: 1.0.0 }",
        "channels:",
        "  orderPlaced:",
        "    address: shop.orders.placed",
        "    messages:",
        "      orderPlaced:",
        "        $ref: '#/components/messages/OrderPlaced'",
        "components:",
        "  messages:",
        "    OrderPlaced:",
        "      payload:",
        "        $ref: './order.schema.yaml'",
        "",
      ].join("\n"),
    );
    writeFileSync(
      path.join(repo, "specs", "order.schema.yaml"),
      "type: object\nproperties:\n  orderId:\n    type: string\n",
    );
    git("add", ".");
    git("commit", "-qm", "v1");
    // Working tree: the referenced schema now requires a new property.
    writeFileSync(
      path.join(repo, "specs", "order.schema.yaml"),
      "type: object\nrequired: [total]\nproperties:\n  orderId:\n    type: string\n  total:\n    type: integer\n",
    );
  });

  it("reads the file and its local $refs at the revision", async () => {
    const r = await jc(["diff", "specs/shop.yaml", "--against", "HEAD"], repo);
    expect(r.err).toBe("");
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /^specs\/order\.schema\.yaml:\d+:\d+ error required-property-added OrderPlaced payload \/required\/total: /m,
    );
    expect(r.out).toContain("specs/shop.yaml vs HEAD:specs/shop.yaml: NOT compatible");
  });

  it("exits 2 for an unknown revision", async () => {
    const r = await jc(["diff", "specs/shop.yaml", "--against", "no-such-branch"], repo);
    expect(r.code).toBe(2);
    expect(r.err.trim()).toMatch(/unknown git revision "no-such-branch"/);
  });
});
