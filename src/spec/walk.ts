import { isRecord, joinPointer } from "./pointer.js";

/**
 * Deepest nesting of mappings and lists a document may have. Hand-written contracts stay far
 * below it (a 20-level payload schema is about 60); past it, recursive code in the YAML parser,
 * the AsyncAPI parser, ajv and our own stages would run out of stack.
 */
export const MAX_NESTING_DEPTH = 256;

/** Why a walk did not go below a value. */
export type WalkIssue =
  | {
      readonly kind: "cycle";
      /** Where the value contains itself. */
      readonly pointer: string;
      /** The enclosing value it refers back to. */
      readonly target: string;
    }
  | { readonly kind: "too-deep"; readonly pointer: string };

/**
 * What `visit` is told about each value: its JSON pointer and how many mappings or lists
 * enclose it (the root is at depth 0).
 */
export interface WalkStep {
  readonly value: unknown;
  readonly pointer: string;
  readonly depth: number;
}

export interface WalkOptions {
  /** Default MAX_NESTING_DEPTH. */
  readonly maxDepth?: number;
  /** Stop after this many issues (default 20): one hostile document must not flood the report. */
  readonly maxIssues?: number;
}

/**
 * Visits every value of a parsed document, parents before children, mapping keys in order.
 * Iterative and cycle-safe: a value that contains itself (a YAML alias inside its own anchor)
 * is reported instead of followed, and nothing below `maxDepth` is visited. `visit` returns
 * false to skip a value's children. Shared values (non-cyclic aliases) are visited at each
 * place they appear, as every later stage sees them.
 */
export function walk(
  root: unknown,
  visit: (step: WalkStep) => boolean,
  options: WalkOptions = {},
): WalkIssue[] {
  const maxDepth = options.maxDepth ?? MAX_NESTING_DEPTH;
  const maxIssues = options.maxIssues ?? 20;
  const issues: WalkIssue[] = [];
  /** Containers on the path from the root to the current value, with their pointers. */
  const ancestors = new Map<object, string>();
  let tooDeep = false;
  type Frame = WalkStep | { readonly leave: object };
  const stack: Frame[] = [{ value: root, pointer: "", depth: 0 }];
  while (stack.length > 0 && issues.length < maxIssues) {
    const frame = stack.pop() as Frame;
    if ("leave" in frame) {
      ancestors.delete(frame.leave);
      continue;
    }
    const { value, pointer, depth } = frame;
    const container = Array.isArray(value) || isRecord(value) ? (value as object) : undefined;
    if (container) {
      const target = ancestors.get(container);
      if (target !== undefined) {
        issues.push({ kind: "cycle", pointer, target });
        continue;
      }
      if (depth >= maxDepth) {
        if (!tooDeep) issues.push({ kind: "too-deep", pointer }); // once: the rest is the same news
        tooDeep = true;
        continue;
      }
    }
    if (visit(frame) === false || !container) continue;
    ancestors.set(container, pointer);
    stack.push({ leave: container });
    if (Array.isArray(container)) {
      for (let i = container.length - 1; i >= 0; i--)
        stack.push({ value: container[i], pointer: joinPointer(pointer, i), depth: depth + 1 });
    } else {
      const record = container as Record<string, unknown>;
      const keys = Object.keys(record);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string;
        stack.push({ value: record[key], pointer: joinPointer(pointer, key), depth: depth + 1 });
      }
    }
  }
  return issues;
}
