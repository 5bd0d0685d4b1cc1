import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { parse as parseYaml } from "yaml";
import { DEFAULT_PUBLISH_POLICY } from "../../packages/runtime/src/policy.js";
import { stripAnnotations } from "../../src/model/schema.js";
import type { Contract, ReceiveOperation, SendOperation } from "../../src/model/types.js";
import { loadContract, parseDuration, parseSize } from "../../src/spec/index.js";
import { fixture, repoPath } from "./helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: tests walk into nested schema JSON
type SchemaJson = Record<string, any>;

const ordersPath = repoPath("specs/orders.asyncapi.yaml");
let orders: Contract;
let ordersText: string;

beforeAll(async () => {
  ordersText = await readFile(ordersPath, "utf8");
  const result = await loadContract(ordersPath);
  expect(result.problems).toEqual([]);
  orders = result.contract as Contract;
});

/** 1-based line of the first line of `text` that equals `content` after trimming the end. */
function lineOf(text: string, content: string): number {
  const index = text.split("\n").findIndex((l) => l.trimEnd() === content);
  if (index < 0) throw new Error(`no line ${JSON.stringify(content)}`);
  return index + 1;
}

const receive = (c: Contract, id: string) =>
  c.operations.find((o) => o.id === id) as ReceiveOperation;
const send = (c: Contract, id: string) => c.operations.find((o) => o.id === id) as SendOperation;

