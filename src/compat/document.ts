import { isAlias, isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import type { SourceLocation } from "../model/types.js";
import { parseYaml } from "../spec/source.js";
import { MAX_NESTING_DEPTH } from "../spec/walk.js";

/**
 * A file the checker could not use. `invalid`: it was read but is not a usable schema or
 * contract (the user's input is wrong: exit 1). `could-not-run`: it could not be read at all,
 * or the configuration is unusable (missing file, unknown revision: exit 2).
 */
export class CompatInputError extends Error {
  override readonly name = "CompatInputError";
  readonly kind: "invalid" | "could-not-run";
  constructor(
    message: string,
    readonly file: string,
    options?: { cause?: unknown; kind?: "invalid" | "could-not-run" },
  ) {
    super(message, options);
    this.kind = options?.kind ?? "invalid";
  }
}

export function isCompatInputError(error: unknown): error is CompatInputError {
  return error instanceof CompatInputError;
}

/** Why a file could not be read, in words (no Node error text). */
export function readErrorText(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case "ENOENT":
      return "no such file";
    case "EISDIR":
      return "is a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** A YAML or JSON document parsed to plain data, with the position of every node. */
export interface PositionedDocument {
  readonly file: string;
  readonly value: unknown;
  /** Location of the node at `pointer`, or of its nearest ancestor that exists. */
  locate(pointer: string): SourceLocation;
  /** Location of exactly the node at `pointer`, when it exists. */
  locateExact(pointer: string): SourceLocation | undefined;
}

function escapeSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

/**
 * Parses YAML or JSON (JSON is YAML 1.2) keeping node positions, keyed by JSON pointer.
 * Throws `CompatInputError` with the first syntax error's position.
 */
export function parsePositioned(text: string, file: string): PositionedDocument {
  // Refused before composing, as the spec loader does: deeper nesting overflows the composer's stack.
  const parsed = parseYaml(text, { uniqueKeys: false });
  const lineCounter = parsed.lines;
  if ("tooDeepAt" in parsed) {
    const at = lineCounter.linePos(parsed.tooDeepAt);
    throw new CompatInputError(
      `${file}:${at.line}:${at.col}: nested deeper than ${MAX_NESTING_DEPTH} levels`,
      file,
    );
  }
  const { doc } = parsed;
  const first = doc.errors[0];
  if (first) {
    const at = lineCounter.linePos(first.pos[0]);
    const where = `${file}:${at.line}:${at.col}`;
    throw new CompatInputError(`${where}: cannot parse: ${first.message.split("\n")[0]}`, file);
  }
  const positions = new Map<string, { line: number; column: number }>();
  // Nodes on the path from the root: an alias to one of them would make the data cyclic.
  const ancestors = new Set<unknown>();
  const visit = (node: unknown, pointer: string): void => {
    if (!node || typeof node !== "object") return;
    if (isAlias(node)) {
      if (ancestors.has(node.resolve(doc))) {
        const at = lineCounter.linePos(node.range?.[0] ?? 0);
        throw new CompatInputError(
          `${file}:${at.line}:${at.col}: the alias *${node.source} refers to a node that contains it (a cycle)`,
          file,
        );
      }
      return;
    }
    const n = node as Node;
    ancestors.add(n);
    if (n.range) {
      const pos = lineCounter.linePos(n.range[0]);
      positions.set(pointer, { line: pos.line, column: pos.col });
    }
    if (isMap(n)) {
      for (const item of n.items) {
        if (!isPair(item)) continue;
        const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
        const child = `${pointer}/${escapeSegment(key)}`;
        visit(item.value, child);
        // A mapping entry is reported where its key is, as editors and the loader show it.
        const keyNode = item.key as Node | null;
        if (keyNode && typeof keyNode === "object" && keyNode.range) {
          const pos = lineCounter.linePos(keyNode.range[0]);
          positions.set(child, { line: pos.line, column: pos.col });
        }
      }
    } else if (isSeq(n)) {
      n.items.forEach((item, i) => {
        visit(item, `${pointer}/${i}`);
      });
    }
    ancestors.delete(n);
  };
  visit(doc.contents, "");
  const value: unknown = doc.toJS({ maxAliasCount: 1000 });
  const locateExact = (pointer: string): SourceLocation | undefined => {
    const pos = positions.get(pointer);
    return pos ? { file, line: pos.line, column: pos.column, pointer } : undefined;
  };
  return {
    file,
    value,
    locateExact,
    locate(pointer: string): SourceLocation {
      let p = pointer;
      for (;;) {
        const found = positions.get(p);
        if (found) return { file, line: found.line, column: found.column, pointer };
        if (p === "") return { file, line: 1, column: 1, pointer };
        p = p.slice(0, p.lastIndexOf("/"));
      }
    },
  };
}
