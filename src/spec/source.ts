import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
} from "yaml";
import type { Problem } from "../model/problem.js";
import type { SourceLocation } from "../model/types.js";
import { parsePointer } from "./pointer.js";

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
  text: string,
  absolutePath: string,
  displayPath: string,
): { file: SourceFile; problems: Problem[] } {
  const problems: Problem[] = [];
  const lineCounter = new LineCounter();
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

  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    keepSourceTokens: false,
  });
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
    problems.push({
      ruleId: syntaxRule,
      severity: "error",
      message: error instanceof Error ? firstLine(error.message) : "the document could not be read",
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

  return {
    file: {
      absolutePath,
      displayPath,
      value,
      locate: (pointer) => at(find(pointer).node, pointer),
      locateKey: (pointer) => {
        const hit = find(pointer);
        return at(hit.key ?? hit.node, pointer);
      },
    },
    problems,
  };
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
