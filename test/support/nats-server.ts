import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A real nats-server with JetStream for one test suite: its own free loopback port and its
 * own store directory, so suites can stop and restart it and share no state.
 */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** Stops the process (SIGTERM, then SIGKILL); the store is kept for `start()`. */
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and store. */
  start(): Promise<void>;
  /** Stops the server and removes its store. */
  dispose(): Promise<void>;
}

const NATS_SERVER_BIN = process.env.NATS_SERVER_BIN ?? "nats-server";

export async function startNatsServer(options: { extraArgs?: string[] } = {}): Promise<NatsServer> {
  const storeDir = await mkdtemp(join(tmpdir(), "jetcontract-nats-"));
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const proc = spawn(
      NATS_SERVER_BIN,
      ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", storeDir, ...(options.extraArgs ?? [])],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    child = proc;
    let stderr = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Ready when the port accepts connections and JetStream has started (the log line).
    await new Promise<void>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`nats-server exited (${code}) before it was ready:\n${stderr}`));
      proc.once("exit", onExit);
      proc.once("error", reject);
      const check = () => {
        if (/Server is ready/.test(stderr)) {
          proc.off("exit", onExit);
          resolve();
        }
      };
      proc.stderr?.on("data", check);
    });
  };

  const waitExit = (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      proc.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      proc.kill(signal);
    });
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop: () => waitExit("SIGTERM"),
    kill: () => waitExit("SIGKILL"),
    start: launch,
    dispose: async () => {
      await waitExit("SIGTERM");
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      if (address === null || typeof address === "string") {
        reject(new Error("no port"));
        return;
      }
      srv.close(() => resolve(address.port));
    });
  });
}

/** True when something accepts TCP connections on the port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}