describe("the orders example in the model", () => {
  it("is plain data that survives JSON", () => {
    expect(JSON.parse(JSON.stringify(orders))).toEqual(orders);
  });

  it("sorts every array by id or name", () => {
    for (const list of [orders.channels, orders.messages, orders.operations]) {
      const ids = list.map((x) => x.id);
      expect(ids).toEqual([...ids].sort());
    }
    expect(orders.streams.map((s) => s.name)).toEqual(["ORDERS", "ORDERS_DLQ", "PAYMENTS"]);
  });

  it("normalises stream sizes and durations and derives subjects", () => {
    const [ordersStream, dlq, payments] = orders.streams;
    expect(ordersStream).toMatchObject({
      subjects: ["orders.>"],
      subjectsDerived: false,
      maxAgeMs: 7 * 86_400_000,
      maxBytes: 1024 ** 3,
      duplicateWindowMs: 300_000,
      isDeadLetter: false,
    });
    expect(dlq).toMatchObject({ maxAgeMs: 30 * 86_400_000, isDeadLetter: true, replicas: 1 });
    expect(payments).toMatchObject({
      subjects: ["payments.*.captured"],
      subjectsDerived: true,
      retention: "workqueue",
      maxMsgSizeBytes: 64 * 1024,
      maxMsgs: 1_000_000,
      discard: "old",
    });
  });

  it("maps channels to NATS subjects with their parameters", () => {
    const payment = orders.channels.find((c) => c.id === "paymentCaptured");
    expect(payment).toMatchObject({
      address: "payments.{region}.captured",
      subject: "payments.*.captured",
      stream: "PAYMENTS",
      messageIds: ["PaymentCaptured"],
      isDeadLetter: false,
    });
    expect(payment?.parameters).toEqual([
      expect.objectContaining({ name: "region", enum: ["eu", "us", "apac"] }),
    ]);
    expect(orders.channels.filter((c) => c.isDeadLetter).map((c) => c.id)).toEqual([
      "ordersDeadLetter",
      "paymentsDeadLetter",
    ]);
  });

  it("reads every receive policy", () => {
    const fulfil = receive(orders, "fulfilOrder");
    expect(fulfil.consumer).toMatchObject({
      durable: "fulfilment",
      ackWaitMs: 30_000,
      maxAckPending: 64,
      concurrency: 8,
      handlerTimeoutMs: 20_000,
      deliverPolicy: "all",
    });
    expect(fulfil.retry).toMatchObject({
      maxAttempts: 5,
      strategy: "exponential",
      initialDelayMs: 1000,
      maxDelayMs: 60_000,
      multiplier: 2,
      jitter: "full",
    });
    expect(fulfil.dlq).toMatchObject({
      channelId: "ordersDeadLetter",
      subject: "dlq.orders",
      stream: "ORDERS_DLQ",
    });
    expect(fulfil.dedup).toMatchObject({
      store: "kv",
      bucket: "orders_dedup",
      ttlMs: 86_400_000,
      leaseMs: 30_000,
    });
    expect(fulfil.circuitBreaker).toMatchObject({
      open: { kind: "consecutive", failures: 5 },
      halfOpenAfterMs: 30_000,
      halfOpenProbes: 1,
    });

    const release = receive(orders, "releaseStock");
    expect(release.retry).toMatchObject({
      maxAttempts: 4,
      delaysMs: [500, 2000, 10_000],
      jitter: "none",
    });
    expect(release.dedup).toMatchObject({ store: "memory", maxEntries: 10_000, ttlMs: 600_000 });
    expect(release.consumer?.deliverPolicy).toBe("all");

    const record = receive(orders, "recordPayment");
    expect(record.consumer?.ackWaitMs).toBe(60_000); // PT1M
    expect(record.dedup).toMatchObject({ store: "none" });
    expect(record.circuitBreaker?.open).toEqual({
      kind: "ratio",
      failureRatio: 0.5,
      windowMs: 60_000,
      minCalls: 20,
    });
    expect(record.circuitBreaker?.halfOpenAfterMs).toBe(120_000);
  });

  it("reads publish policies and resolves the defaults where none is written", () => {
    expect(send(orders, "placeOrder").publish).toMatchObject({
      timeoutMs: 2000,
      deadlineMs: 30_000,
    });
    expect(send(orders, "capturePayment").publish?.retry).toMatchObject({
      strategy: "linear",
      multiplier: 1,
      jitter: "equal",
      maxAttempts: 10,
    });
    expect(send(orders, "cancelOrder").publish).toEqual({
      ...DEFAULT_PUBLISH_POLICY,
      retry: { ...DEFAULT_PUBLISH_POLICY.retry, location: send(orders, "cancelOrder").location },
      location: send(orders, "cancelOrder").location,
    });
    expect(send(orders, "cancelOrder").annotated).toEqual([]);
  });

  it("reads messages: keys, compatibility, content type, examples", () => {
    const placed = orders.messages.find((m) => m.id === "OrderPlaced");
    expect(placed).toMatchObject({
      name: "OrderPlaced",
      compatibility: "FULL",
      compatibilityExplicit: true,
      contentType: "application/json",
      channelIds: ["orderPlaced"],
    });
    expect(placed?.examples[0]?.name).toBe("twoBooks");
    const cancelled = orders.messages.find((m) => m.id === "OrderCancelled");
    expect(cancelled).toMatchObject({ compatibility: "BACKWARD", compatibilityExplicit: false });
    const payment = orders.messages.find((m) => m.id === "PaymentCaptured");
    expect(payment?.idempotencyKey?.parts.map((p) => p.path)).toEqual([
      ["paymentId"],
      ["captureAttempt"],
    ]);
    expect(payment?.idempotencyKey?.separator).toBe(":");
    const deadLetter = orders.messages.find((m) => m.id === "DeadLetter");
    expect(deadLetter?.channelIds).toEqual(["ordersDeadLetter", "paymentsDeadLetter"]);
  });

  it("inlines payload schemas, naming what came through a $ref", () => {
    const payload = orders.messages.find((m) => m.id === "OrderPlaced")?.payload as SchemaJson;
    expect(JSON.stringify(payload)).not.toContain("$ref");
    expect(payload.properties.orderId).toMatchObject({ type: "string", "x-jc-name": "OrderId" });
    expect(payload.properties.lines.items["x-jc-name"]).toBe("OrderLine");
    expect(payload.properties.lines.items.properties.unitPrice["x-jc-name"]).toBe("Money");
    expect(payload["x-jc-name"]).toBe("Order");
    const line = lineOf(ordersText, "    Order:");
    expect(payload["x-jc-at"]).toMatch(
      new RegExp(`^${ordersPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:${line + 1}:\\d+$`),
    );
    const stripped = JSON.stringify(stripAnnotations(payload));
    expect(stripped).not.toContain("x-jc-");
    expect(stripped).toContain('"enum":["placed","paid","shipped"]');
  });

  it("locates every element at its source line", () => {
    expect(receive(orders, "fulfilOrder").location).toMatchObject({
      file: ordersPath,
      line: lineOf(ordersText, "  fulfilOrder:"),
      column: 3,
      pointer: "/operations/fulfilOrder",
    });
    expect(receive(orders, "fulfilOrder").retry?.location.line).toBe(
      lineOf(ordersText, "  fulfilOrder:") + 14,
    );
    expect(orders.streams[0]?.location.line).toBe(lineOf(ordersText, "    ORDERS:"));
    expect(
      orders.messages.find((m) => m.id === "PaymentCaptured")?.idempotencyKey?.location.line,
    ).toBe(
      ordersText
        .split("\n")
        .findIndex(
          (l) => l.includes("x-idempotency-key:") && !l.includes("$message.payload#/orderId"),
        ) + 1,
    );
  });
});

