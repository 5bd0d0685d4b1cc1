/**
 * A service around a set of consumers: starts them, stops them gracefully on SIGTERM/SIGINT
 * (in-flight handlers get until the deadline, the connection is drained last), and reports
 * health and readiness as data and, if asked, on a tiny HTTP endpoint
 * (`GET /health/live`, `GET /health/ready`: 200 or 503 with the health as JSON).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { NatsConnection } from "@nats-io/nats-core";
import type { MessageConsumer } from "./consumer.js";
import type { ClosedReason } from "./events.js";
import { type ConnectionState, evaluateHealth, type Health } from "./health.js";

export interface ServiceOptions {
  /** The connection the consumers use; drained after they stopped (unless `drain: false`). */
  readonly connection: NatsConnection;
  readonly consumers: readonly MessageConsumer[];
  /** Signals that stop the service (default SIGTERM and SIGINT; `[]` for none). */
  readonly signals?: readonly NodeJS.Signals[];
  /** How long in-flight handlers may run after a stop (ms, default 10 000). */
  readonly stopDeadlineMs?: number;
  /** Drain and close the connection after the consumers stopped (default true). */
  readonly drain?: boolean;
  /** Serve `/health/live` and `/health/ready` on this port (0: any free port). */
  readonly health?: { readonly port: number; readonly host?: string };
}

export interface Service extends AsyncDisposable {
  /** Starts every consumer (and the health endpoint); rejects if one cannot start. */
  start(): Promise<void>;
  /** Stops the consumers within the deadline, then drains the connection. Idempotent. */
  stop(): Promise<void>;
  health(): Health;
  /** Resolves once `stop()` finished (after a signal, too). */
  readonly stopped: Promise<void>;
  /** The health endpoint's URL once started (when `health` was given). */
  readonly healthUrl: string | undefined;
}

/** Creates a service; call `start()`. */
export function createService(options: ServiceOptions): Service {
  const nc = options.connection;
  const started = new Set<MessageConsumer>();
  const closed = new Map<MessageConsumer, ClosedReason>();
  let connection: ConnectionState = nc.isClosed() ? "closed" : "connected";
  let stopping: Promise<void> | undefined;
  let server: Server | undefined;
  let healthUrl: string | undefined;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const onSignal = () => void service.stop();

  const watchConnection = async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnecting") connection = "reconnecting";
      else if (s.type === "reconnect") connection = "connected";
      else if (s.type === "close") connection = "closed";
    }
  };

  const health = (): Health =>
    evaluateHealth({
      connection: nc.isClosed() ? "closed" : nc.isDraining() ? "draining" : connection,
      stopping: stopping !== undefined,
      consumers: options.consumers.map((c) => {
        const reason = closed.get(c);
        const breaker = c.breakerState;
        return {
          durable: c.durable,
          stream: c.stream,
          running: started.has(c) && reason === undefined,
          ...(reason ? { closed: reason } : {}),
          ...(breaker ? { breaker } : {}),
          inFlight: c.inFlight,
        };
      }),
    });

  const serveHealth = async (port: number, host: string) => {
    server = createServer((req, res) => {
      const h = health();
      const ok =
        req.url === "/health/live" ? h.live : req.url === "/health/ready" ? h.ready : undefined;
      if (ok === undefined || req.method !== "GET") {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify(h));
    });
    await new Promise<void>((resolve, reject) => {
      server?.once("error", reject);
      server?.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    healthUrl = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  };

  const service: Service = {
    get stopped() {
      return stopped;
    },
    get healthUrl() {
      return healthUrl;
    },
    health,
    async start() {
      void watchConnection().catch(() => undefined);
      for (const signal of signals) process.once(signal, onSignal);
      if (options.health)
        await serveHealth(options.health.port, options.health.host ?? "127.0.0.1");
      await Promise.all(
        options.consumers.map(async (c) => {
          void c.closed().then((e) => {
            if (e.reason !== "stopped") closed.set(c, e.reason);
          });
          await c.start();
          started.add(c);
        }),
      );
    },
    stop() {
      stopping ??= (async () => {
        for (const signal of signals) process.off(signal, onSignal);
        const deadlineMs = options.stopDeadlineMs ?? 10_000;
        await Promise.allSettled(options.consumers.map((c) => c.stop({ deadlineMs })));
        if (options.drain !== false && !nc.isClosed()) await nc.drain().catch(() => undefined);
        await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
        resolveStopped();
      })();
      return stopping;
    },
    [Symbol.asyncDispose]() {
      return service.stop();
    },
  };
  return service;
}
