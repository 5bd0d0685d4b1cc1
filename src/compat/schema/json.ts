/** Plain JSON values as the checker reads them: comparison by content, key order ignored. */

export type Obj = { readonly [key: string]: unknown };

export function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deterministic JSON text with sorted keys, used to compare values. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObj(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The value without the loader's own `x-jc-*` keys (positions, names). */
export function withoutAnnotations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutAnnotations);
  if (!isObj(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith("x-jc-")) continue;
    out[k] = withoutAnnotations(v);
  }
  return out;
}

/** Same content, ignoring key order and the loader's `x-jc-*` keys. */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(withoutAnnotations(a)) === canonicalJson(withoutAnnotations(b));
}

/** The strings of a list keyword (`required`, `dependentRequired` entries). */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Values for a message: canonical texts (already quoted) as they are, others as JSON. */
export function listValues(values: readonly unknown[]): string {
  return values
    .map((v) => (typeof v === "string" && v.startsWith('"') ? v : JSON.stringify(v)))
    .join(", ");
}

/** The list without repeated values (by content), first occurrences kept. */
export function dedupe(list: readonly unknown[]): unknown[] {
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const item of list) {
    const key = canonicalJson(withoutAnnotations(item));
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  return out;
}
