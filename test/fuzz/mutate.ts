// biome-ignore-all lint/suspicious/noTemplateCurlyInString: hostile text is written as plain strings on purpose
import { stringify } from "yaml";

/**
 * Mutations of contracts and JSON Schemas for the fuzzer: pure functions of a seeded random
 * source, so a case is reproduced from its seed alone.
 */

/** mulberry32: small, fast, good enough to pick mutations. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rng = () => number;
const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
const int = (rng: Rng, below: number) => Math.floor(rng() * below);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Container = Json[] | { [key: string]: Json };
const isContainer = (v: unknown): v is Container => typeof v === "object" && v !== null;

/** Every container in a value with its path, root first. */
function containers(root: Json): { value: Container; path: (string | number)[] }[] {
  const out: { value: Container; path: (string | number)[] }[] = [];
  const stack: { value: Json; path: (string | number)[] }[] = [{ value: root, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop() as { value: Json; path: (string | number)[] };
    if (!isContainer(value)) continue;
    out.push({ value, path });
    for (const [k, v] of Object.entries(value))
      stack.push({ value: v, path: [...path, Array.isArray(value) ? Number(k) : k] });
  }
  return out;
}

/**
 * Deepest nesting a mutated document may reach. Well past what jetcontract accepts (256, see
 * src/spec/walk.ts) and what the YAML and AsyncAPI parsers survive (about 1,000), so deep
 * input is still tried; well below where `JSON.stringify`, which writes the case, runs out of
 * stack (between 4,000 and 6,000 levels). Two deep nestings in one case used to pass it.
 */
export const MAX_MUTATED_DEPTH = 3000;

/** How many mappings and lists enclose the deepest value (a scalar root is at 0). */
export function nestingDepth(root: Json): number {
  let deepest = 0;
  const stack: { value: Json; depth: number }[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: Json; depth: number };
    if (!isContainer(value)) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  return deepest;
}

/** A random entry of a random container: its parent and key. */
function entry(rng: Rng, root: Json): { parent: Container; key: string | number } | undefined {
  const withEntries = containers(root).filter((c) => Object.keys(c.value).length > 0);
  if (withEntries.length === 0) return undefined;
  const { value } = pick(rng, withEntries);
  const keys = Object.keys(value);
  const key = pick(rng, keys);
  return { parent: value, key: Array.isArray(value) ? Number(key) : key };
}

const get = (p: Container, k: string | number) => (p as Record<string, Json>)[k as string];
const set = (p: Container, k: string | number, v: Json) => {
  (p as Record<string, Json>)[k as string] = v;
};

/** Text no generator, parser or terminal should be surprised by. */
export const HOSTILE: readonly string[] = [
  "*/ export const x = 1; /*",
  "${process.exit(1)}",
  "`; require('fs')",
  "</script><script>alert(1)</script>",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  "a\u0000b",
  "\u202e\u2066rtl",
  "💥🚀 emoji",
  "line\nbreak\r\nand\ttab",
  "x".repeat(5000),
  "",
  " ",
  "class",
  "default",
  "123abc",
  "a.b.>",
  "*",
  "../../../etc/passwd",
  "#/components/schemas/Missing",
  "%ZZ",
  "\\u0000",
  "'\"",
  "-",
  "null",
];

const VALUES: readonly Json[] = [
  null,
  true,
  0,
  -1,
  1e308,
  1.5,
  "",
  "string",
  [],
  {},
  [null],
  { type: "object" },
  { $ref: "#" },
  { $ref: 1 },
];

const REFS: readonly Json[] = [
  "#",
  "#/",
  "#/nope/nope",
  "#/components",
  "./missing.yaml",
  "../outside.yaml",
  "/dev/zero",
  "/etc/passwd",
  "http://127.0.0.1:9/x.json",
  "file:///etc/hostname",
  "#/components/schemas/%ZZ",
  "mailto:x",
  "#/info/title",
  "schemas/address.yaml#/Address",
  "messages.yaml#/ShipmentDispatched",
  1,
  null,
  { $ref: "#" },
  [],
];

/** Mutations of parsed data; each changes `root` in place, or returns a replacement. */
const DATA: Record<string, (rng: Rng, root: Json) => Json> = {
  deleteKey(rng, root) {
    const e = entry(rng, root);
    if (e && Array.isArray(e.parent)) e.parent.splice(e.key as number, 1);
    else if (e) delete (e.parent as Record<string, Json>)[e.key as string];
    return root;
  },
  typeSwap(rng, root) {
    const e = entry(rng, root);
    if (e) set(e.parent, e.key, structuredClone(pick(rng, VALUES)));
    return root;
  },
  renameKey(rng, root) {
    const e = entry(rng, root);
    if (!e || Array.isArray(e.parent)) return root;
    const value = get(e.parent, e.key) as Json;
    delete (e.parent as Record<string, Json>)[e.key as string];
    const name = pick(rng, [
      pick(rng, HOSTILE),
      `${e.key}x`,
      String(e.key).toUpperCase(),
      `x-${e.key}`,
      "$ref",
    ]);
    set(e.parent, name, value);
    return root;
  },
  hostileText(rng, root) {
    const strings = containers(root).flatMap(({ value }) =>
      Object.keys(value)
        .filter((k) => typeof get(value, k) === "string")
        .map((k) => ({ value, k })),
    );
    if (strings.length > 0) {
      const { value, k } = pick(rng, strings);
      set(value, Array.isArray(value) ? Number(k) : k, pick(rng, HOSTILE));
    }
    return root;
  },
  recursion(rng, root) {
    // A schema (or any object) that refers to one of its ancestors, or to itself.
    const all = containers(root).filter((c) => !Array.isArray(c.value));
    if (all.length === 0) return root;
    const { value, path } = pick(rng, all);
    const up = path.slice(0, int(rng, path.length + 1));
    const pointer = `#${up.map((s) => `/${String(s).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("")}`;
    const ref = { $ref: pointer };
    set(
      value,
      pick(rng, ["items", "allOf", "oneOf", "self", "additionalProperties"]),
      pick(rng, [ref, [ref, { type: "string" }]]),
    );
    return root;
  },
  oddVersion(rng, root) {
    if (isContainer(root) && !Array.isArray(root)) {
      root.asyncapi = pick(rng, [
        "2.0.0",
        "2.6.0",
        "3.0.0",
        "3.1.0",
        "3.2.0",
        "4.0.0",
        "3",
        "",
        "3.0.0-rc1",
        3,
        null,
      ]);
    }
    return root;
  },
  refChange(rng, root) {
    const refs = containers(root).filter(
      (c) => !Array.isArray(c.value) && Object.hasOwn(c.value, "$ref"),
    );
    const target = refs.length > 0 && rng() < 0.7 ? pick(rng, refs).value : undefined;
    if (target) set(target, "$ref", structuredClone(pick(rng, REFS)));
    else {
      const e = entry(rng, root);
      if (e) set(e.parent, e.key, { $ref: structuredClone(pick(rng, REFS)) });
    }
    return root;
  },
  deepNest(rng, root) {
    const e = entry(rng, root);
    if (!e) return root;
    let value = get(e.parent, e.key) as Json;
    const wanted = pick(rng, [10, 30, 60, 300, 2000]);
    const wrap = pick(rng, ["list", "oneOf", "allOf", "properties"]);
    // Each wrap adds one level (a list) or two (a mapping holding a list or a mapping).
    const room = Math.floor((MAX_MUTATED_DEPTH - nestingDepth(root)) / (wrap === "list" ? 1 : 2));
    const depth = Math.min(wanted, Math.max(room, 0));
    for (let i = 0; i < depth; i++) {
      if (wrap === "list") value = [value];
      else if (wrap === "properties") value = { type: "object", properties: { p: value } };
      else value = { [wrap]: [value, { type: "string" }] };
    }
    set(e.parent, e.key, value);
    return root;
  },
};

/** Mutations of the text as written. */
const TEXT: Record<string, (rng: Rng, text: string) => string> = {
  truncate: (rng, text) => text.slice(0, int(rng, text.length)),
  byteFlip(rng, text) {
    const chars = [...text];
    for (let n = 1 + int(rng, 4); n > 0 && chars.length > 0; n--) {
      const i = int(rng, chars.length);
      chars[i] = String.fromCharCode((chars[i]?.charCodeAt(0) ?? 0) ^ (1 << int(rng, 8)));
    }
    return chars.join("");
  },
  crlf: (_rng, text) => text.replace(/\n/g, "\r\n"),
  yamlTag(rng, text) {
    const lines = text.split("\n");
    const candidates = lines
      .map((l, i) => (/^\s*[\w$-]+: \S/.test(l) ? i : -1))
      .filter((i) => i >= 0);
    if (candidates.length === 0) return text;
    const i = pick(rng, candidates);
    const tag = pick(rng, [
      "!!binary",
      "!!set",
      "!!omap",
      "!!timestamp",
      "!!float",
      "!!str",
      "!custom",
      "!<tag:x>",
      "!!js/function",
    ]);
    lines[i] = (lines[i] as string).replace(/: /, `: ${tag} `);
    return lines.join("\n");
  },
  anchorAlias(rng, text) {
    const lines = text.split("\n");
    const keys = lines.map((l, i) => (/^(\s*)[\w$-]+:\s*$/.test(l) ? i : -1)).filter((i) => i >= 0);
    if (keys.length === 0) return text;
    const i = pick(rng, keys);
    const line = lines[i] as string;
    const indent = (/^(\s*)/.exec(line)?.[1] ?? "").length;
    lines[i] = `${line} &a${i}`;
    const inside = `${" ".repeat(indent + 2)}${pick(rng, ["self", "x-loop", "items"])}: *a${i}`;
    // Inside its own anchor (a cycle), or as a sibling (a plain shared value).
    if (rng() < 0.6) lines.splice(i + 1, 0, inside);
    else lines.push(`x-alias${i}: *a${i}`);
    return lines.join("\n");
  },
};

export interface Mutated {
  /** The mutated file's bytes. */
  readonly bytes: Buffer;
  /** The mutations applied, in order, for the report. */
  readonly applied: string[];
}

/**
 * Applies zero to three data mutations (on the parsed seed), then zero to two text mutations
 * (at least one mutation in all), then maybe an odd encoding. `json` keeps JSON syntax.
 */
export function mutate(
  rng: Rng,
  text: string,
  parse: (text: string) => unknown,
  json: boolean,
): Mutated {
  const applied: string[] = [];
  let dataCount = int(rng, 4);
  let textCount = int(rng, 3);
  if (dataCount + textCount === 0) dataCount = 1;
  let out = text;
  if (dataCount > 0) {
    let data = parse(text) as Json;
    for (let i = 0; i < dataCount; i++) {
      const name = pick(rng, Object.keys(DATA));
      if (name === "deepNest" && !json) continue; // the YAML printer recurses; JSON nests deeper
      data = (DATA[name] as (r: Rng, d: Json) => Json)(rng, data);
      applied.push(name);
    }
    // Indenting thousands of levels would make a file of gigabytes: deep data is written compact.
    const indent = applied.includes("deepNest") ? 0 : 2;
    out = json
      ? JSON.stringify(data, null, indent)
      : stringify(data, { aliasDuplicateObjects: false });
  }
  for (; textCount > 0; textCount--) {
    const name = pick(rng, Object.keys(TEXT));
    out = (TEXT[name] as (r: Rng, t: string) => string)(rng, out);
    applied.push(name);
  }
  let bytes = Buffer.from(out);
  const encoding = rng();
  if (encoding < 0.04) {
    bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
    applied.push("bom");
  } else if (encoding < 0.07) {
    bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(out, "utf16le")]);
    applied.push("utf16le");
  } else if (encoding < 0.09) {
    bytes = Buffer.from(out, "utf16le");
    applied.push("utf16le-without-bom");
  }
  return { bytes, applied };
}
