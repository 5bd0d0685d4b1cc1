/**
 * Requests nobody answered: "no responders" (no server subscribes to the subject right now: a
 * stream, consumer or KV bucket whose leader is being elected, or JetStream not ready) and
 * timeouts (the request or its reply was lost: a reconnect to another node, an overloaded
 * server). In a cluster both come back while the client's own connection stays up, so the
 * reconnect-based safeguards never run: the publisher, the ack sender and the KV dedup store
 * retry them, each within its own bound. One definition, used by all three.
 */
import { NoRespondersError, RequestError, TimeoutError } from "@nats-io/nats-core";

export type Unanswered = "no-responders" | "timeout";

/**
 * True for "no responders": from nats-core itself, or wrapped by the JetStream client (which
 * reports it as `JetStreamNotEnabled: jetstream is not enabled`, the cause holding the truth).
 */
export function isNoResponders(e: unknown): boolean {
  for (let cause = e, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause instanceof NoRespondersError) return true;
    if (cause instanceof RequestError && cause.isNoResponders()) return true;
    if (cause.cause === cause) return false;
    cause = cause.cause;
  }
  return false;
}

/** How a request went unanswered, or undefined for any other failure (refused, closed...). */
export function unanswered(e: unknown): Unanswered | undefined {
  if (e instanceof TimeoutError) return "timeout";
  return isNoResponders(e) ? "no-responders" : undefined;
}

/**
 * The cause of a failure in words, for error messages: "no responders" instead of the JetStream
 * client's "jetstream is not enabled" (which it says for every no-responders reply).
 */
export function describeUnanswered(e: unknown): string {
  switch (unanswered(e)) {
    case "no-responders":
      return "no responders (no server answered: a leader election, or JetStream unavailable)";
    case "timeout":
      return "timed out (no reply from the server)";
    default:
      return e instanceof Error ? e.message : String(e);
  }
}

/** Pause before try `round + 1` of something unanswered: 100 ms doubling to 1 s. */
export function unansweredPauseMs(round: number): number {
  return Math.min(1_000, 100 * 2 ** Math.max(0, round - 1));
}

/**
 * Runs `request` again while it goes unanswered, pausing as `unansweredPauseMs` says, until
 * `boundMs` has passed; then the last failure is thrown. Any other failure is thrown at once.
 */
export async function retryUnanswered<T>(request: () => Promise<T>, boundMs: number): Promise<T> {
  const until = Date.now() + boundMs;
  for (let round = 1; ; round++) {
    try {
      return await request();
    } catch (error) {
      const pause = unansweredPauseMs(round);
      if (unanswered(error) === undefined || Date.now() + pause > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
