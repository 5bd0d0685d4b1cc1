import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type CompiledValidator, loadCompiled } from "../../src/spec/compiled.js";
import {
  ANNOTATIONS_COMPILED,
  annotationRefs,
  annotationsAjv,
  annotationsKey,
} from "../../src/spec/rules/annotation-schema.js";
import {
  type CompileFn,
  RULESET_CHECKED,
  specSchemas,
  spectralInternals,
  withCheckedRuleset,
} from "../../src/spec/spectral.js";
import { fixture, repoPath } from "./helpers.js";

/**
 * The validators `npm run build` compiles ahead (dist/spec/compiled) must be the ones a run
 * would compile: for the same data, the same verdict and the same errors, in order. The
 * build's files are loaded from dist (the tests run after the build); the sources, run here,
 * have none and compile at run time (the AsyncAPI schemas through Spectral's own ajv).
 */
const DIST = repoPath("dist/spec/compiled");

function files(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? files(full) : [full];
    })
    .filter((f) => /\.(ya?ml|json)$/i.test(f))
    .sort();
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Every container of a value with its path. */
function containers(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  return [at, ...entries.flatMap(([k, v]) => containers(v, [...at, k]))];
}

/**
 * The value and variants of it with one change each at randomly chosen places: a member
 * replaced by a value of another type, removed, or joined by an unknown key.
 */
function* mutants(value: unknown, seed: number, count: number): Generator<unknown> {
  yield value;
  const random = rng(seed);
  const places = containers(value);
  const replacements: unknown[] = [42, "text", true, null, [], {}, [1, "a"], { bogus: 1 }];
  for (let i = 0; i < count && places.length > 0; i++) {
    const copy = structuredClone(value);
    const place = places[Math.floor(random() * places.length)] as (string | number)[];
    let node = copy as Record<string | number, unknown>;
    for (const key of place) node = node[key] as Record<string | number, unknown>;
    const keys = Object.keys(node);
    const key = keys[Math.floor(random() * keys.length)];
    const choice = random();
    if (key === undefined || choice < 0.15) node["x-bogus" === key ? "bogus2" : "bogus"] = 1;
    else if (choice < 0.3 && !Array.isArray(node)) delete node[key];
    else node[key] = replacements[Math.floor(random() * replacements.length)];
    yield copy;
  }
}

/** What a validator says about each value: its verdict and errors, read right after the call. */
function verdicts(validate: CompiledValidator, values: readonly unknown[]): unknown[] {
  return values.map((value) => {
    const ok = validate(value);
    return { ok, errors: ok ? null : structuredClone(validate.errors) };
  });
}

describe("work the build does ahead (dist/spec/compiled)", () => {
  const spectral = spectralInternals();

  it("are current for the installed packages", () => {
    expect(spectral).toBeDefined();
    for (const version of ["2.6.0", "3.0.0", "3.1.0"]) {
      expect(
        loadCompiled(`asyncapi-${version}`, spectral?.key ?? "", spectral?.require, DIST),
      ).toBeDefined();
    }
    expect(loadCompiled(ANNOTATIONS_COMPILED, annotationsKey(), undefined, DIST)).toBeDefined();
    expect(loadCompiled(RULESET_CHECKED, spectral?.key ?? "", spectral?.require, DIST)).toEqual({
      checked: true,
    });
    // A file compiled for other packages is not used.
    expect(
      loadCompiled("asyncapi-3.0.0", "other versions", spectral?.require, DIST),
    ).toBeUndefined();
  });

  it("a parser made with its checked ruleset skips Spectral's check only while it is made", () => {
    if (!spectral) throw new Error("Spectral's internals not found");
    const check = () =>
      (spectral.assertions.assertValidRuleset as (ruleset: unknown, format: string) => void)(
        { rules: { r: { given: 42 } } },
        "js",
      );
    expect(check).toThrow();
    expect(withCheckedRuleset(spectral, () => check())).toBeUndefined();
    expect(check).toThrow();
  });

  const corpus = files(repoPath("../shared/corpus/asyncapi-spec")).map(
    (f) => parse(readFileSync(f, "utf8")) as Record<string, unknown>,
  );
  const cases = [
    ...corpus,
    // 3.1.0 documents: the 3.0.0 examples under the newer version.
    ...corpus.filter((d) => d.asyncapi === "3.0.0").map((d) => ({ ...d, asyncapi: "3.1.0" })),
  ];

  it.each(["2.6.0", "3.0.0", "3.1.0"])(
    "AsyncAPI %s: the same verdicts as Spectral's own compile, on valid and broken documents",
    { timeout: 120_000 },
    async (version) => {
      if (!spectral) throw new Error("Spectral's internals not found");
      const compiled = loadCompiled(`asyncapi-${version}`, spectral.key, spectral.require, DIST);
      const documents = cases.filter((d) => d.asyncapi === version);
      expect(documents.length).toBeGreaterThan(3);
      const values = documents.flatMap((d, i) => [...mutants(d, i + 1, 40)]);
      const compile = (spectral.ajvModule.createAjvInstances as () => CompileFn)();
      for (const [variant, schema] of await specSchemas(spectral, version)) {
        const atRunTime = compile(schema, "draft7", true) as CompiledValidator;
        const ahead = compiled?.[variant] as CompiledValidator;
        expect(ahead).not.toBe(atRunTime);
        const expected = verdicts(atRunTime, values);
        expect(expected.filter((v) => !(v as { ok: boolean }).ok).length).toBeGreaterThan(
          values.length / 2,
        );
        expect(verdicts(ahead, values)).toEqual(expected);
      }
    },
  );

  it("annotations: the same verdicts as compiling the vocabulary at run time", () => {
    const compiled = loadCompiled(ANNOTATIONS_COMPILED, annotationsKey(), undefined, DIST);
    const annotations = [...files(fixture("rules")), ...files(repoPath("specs"))].flatMap((f) =>
      xValues(parse(readFileSync(f, "utf8"))),
    );
    expect(annotations.length).toBeGreaterThan(20);
    const values = annotations.flatMap((v, i) => [...mutants(v, i + 1, 5)]);
    const ajv = annotationsAjv();
    for (const [name, ref] of Object.entries(annotationRefs())) {
      const atRunTime = ajv.getSchema(ref) as CompiledValidator;
      expect(verdicts(compiled?.[name] as CompiledValidator, values)).toEqual(
        verdicts(atRunTime, values),
      );
    }
  });
});

/** Every value of an `x-` key in a document. */
function xValues(value: unknown): unknown[] {
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k.startsWith("x-") ? [v] : []),
    ...xValues(v),
  ]);
}
