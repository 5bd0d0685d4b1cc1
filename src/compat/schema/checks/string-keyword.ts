import type { Pair, SchemaWalk } from "../engine.js";

/**
 * Compares a keyword whose value is a string the checker does not reason about (`pattern`,
 * `format`, `contentMediaType`, `contentEncoding`): added, removed or changed, reported under
 * the family's rules `<family>-added`, `-removed`, `-changed`.
 */
export function compareStringKeyword(
  walk: SchemaWalk,
  { n, oNode, nNode, path }: Pair,
  keyword: string,
  family: "pattern" | "format" | "content",
): void {
  const ov = typeof oNode[keyword] === "string" ? (oNode[keyword] as string) : undefined;
  const nv = typeof nNode[keyword] === "string" ? (nNode[keyword] as string) : undefined;
  if (ov === nv) return;
  const at = `${path}/${keyword}`;
  if (ov === undefined) {
    walk.emit(
      `${family}-added`,
      at,
      `${keyword} ${JSON.stringify(nv)} added`,
      "new",
      n,
      `/${keyword}`,
    );
  } else if (nv === undefined) {
    walk.emit(`${family}-removed`, at, `${keyword} ${JSON.stringify(ov)} removed`, "new", n);
  } else {
    walk.emit(
      `${family}-changed`,
      at,
      `${keyword} changed from ${JSON.stringify(ov)} to ${JSON.stringify(nv)}`,
      "new",
      n,
      `/${keyword}`,
    );
  }
}
