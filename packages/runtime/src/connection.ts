/** Small helpers around the nats.js v3 connection and JetStream clients. */
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { headers as createHeaders, type MsgHdrs, type NatsConnection } from "@nats-io/nats-core";

/** Either a connection or a JetStream client made from one. */
export type Connectable = NatsConnection | JetStreamClient;

function isJetStreamClient(c: Connectable): c is JetStreamClient {
  return typeof (c as JetStreamClient).consumers === "object" && "jetstreamManager" in c;
}

/** The JetStream client and a lazily created manager for a connection or client. */
export interface JsHandles {
  readonly js: JetStreamClient;
  jsm(): Promise<JetStreamManager>;
  /** The underlying connection when known (needed for server version checks). */
  readonly nc: NatsConnection | undefined;
}

/**
 * The connection under a connection or JetStream client. nats.js v3's `JetStreamClient` type
 * does not declare it, but its implementation has `getConnection()` (and `nc`); undefined for a
 * client that has neither.
 */
function connectionOf(c: Connectable): NatsConnection | undefined {
  if (!isJetStreamClient(c)) return c;
  const impl = c as unknown as { getConnection?: () => NatsConnection; nc?: NatsConnection };
  return typeof impl.getConnection === "function" ? impl.getConnection() : impl.nc;
}

export function jsHandles(c: Connectable, timeoutMs?: number): JsHandles {
  const js = isJetStreamClient(c)
    ? c
    : jetstream(c, timeoutMs === undefined ? {} : { timeout: timeoutMs });
  const nc = connectionOf(c);
  let jsm: Promise<JetStreamManager> | undefined;
  return {
    js,
    nc,
    jsm: () => {
      if (jsm === undefined) {
        jsm = isJetStreamClient(c)
          ? c.jetstreamManager(false)
          : jetstreamManager(c, {
              checkAPI: false,
              ...(timeoutMs === undefined ? {} : { timeout: timeoutMs }),
            });
        jsm.catch(() => {
          jsm = undefined;
        });
      }
      return jsm;
    },
  };
}

/** Parses `major.minor.patch` (ignores suffixes). */
function parseVersion(v: string | undefined): [number, number, number] {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v ?? "");
  if (!m) return [0, 0, 0];
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** True when `version` is at least `min` (both `x.y.z`). */
function versionAtLeast(version: string | undefined, min: string): boolean {
  const a = parseVersion(version);
  const b = parseVersion(min);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

/** Servers before 2.10 drop resource `metadata` (and nats.js refuses to send it to them). */
export function supportsMetadata(nc: NatsConnection | undefined): boolean {
  return versionAtLeast(nc?.info?.version, "2.10.0");
}

/** Servers before 2.10.4 ignore `term(reason)` and redeliver; they need a bare `term()`. */
export function supportsTermReason(nc: NatsConnection | undefined): boolean {
  return versionAtLeast(nc?.info?.version, "2.10.4");
}

/** Plain record of message headers (first value of each key). */
export function headersToRecord(h: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  for (const [k, values] of h) {
    const v = values[0];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** NATS headers from a record; values are made safe (no CR/LF). */
export function recordToHeaders(r: Readonly<Record<string, string>>): MsgHdrs {
  const h = createHeaders();
  for (const [k, v] of Object.entries(r)) h.set(k, safeHeaderValue(v));
  return h;
}

/** Header values cannot hold CR or LF; long values are cut. */
export function safeHeaderValue(v: string, maxLength = 4096): string {
  const flat = v.replace(/[\r\n]+/g, " ");
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}
