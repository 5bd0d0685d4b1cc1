/**
 * Duration units in one place. The runtime speaks milliseconds (fields end in `Ms`);
 * the JetStream API speaks nanoseconds. Convert only through these helpers.
 */

const NANOS_PER_MS = 1_000_000;

/** Milliseconds to JetStream nanoseconds (integer). */
export function msToNanos(ms: number): number {
  return Math.round(ms * NANOS_PER_MS);
}

/** JetStream nanoseconds to milliseconds. */
export function nanosToMs(nanos: number): number {
  return nanos / NANOS_PER_MS;
}

/** A promise that resolves after `ms`, or rejects with the signal's reason when aborted. */
export function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
