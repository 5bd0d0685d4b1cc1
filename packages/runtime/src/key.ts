/**
 * Reads one part of an idempotency key: the scalar at `path` in the payload or headers.
 * Generated descriptors build their key extractors from it.
 */
export function keyPart(root: unknown, path: readonly string[]): string {
  let value: unknown = root;
  for (const segment of path) {
    value =
      typeof value === "object" && value !== null && Object.hasOwn(value, segment)
        ? (value as Record<string, unknown>)[segment]
        : undefined;
  }
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  throw new TypeError(`idempotency key part /${path.join("/")} is missing or not a scalar`);
}
