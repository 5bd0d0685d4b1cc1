import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadContract } from "../../src/spec/index.js";
import {
  parsedTexts,
  parseKnownTexts,
  type SpectralParser,
  spectralInternals,
} from "../../src/spec/spectral.js";
import { Workspace } from "../../src/spec/workspace.js";
import { fixture, repoPath } from "./helpers.js";

/**
 * Spectral is handed JSON that jetcontract made from data it parsed, and gets that data back
 * from its YAML parser instead of a second parse (spectral.ts, `parsedTexts`). That is only
 * sound if parsing such a text as Spectral does gives the same data: checked here on every
 * file of the specification's examples and of the test fixtures.
 */
function specFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) return name === "out" ? [] : specFiles(full);
      return /\.(ya?ml|json)$/i.test(name) ? [full] : [];
    })
    .sort();
}

const spectral = spectralInternals();
if (!spectral) throw new Error("Spectral's internals not found");
parseKnownTexts(spectral);
/** Spectral's own YAML parse, with its options (its `Yaml` may have been replaced). */
const spectralParse = (spectral.yaml as { parseYaml: SpectralParser["parse"] }).parseYaml;
const parser = spectral.yaml.Yaml as SpectralParser;

describe("data handed to Spectral with its text", () => {
  const files = [
    ...specFiles(repoPath("../shared/corpus/asyncapi-spec")),
    ...specFiles(fixture()),
    ...specFiles(repoPath("specs")),
  ];

  it("is what Spectral's YAML parser reads from the text, on every example and fixture", async () => {
    let texts = 0;
    for (const file of files) {
      const ws = new Workspace(path.dirname(file), undefined, false);
      await ws.loadRoot(file, file);
      await ws.loadReferences();
      for (const source of ws.files.values()) {
        if (source.value === undefined) continue;
        const text = JSON.stringify(source.value);
        if (text.includes('"<<":')) continue; // parsed as YAML (merge keys), see below
        const theirs = spectralParse(text);
        expect(theirs.diagnostics, file).toEqual([]);
        expect(JSON.stringify(theirs.data), file).toBe(JSON.stringify(JSON.parse(text)));
        expect(theirs.data, file).toEqual(JSON.parse(text));
        texts++;
      }
    }
    expect(texts).toBeGreaterThan(100);
  });

  it("is used only for the texts being validated, and not for a text with a `<<` key", () => {
    const text = JSON.stringify({ asyncapi: "3.0.0", info: { title: "t", version: "1" } });
    const merge = JSON.stringify({ a: { "<<": { b: 1 } } });
    expect(parser.parse(text)).toHaveProperty("ast"); // not handed over: parsed as YAML
    parsedTexts.add(text);
    parsedTexts.add(merge);
    try {
      const ours = parser.parse(text);
      expect(ours).not.toHaveProperty("ast");
      expect(ours).toEqual({ data: JSON.parse(text), diagnostics: [] });
      expect(parser.getLocationForJsonPath(ours as never, ["info"] as never)).toBeUndefined();
      expect(parser.parse(merge)).toEqual(spectralParse(merge));
    } finally {
      parsedTexts.delete(text);
      parsedTexts.delete(merge);
    }
  });

  it("is forgotten once a validation is over", async () => {
    const { problems } = await loadContract(repoPath("specs/orders.asyncapi.yaml"));
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(parsedTexts.size).toBe(0);
  });
});
