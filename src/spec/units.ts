/**
 * Durations and sizes as annotations write them, converted once to milliseconds and bytes.
 */

/** Accepted duration forms, for messages. */
export const DURATION_FORMS = "`500ms`, `30s`, `5m`, `2h`, `7d` or ISO 8601 like `PT30S`, `P1D`";
/** Accepted size forms, for messages. */
export const SIZE_FORMS =
  "integer bytes, or `512B`, `64KiB`, `10MiB`, `1GiB`, `1TiB` (also KB/MB/GB/TB, powers of 1000)";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const SIZE_UNITS: Record<string, number> = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** Thrown by `parseDuration`/`parseSize` for text they do not accept. */
export class UnitParseError extends Error {
  override readonly name = "UnitParseError";
}

/**
 * Parses `500ms`, `30s`, `5m`, `2h`, `7d`, compounds like `1h30m`, or ISO 8601 durations
 * (`PT30S`, `P1DT2H`, `P2W`; years and months are refused: their length varies). Returns ms.
 */
export function parseDuration(text: string): number {
  const trimmed = typeof text === "string" ? text.trim() : "";
  if (trimmed !== "" && !trimmed.startsWith("P")) {
    const re = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/gy;
    let total = 0;
    let consumed = 0;
    let match: RegExpExecArray | null = re.exec(trimmed);
    while (match) {
      total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
      consumed = re.lastIndex;
      match = re.exec(trimmed);
    }
    if (consumed === trimmed.length && consumed > 0) return Math.round(total);
  }
  const iso =
    /^P(?:([0-9]+(?:\.[0-9]+)?)W)?(?:([0-9]+(?:\.[0-9]+)?)D)?(?:T(?:([0-9]+(?:\.[0-9]+)?)H)?(?:([0-9]+(?:\.[0-9]+)?)M)?(?:([0-9]+(?:\.[0-9]+)?)S)?)?$/.exec(
      trimmed,
    );
  if (iso && trimmed !== "P" && !trimmed.endsWith("T")) {
    const [, w, d, h, m, s] = iso;
    return Math.round(
      Number(w ?? 0) * 7 * 86_400_000 +
        Number(d ?? 0) * 86_400_000 +
        Number(h ?? 0) * 3_600_000 +
        Number(m ?? 0) * 60_000 +
        Number(s ?? 0) * 1000,
    );
  }
  throw new UnitParseError(`\`${String(text)}\` is not a duration; use ${DURATION_FORMS}`);
}

/** Parses integer bytes or `10MiB`-style sizes. Returns bytes. */
export function parseSize(text: string | number): number {
  if (typeof text === "number") {
    if (Number.isInteger(text) && text >= 0) return text;
    throw new UnitParseError(`\`${text}\` is not a size; use ${SIZE_FORMS}`);
  }
  const match = /^([0-9]+(?:\.[0-9]+)?)\s?(B|[KMGT]i?B)?$/.exec(
    typeof text === "string" ? text.trim() : "",
  );
  if (!match) throw new UnitParseError(`\`${String(text)}\` is not a size; use ${SIZE_FORMS}`);
  const bytes = Number(match[1]) * (SIZE_UNITS[match[2] ?? "B"] as number);
  return Math.round(bytes);
}
