import {
  Composer,
  type CST,
  type Document,
  type DocumentOptions,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  type ParseOptions,
  Parser,
  type SchemaOptions,
  YAMLParseError,
} from "yaml";
import type { Problem } from "../model/problem.js";
import type { SourceLocation } from "../model/types.js";
import { isRecord, parsePointer } from "./pointer.js";
import { MAX_NESTING_DEPTH, walk } from "./walk.js";

/**
 * One parsed source file (YAML or JSON — JSON is parsed as YAML 1.2 so both keep node
 * positions), with a map from JSON pointers to line:column.
 */
export interface SourceFile {
  /** Absolute path: the identity of the file for `$ref` resolution. */
  readonly absolutePath: string;
  /** Path as shown to the user. */
  readonly displayPath: string;
  /** The file's content as plain data (undefined when it did not parse). */
  readonly value: unknown;
  /** Location of the node at `pointer`, or of its nearest existing ancestor. */
  locate(pointer: string): SourceLocation;
  /** Location of the key of the entry at `pointer` when it is a mapping entry, else of the node. */
  locateKey(pointer: string): SourceLocation;
}

/** Above this many bytes a file is refused rather than parsed. */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export function parseSource(
  input: string,
  absolutePath: string,
  displayPath: string,
): { file: SourceFile; problems: Problem[] } {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input; // byte-order mark
  const problems: Problem[] = [];
  const fileLoc = (line = 1, column = 1): SourceLocation => ({
    file: displayPath,
    line,
    column,
    pointer: "",
  });
  const failed = (): SourceFile => ({
    absolutePath,
    displayPath,
    value: undefined,
    locate: () => fileLoc(),
    locateKey: () => fileLoc(),
  });

  const binaryAt = findBinary(text);
  if (binaryAt !== undefined) {
    problems.push({
      ruleId: "not-text",
      severity: "error",
      message: "the file is not a text document (it contains binary data); expected YAML or JSON",
      location: fileLoc(),
      file: displayPath,
    });
    return { file: failed(), problems };
  }
  if (text.trim() === "") {
    problems.push({
      ruleId: "empty-document",
      severity: "error",
      message: "the file is empty; expected an AsyncAPI document in YAML or JSON",
      location: fileLoc(),
      file: displayPath,
    });
    return { file: failed(), problems };
  }

  const parsed = parseYaml(text, { uniqueKeys: true, keepSourceTokens: false });
  const lineCounter = parsed.lines;
  if ("tooDeepAt" in parsed) {
    const pos = lineCounter.linePos(parsed.tooDeepAt);
    problems.push({
      ruleId: "nesting-too-deep",
      severity: "error",
      message: tooDeepMessage,
      location: {
        file: displayPath,
        line: Math.max(1, pos.line),
        column: Math.max(1, pos.col),
        pointer: "",
      },
      file: displayPath,
    });
    return { file: failed(), problems };
  }
  const { doc } = parsed;
  const position = (offset: number): { line: number; column: number } => {
    const pos = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line: Math.max(1, pos.line), column: Math.max(1, pos.col) };
  };
  const syntaxRule = looksLikeJson(absolutePath, text) ? "json-syntax" : "yaml-syntax";
  for (const error of doc.errors) {
    const { line, column } = position(error.pos[0]);
    problems.push({
      ruleId: syntaxRule,
      severity: "error",
      message: firstLine(error.message),
      location: { file: displayPath, line, column, pointer: "" },
      file: displayPath,
    });
  }
  if (problems.length > 0) return { file: failed(), problems };

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 10_000 });
  } catch (error) {
    // A RangeError here is a stack overflow: aliases nested inside aliases, deeper than the text.
    const deep = error instanceof RangeError;
    problems.push({
      ruleId: deep ? "nesting-too-deep" : syntaxRule,
      severity: "error",
      message: deep
        ? tooDeepMessage
        : error instanceof Error
          ? firstLine(error.message)
          : "the document could not be read",
      location: fileLoc(),
      file: displayPath,
    });
    return { file: failed(), problems };
  }

  const cache = new Map<string, { node: Node | null; key: Node | null; pointer: string }>();
  const mapIndex = new WeakMap<object, Map<string, Pair>>();
  const find = (pointer: string) => {
    const hit = cache.get(pointer);
    if (hit) return hit;
    const segments = parsePointer(pointer) ?? [];
    let node: Node | null = (doc.contents as Node | null) ?? null;
    let key: Node | null = null;
    const walked: string[] = [];
    for (const segment of segments) {
      if (node && isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
      let next: Node | null = null;
      let nextKey: Node | null = null;
      if (node && isMap(node)) {
        let index = mapIndex.get(node);
        if (!index) {
          index = new Map();
          for (const pair of node.items) {
            const k = pair.key;
            if (isScalar(k) && !index.has(String(k.value))) index.set(String(k.value), pair);
          }
          mapIndex.set(node, index);
        }
        const pair = index.get(segment);
        if (pair) {
          nextKey = pair.key as Node;
          next = (pair.value as Node | null) ?? nextKey;
        }
      } else if (node && isSeq(node) && /^(0|[1-9][0-9]*)$/.test(segment)) {
        next = (node.items[Number(segment)] as Node | undefined) ?? null;
      }
      if (!next) break;
      node = next;
      key = nextKey;
      walked.push(segment);
    }
    const found = {
      node,
      key: walked.length === segments.length ? key : null,
      pointer: walked.length === segments.length ? pointer : "",
    };
    cache.set(pointer, found);
    return found;
  };
  const at = (node: Node | null, pointer: string): SourceLocation => {
    const offset = node?.range?.[0];
    if (offset === undefined) return { ...fileLoc(), pointer };
    const { line, column } = position(offset);
    return { file: displayPath, line, column, pointer };
  };

  const file: SourceFile = {
    absolutePath,
    displayPath,
    value,
    locate: (pointer) => at(find(pointer).node, pointer),
    locateKey: (pointer) => {
      const hit = find(pointer);
      return at(hit.key ?? hit.node, pointer);
    },
  };
  for (const { ruleId, pointer, message } of checkData(value, (p) => find(p).node)) {
    problems.push({
      ruleId,
      severity: "error",
      message,
      location: file.locate(pointer),
      file: displayPath,
    });
  }
  return { file: problems.length > 0 ? { ...file, value: undefined } : file, problems };
}

