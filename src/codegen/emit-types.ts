import type { JsonSchema, JsonSchemaObject } from "../model/types.js";
import {
  literalType,
  type NameScope,
  propertyName,
  safeDocText,
  stringLiteral,
  toTypeName,
} from "./names.js";
import type { InterfaceDeclaration, PropertySignature, TypeAliasDeclaration } from "./printer.js";
import { asSchema, canonicalJson, isSchemaObject, stringKeyword } from "./schema-utils.js";

/**
 * JSON Schema → TypeScript types. One instance per generated package: named schemas
 * (`x-jc-name`, recursive `$defs`) become one declaration each, shared by every message
 * that uses them; everything else is an inline type expression.
 */

/** Deepest nesting we follow before falling back to `unknown` (guards hostile input). */
const MAX_DEPTH = 48;

/** Operator precedence of a type expression, to know when it needs parentheses. */
const Prec = { Union: 0, Intersection: 1, Atom: 2 } as const;
type Prec = (typeof Prec)[keyof typeof Prec];

interface TypeText {
  readonly text: string;
  readonly prec: Prec;
}

const UNKNOWN: TypeText = { text: "unknown", prec: Prec.Atom };
const NEVER: TypeText = { text: "never", prec: Prec.Atom };

/** Where a schema sits: the root whose `$defs` its `#/$defs/...` refs resolve against. */
interface Frame {
  readonly root: JsonSchemaObject;
  readonly defsKey: string;
  readonly depth: number;
}

export type TypeDeclaration = InterfaceDeclaration | TypeAliasDeclaration;

export class TypeEmitter {
  readonly #scope: NameScope;
  /** Named schema identity (name + content) → declared type name. */
  readonly #named = new Map<string, string>();
  readonly #declarations: { name: string; decl: TypeDeclaration }[] = [];
  /**
   * Type aliases being declared whose text is still "direct": a member of a union or
   * intersection at this point would be the alias itself, with no object or array in
   * between. `Depth = Depth | string` does not compile (TS2456), and the self-reference adds
   * no value a schema could describe, so such members are left out.
   */
  #direct: string[] = [];

  constructor(scope: NameScope) {
    this.#scope = scope;
  }

  /** Declarations so far, in the order they were first needed (deterministic for a given model). */
  declarations(): TypeDeclaration[] {
    return this.#declarations.map((d) => d.decl);
  }

  /**
   * Declares `name` as the type of `schema` (an interface when it is a plain object type,
   * else a type alias) and returns the name actually claimed.
   */
  declare(baseName: string, schema: JsonSchema | undefined, rawDocs?: string): string {
    const docs = rawDocs === undefined ? undefined : safeDocText(rawDocs);
    const frame = rootFrame(schema);
    const jcName = isSchemaObject(schema) ? stringKeyword(schema, "x-jc-name") : undefined;
    if (
      isSchemaObject(schema) &&
      jcName !== undefined &&
      toTypeName(jcName) === toTypeName(baseName)
    ) {
      // The named schema already has the name the caller wants: declare it once, under that name.
      const key = namedKey(jcName, schema, frame);
      const known = this.#named.get(key);
      if (known !== undefined) return known;
      const name = this.#scope.claim(toTypeName(baseName));
      this.#named.set(key, name);
      this.#declareAs(name, schema, frame, docs);
      return name;
    }
    const name = this.#scope.claim(toTypeName(baseName));
    if (isSchemaObject(schema) && jcName !== undefined) {
      // A named schema: declare it once under its own name; this name is an alias.
      const target = this.#type(schema, deeper(frame), "");
      this.#declarations.push({ name, decl: typeAlias(name, target.text, docs) });
      return name;
    }
    this.#declareAs(name, schema ?? true, frame, docs);
    return name;
  }

  /** Declares `name` as a union of types already declared (by their claimed names). */
  declareUnion(baseName: string, members: readonly string[], rawDocs?: string): string {
    const name = this.#scope.claim(toTypeName(baseName));
    const docs = rawDocs === undefined ? undefined : safeDocText(rawDocs);
    const type = [...new Set(members)].join(" | ") || "never";
    this.#declarations.push({ name, decl: typeAlias(name, type, docs) });
    return name;
  }

  /** A type expression for `schema`, declaring named subschemas as needed. */
  typeOf(schema: JsonSchema | undefined): string {
    return this.#type(schema ?? true, deeper(rootFrame(schema)), "").text;
  }