describe("defaults", () => {
  it("fills consumer, retry, dedup and publish defaults consistently", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "jc-defaults-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const base = await readFile(fixture("base.asyncapi.yaml"), "utf8");
    const file = path.join(dir, "defaults.yaml");
    await writeFile(
      file,
      base
        .replace("  handle:\n", "  handle.orders:\n")
        .replace(
          "    x-retry:\n      maxAttempts: 3\n",
          "    x-retry: {}\n    x-consumer:\n      handlerTimeout: 60s\n    x-dedup:\n      store: kv\n    x-circuit-breaker: {}\n",
        )
        .replace("    action: send\n", "    action: send\n    x-publish: {}\n"),
    );
    const { contract, problems } = await loadContract(file);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    const op = receive(contract as Contract, "handle.orders");
    expect(op.consumer).toMatchObject({
      durable: "handle_orders",
      handlerTimeoutMs: 60_000,
      ackWaitMs: 65_000,
      concurrency: 1,
      maxAckPending: 1000,
      deliverPolicy: "all",
    });
    expect(op.retry).toMatchObject({
      maxAttempts: 5,
      strategy: "exponential",
      initialDelayMs: 1000,
      maxDelayMs: 60_000,
      multiplier: 2,
      jitter: "full",
    });
    expect(op.dedup).toMatchObject({
      store: "kv",
      bucket: "handle_orders_dedup",
      ttlMs: 86_400_000,
      leaseMs: 65_000,
    });
    expect(op.circuitBreaker).toMatchObject({
      open: { kind: "consecutive", failures: 5 },
      halfOpenAfterMs: 30_000,
      halfOpenProbes: 1,
    });
    // An empty x-publish is the default publish policy (the runtime's, for any descriptor).
    expect(send(contract as Contract, "place").publish).toMatchObject(DEFAULT_PUBLISH_POLICY);
    expect(DEFAULT_PUBLISH_POLICY).toMatchObject({
      timeoutMs: 5000,
      deadlineMs: 30_000,
      retry: { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 2000 },
    });
  });

  /** The policies of `base.asyncapi.yaml` with `edit` applied to its text. */
  async function policiesWith(edit: (base: string) => string) {
    const dir = await mkdtemp(path.join(tmpdir(), "jc-partial-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, "spec.yaml");
    await writeFile(file, edit(await readFile(fixture("base.asyncapi.yaml"), "utf8")));
    const { contract, problems } = await loadContract(file);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    const c = contract as Contract;
    const strip = <T extends { location: unknown }>(p: T) => {
      const { location: _l, ...rest } = p;
      return rest;
    };
    const r = receive(c, "handle");
    const p = send(c, "place").publish;
    return {
      publish: { ...strip(p), retry: strip(p.retry) },
      consumer: strip(r.consumer),
      retry: strip(r.retry),
    };
  }

  it("merges a partial annotation field by field: a default value written changes nothing", async () => {
    const none = await policiesWith((b) => b);
    const timeoutOnly = await policiesWith((b) =>
      b.replace("    action: send\n", "    action: send\n    x-publish:\n      timeout: 5s\n"),
    );
    // Writing the default timeout used to drop publish retries from 10 attempts/30s to 3/15.3s.
    expect(timeoutOnly.publish).toEqual(none.publish);
    expect(none.publish.retry.maxAttempts).toBe(10);
    const deadlineOnly = await policiesWith((b) =>
      b.replace("    action: send\n", "    action: send\n    x-publish:\n      deadline: 1m\n"),
    );
    expect(deadlineOnly.publish).toEqual({ ...none.publish, deadlineMs: 60_000 });
    const retryOnly = await policiesWith((b) =>
      b.replace(
        "    action: send\n",
        "    action: send\n    x-publish:\n      retry:\n        jitter: none\n",
      ),
    );
    expect(retryOnly.publish).toEqual({
      ...none.publish,
      retry: { ...none.publish.retry, jitter: "none" },
    });
    const concurrencyOnly = await policiesWith((b) =>
      b.replace("    x-retry:\n", "    x-consumer:\n      concurrency: 4\n    x-retry:\n"),
    );
    expect(concurrencyOnly.consumer).toEqual({ ...none.consumer, concurrency: 4 });
  });
});

describe("positions in JSON documents", () => {
  it("points at the offending key in a JSON spec", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "jc-json-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const doc = parseYaml(await readFile(fixture("base.asyncapi.yaml"), "utf8"));
    doc.operations.handle["x-retry"].maxAttempts = "three";
    const text = JSON.stringify(doc, null, 2);
    const file = path.join(dir, "spec.json");
    await writeFile(file, text);
    const { problems } = await loadContract(file);
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.includes('"maxAttempts": "three"')) + 1;
    const column = (lines[line - 1] ?? "").indexOf('"maxAttempts"') + 1;
    expect(problems).toEqual([
      expect.objectContaining({
        ruleId: "jc-annotation-invalid",
        location: expect.objectContaining({ file, line, column }),
      }),
    ]);
  });
});

