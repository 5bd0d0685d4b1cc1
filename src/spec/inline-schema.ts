import type { JsonSchema } from "../model/types.js";
import { isRecord, joinPointer } from "./pointer.js";
import type { Located, Workspace } from "./workspace.js";

/** Keywords whose value is one schema. */
const SCHEMA_KEYWORDS = new Set([
  "not",
  "if",
  "then",
  "else",
  "additionalProperties",
  "additionalItems",
  "contains",
  "propertyNames",
  "unevaluatedProperties",
  "unevaluatedItems",
  "contentSchema",
]);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST_KEYWORDS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAP_KEYWORDS = new Set(["properties", "patternProperties", "dependentSchemas"]);
/** Definitions are dropped: every reference into them is inlined. */
const DEFINITION_KEYWORDS = new Set(["definitions", "$defs"]);

/**
 * Produces a self-contained, dereferenced copy of the schema at `start`: every `$ref` inlined
 * (marked with `x-jc-name`), except references on a cycle, which become
 * `{ "$ref": "#/$defs/<Name>" }` with the definition in the root's `$defs`.
 * Every schema object gets `x-jc-at` (its file:line:column); `x-parser-*` keys are dropped.
 */
export function inlineSchema(ws: Workspace, start: Located): JsonSchema {
  // Pass 1 finds the reference targets that take part in a cycle.
  const recursive = new Set<string>();
  new Inliner(ws, recursive, true).build(start, []);
  const inliner = new Inliner(ws, recursive, false);
  const root = inliner.build(start, []);
  if (inliner.defs.size === 0) return root as JsonSchema;
  const defs: Record<string, unknown> = {};
  for (const name of [...inliner.defs.keys()].sort()) defs[name] = inliner.defs.get(name);
  if (!isRecord(root)) return root as JsonSchema;
  return { ...root, $defs: defs };
}

class Inliner {
  readonly defs = new Map<string, unknown>();
  private readonly names = new Map<string, string>();
  private readonly usedNames = new Set<string>();

  constructor(
    private readonly ws: Workspace,
    private readonly recursive: Set<string>,
    private readonly detecting: boolean,
  ) {}

  build(at: Located, stack: string[]): unknown {
    const value = at.value;
    if (Array.isArray(value)) return value.map((v, i) => this.build(this.child(at, i, v), stack));
    if (!isRecord(value)) return value;
    if (typeof value.$ref === "string") return this.buildRef(at, value, stack);

    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (key.startsWith("x-parser-") || key.startsWith("x-jc-") || DEFINITION_KEYWORDS.has(key)) {
        continue;
      }
      if (SCHEMA_KEYWORDS.has(key) || key === "items") {
        out[key] = this.build(this.child(at, key, child), stack);
      } else if (SCHEMA_LIST_KEYWORDS.has(key) && Array.isArray(child)) {
        const list = this.child(at, key, child);
        out[key] = child.map((item, i) => this.build(this.child(list, i, item), stack));
      } else if (SCHEMA_MAP_KEYWORDS.has(key) && isRecord(child)) {
        const map = this.child(at, key, child);
        const built: Record<string, unknown> = {};
        for (const [name, schema] of Object.entries(child)) {
          built[name] = this.build(this.child(map, name, schema), stack);
        }
        out[key] = built;
      } else {
        out[key] = structuredClone(child);
      }
    }
    if (!this.detecting) {
      const loc = this.ws.locate(at.absolutePath, at.pointer);
      out["x-jc-at"] = `${loc.file}:${loc.line}:${loc.column}`;
    }
    return out;
  }

  private buildRef(at: Located, value: Record<string, unknown>, stack: string[]): unknown {
    const target = this.ws.deref({ value, absolutePath: at.absolutePath, pointer: at.pointer });
    // Unresolvable references were reported while loading; keep them visible, not silent.
    if (!target) return { $ref: value.$ref };
    const key = `${target.absolutePath}#${target.pointer}`;
    const name = this.nameFor(key, target);
    const siblings = Object.entries(value).filter(
      ([k]) => k !== "$ref" && !k.startsWith("x-parser-"),
    );

    if (this.detecting) {
      if (stack.includes(key)) {
        this.recursive.add(key);
        return {};
      }
      this.build(target, [...stack, key]);
      return {};
    }
    if (this.recursive.has(key)) {
      if (!this.defs.has(name) && !stack.includes(key)) {
        this.defs.set(name, {}); // placeholder while building, so inner references stop here
        const def = this.build(target, [...stack, key]);
        this.defs.set(name, isRecord(def) ? { ...def, "x-jc-name": name } : def);
      }
      const ref = { $ref: `#/$defs/${name}` };
      if (siblings.length === 0) return ref;
      return {
        allOf: [ref],
        ...Object.fromEntries(siblings.map(([k, v]) => [k, structuredClone(v)])),
      };
    }
    const built = this.build(target, [...stack, key]);
    if (!isRecord(built)) return built;
    const out: Record<string, unknown> = { ...built, "x-jc-name": name };
    for (const [k, v] of siblings) out[k] = structuredClone(v);
    return out;
  }

  private nameFor(key: string, target: Located): string {
    const known = this.names.get(key);
    if (known) return known;
    // `target` came through a `$ref`, so deref named it.
    const base = target.refName || "Schema";
    let name = base;
    for (let i = 2; this.usedNames.has(name); i++) name = `${base}${i}`;
    this.usedNames.add(name);
    this.names.set(key, name);
    return name;
  }

  private child(at: Located, segment: string | number, value: unknown): Located {
    return { value, absolutePath: at.absolutePath, pointer: joinPointer(at.pointer, segment) };
  }
}
