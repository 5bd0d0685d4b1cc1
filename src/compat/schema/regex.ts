/** What the checker can tell about a `pattern` without comparing regular expressions. */

/** Whether `pattern` matches `text`; undefined when it is not a valid (Unicode) expression. */
export function regexMatches(pattern: string, text: string): boolean | undefined {
  try {
    return new RegExp(pattern, "u").test(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether a `pattern` matches every string: it has no anchor, lookaround, word boundary or
 * back-reference (nothing that looks at context), and it matches the empty string, so an
 * unanchored search succeeds at position 0 of any string (e.g. `a*`, `(x|)`).
 */
export function matchesEveryString(pattern: string): boolean {
  if (/[\^$]|\\[bBkpP0-9]|\(\?[=!<]/.test(pattern)) return false;
  return regexMatches(pattern, "") === true;
}
