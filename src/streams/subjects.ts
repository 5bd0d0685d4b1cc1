/** NATS subject pattern helpers (tokens split on `.`, `*` one token, `>` one or more at the end). */

function tokens(subject: string): string[] {
  return subject.split(".");
}

/** True when every subject `inner` matches is also matched by `outer`. */
export function subjectCovers(outer: string, inner: string): boolean {
  const o = tokens(outer);
  const i = tokens(inner);
  for (let k = 0; k < o.length; k++) {
    const ot = o[k];
    const it = i[k];
    if (ot === ">") return it !== undefined;
    if (it === undefined) return false;
    if (it === ">") return false;
    if (ot === "*") continue;
    if (it === "*" || it !== ot) return false;
  }
  return o.length === i.length;
}

/** True when some subject is matched by both patterns. */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = tokens(a);
  const y = tokens(b);
  for (let k = 0; ; k++) {
    const xt = x[k];
    const yt = y[k];
    if (xt === undefined || yt === undefined) return xt === yt;
    if (xt === ">" || yt === ">") return true;
    if (xt !== "*" && yt !== "*" && xt !== yt) return false;
  }
}

/**
 * Valid JetStream stream / consumer / bucket name: no whitespace, no `.`, `*`, `>`, no path
 * separators (names become file names and API subject tokens), at most 255 characters.
 */
export function isValidJetStreamName(name: string): boolean {
  return name.length > 0 && name.length <= 255 && !/[\s.*>/\\\0]/.test(name);
}

/** Valid KV bucket name, as nats.js and the server check it. */
export function isValidBucketName(name: string): boolean {
  return /^[-\w]+$/.test(name);
}
