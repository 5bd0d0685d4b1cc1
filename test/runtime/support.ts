import { type JetStreamManager, jetstreamManager, type StoredMsg } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type {
  ConsumerDescriptor,
  MessageConsumer,
  MessageDescriptor,
  PublisherDescriptor,
  RetryPolicy,
  SchemaValidator,
  ValidationIssue,
} from "../../packages/runtime/src/index.js";
import { ensureStream } from "../../packages/runtime/src/index.js";
import { type NatsServer, startNatsServer } from "../support/nats-server.js";

export interface Order {
  readonly id: string;
  readonly qty: number;
  readonly note?: string;
}

/** A hand-written validator with the ajv standalone shape. */
export const validateOrder: SchemaValidator<Order> = Object.assign(
  (data: unknown): data is Order => {
    const ok =
      typeof data === "object" &&
      data !== null &&
      typeof (data as Order).id === "string" &&
      typeof (data as Order).qty === "number" &&
      (data as Order).qty > 0;
    validateOrder.errors = ok
      ? null
      : ([
          { instancePath: "", message: "must be an order with id and qty > 0", keyword: "type" },
        ] as ValidationIssue[]);
    return ok;
  },
  { errors: null as readonly ValidationIssue[] | null },
);

export const orderMessage: MessageDescriptor<Order> = {
  name: "OrderCreated",
  validate: validateOrder,
  idempotencyKey: (o) => `order-${o.id}`,
};

export interface Env {
  readonly server: NatsServer;
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  connect(): Promise<NatsConnection>;
  /** Starts the stopped server and waits until the JetStream API answers again. */
  restart(): Promise<void>;
  /** Registers a consumer for `dispose()` to stop (tests that fail leave none running). */
  track<C extends MessageConsumer>(consumer: C): C;
  /** Stops the tracked consumers, closes the connections and the server. */
  dispose(): Promise<void>;
}

export async function startEnv(): Promise<Env> {
  const server = await startNatsServer();
  const conns: NatsConnection[] = [];
  const consumers: MessageConsumer[] = [];
  const open = async () => {
    const c = await connect({
      servers: server.url,
      reconnectTimeWait: 50,
      maxReconnectAttempts: -1,
      timeout: 2_000,
    });
    conns.push(c);
    return c;
  };
  const nc = await open();
  const jsm = await jetstreamManager(nc);
  return {
    server,
    nc,
    jsm,
    connect: open,
    async restart() {
      await server.start();
      const probe = await jetstreamManager(nc, { timeout: 300, checkAPI: false });
      await waitFor(
        () =>
          probe.getAccountInfo().then(
            () => true,
            () => false,
          ),
        20_000,
        "JetStream after restart",
      );
    },
    track(consumer) {
      consumers.push(consumer);
      return consumer;
    },
    async dispose() {
      await Promise.allSettled(consumers.map((c) => c.stop({ deadlineMs: 100 })));
      await Promise.allSettled(conns.map((c) => (c.isClosed() ? undefined : c.close())));
      await server.dispose();
    },
  };
}

let counter = 0;
/** Unique names per test so tests in one suite share nothing. */
export function names(prefix = "t") {
  counter++;
  const n = `${prefix}${counter}${Math.random().toString(36).slice(2, 6)}`;
  return {
    stream: `S_${n}`.toUpperCase(),
    subject: `orders.${n}`,
    dlqStream: `DLQ_${n}`.toUpperCase(),
    dlqSubject: `dlq.${n}`,
    durable: `worker_${n}`,
    bucket: `dedup_${n}`,
  };
}

export async function makeStreams(
  nc: NatsConnection,
  n: ReturnType<typeof names>,
  opts: { duplicateWindowMs?: number } = {},
): Promise<void> {
  await ensureStream(nc, {
    name: n.stream,
    subjects: [n.subject],
    ...(opts.duplicateWindowMs ? { duplicateWindowMs: opts.duplicateWindowMs } : {}),
  });
  await ensureStream(nc, { name: n.dlqStream, subjects: [n.dlqSubject] });
}

/** A retry policy with the same short delay before every retry. */
export function fixedRetry(maxAttempts: number, delayMs: number): RetryPolicy {
  return {
    maxAttempts,
    strategy: "fixed",
    initialDelayMs: delayMs,
    maxDelayMs: delayMs,
    multiplier: 1,
    jitter: "none",
  };
}

export function consumerDescriptor(
  n: ReturnType<typeof names>,
  over: Partial<ConsumerDescriptor<Order>> = {},
): ConsumerDescriptor<Order> {
  return {
    operationId: "handleOrder",
    stream: n.stream,
    durable: n.durable,
    subject: n.subject,
    message: orderMessage,
    retry: {
      maxAttempts: 3,
      strategy: "fixed",
      initialDelayMs: 100,
      maxDelayMs: 1_000,
      multiplier: 2,
      jitter: "none",
    },
    deadLetter: { subject: n.dlqSubject, stream: n.dlqStream },
    dedup: { store: "memory", maxEntries: 1_000, ttlMs: 60_000 },
    concurrency: 4,
    handlerTimeoutMs: 5_000,
    ackWaitMs: 2_000,
    maxAckPending: 100,
    ...over,
  };
}

export function publisherDescriptor(
  n: ReturnType<typeof names>,
  over: Partial<PublisherDescriptor<Order>> = {},
): PublisherDescriptor<Order> {
  return {
    operationId: "createOrder",
    subject: n.subject,
    message: orderMessage,
    stream: n.stream,
    publish: {
      timeoutMs: 500,
      deadlineMs: 5_000,
      retry: {
        maxAttempts: 20,
        strategy: "exponential",
        initialDelayMs: 50,
        maxDelayMs: 300,
        multiplier: 2,
        jitter: "full",
      },
    },
    ...over,
  };
}

/** Polls `cond` until it holds (for conditions with no event), failing after `timeoutMs`. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every message stored in a stream, in order. */
export async function readStream(jsm: JetStreamManager, stream: string): Promise<StoredMsg[]> {
  const info = await jsm.streams.info(stream);
  const out: StoredMsg[] = [];
  for (
    let seq = info.state.first_seq;
    seq <= info.state.last_seq && info.state.messages > 0;
    seq++
  ) {
    try {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m) out.push(m);
    } catch {
      // deleted
    }
  }
  return out;
}

/** Pending + unacknowledged messages of a consumer. */
export async function consumerBacklog(jsm: JetStreamManager, stream: string, durable: string) {
  const ci = await jsm.consumers.info(stream, durable);
  return {
    pending: ci.num_pending,
    ackPending: ci.num_ack_pending,
    redelivered: ci.num_redelivered,
  };
}
