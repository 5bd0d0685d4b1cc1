import { distance } from "fastest-levenshtein";

/**
 * The known name closest to a mistyped one, for "did you mean": case-insensitive, and only
 * when it is close enough to be the likely intent (at most 2 edits, or a third of the word).
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
