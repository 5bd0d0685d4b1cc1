import { readFile } from "node:fs/promises";
import type { JetStreamManager } from "@nats-io/jetstream";
import { jetstreamManager } from "@nats-io/jetstream";
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  type NodeConnectionOptions,
  nkeyAuthenticator,
} from "@nats-io/transport-node";
import { DEFAULT_SERVER, type JetStreamConnectOptions } from "./connect-options.js";
import { StreamsConnectionError } from "./errors.js";

export { DEFAULT_SERVER, type JetStreamConnectOptions } from "./connect-options.js";

export interface JetStreamSession {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  /** Closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects (no reconnects: plan and apply are short-lived) and opens the JetStream
 * manager. Every failure is a `StreamsConnectionError` with a one-line message.
 */
export async function connectJetStream(
  options: JetStreamConnectOptions = {},
): Promise<JetStreamSession> {
  const server = options.server ?? DEFAULT_SERVER;
  const servers = (typeof server === "string" ? [server] : server)
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const opts: NodeConnectionOptions = {
    servers,
    name: "jetcontract streams",
    timeout: options.timeoutMs ?? 5_000,
    reconnect: false,
    // In the order given, so a listed fallback is tried after the first choice.
    noRandomize: true,
    // No maxReconnectAttempts: 0 here: with it, nats.js (3.4) drops two servers from the list
    // on the first failed dial, so a list with one server down never reaches the others.
  };
  const authenticators: Authenticator[] = [];
  if (options.creds !== undefined) {
    const creds = await readSecret(options.creds, "credentials");
    authenticators.push(credsAuthenticator(creds));
  }
  if (options.nkey !== undefined) {
    const seed = new TextDecoder().decode(await readSecret(options.nkey, "nkey seed")).trim();
    authenticators.push(nkeyAuthenticator(new TextEncoder().encode(seed)));
  }
  if (authenticators.length > 0) opts.authenticator = authenticators;
  if (options.user !== undefined) opts.user = options.user;
  if (options.password !== undefined) opts.pass = options.password;
  if (options.token !== undefined) opts.token = options.token;
  if (
    options.tlsCa !== undefined ||
    options.tlsCert !== undefined ||
    options.tlsKey !== undefined
  ) {
    opts.tls = {
      ...(options.tlsCa !== undefined ? { caFile: options.tlsCa } : {}),
      ...(options.tlsCert !== undefined ? { certFile: options.tlsCert } : {}),
      ...(options.tlsKey !== undefined ? { keyFile: options.tlsKey } : {}),
    };
  }

  let nc: NatsConnection;
  try {
    nc = await connect(opts);
  } catch (error) {
    throw new StreamsConnectionError(
      `cannot connect to ${servers.join(", ")}: ${describeConnectError(error, opts.tls !== undefined && options.tlsCert === undefined)}`,
      "connect",
      { cause: error },
    );
  }
  try {
    const jsm = await jetstreamManager(nc, {
      timeout: options.timeoutMs ?? 5_000,
      ...(options.domain !== undefined ? { domain: options.domain } : {}),
      ...(options.apiPrefix !== undefined ? { apiPrefix: options.apiPrefix } : {}),
    });
    return { nc, jsm, close: () => nc.close() };
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw new StreamsConnectionError(
      `connected to ${servers.join(", ")} but JetStream${apiName(options)} is not available: ${oneLine(error)}`,
      "jetstream-unavailable",
      { cause: error },
    );
  }
}

function apiName(options: JetStreamConnectOptions): string {
  if (options.domain !== undefined) return ` (domain ${options.domain})`;
  if (options.apiPrefix !== undefined) return ` (API prefix ${options.apiPrefix})`;
  return "";
}

async function readSecret(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw new StreamsConnectionError(
      `cannot read ${what} file ${file}: ${oneLine(error)}`,
      "secret-file",
      {
        cause: error,
      },
    );
  }
}

/**
 * `tlsWithoutClientCert`: the handshake went out without a client certificate. A server that
 * requires one sends an alert and closes; the client sees the alert, or only the reset when
 * the close wins the race.
 */
function describeConnectError(error: unknown, tlsWithoutClientCert: boolean): string {
  const text = oneLine(error);
  const code = (error as { code?: unknown } | undefined)?.code;
  const causeCode = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (
    code === "ECONNREFUSED" ||
    causeCode === "ECONNREFUSED" ||
    /ECONNREFUSED|refused/i.test(text)
  ) {
    return "connection refused (is nats-server running there?)";
  }
  if (/authorization|authentication/i.test(text)) return `authorization failed (${text})`;
  const reset = code === "ECONNRESET" || causeCode === "ECONNRESET" || /ECONNRESET/.test(text);
  if (
    /alert (bad certificate|certificate required|handshake failure)/i.test(text) ||
    (reset && tlsWithoutClientCert)
  ) {
    return "the server refused the TLS handshake (does it require a client certificate? use --tls-cert and --tls-key)";
  }
  return text;
}

export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, " ").trim();
}
