/**
 * Chaos scenario shared by the short in-suite test and the long `chaos` script: publish and
 * consume while the server is killed (SIGKILL) and restarted; then check that every message
 * had exactly one effect and none was dead-lettered.
 */
import {
  createConsumer,
  createPublisher,
  type DedupConfig,
  ensureConsumer,
} from "../../packages/runtime/src/index.js";
import type { Order } from "./support.js";
import {
  consumerBacklog,
  consumerDescriptor,
  makeStreams,
  names,
  publisherDescriptor,
  startEnv,
  waitFor,
} from "./support.js";

export interface ChaosOptions {
  readonly messages: number;
  readonly outages: number;
  readonly outageMs: number;
  readonly dedup: "memory" | "kv";
  /** KV only: the store's `doneMarker` (default: the runtime's default). */
  readonly doneMarker?: "write" | "ack";
  readonly publishConcurrency?: number;
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly published: number;
  readonly effects: number;
  readonly missing: readonly string[];
  readonly doubled: readonly string[];
  readonly duplicatesSkipped: number;
  /** Redeliveries of messages this process had already completed (lost acks), skipped. */
  readonly redeliveriesSkipped: number;
  readonly publishRetries: number;
  readonly deadLettered: number;
  readonly durationMs: number;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const env = await startEnv();
  try {
    const n = names("chaos");
    await makeStreams(env.nc, n);
    const dedup: DedupConfig =
      options.dedup === "kv"
        ? {
            store: "kv",
            bucket: n.bucket,
            ttlMs: 300_000,
            leaseMs: 2_000,
            ...(options.doneMarker ? { doneMarker: options.doneMarker } : {}),
          }
        : { store: "memory", maxEntries: 100_000, ttlMs: 300_000 };
    const d = consumerDescriptor(n, {
      concurrency: 16,
      ackWaitMs: 1_000,
      maxAckPending: 64,
      dedup,
      retry: {
        maxAttempts: 20,
        strategy: "exponential",
        initialDelayMs: 50,
        maxDelayMs: 500,
        multiplier: 2,
        jitter: "full",
      },
    });
    await ensureConsumer(env.nc, d, { serverBackoff: false });
    const effects = new Map<string, number>();
    let duplicatesSkipped = 0;
    let redeliveriesSkipped = 0;
    let deadLettered = 0;
    const consumer = createConsumer<Order>(
      env.nc,
      d,
      async (order) => {
        await new Promise((r) => setImmediate(r));
        effects.set(order.id, (effects.get(order.id) ?? 0) + 1);
      },
      {
        pullExpiresMs: 1_000,
        hooks: {
          duplicateSkipped: (e) => {
            duplicatesSkipped++;
            if (e.reason === "redelivered") redeliveriesSkipped++;
          },
          deadLettered: () => void deadLettered++,
        },
      },
    );
    await consumer.start();
    let publishRetries = 0;
    const publisher = createPublisher<Order>(
      env.nc,
      publisherDescriptor(n, {
        publish: {
          timeoutMs: 1_000,
          deadlineMs: 30_000,
          retry: {
            maxAttempts: 100,
            strategy: "exponential",
            initialDelayMs: 50,
            maxDelayMs: 500,
            multiplier: 2,
            jitter: "full",
          },
        },
      }),
      { hooks: { publishRetried: () => void publishRetries++ } },
    );

    let next = 0;
    let published = 0;
    const publishAll = async () => {
      while (next < options.messages) {
        const i = next++;
        await publisher.publish({ id: `C${i}`, qty: 1 });
        published++;
      }
    };
    const monkey = async () => {
      for (let k = 1; k <= options.outages; k++) {
        const at = Math.floor((k * options.messages) / (options.outages + 1));
        await waitFor(
          () => published >= at || next >= options.messages,
          120_000,
          "publish progress",
        );
        log(
          `outage ${k}: killing the server after ${published} published, ${effects.size} handled`,
        );
        await env.server.kill();
        await new Promise((r) => setTimeout(r, options.outageMs));
        await env.restart();
        log(`outage ${k}: server back`);
      }
    };
    await Promise.all([
      monkey(),
      ...Array.from({ length: options.publishConcurrency ?? 16 }, () => publishAll()),
    ]);
    log(`published ${published}; waiting for the consumer`);
    await waitFor(() => effects.size >= options.messages, 120_000, "every message handled");
    await waitFor(
      async () => {
        const b = await consumerBacklog(env.jsm, n.stream, n.durable);
        return b.pending === 0 && b.ackPending === 0;
      },
      60_000,
      "consumer backlog drained",
    );
    await consumer.stop({ deadlineMs: 2_000 });
    const missing: string[] = [];
    const doubled: string[] = [];
    for (let i = 0; i < options.messages; i++) {
      const c = effects.get(`C${i}`) ?? 0;
      if (c === 0) missing.push(`C${i}`);
      if (c > 1) doubled.push(`C${i}`);
    }
    return {
      published,
      effects: [...effects.values()].reduce((a, b) => a + b, 0),
      missing,
      doubled,
      duplicatesSkipped,
      redeliveriesSkipped,
      publishRetries,
      deadLettered,
      durationMs: Date.now() - started,
    };
  } finally {
    await env.dispose();
  }
}