describe("recursive schemas", () => {
  it("keeps recursion as a named $defs reference", async () => {
    const { contract, problems } = await loadContract(fixture("malformed", "recursive-ok.yaml"));
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    const payload = contract?.messages[0]?.payload as SchemaJson;
    expect(payload.$ref).toBe("#/$defs/Node");
    expect(payload.$defs.Node["x-jc-name"]).toBe("Node");
    expect(payload.$defs.Node.properties.children.items).toEqual({ $ref: "#/$defs/Node" });
  });
});

describe("the readFile hook", () => {
  it("reads the spec and its relative refs through the hook only", async () => {
    const real = repoPath("specs/multi-file");
    const virtualRoot = path.resolve("/virtual/contracts");
    const read: string[] = [];
    const readFile_ = async (absolutePath: string) => {
      read.push(absolutePath);
      const relative = path.relative(virtualRoot, absolutePath);
      let text = await readFile(path.join(real, relative), "utf8");
      if (relative.endsWith("shipment.yaml"))
        text = text.replace(
          "  orderId:\n    type: string\n",
          "  orderId:\n    type: string\n  carrier:\n    type: string\n",
        );
      return text;
    };
    const { contract, problems } = await loadContract(path.join(virtualRoot, "asyncapi.yaml"), {
      readFile: readFile_,
    });
    expect(problems).toEqual([]);
    const payload = contract?.messages[0]?.payload as SchemaJson;
    expect(Object.keys(payload.properties)).toEqual([
      "shipmentId",
      "orderId",
      "carrier",
      "address",
    ]);
    expect(read.every((p) => p.startsWith(virtualRoot))).toBe(true);
    expect(contract?.files.length).toBe(4);
  });
});

describe("parseDuration and parseSize", () => {
  it.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["5m", 300_000],
    ["2h", 7_200_000],
    ["7d", 604_800_000],
    ["1h30m", 5_400_000],
    ["1.5s", 1500],
    ["PT30S", 30_000],
    ["PT1M", 60_000],
    ["P1DT2H", 93_600_000],
    ["P2W", 1_209_600_000],
  ])("duration %s = %d ms", (text, want) => {
    expect(parseDuration(text)).toBe(want);
  });

  it.each(["", "30", "30 seconds", "5x", "P", "PT", "P1Y", "-5s", "s"])(
    "refuses duration %j, naming the accepted forms",
    (text) => {
      expect(() => parseDuration(text)).toThrow(/500ms.*PT30S/);
    },
  );

  it.each([
    [1024, 1024],
    ["512B", 512],
    ["64KiB", 65_536],
    ["10MiB", 10_485_760],
    ["1GiB", 1_073_741_824],
    ["1TiB", 1024 ** 4],
    ["1MB", 1_000_000],
    ["1024", 1024],
  ] as const)("size %j = %d bytes", (text, want) => {
    expect(parseSize(text)).toBe(want);
  });

  it.each(["", "ten", "10 megabytes", "-1", 1.5, -3])("refuses size %j", (text) => {
    expect(() => parseSize(text as string)).toThrow(/MiB/);
  });
});