const tooDeepMessage = `the document nests mappings and lists more than ${MAX_NESTING_DEPTH} levels deep; flatten it (move nested schemas to components and refer to them with \`$ref\`)`;

/**
 * What every later stage may assume of a file's data: plain JSON values (no YAML-only types),
 * no value inside itself, bounded depth, and every `$ref` a string. Returns the problems with
 * the pointer of the offending value.
 */
function checkData(
  value: unknown,
  nodeAt: (pointer: string) => Node | null,
): { ruleId: string; pointer: string; message: string }[] {
  const found: { ruleId: string; pointer: string; message: string }[] = [];
  const issues = walk(value, ({ value: v, pointer }) => {
    if (typeof v === "number" && !Number.isFinite(v)) {
      found.push({
        ruleId: "not-json-value",
        pointer,
        message: `\`${String(v)}\` is not a JSON number; AsyncAPI documents hold JSON data`,
      });
      return false;
    }
    if (typeof v === "bigint" || (typeof v === "object" && v !== null && !isPlain(v))) {
      const tag = nodeAt(pointer)?.tag?.replace("tag:yaml.org,2002:", "!!");
      found.push({
        ruleId: "not-json-value",
        pointer,
        message: `${tag ? `the YAML tag \`${tag}\`` : "this YAML value"} makes a value JSON cannot hold; AsyncAPI documents hold JSON data (write it as a string)`,
      });
      return false;
    }
    if (isRecord(v) && Object.hasOwn(v, "$ref") && typeof v.$ref !== "string") {
      found.push({
        ruleId: "invalid-ref",
        pointer: `${pointer}/$ref`,
        message: pointer.endsWith("/properties")
          ? "a property named `$ref` cannot be described: reference resolvers (the AsyncAPI parser's too) read every `$ref` key as a reference; rename the property"
          : `\`$ref\` must be a string (a URI reference such as \`#/components/schemas/Name\`), not ${describe(v.$ref)}`,
      });
    }
    return true;
  });
  for (const issue of issues) {
    found.push(
      issue.kind === "cycle"
        ? {
            ruleId: "yaml-alias-cycle",
            pointer: issue.pointer,
            message: `this alias refers to a value that contains it (${issue.target || "the whole document"}): a document cannot contain itself; use \`$ref\` for recursive schemas`,
          }
        : { ruleId: "nesting-too-deep", pointer: issue.pointer, message: tooDeepMessage },
    );
  }
  return found;
}

