/**
 * What a connection to a server is asked for, apart from the client that makes it (connect.ts):
 * the CLI reads these for every command, and only the commands that contact a server load NATS.
 */

export const DEFAULT_SERVER = "nats://127.0.0.1:4222";

/** How to reach and authenticate to a NATS server (the usual `nats` CLI options). */
export interface JetStreamConnectOptions {
  /** Server URL(s), a list or comma separated; default `nats://127.0.0.1:4222`. */
  readonly server?: string | readonly string[];
  /** User credentials file (JWT + nkey seed). */
  readonly creds?: string;
  /** NKey seed file. */
  readonly nkey?: string;
  readonly user?: string;
  readonly password?: string;
  readonly token?: string;
  /** CA certificate file to verify the server. */
  readonly tlsCa?: string;
  /** Client certificate and key files (mutual TLS). */
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** Connection timeout; default 5000. */
  readonly timeoutMs?: number;
  /** JetStream domain to manage (a leaf node's or hub's); its API is `$JS.<domain>.API`. */
  readonly domain?: string;
  /** JetStream API prefix (an account import); exclusive with `domain`. */
  readonly apiPrefix?: string;
}
