/** JSON pointers (RFC 6901): `~0` is `~`, `~1` is `/`. */

export function escapeSegment(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

export function unescapeSegment(segment: string): string {
  return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** `["a", "b/c"]` → `/a/b~1c`; `[]` → `""` (the whole document). */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${escapeSegment(String(s))}`).join("");
}

/** `/a/b~1c` → `["a", "b/c"]`. Returns undefined for text that is not a pointer. */
export function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return undefined;
  return pointer.slice(1).split("/").map(unescapeSegment);
}

export function joinPointer(base: string, ...segments: (string | number)[]): string {
  return base + toPointer(segments);
}

/** Reads the value at `segments` inside `root`, or undefined when a segment is missing. */
export function getAt(
  root: unknown,
  segments: readonly string[],
): { found: boolean; value: unknown } {
  let current: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!/^(0|[1-9][0-9]*)$/.test(segment)) return { found: false, value: undefined };
      const index = Number(segment);
      if (index >= current.length) return { found: false, value: undefined };
      current = current[index];
    } else if (isRecord(current)) {
      if (!Object.hasOwn(current, segment)) return { found: false, value: undefined };
      current = current[segment];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: current };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
