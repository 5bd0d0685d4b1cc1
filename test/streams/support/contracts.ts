import {
  resolveConsumer,
  resolveMonitor,
  resolvePublishPolicy,
  resolveRetryPolicy,
} from "../../../packages/runtime/src/policy.js";
import type {
  Channel,
  ConsumerPolicy,
  Contract,
  OperationAnnotation,
  ReceiveOperation,
  RetryPolicy,
  SendOperation,
  SourceLocation,
  Stream,
} from "../../../src/model/types.js";

/** A source location in the example spec (line numbers are nominal). */
export function at(pointer: string, line = 1): SourceLocation {
  return { file: "specs/orders.asyncapi.yaml", line, column: 1, pointer };
}

export function stream(partial: Partial<Stream> & Pick<Stream, "name" | "subjects">): Stream {
  return {
    subjectsDerived: false,
    retention: "limits",
    storage: "file",
    replicas: 1,
    discard: "old",
    isDeadLetter: false,
    sources: [],
    location: at(`/x-jetstream/streams/${partial.name}`),
    ...partial,
  };
}

export function channel(partial: Partial<Channel> & Pick<Channel, "id" | "address">): Channel {
  return {
    subject: partial.address === null ? null : partial.address.replace(/\{[^}]+\}/g, "*"),
    parameters: [],
    messageIds: [],
    isDeadLetter: false,
    location: at(`/channels/${partial.id}`),
    ...partial,
  };
}

export function retry(partial: Partial<RetryPolicy> = {}): RetryPolicy {
  return {
    maxAttempts: 3,
    strategy: "fixed",
    initialDelayMs: 1_000,
    maxDelayMs: 60_000,
    multiplier: 2,
    jitter: "none",
    location: at("/operations/x/x-retry"),
    ...partial,
  };
}

type ReceiveInput = Partial<Omit<ReceiveOperation, "consumer">> &
  Pick<ReceiveOperation, "id" | "channelId"> & {
    consumer?: Omit<ConsumerPolicy, "description" | "managedBy"> &
      Partial<Pick<ConsumerPolicy, "description" | "managedBy">>;
  };

/**
 * A receive operation as the loader resolves it: the policies given are "annotated", the
 * others take the runtime's defaults.
 */
export function receive(partial: ReceiveInput): ReceiveOperation {
  const location = at(`/operations/${partial.id}`);
  const given = new Set<OperationAnnotation>();
  if (partial.consumer) given.add("x-consumer");
  if (partial.retry) given.add("x-retry");
  if (partial.dlq) given.add("x-dlq");
  if (partial.dedup) given.add("x-dedup");
  if (partial.circuitBreaker) given.add("x-circuit-breaker");
  const consumer = partial.consumer ?? { ...resolveConsumer(partial.id), location };
  return {
    action: "receive",
    messageIds: [],
    location,
    annotated: [...given].sort(),
    ...partial,
    consumer: {
      description:
        (partial.summary ?? partial.title ?? "").trim() || `Consumer of operation ${partial.id}`,
      managedBy: "Orders",
      ...consumer,
    },
    retry: partial.retry ?? { ...resolveRetryPolicy({}), location },
    dlq: partial.dlq ?? null,
    dedup: partial.dedup ?? { store: "none", location },
    circuitBreaker: partial.circuitBreaker ?? null,
    monitor: partial.monitor ?? {
      ...resolveMonitor({}, (partial.consumer ?? consumer).maxAckPending),
      location,
    },
  };
}

export function send(
  partial: Partial<SendOperation> & Pick<SendOperation, "id" | "channelId">,
): SendOperation {
  const location = at(`/operations/${partial.id}`);
  const publish = resolvePublishPolicy();
  return {
    action: "send",
    messageIds: [],
    location,
    annotated: partial.publish ? ["x-publish"] : [],
    publish: { ...publish, retry: { ...publish.retry, location }, location },
    ...partial,
  };
}