  #declareAs(name: string, schema: JsonSchema, frame: Frame, extraDocs?: string): void {
    const docs = joinDocs(extraDocs, schemaDocs(schema));
    const slot = { name, decl: undefined as unknown as TypeDeclaration };
    this.#declarations.push(slot);
    const object = isSchemaObject(schema) ? interfaceShape(schema) : undefined;
    if (isSchemaObject(schema) && object) {
      slot.decl = this.#nested(() => this.#interface(name, schema, object.properties, frame, docs));
      return;
    }
    this.#direct.push(name);
    try {
      slot.decl = typeAlias(name, this.#type(schema, frame, "").text, docs);
    } finally {
      this.#direct.pop();
    }
  }

  #interface(
    name: string,
    schema: JsonSchemaObject,
    props: ReadonlyMap<string, JsonSchema>,
    frame: Frame,
    docs: string | undefined,
  ): TypeDeclaration {
    const properties: PropertySignature[] = [];
    const required = requiredSet(schema);
    for (const [prop, sub] of props) {
      const propDocs = schemaDocs(sub);
      properties.push({
        name: propertyName(prop),
        optional: !required.has(prop),
        type: this.#type(sub, deeper(frame), "  ").text,
        docs: propDocs ? [propDocs] : [],
      });
    }
    for (const prop of [...required].filter((p) => !props.has(p)).sort()) {
      properties.push({ name: propertyName(prop), type: "unknown" });
    }
    const index = this.#indexSignature(schema, props, required, deeper(frame), "  ");
    return {
      kind: "interface",
      name,
      docs: docs ? [docs] : [],
      properties,
      ...(index ? { indexType: index.text } : {}),
    };
  }

  /** Computes a nested type (property, item, index) where the direct aliases do not apply. */
  #nested<T>(compute: () => T): T {
    const saved = this.#direct;
    this.#direct = [];
    try {
      return compute();
    } finally {
      this.#direct = saved;
    }
  }

  /** False for a member that is, directly, an alias being declared (see `#direct`). */
  #notDirectSelf = (t: TypeText): boolean => !this.#direct.includes(t.text);

  #type(schema: JsonSchema, frame: Frame, indent: string): TypeText {
    if (schema === true) return UNKNOWN;
    if (schema === false) return NEVER;
    if (frame.depth > MAX_DEPTH) return UNKNOWN;

    const ref = stringKeyword(schema, "$ref");
    if (ref !== undefined) return this.#refType(ref, frame);

    const jcName = stringKeyword(schema, "x-jc-name");
    if (jcName !== undefined && frame.depth > 0) {
      const key = namedKey(jcName, schema, frame);
      let name = this.#named.get(key);
      if (name === undefined) {
        name = this.#scope.claim(toTypeName(jcName));
        this.#named.set(key, name);
        this.#declareAs(name, schema, { ...frame, depth: 0 });
      }
      return { text: name, prec: Prec.Atom };
    }
    return this.#structural(schema, frame, indent);
  }

  #refType(ref: string, frame: Frame): TypeText {
    const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
    const defs = match ? frame.root[match[1] as string] : undefined;
    const defName = match ? decodePointerSegment(match[2] as string) : undefined;
    if (!isSchemaObject(defs) || defName === undefined) return UNKNOWN;
    const target = asSchema(defs[defName]);
    if (target === undefined) return UNKNOWN;
    const key = `def:${defName}:${frame.defsKey}`;
    let name = this.#named.get(key);
    if (name === undefined) {
      const base = (isSchemaObject(target) && stringKeyword(target, "x-jc-name")) || defName;
      name = this.#scope.claim(toTypeName(base));
      this.#named.set(key, name);
      this.#declareAs(name, target, { ...frame, depth: 0 });
    }
    return { text: name, prec: Prec.Atom };
  }

  #structural(schema: JsonSchemaObject, frame: Frame, indent: string): TypeText {
    const next = deeper(frame);
    const nullable = schema.nullable === true;

    // const / enum: literal types are the most precise when every value has one.
    if ("const" in schema) {
      const lit = literalType(schema.const);
      if (lit !== undefined) return withNull({ text: lit, prec: Prec.Atom }, nullable);
    }
    if (Array.isArray(schema.enum) && schema.enum.length > 0) {
      const lits = schema.enum.map(literalType);
      if (lits.every((l): l is string => l !== undefined)) {
        return withNull(union(unique(lits).map((text) => ({ text, prec: Prec.Atom }))), nullable);
      }
    }

    const parts: TypeText[] = [];
    const base = this.#baseType(schema, next, indent);
    if (base) parts.push(base);
    if (Array.isArray(schema.allOf)) {
      for (const sub of schema.allOf) {
        const t = this.#type(asSchema(sub) ?? true, next, indent);
        if (t.text !== "unknown" && this.#notDirectSelf(t)) parts.push(t);
      }
    }
    for (const keyword of ["oneOf", "anyOf"] as const) {
      const branches = schema[keyword];
      if (!Array.isArray(branches) || branches.length === 0) continue;
      const discriminator = discriminatorProperty(schema);
      const members = branches.map((sub) => {
        const branch = asSchema(sub) ?? true;
        let t = this.#type(branch, next, indent);
        const tag = discriminator ? discriminatorTag(branch, discriminator) : undefined;
        if (discriminator && tag !== undefined) {
          t = intersection([
            t,
            { text: `{ ${propertyName(discriminator)}: ${stringLiteral(tag)} }`, prec: Prec.Atom },
          ]);
        }
        return t;
      });
      parts.push(union(members.filter(this.#notDirectSelf)));
    }
    const result = parts.length === 0 ? UNKNOWN : intersection(parts);
    return withNull(result, nullable);
  }

  /** The type from `type` and the object/array keywords, or undefined when none apply. */
  #baseType(schema: JsonSchemaObject, frame: Frame, indent: string): TypeText | undefined {
    const declared = schema.type;
    let types: string[];
    if (typeof declared === "string") types = [declared];
    else if (Array.isArray(declared)) types = declared.filter((t) => typeof t === "string");
    else {
      types = [];
      if (hasObjectKeywords(schema)) types.push("object");
      if (hasArrayKeywords(schema)) types.push("array");
      if (types.length === 0) return undefined;
    }
    const members = unique(types).map((type): TypeText => {
      switch (type) {
        case "string":
          return { text: "string", prec: Prec.Atom };
        case "number":
        case "integer":
          return { text: "number", prec: Prec.Atom };
        case "boolean":
          return { text: "boolean", prec: Prec.Atom };
        case "null":
          return { text: "null", prec: Prec.Atom };
        case "object":
          return this.#objectType(schema, frame, indent);
        case "array":
          return this.#arrayType(schema, frame, indent);
        default:
          return UNKNOWN;
      }
    });
    if (members.some((m) => m.text === "unknown")) return UNKNOWN;
    return union(members);
  }

  #objectType(schema: JsonSchemaObject, frame: Frame, indent: string): TypeText {
    return this.#nested(() => this.#objectMembers(schema, frame, indent));
  }

  #objectMembers(schema: JsonSchemaObject, frame: Frame, indent: string): TypeText {
    const inner = `${indent}  `;
    const props = objectProperties(schema);
    const required = requiredSet(schema);
    const lines: string[] = [];
    for (const [prop, sub] of props) {
      const docs = schemaDocs(sub);
      if (docs) lines.push(...docLines(docs, inner));
      const optional = required.has(prop) ? "" : "?";
      lines.push(
        `${inner}${propertyName(prop)}${optional}: ${this.#type(sub, frame, inner).text};`,
      );
    }
    for (const prop of [...required].filter((p) => !props.has(p)).sort()) {
      lines.push(`${inner}${propertyName(prop)}: unknown;`);
    }
    const index = this.#indexSignature(schema, props, required, frame, inner);
    if (index) lines.push(`${inner}[key: string]: ${index.text};`);
    if (lines.length === 0) {
      return {
        text:
          schema.additionalProperties === false
            ? "Record<string, never>"
            : "Record<string, unknown>",
        prec: Prec.Atom,
      };
    }
    return { text: `{\n${lines.join("\n")}\n${indent}}`, prec: Prec.Atom };
  }

  /**
   * The index signature for `additionalProperties`/`patternProperties`, widened to include
   * every declared property's type so the object type stays well-formed.
   */
  #indexSignature(
    schema: JsonSchemaObject,
    props: ReadonlyMap<string, JsonSchema>,
    required: ReadonlySet<string>,
    frame: Frame,
    indent: string,
  ): TypeText | undefined {
    const extra: TypeText[] = [];
    const additional = asSchema(schema.additionalProperties);
    if (additional !== undefined && additional !== false) {
      extra.push(this.#type(additional, frame, indent));
    }
    if (isSchemaObject(schema.patternProperties)) {
      for (const key of Object.keys(schema.patternProperties).sort()) {
        extra.push(this.#type(asSchema(schema.patternProperties[key]) ?? true, frame, indent));
      }
    }
    if (extra.length === 0) return undefined;
    if (extra.some((t) => t.text === "unknown")) return UNKNOWN;
    const all = [...extra];
    for (const [prop, sub] of props) {
      all.push(this.#type(sub, frame, indent));
      if (!required.has(prop)) all.push({ text: "undefined", prec: Prec.Atom });
    }
    if (all.some((t) => t.text === "unknown")) return UNKNOWN;
    return union(all);
  }

  #arrayType(schema: JsonSchemaObject, frame: Frame, indent: string): TypeText {
    return this.#nested(() => this.#arrayItems(schema, frame, indent));
  }

  #arrayItems(schema: JsonSchemaObject, frame: Frame, indent: string): TypeText {
    const tupleItems = Array.isArray(schema.prefixItems)
      ? schema.prefixItems
      : Array.isArray(schema.items)
        ? schema.items
        : undefined;
    if (tupleItems) {
      const rest = Array.isArray(schema.prefixItems) ? schema.items : schema.additionalItems;
      const minItems = typeof schema.minItems === "number" ? schema.minItems : 0;
      const elements = tupleItems.map((item, i) => {
        const t = this.#type(asSchema(item) ?? true, frame, indent);
        return i < minItems ? t.text : `${paren(t, Prec.Atom).text}?`;
      });
      const restSchema = asSchema(rest);
      if (restSchema !== false) {
        const restType = this.#type(restSchema ?? true, frame, indent);
        elements.push(`...${paren(restType, Prec.Atom).text}[]`);
      }
      return { text: `[${elements.join(", ")}]`, prec: Prec.Atom };
    }
    const item = this.#type(asSchema(schema.items) ?? true, frame, indent);
    return { text: `${paren(item, Prec.Atom).text}[]`, prec: Prec.Atom };
  }
}

