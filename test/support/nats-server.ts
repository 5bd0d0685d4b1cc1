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
    child = await spawnNatsServer([
      "-a",
      "127.0.0.1",
      "-p",
      String(port),
      "-js",
      "-sd",
      storeDir,
      ...(options.extraArgs ?? []),
    ]);
  };
  const waitExit = (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    child = undefined;
    return haltProcess(proc, signal);
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

/**
 * Starts `nats-server` with `args` and resolves once it logs "Server is ready" (the port
 * accepts connections and JetStream has started); rejects if it exits first.
 */
export async function spawnNatsServer(
  args: readonly string[],
  label = "nats-server",
): Promise<ChildProcess> {
  const proc = spawn(NATS_SERVER_BIN, [...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  await new Promise<void>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new Error(`${label} exited (${code}) before it was ready:\n${stderr}`));
    proc.once("exit", onExit);
    proc.once("error", reject);
    proc.stderr?.on("data", (chunk: Buffer) => {
      // Keep only what the readiness check needs; a long run logs a lot.
      if (stderr.length < 64_000) stderr += chunk.toString();
      if (/Server is ready/.test(stderr)) {
        proc.off("exit", onExit);
        resolve();
      }
    });
  });
  return proc;
}

/** Stops a server process with `signal` (SIGKILL after 5 s); nothing when it already ended. */
export function haltProcess(proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    proc.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill(signal);
  });
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