function isPlain(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `the ${typeof value} \`${String(value)}\``;
}

/**
 * Parses YAML (or JSON, as YAML 1.2) once, as `parseDocument` would: the concrete syntax tree
 * is built first and checked for nesting deeper than `max` (its parser keeps an explicit
 * stack, so this never overflows), and only then composed (the composer recurses once per
 * level). `lines` has learnt every line start of the text, for `linePos`.
 */
export function parseYaml(
  text: string,
  options: DocumentOptions & ParseOptions & SchemaOptions,
  max = MAX_NESTING_DEPTH,
): { doc: Document.Parsed; lines: LineCounter } | { tooDeepAt: number; lines: LineCounter } {
  const lines = new LineCounter();
  const tokens = Array.from(new Parser(lines.addNewLine).parse(text));
  const tooDeepAt = nestingTooDeepOffset(tokens, max);
  if (tooDeepAt !== undefined) return { tooDeepAt, lines };
  // What `parseDocument` does with its own parser: the first document, an error for a second.
  let doc: Document.Parsed | undefined;
  for (const next of new Composer(options).compose(tokens, true, text.length)) {
    if (!doc) {
      doc = next;
      continue;
    }
    doc.errors.push(
      new YAMLParseError(
        next.range.slice(0, 2) as [number, number],
        "MULTIPLE_DOCS",
        "Source contains multiple documents; please use YAML.parseAllDocuments()",
      ),
    );
    break;
  }
  return { doc: doc as Document.Parsed, lines };
}

/** Offset of the first mapping or list of the syntax tree nested deeper than `max`, if any. */
function nestingTooDeepOffset(tokens: readonly CST.Token[], max: number): number | undefined {
  const stack: { token: CST.Token | null | undefined; depth: number }[] = tokens.map((token) => ({
    token,
    depth: 0,
  }));
  while (stack.length > 0) {
    const { token, depth } = stack.pop() as { token: CST.Token | null | undefined; depth: number };
    if (!token) continue;
    if (token.type === "document") {
      stack.push({ token: token.value, depth });
    } else if (
      token.type === "block-map" ||
      token.type === "block-seq" ||
      token.type === "flow-collection"
    ) {
      if (depth >= max) return token.offset;
      for (const item of token.items as CST.CollectionItem[]) {
        stack.push({ token: item.key, depth: depth + 1 });
        stack.push({ token: item.value, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function firstLine(message: string): string {
  const line = message.split("\n")[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, "").trim();
}

function looksLikeJson(path: string, text: string): boolean {
  return path.toLowerCase().endsWith(".json") || /^\s*[{[]/.test(text);
}

/** Index of the first NUL or run of replacement characters (undecodable bytes), if any. */
function findBinary(text: string): number | undefined {
  const sample = text.length > 65536 ? text.slice(0, 65536) : text;
  const nul = sample.indexOf("\u0000");
  if (nul >= 0) return nul;
  let bad = 0;
  for (const ch of sample) if (ch === "\uFFFD") bad++;
  return bad > 8 && bad > sample.length / 100 ? sample.indexOf("\uFFFD") : undefined;
}
