import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { getAt, parsePointer, toPointer } from "../../src/spec/pointer.js";
import { parseSource } from "../../src/spec/source.js";
import { MAX_NESTING_DEPTH, walk } from "../../src/spec/walk.js";

/** Property tests of the loader's pure pieces: pointers, the walk, parseSource. */
const SEED = 20261201;
const params = { seed: SEED, numRuns: 300 };

/** JSON values, with keys that need pointer escaping (`~`, `/`) and keys like `$ref` or `__proto__`. */
const key = fc.oneof(
  fc.string(),
  fc.constantFrom("~", "/", "~1", "a/b~c", "$ref", "__proto__", "constructor", "0", ""),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.string(),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4 }).filter((d) => !Object.hasOwn(d, "$ref")),
  ),
})).value;

describe("pointer", () => {
  it("parsePointer(toPointer(segments)) gives the segments back", () => {
    fc.assert(
      fc.property(fc.array(key), (segments) => {
        expect(parsePointer(toPointer(segments))).toEqual(segments);
      }),
      params,
    );
  });
});

describe("walk", () => {
  it("visits every value of a tree once, at a pointer that leads back to it", () => {
    fc.assert(
      fc.property(json, (value) => {
        const seen: string[] = [];
        const issues = walk(value, ({ value: v, pointer }) => {
          seen.push(pointer);
          const hit = getAt(value, parsePointer(pointer) ?? []);
          expect(hit.found).toBe(true);
          expect(hit.value).toBe(v);
          return true;
        });
        expect(issues).toEqual([]);
        expect(new Set(seen).size).toBe(seen.length);
        let count = 0;
        const countAll = (v: unknown): void => {
          count++;
          if (typeof v === "object" && v !== null) for (const c of Object.values(v)) countAll(c);
        };
        countAll(value);
        expect(seen.length).toBe(count);
      }),
      params,
    );
  });

  it("ends on any graph, reporting each edge back to an ancestor as a cycle", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(7), fc.nat(7)), { minLength: 1, maxLength: 20 }),
        (edges) => {
          // Eight nodes; an edge a→b makes b a child of a (a cycle when b reaches a).
          const nodes = Array.from({ length: 8 }, () => ({}) as Record<string, unknown>);
          edges.forEach(([a, b], i) => {
            (nodes[a] as Record<string, unknown>)[`e${i}`] = nodes[b];
          });
          const issues = walk(nodes[0], () => true);
          for (const issue of issues) {
            expect(issue.kind).toBe("cycle");
            if (issue.kind !== "cycle") continue;
            // The target is an ancestor: a prefix of the pointer.
            expect(issue.pointer.startsWith(issue.target)).toBe(true);
            expect(getAt(nodes[0], parsePointer(issue.pointer) ?? []).value).toBe(
              getAt(nodes[0], parsePointer(issue.target) ?? []).value,
            );
          }
        },
      ),
      params,
    );
  });

  it("never goes below the depth limit", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 * MAX_NESTING_DEPTH }), (depth) => {
        let value: unknown = "leaf";
        for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
        let deepest = 0;
        const issues = walk(value, ({ depth: d }) => {
          deepest = Math.max(deepest, d);
          return true;
        });
        expect(deepest).toBeLessThanOrEqual(Math.min(depth, MAX_NESTING_DEPTH));
        expect(issues.length).toBe(depth > MAX_NESTING_DEPTH ? 1 : 0);
      }),
      { ...params, numRuns: 60 },
    );
  });
});

describe("parseSource", () => {
  it("reads back any JSON value written as JSON or YAML, and locates every pointer in it", () => {
    fc.assert(
      fc.property(json, fc.boolean(), (value, asJson) => {
        const text = asJson ? JSON.stringify(value, null, 1) : stringify(value);
        const { file, problems } = parseSource(text, "/x/doc", "doc");
        expect(problems).toEqual([]);
        expect(file.value).toEqual(value);
        const lines = text.split("\n").length;
        walk(value, ({ pointer }) => {
          const at = file.locate(pointer);
          expect(at.line).toBeGreaterThanOrEqual(1);
          expect(at.line).toBeLessThanOrEqual(lines);
          return true;
        });
      }),
      params,
    );
  });

  it("never throws, and reports problems as located data, on any text", () => {
    const hostile = fc.oneof(
      fc.string({ unit: "binary", maxLength: 300 }),
      fc
        .array(
          fc.constantFrom(
            "[",
            "{",
            "]",
            "}",
            "&a ",
            "*a",
            "!!binary ",
            "- ",
            ": ",
            "\n  ",
            '"',
            "$ref: ",
          ),
          {
            maxLength: 200,
          },
        )
        .map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(hostile, (text) => {
        const { problems } = parseSource(text, "/x/doc", "doc");
        for (const p of problems) {
          expect(p.message).not.toMatch(/TypeError|Maximum call stack|is not a function|\n\s+at /);
          expect(p.location?.line ?? 1).toBeGreaterThanOrEqual(1);
        }
      }),
      { ...params, numRuns: 500 },
    );
  });
});