function namedKey(jcName: string, schema: JsonSchemaObject, frame: Frame): string {
  return `named:${jcName}:${canonicalJson(schema)}:${frame.defsKey}`;
}

function rootFrame(schema: JsonSchema | undefined): Frame {
  const root = isSchemaObject(schema) ? schema : {};
  const defs = root.$defs ?? root.definitions;
  return { root, defsKey: defs === undefined ? "" : canonicalJson(defs), depth: 0 };
}

function deeper(frame: Frame): Frame {
  return { ...frame, depth: frame.depth + 1 };
}

function decodePointerSegment(segment: string): string {
  let text = segment;
  try {
    text = decodeURIComponent(segment);
  } catch {
    // keep as written
  }
  return text.replace(/~1/g, "/").replace(/~0/g, "~");
}

function hasObjectKeywords(schema: JsonSchemaObject): boolean {
  return (
    isSchemaObject(schema.properties) ||
    schema.additionalProperties !== undefined ||
    isSchemaObject(schema.patternProperties) ||
    Array.isArray(schema.required)
  );
}

function hasArrayKeywords(schema: JsonSchemaObject): boolean {
  return schema.items !== undefined || Array.isArray(schema.prefixItems);
}

function objectProperties(schema: JsonSchemaObject): Map<string, JsonSchema> {
  const out = new Map<string, JsonSchema>();
  if (isSchemaObject(schema.properties)) {
    for (const key of Object.keys(schema.properties)) {
      out.set(key, asSchema(schema.properties[key]) ?? true);
    }
  }
  return out;
}

