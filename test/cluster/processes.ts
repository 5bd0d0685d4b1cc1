/**
 * Child processes of the cluster chaos run, spawned as `node --import tsx <file>` so that a
 * kill -9 is a real one, with an IPC channel for progress and hand-shakes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHILD_CONFIG_ENV, type ChildMessage, type ParentMessage } from "./protocol.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");

export type ChildScript = "consumer-process.ts" | "producer-process.ts";

export interface ChildHandle {
  readonly name: string;
  /** Resolves with the exit code (null after a signal) once the process is gone. */
  readonly exited: Promise<number | null>;
  send(message: ParentMessage): void;
  /** Resolves with the next message of `type`; rejects if the process exits first. */
  next<K extends ChildMessage["type"]>(type: K): Promise<Extract<ChildMessage, { type: K }>>;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
  /** The last error its stderr names (`TimeoutError: timeout`), for reports. */
  errorLine(): string;
}

export function spawnChild(
  script: ChildScript,
  name: string,
  config: object,
  onMessage: (message: ChildMessage) => void,
): ChildHandle {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", join(here, script)], {
    cwd: root,
    env: { ...process.env, [CHILD_CONFIG_ENV]: JSON.stringify(config) },
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8_000);
  });
  const waiters = new Set<{ type: string; resolve: (m: ChildMessage) => void }>();
  child.on("message", (message: ChildMessage) => {
    onMessage(message);
    for (const w of waiters) {
      if (w.type === message.type) {
        waiters.delete(w);
        w.resolve(message);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(null));
  });
  return {
    name,
    exited,
    send(message) {
      if (child.connected) child.send(message);
    },
    next<K extends ChildMessage["type"]>(type: K) {
      return new Promise<Extract<ChildMessage, { type: K }>>((resolve, reject) => {
        waiters.add({ type, resolve: resolve as (m: ChildMessage) => void });
        void exited.then((code) =>
          reject(new Error(`${name} exited (${code}) before "${type}": ${lastError(stderr)}`)),
        );
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    errorLine: () => lastError(stderr),
  };
}

/** The last `SomeError: message` line of a stderr (no stack), else its last line. */
function lastError(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const errors = lines.filter((l) => /^\w*Error\b.*:/.test(l));
  return errors[errors.length - 1] ?? lines[lines.length - 1] ?? "(no output)";
}
