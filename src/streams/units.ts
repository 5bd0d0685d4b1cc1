/**
 * Every unit conversion of the streams stage, in one module. The derived configuration
 * holds milliseconds and bytes (fields end in `Ms`/`Bytes`); each output speaks its own unit:
 * - the JetStream API (JSON files, plan/apply): integer nanoseconds;
 * - NACK (Kubernetes): Go `time.Duration` strings such as `1h30m`, `500ms`;
 * - Terraform (nats-io/jetstream provider): whole seconds.
 */

const MS_PER_SECOND = 1_000;

// The JetStream API's nanoseconds: the runtime's conversion, so there is one.
export { msToNanos, nanosToMs } from "@jetcontract/runtime/internal";

/**
 * Milliseconds to whole seconds for Terraform, rounded up so that a limit or a wait is never
 * shortened (a 500ms backoff becomes 1). `roundedUp` tells the caller a value was changed.
 */
export function msToSeconds(ms: number): { seconds: number; roundedUp: boolean } {
  const seconds = Math.ceil(ms / MS_PER_SECOND);
  return { seconds, roundedUp: seconds * MS_PER_SECOND !== ms };
}

/**
 * Milliseconds to a Go `time.Duration` string as `time.ParseDuration` reads it and as
 * `Duration.String()` would print whole units: `0s`, `500ms`, `1m30s`, `168h0m0s` style is
 * not required by NACK, so the shortest exact form is used (`168h`, `1m30s`, `1s500ms`).
 */
export function msToGoDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`not a duration: ${ms}ms`);
  let rest = Math.round(ms);
  if (rest === 0) return "0s";
  const units: readonly [string, number][] = [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
    ["ms", 1],
  ];
  let out = "";
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