function requiredSet(schema: JsonSchemaObject): Set<string> {
  return new Set(
    Array.isArray(schema.required)
      ? schema.required.filter((r): r is string => typeof r === "string")
      : [],
  );
}

/**
 * When a named schema is a plain object type (object keywords only, no composition or
 * literals), it becomes an interface; otherwise a type alias.
 */
function interfaceShape(
  schema: JsonSchemaObject,
): { properties: Map<string, JsonSchema> } | undefined {
  const type = schema.type;
  const objectOnly = type === "object" || (type === undefined && hasObjectKeywords(schema));
  if (!objectOnly || schema.nullable === true) return undefined;
  for (const keyword of ["allOf", "anyOf", "oneOf", "enum", "const", "$ref"]) {
    if (keyword in schema) return undefined;
  }
  const properties = objectProperties(schema);
  if (properties.size === 0) return undefined;
  return { properties };
}

function discriminatorProperty(schema: JsonSchemaObject): string | undefined {
  const d = schema.discriminator;
  if (typeof d === "string") return d;
  if (isSchemaObject(d) && typeof d.propertyName === "string") return d.propertyName;
  return undefined;
}

/**
 * The tag a branch of a discriminated union carries. When the branch pins the property
 * (`const`/`enum`), its own literal type already discriminates; otherwise AsyncAPI's rule
 * applies: the value is the branch schema's name.
 */
