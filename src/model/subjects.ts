/**
 * NATS subject patterns and JetStream names, shared by every stage. Tokens are separated by
 * `.`; `*` matches one token, `>` (last token only) matches one or more.
 */

/** Why a subject (or subject pattern) is not valid, or undefined when it is. */
export function subjectError(subject: string): string | undefined {
  if (subject === "") return "it is empty";
  if (/\s/.test(subject)) return "it contains whitespace";
  const tokens = subject.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === "") return "it has an empty token (a leading, trailing or doubled `.`)";
    if (token === ">" && i !== tokens.length - 1) return "`>` may only be the last token";
    if (token !== "*" && token !== ">" && /[*>]/.test(token)) {
      return `\`${token}\`: wildcards \`*\` and \`>\` must be whole tokens`;
    }
  }
  return undefined;
}

/** True when some subject matches both patterns. */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === undefined || q === undefined) return p === undefined && q === undefined;
    if (p === ">" || q === ">") return true;
    if (p !== "*" && q !== "*" && p !== q) return false;
  }
}

/** True when every subject matching `inner` also matches `outer`. */
export function subjectCovers(outer: string, inner: string): boolean {
  const o = outer.split(".");
  const n = inner.split(".");
  for (let i = 0; ; i++) {
    const p = o[i];
    const q = n[i];
    if (p === undefined || q === undefined) return p === undefined && q === undefined;
    if (p === ">") return true;
    if (q === ">") return false;
    if (p === "*") continue;
    if (q === "*" || p !== q) return false;
  }
}

/** Why a JetStream name (stream, durable consumer) is invalid, or undefined when it is valid. */
export function jetStreamNameError(name: string): string | undefined {
  if (name === "") return "it is empty";
  if (/\s/.test(name)) return "it contains whitespace";
  const bad = /[.*>/\\]/.exec(name);
  if (bad)
    return `it contains \`${bad[0]}\` (names may not contain \`.\`, \`*\`, \`>\`, \`/\` or \`\\\`)`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f]/.test(name)) return "it contains a control character";
  if (name.length > 255) return `it is ${name.length} characters long (at most 255)`;
  return undefined;
}

/** True for a valid JetStream name (stream, durable consumer). */
export function isValidJetStreamName(name: string): boolean {
  return jetStreamNameError(name) === undefined;
}

/** True for a valid KV bucket name: letters, digits, `_` and `-` (as nats.js and the server check). */
export function isValidBucketName(name: string): boolean {
  return /^[-\w]+$/.test(name);
}
