/**
 * Health and readiness of a service, decided from a snapshot (pure, no IO): the connection's
 * state, and per consumer whether it runs, its breaker and its in-flight handlers.
 */
import type { BreakerState } from "./breaker.js";
import type { ClosedReason } from "./events.js";

export type ConnectionState = "connected" | "reconnecting" | "draining" | "closed";

export interface ConsumerHealth {
  readonly durable: string;
  readonly stream: string;
  /** Started and not closed. */
  readonly running: boolean;
  /** Why it closed, when it did. */
  readonly closed?: ClosedReason;
  readonly breaker?: BreakerState;
  readonly inFlight: number;
}

export interface Health {
  /** `live` false: restart the process (connection closed, or a consumer lost its durable). */
  readonly live: boolean;
  /** `ready` false: not doing its work now (reconnecting, starting, stopping, a breaker open). */
  readonly ready: boolean;
  readonly connection: ConnectionState;
  readonly stopping: boolean;
  readonly consumers: readonly ConsumerHealth[];
}

export interface HealthSnapshot {
  readonly connection: ConnectionState;
  readonly stopping: boolean;
  readonly consumers: readonly ConsumerHealth[];
}

export function evaluateHealth(s: HealthSnapshot): Health {
  const lost = s.consumers.some(
    (c) => c.closed === "consumer-not-found" || c.closed === "stream-not-found",
  );
  const live = s.connection !== "closed" && !lost;
  const ready =
    live &&
    !s.stopping &&
    s.connection === "connected" &&
    s.consumers.every((c) => c.running && c.breaker !== "open");
  return { live, ready, ...s };
}