function discriminatorTag(branch: JsonSchema, property: string): string | undefined {
  if (!isSchemaObject(branch)) return undefined;
  const prop = isSchemaObject(branch.properties) ? branch.properties[property] : undefined;
  if (isSchemaObject(prop) && ("const" in prop || "enum" in prop)) return undefined;
  return stringKeyword(branch, "x-jc-name");
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function paren(t: TypeText, min: Prec): TypeText {
  return t.prec >= min ? t : { text: `(${t.text})`, prec: Prec.Atom };
}

function union(members: readonly TypeText[]): TypeText {
  const texts = unique(members.map((m) => m.text));
  if (texts.includes("unknown")) return UNKNOWN;
  const kept = members.filter((m, i) => texts.indexOf(m.text) === i && m.text !== "never");
  if (kept.length === 0) return NEVER;
  if (kept.length === 1) return kept[0] as TypeText;
  // Intersections inside a union are parenthesised for readability, not precedence.
  return { text: kept.map((m) => paren(m, Prec.Atom).text).join(" | "), prec: Prec.Union };
}

function intersection(members: readonly TypeText[]): TypeText {
  const kept = members.filter((m) => m.text !== "unknown");
  if (kept.length === 0) return UNKNOWN;
  if (kept.length === 1) return kept[0] as TypeText;
  return {
    text: kept.map((m) => paren(m, Prec.Intersection).text).join(" & "),
    prec: Prec.Intersection,
  };
}

function withNull(t: TypeText, nullable: boolean): TypeText {
  if (!nullable || t.text === "unknown") return t;
  return union([t, { text: "null", prec: Prec.Atom }]);
}

function joinDocs(...parts: (string | undefined)[]): string | undefined {
  const kept = parts.filter((p): p is string => p !== undefined && p !== "");
  return kept.length === 0 ? undefined : kept.join("\n\n");
}

/** JSDoc text for a schema: title, description, format, default, examples, deprecated. */
export function schemaDocs(schema: JsonSchema): string | undefined {
  if (!isSchemaObject(schema)) return undefined;
  const lines: string[] = [];
  const title = stringKeyword(schema, "title");
  const description = stringKeyword(schema, "description");
  if (title) lines.push(safeDocText(title));
  if (description) {
    if (lines.length > 0) lines.push("");
    lines.push(safeDocText(description));
  }
  const tags: string[] = [];
  const format = stringKeyword(schema, "format");
  if (format) tags.push(`@format ${safeDocText(format).replace(/\s+/g, " ")}`);
  if ("default" in schema) tags.push(`@default ${jsonDoc(schema.default)}`);
  const examples = Array.isArray(schema.examples)
    ? schema.examples
    : "example" in schema
      ? [schema.example]
      : [];
  for (const example of examples.slice(0, 3)) tags.push(`@example ${jsonDoc(example)}`);
  if (schema.deprecated === true) tags.push("@deprecated");
  if (tags.length > 0) {
    if (lines.length > 0) lines.push("");
    lines.push(...tags);
  }
  return lines.length === 0 ? undefined : lines.join("\n");
}

/** A JSON value for a JSDoc tag: compact, bounded, comment-safe. */
function jsonDoc(value: unknown): string {
  let text = JSON.stringify(value) ?? "undefined";
  if (text.length > 200) text = `${text.slice(0, 197)}...`;
  return safeDocText(text).replace(/\n/g, " ");
}

function docLines(docs: string, indent: string): string[] {
  const body = docs.split("\n");
  if (body.length === 1) return [`${indent}/** ${body[0]} */`];
  return [
    `${indent}/**`,
    ...body.map((l) => (l ? `${indent} * ${l}` : `${indent} *`)),
    `${indent} */`,
  ];
}

/** `export type name = type;` under `docs`, if any. */
function typeAlias(name: string, type: string, docs: string | undefined): TypeDeclaration {
  return { kind: "type", name, docs: docs ? [docs] : [], type };
}