export function contract(partial: Partial<Contract>): Contract {
  return {
    asyncapiVersion: "3.0.0",
    info: { title: "Orders", version: "1.4.0" },
    files: ["specs/orders.asyncapi.yaml"],
    defaultCompatibility: "BACKWARD",
    servers: [],
    streams: [],
    channels: [],
    messages: [],
    operations: [],
    location: at(""),
    ...partial,
  };
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * The model of specs/orders.asyncapi.yaml, built by hand (the streams-relevant parts), as
 * the loader should produce it.
 */
export function ordersContract(): Contract {
  return contract({
    streams: [
      stream({
        name: "ORDERS",
        description: "Order lifecycle events.",
        subjects: ["orders.>"],
        maxAgeMs: 7 * DAY,
        maxBytes: 1024 ** 3,
        duplicateWindowMs: 5 * MINUTE,
      }),
      stream({
        name: "ORDERS_DLQ",
        description: "Messages the order and payment consumers gave up on, with their context.",
        subjects: ["dlq.>"],
        maxAgeMs: 30 * DAY,
        isDeadLetter: true,
      }),
      stream({
        name: "PAYMENTS",
        description: "Payment captures, consumed once by the ledger.",
        subjects: ["payments.*.captured"],
        subjectsDerived: true,
        retention: "workqueue",
        maxMsgs: 1_000_000,
        maxMsgSizeBytes: 64 * 1024,
        duplicateWindowMs: 2 * MINUTE,
      }),
    ],
    channels: [
      channel({ id: "orderCancelled", address: "orders.cancelled", stream: "ORDERS" }),
      channel({ id: "orderPlaced", address: "orders.placed", stream: "ORDERS" }),
      channel({
        id: "ordersDeadLetter",
        address: "dlq.orders",
        stream: "ORDERS_DLQ",
        isDeadLetter: true,
      }),
      channel({ id: "paymentCaptured", address: "payments.{region}.captured", stream: "PAYMENTS" }),
      channel({
        id: "paymentsDeadLetter",
        address: "dlq.payments",
        stream: "ORDERS_DLQ",
        isDeadLetter: true,
      }),
    ],
    operations: [
      send({ id: "cancelOrder", channelId: "orderCancelled" }),
      send({
        id: "capturePayment",
        channelId: "paymentCaptured",
        publish: {
          timeoutMs: SECOND,
          deadlineMs: MINUTE,
          retry: retry({
            maxAttempts: 10,
            strategy: "linear",
            initialDelayMs: 250,
            maxDelayMs: 5 * SECOND,
          }),
          location: at("/operations/capturePayment/x-publish"),
        },
      }),
      receive({
        id: "fulfilOrder",
        channelId: "orderPlaced",
        summary: "The warehouse reserves stock and schedules shipment for each placed order.",
        consumer: {
          durable: "fulfilment",
          ackWaitMs: 30 * SECOND,
          maxAckPending: 64,
          concurrency: 8,
          handlerTimeoutMs: 20 * SECOND,
          deliverPolicy: "all",
          replicas: 0,
          memoryStorage: false,
          location: at("/operations/fulfilOrder/x-consumer"),
        },
        retry: retry({
          maxAttempts: 5,
          strategy: "exponential",
          initialDelayMs: SECOND,
          maxDelayMs: MINUTE,
          multiplier: 2,
          jitter: "full",
        }),
        dlq: {
          channelId: "ordersDeadLetter",
          subject: "dlq.orders",
          stream: "ORDERS_DLQ",
          location: at("/operations/fulfilOrder/x-dlq"),
        },
        dedup: {
          store: "kv",
          bucket: "orders_dedup",
          ttlMs: DAY,
          leaseMs: 30 * SECOND,
          location: at("/operations/fulfilOrder/x-dedup"),
        },
      }),
      send({
        id: "placeOrder",
        channelId: "orderPlaced",
        publish: {
          timeoutMs: 2 * SECOND,
          deadlineMs: 30 * SECOND,
          retry: retry({
            maxAttempts: 6,
            strategy: "exponential",
            initialDelayMs: 100,
            maxDelayMs: 5 * SECOND,
          }),
          location: at("/operations/placeOrder/x-publish"),
        },
      }),
      receive({
        id: "recordPayment",
        channelId: "paymentCaptured",
        summary: "The ledger books each captured payment exactly once.",
        consumer: {
          durable: "ledger",
          ackWaitMs: MINUTE,
          maxAckPending: 32,
          concurrency: 2,
          handlerTimeoutMs: 45 * SECOND,
          deliverPolicy: "all",
          replicas: 0,
          memoryStorage: false,
          location: at("/operations/recordPayment/x-consumer"),
        },
        retry: retry({
          maxAttempts: 8,
          strategy: "exponential",
          initialDelayMs: 2 * SECOND,
          maxDelayMs: 5 * MINUTE,
          multiplier: 3,
          jitter: "decorrelated",
        }),
        dlq: {
          channelId: "paymentsDeadLetter",
          subject: "dlq.payments",
          stream: "ORDERS_DLQ",
          location: at("/operations/recordPayment/x-dlq"),
        },
        dedup: { store: "none", location: at("/operations/recordPayment/x-dedup") },
      }),
      receive({
        id: "releaseStock",
        channelId: "orderCancelled",
        summary: "The warehouse releases reserved stock when an order is cancelled.",
        consumer: {
          durable: "stock-release",
          ackWaitMs: 15 * SECOND,
          maxAckPending: 16,
          concurrency: 4,
          handlerTimeoutMs: 10 * SECOND,
          deliverPolicy: "all",
          replicas: 0,
          memoryStorage: false,
          location: at("/operations/releaseStock/x-consumer"),
        },
        retry: retry({ maxAttempts: 4, delaysMs: [500, 2 * SECOND, 10 * SECOND] }),
        dlq: {
          channelId: "ordersDeadLetter",
          subject: "dlq.orders",
          stream: "ORDERS_DLQ",
          location: at("/operations/releaseStock/x-dlq"),
        },
        dedup: {
          store: "memory",
          maxEntries: 10_000,
          ttlMs: 10 * MINUTE,
          location: at("/operations/releaseStock/x-dedup"),
        },
      }),
    ],
  });
}
