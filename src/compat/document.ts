import type { SourceLocation } from "../model/types.js";
import { getAt, parsePointer } from "../spec/pointer.js";
import { parseSource } from "../spec/source.js";

/** A file the checker could not use: unreadable, unparsable, or of the wrong kind. */
export class CompatInputError extends Error {
  override readonly name = "CompatInputError";
  constructor(
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isCompatInputError(error: unknown): error is CompatInputError {
  return error instanceof CompatInputError;
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

/**
 * Parses YAML or JSON with the spec loader's parser (`parseSource`), keeping node positions,
 * keyed by JSON pointer; a mapping entry is located at its key, as the loader shows it.
 * An empty file is an empty document (`null`), not an error: these are not only AsyncAPI files.
 * Throws `CompatInputError` with the first problem's position.
 */
export function parsePositioned(text: string, file: string): PositionedDocument {
  if (text.trim() === "") {
    return {
      file,
      value: null,
      locate: (pointer) => ({ file, line: 1, column: 1, pointer }),
      locateExact: () => undefined,
    };
  }
  const { file: source, problems } = parseSource(text, file, file);
  const first = problems.find((p) => p.severity === "error");
  if (first) {
    const at = first.location ?? { file, line: 1, column: 1 };
    const where = `${at.file}:${at.line}:${at.column}`;
    throw new CompatInputError(`${where}: cannot parse: ${first.message}`, file);
  }
  const exists = (pointer: string): boolean => {
    const segments = parsePointer(pointer);
    return segments !== undefined && getAt(source.value, segments).found;
  };
  const locateExact = (pointer: string): SourceLocation | undefined =>
    exists(pointer) ? source.locateKey(pointer) : undefined;
  return {
    file,
    value: source.value,
    locateExact,
    locate(pointer: string): SourceLocation {
      let p = pointer;
      while (p !== "" && !exists(p)) p = p.slice(0, p.lastIndexOf("/"));
      return { ...source.locateKey(p), pointer };
    },
  };
}
