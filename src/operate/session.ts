/** The server handles every operate command uses (made by `connectJetStream` in the CLI). */
import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

export interface OperateSession {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
}

export function clientOf(session: OperateSession): JetStreamClient {
  return session.jsm.jetstream();
}
