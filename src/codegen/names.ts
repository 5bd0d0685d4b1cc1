/**
 * Identifier and text safety for generated code. Every spec name that becomes code goes
 * through `toTypeName`/`toValueName` and a `NameScope`; every spec text that becomes a
 * comment goes through `safeDocText`/`safeLineComment`; every spec value that becomes a
 * literal goes through `stringLiteral`/`literalType`. Emitters never splice raw spec text.
 */

/** ECMAScript reserved words and TypeScript keywords that cannot (or should not) name a binding. */
const RESERVED = new Set([
  "break",
  "case",
  "catch",
  "class",
  "const",
  "continue",
  "debugger",
  "default",
  "delete",
  "do",
  "else",
  "enum",
  "export",
  "extends",
  "false",
  "finally",
  "for",
  "function",
  "if",
  "import",
  "in",
  "instanceof",
  "new",
  "null",
  "return",
  "super",
  "switch",
  "this",
  "throw",
  "true",
  "try",
  "typeof",
  "var",
  "void",
  "while",
  "with",
  "as",
  "implements",
  "interface",
  "let",
  "package",
  "private",
  "protected",
  "public",
  "static",
  "yield",
  "await",
  "async",
  "arguments",
  "eval",
  "undefined",
  "NaN",
  "Infinity",
  "any",
  "unknown",
  "never",
  "number",
  "string",
  "boolean",
  "bigint",
  "symbol",
  "object",
  "type",
  "declare",
  "namespace",
  "module",
  "readonly",
  "keyof",
  "infer",
  "is",
  "asserts",
  "satisfies",
  "constructor",
  "require",
  "exports",
  "globalThis",
]);

/**
 * Global names generated code refers to. A spec schema called `Promise` or `Record` must not
 * shadow them, so scopes reserve these up front.
 */
export const GLOBAL_NAMES: readonly string[] = [
  "Array",
  "Boolean",
  "Date",
  "Error",
  "Function",
  "JSON",
  "Map",
  "Number",
  "Object",
  "Omit",
  "Parameters",
  "Partial",
  "Pick",
  "Promise",
  "Readonly",
  "ReadonlyArray",
  "Record",
  "ReturnType",
  "Set",
  "String",
  "Symbol",
  "TypeError",
  "AbortSignal",
  "Uint8Array",
];

/** Longest identifier we emit; longer names are cut and suffixed with a hash of the full name. */
export const MAX_IDENTIFIER_LENGTH = 60;

const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200C\u200D]*$/u;

/** True when `name` can be written as-is as a JavaScript identifier (ignoring reserved words). */
export function isIdentifierName(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** Splits any text into words: runs of letters and digits, also at lower→upper case changes. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const chunk of text.normalize("NFC").split(/[^\p{L}\p{N}\p{Mn}\p{Mc}]+/u)) {
    if (chunk === "") continue;
    // fooBar → foo Bar; HTTPServer → HTTP Server; v2Api → v2 Api
    const parts = chunk
      .replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, "$1\u0000$2")
      .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1\u0000$2")
      .split("\u0000");
    for (const part of parts) if (part !== "") out.push(part);
  }
  return out;
}

function capitalize(word: string): string {
  const first = String.fromCodePoint(word.codePointAt(0) ?? 0);
  return first.toUpperCase() + word.slice(first.length);
}

/** 32-bit FNV-1a of a string, base-36: a short, stable fingerprint for shortened names. */
export function shortHash(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36);
}

function finish(candidate: string, original: string, fallback: string): string {
  let name = candidate.replace(/[^\p{ID_Continue}$]/gu, "");
  if (name === "") name = fallback;
  if (!/^[\p{ID_Start}$_]/u.test(name)) name = `_${name}`;
  if (name.length > MAX_IDENTIFIER_LENGTH) {
    const hash = shortHash(original);
    // Cut on a code point boundary.
    const cut = Array.from(name)
      .slice(0, MAX_IDENTIFIER_LENGTH - hash.length - 1)
      .join("");
    name = `${cut}_${hash}`;
  }
  if (RESERVED.has(name)) name = `${name}_`;
  return name;
}

/** `order placed`, `order-placed`, `orderPlaced` → `OrderPlaced`; safe as a type name. */
export function toTypeName(text: string, fallback = "Anonymous"): string {
  const pascal = words(text).map(capitalize).join("");
  return finish(pascal, text, fallback);
}

/** `Order placed`, `order-placed` → `orderPlaced`; safe as a value name. */
export function toValueName(text: string, fallback = "value"): string {
  const ws = words(text);
  const [first, ...rest] = ws;
  const camel =
    first === undefined
      ? ""
      : (first === first.toUpperCase() && first.length > 1
          ? first.toLowerCase()
          : lowerFirst(first)) + rest.map(capitalize).join("");
  return finish(camel, text, fallback);
}

function lowerFirst(word: string): string {
  const first = String.fromCodePoint(word.codePointAt(0) ?? 0);
  return first.toLowerCase() + word.slice(first.length);
}

/**
 * A set of identifiers in one generated module (or the whole generated package, for names
 * the index re-exports). `claim` returns a name no other claim got: the first `Order` stays
 * `Order`, the next becomes `Order2`, so names that collide after sanitising stay distinct.
 * Names are compared without case: two exports that differ only by case (`order`/`Order`)
 * read as one, and collide on case-insensitive file systems when tools split them out.
 * Claims for the same `key` return the same name.
 */
export class NameScope {
  /** Lower-cased names taken. */
  readonly #taken = new Set<string>();
  readonly #byKey = new Map<string, string>();

  constructor(reserved: Iterable<string> = GLOBAL_NAMES) {
    for (const name of reserved) this.#taken.add(name.toLowerCase());
  }

  /** Marks names as used (imports, globals) so claims avoid them. */
  reserve(...names: string[]): void {
    for (const name of names) this.#taken.add(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.#taken.has(name.toLowerCase());
  }

  /** A unique identifier based on `base` (already a safe identifier), remembered under `key`. */
  claim(base: string, key?: string): string {
    if (key !== undefined) {
      const known = this.#byKey.get(key);
      if (known !== undefined) return known;
    }
    let name = base;
    for (let n = 2; this.has(name); n++) name = `${base}${n}`;
    this.#taken.add(name.toLowerCase());
    if (key !== undefined) this.#byKey.set(key, name);
    return name;
  }

  lookup(key: string): string | undefined {
    return this.#byKey.get(key);
  }
}

/**
 * A string literal for generated code. JSON string syntax is valid JavaScript; the two line
 * separators JSON allows raw are escaped too, so the literal stays on one line.
 */
export function stringLiteral(value: string): string {
  return JSON.stringify(value)
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** A property name for an object type or literal: bare when it is an identifier, else quoted. */
export function propertyName(name: string): string {
  return isIdentifierName(name) && name !== "__proto__" ? name : stringLiteral(name);
}

/** A safe property access expression: `.name` for identifiers, `["na me"]` otherwise. */
export function propertyAccess(name: string): string {
  return isIdentifierName(name) ? `.${name}` : `[${stringLiteral(name)}]`;
}

/**
 * A TypeScript literal type for a JSON value, or undefined when the value has no literal
 * type (objects, arrays, non-finite numbers).
 */
export function literalType(value: unknown): string | undefined {
  if (value === null) return "null";
  if (typeof value === "string") return stringLiteral(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && Number.isFinite(value)) {
    return value < 0 || Object.is(value, -0) ? `-${String(-value)}` : String(value);
  }
  return undefined;
}

/**
 * Spec text made safe to sit inside a `/** ... *\/` comment: no comment terminator, no
 * stray carriage returns, no line starting with `@` (which would read as a JSDoc tag).
 */
export function safeDocText(text: string): string {
  return text
    .replace(/\r\n?|[\u2028\u2029]/g, "\n")
    .replace(/\*\//g, "*\\/")
    .replace(/\/\*/g, "/\\*")
    .split("\n")
    .map((line) => line.replace(/\s+$/u, "").replace(/^(\s*)@/u, "$1\\@"))
    .join("\n")
    .replace(/^\n+|\n+$/g, "");
}

/** Spec text made safe for a single `//` line comment: one line, no line terminators. */
export function safeLineComment(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, " ").trim();
}

/** Leading verbs that only restate what a send operation does (`publishOrderPlaced`). */
const SEND_VERBS = new Set(["publish", "send", "emit", "produce", "post", "push"]);
/** Leading verbs that only restate what a receive operation does (`onOrderPlaced`). */
const RECEIVE_VERBS = new Set(["consume", "receive", "on", "handle", "subscribe", "process"]);

/**
 * The words an operation's generated names are built from: its id without a leading verb
 * that restates its action, so `publishOrderPlaced` gives `createOrderPlacedPublisher`
 * rather than `createPublishOrderPlacedPublisher`. An id that is only that verb, or whose
 * rest starts with a digit, keeps every word. Other verbs (`placeOrder`) carry meaning and stay.
 */
export function operationBaseName(id: string, action: "send" | "receive"): string {
  const ws = words(id);
  const verbs = action === "send" ? SEND_VERBS : RECEIVE_VERBS;
  const [first, second] = ws;
  if (first !== undefined && second !== undefined && verbs.has(first.toLowerCase())) {
    if (!/^\p{N}/u.test(second)) return ws.slice(1).join(" ");
  }
  return ws.join(" ");
}
