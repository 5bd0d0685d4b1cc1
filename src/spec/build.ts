import { COMPATIBILITY_MODES } from "../model/compatibility.js";
import type {
  BreakerOpenCondition,
  Channel,
  ChannelParameter,
  CircuitBreakerPolicy,
  CompatibilityMode,
  ConsumerPolicy,
  Contract,
  DeadLetterPolicy,
  DedupPolicy,
  IdempotencyKey,
  IdempotencyKeyPart,
  JsonSchema,
  Message,
  MessageExample,
  MonitorPolicy,
  Operation,
  PublishPolicy,
  RetryPolicy,
  Server,
  SourceLocation,
  Stream,
} from "../model/types.js";
import { inlineSchema } from "./inline-schema.js";
import { isRecord, joinPointer, parsePointer } from "./pointer.js";
import { parseDuration, parseSize } from "./units.js";
import type { Located, Workspace } from "./workspace.js";

/** Where one jetcontract annotation was written, for rules that need the raw value. */
export interface AnnotationSite {
  readonly key: string;
  readonly owner: "root" | "channel" | "message" | "operation";
  /** Id of the channel, message or operation ("" for the root). */
  readonly ownerId: string;
  readonly value: unknown;
  readonly absolutePath: string;
  readonly pointer: string;
}

/** Things the builder saw that the model cannot hold, for the semantic rules. */
export interface BuildNotes {
  readonly annotations: AnnotationSite[];
  /** `x-dlq.channel` references that do not point at a channel of the document. */
  readonly unresolvedDlq: { operationId: string; ref: string; location: SourceLocation }[];
  /** Operations whose `channel` reference does not point at a channel of the document. */
  readonly unresolvedChannels: { operationId: string; location: SourceLocation }[];
  /** Idempotency key expressions that are not `$message.payload#/…` or `$message.header#/…`. */
  readonly badKeyExpressions: { messageId: string; expression: string; location: SourceLocation }[];
  /** Objects that may carry annotations, with the kind of place they are. */
  readonly owners: AnnotationOwner[];
  /** Payload schema format when not JSON Schema, by message id. */
  readonly nonJsonPayloads: Map<string, string>;
}

export interface AnnotationOwner {
  readonly kind: "root" | "channel" | "message" | "receive" | "send";
  readonly id: string;
  readonly value: Record<string, unknown>;
  readonly absolutePath: string;
  readonly pointer: string;
}

const JETCONTRACT_KEYS = {
  root: ["x-jetstream", "x-compatibility"],
  channel: ["x-jetstream"],
  message: ["x-idempotency-key", "x-compatibility"],
  receive: ["x-consumer", "x-retry", "x-dlq", "x-dedup", "x-circuit-breaker", "x-monitor"],
  send: ["x-publish"],
} as const;

/** Every annotation key, whatever it annotates. */
export const ALL_ANNOTATION_KEYS: readonly string[] = [
  ...new Set(Object.values(JETCONTRACT_KEYS).flat()),
];

const COMPAT_MODES = new Set<string>(COMPATIBILITY_MODES);
const JSON_SCHEMA_FORMAT =
  /^application\/(schema\+json|schema\+yaml|vnd\.aai\.asyncapi(\+json|\+yaml)?)(;.*)?$/i;

// Defaults (documented in schema/annotations.schema.json).
export const DEFAULTS = {
  ackWaitMs: 30_000,
  handlerTimeoutMs: 25_000,
  handlerTimeoutMarginMs: 5_000,
  maxAckPending: 1000,
  concurrency: 1,
  retry: { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2 },
  publish: {
    timeoutMs: 5000,
    retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 2000, multiplier: 2 },
  },
  kvTtlMs: 24 * 3_600_000,
  memoryTtlMs: 10 * 60_000,
  memoryMaxEntries: 10_000,
  breaker: { failures: 5, windowMs: 60_000, minCalls: 10, halfOpenAfterMs: 30_000, probes: 1 },
  keySeparator: ":",
  monitor: { maxPending: 10_000, maxDlqDepth: 100, maxIdleMs: 5 * 60_000, warnAt: 0.8 },
} as const;

interface Ctx {
  v2: boolean;
  ws: Workspace;
  root: string;
  doc: Record<string, unknown>;
  notes: BuildNotes;
}

/** Builds the Contract model from a loaded workspace. Annotations must have passed the schema. */
export function buildContract(
  ws: Workspace,
  rootPath: string,
): { contract: Contract; notes: BuildNotes } {
  const doc = ws.get(rootPath, "") as Record<string, unknown>;
  const notes: BuildNotes = {
    annotations: [],
    unresolvedDlq: [],
    unresolvedChannels: [],
    badKeyExpressions: [],
    owners: [{ kind: "root", id: "", value: doc, absolutePath: rootPath, pointer: "" }],
    nonJsonPayloads: new Map(),
  };
  const v2 = String(doc.asyncapi ?? "").startsWith("2.");
  const ctx: Ctx = { v2, ws, root: rootPath, doc, notes };
  const loc = (pointer: string, abs = rootPath) => ws.locateKey(abs, pointer);
  noteAnnotations(notes, JETCONTRACT_KEYS.root, "root", "", {
    value: doc,
    absolutePath: rootPath,
    pointer: "",
  });

  const info = isRecord(doc.info) ? doc.info : {};
  const defaultCompatibility = compat(doc["x-compatibility"]) ?? "BACKWARD";
  const defaultContentType =
    typeof doc.defaultContentType === "string" ? doc.defaultContentType : "application/json";

  // Servers
  const servers: Server[] = [];
  for (const [id, raw] of entries(doc.servers)) {
    const s = ws.deref({
      value: raw,
      absolutePath: rootPath,
      pointer: joinPointer("/servers", id),
    });
    if (!s || !isRecord(s.value)) continue;
    servers.push({
      id,
      host: String((v2 ? s.value.url : s.value.host) ?? ""),
      protocol: String(s.value.protocol ?? ""),
      ...opt("description", str(s.value.description)),
      location: loc(joinPointer("/servers", id)),
    });
  }

  // Messages: registered by the location of their definition, so every reference to one
  // message object yields one model message.
  const messageByKey = new Map<string, MutableMessage>();
  const messageIds = new Set<string>();
  const registerMessage = (raw: Located, fallbackId: string): MutableMessage | undefined => {
    const m = ws.deref(raw);
    if (!m || !isRecord(m.value)) return undefined;
    const key = `${m.absolutePath}#${m.pointer}`;
    const known = messageByKey.get(key);
    if (known) return known;
    const segs = parsePointer(m.pointer) ?? [];
    let id =
      segs.length === 3 && segs[0] === "components" && segs[1] === "messages"
        ? (segs[2] as string)
        : v2 && typeof m.value.messageId === "string"
          ? m.value.messageId
          : m.refName !== undefined && segs[0] !== "channels" && segs[0] !== "operations"
            ? m.refName
            : fallbackId;
    const base = id;
    for (let i = 2; messageIds.has(id); i++) id = `${base}${i}`;
    messageIds.add(id);
    const built = buildMessage(ctx, id, m, v2, defaultCompatibility, defaultContentType);
    messageByKey.set(key, built);
    return built;
  };
  for (const [key, raw] of entries(
    isRecord(doc.components) ? doc.components.messages : undefined,
  )) {
    registerMessage(
      { value: raw, absolutePath: rootPath, pointer: joinPointer("/components/messages", key) },
      key,
    );
  }

  // Channels and operations
  const channels = new Map<string, MutableChannel>();
  const channelByKey = new Map<string, MutableChannel>();
  const operations: MutableOperation[] = [];

  for (const [channelId, raw] of entries(doc.channels)) {
    const pointer = joinPointer("/channels", channelId);
    const c = ws.deref({ value: raw, absolutePath: rootPath, pointer });
    if (!c || !isRecord(c.value)) continue;
    noteAnnotations(notes, JETCONTRACT_KEYS.channel, "channel", channelId, c);
    notes.owners.push({
      kind: "channel",
      id: channelId,
      value: c.value,
      absolutePath: c.absolutePath,
      pointer: c.pointer,
    });
    const address = v2 ? channelId : typeof c.value.address === "string" ? c.value.address : null;
    const jet = isRecord(c.value["x-jetstream"]) ? c.value["x-jetstream"] : undefined;
    const channel: MutableChannel = {
      id: channelId,
      address,
      subject: address === null ? null : subjectOf(address),
      parameters: buildParameters(ctx, c, v2),
      ...opt("stream", str(jet?.stream)),
      messageIds: [],
      ...opt("title", str(c.value.title)),
      ...opt("description", str(c.value.description)),
      isDeadLetter: false,
      location: loc(pointer),
    };
    channels.set(channelId, channel);
    channelByKey.set(`${c.absolutePath}#${c.pointer}`, channel);

    if (!v2) {
      for (const [msgKey, rawMsg] of entries(c.value.messages)) {
        const m = registerMessage(
          {
            value: rawMsg,
            absolutePath: c.absolutePath,
            pointer: joinPointer(c.pointer, "messages", msgKey),
          },
          `${channelId}.${msgKey}`,
        );
        if (m) addUnique(channel.messageIds, m.id);
      }
    } else {
      for (const verb of ["publish", "subscribe"] as const) {
        const opRaw = c.value[verb];
        if (!isRecord(opRaw)) continue;
        const opLoc: Located = {
          value: opRaw,
          absolutePath: c.absolutePath,
          pointer: joinPointer(c.pointer, verb),
        };
        const merged = applyTraits(ctx, opLoc, "traits");
        const opId =
          typeof merged.operationId === "string" ? merged.operationId : `${channelId}.${verb}`;
        const msgIds: string[] = [];
        const msgRaw = ws.deref({
          value: opRaw.message,
          absolutePath: opLoc.absolutePath,
          pointer: joinPointer(opLoc.pointer, "message"),
        });
        if (msgRaw && isRecord(msgRaw.value)) {
          const oneOf = Array.isArray(msgRaw.value.oneOf) ? msgRaw.value.oneOf : undefined;
          const list: Located[] = oneOf
            ? oneOf.map((v, i) => ({
                value: v,
                absolutePath: msgRaw.absolutePath,
                pointer: joinPointer(msgRaw.pointer, "oneOf", i),
              }))
            : [msgRaw];
          list.forEach((l, i) => {
            const m = registerMessage(l, oneOf ? `${opId}.message${i}` : `${opId}.message`);
            if (m) {
              addUnique(msgIds, m.id);
              addUnique(channel.messageIds, m.id);
            }
          });
        }
        operations.push(
          buildOperation(ctx, {
            id: opId,
            action: verb === "publish" ? "receive" : "send",
            channelId,
            messageIds: msgIds,
            raw: { value: merged, absolutePath: opLoc.absolutePath, pointer: opLoc.pointer },
            location: loc(opLoc.pointer, opLoc.absolutePath),
          }),
        );
      }
    }
  }

  if (!v2) {
    for (const [opId, raw] of entries(doc.operations)) {
      const pointer = joinPointer("/operations", opId);
      const o = ws.deref({ value: raw, absolutePath: rootPath, pointer });
      if (!o || !isRecord(o.value)) continue;
      const merged = applyTraits(ctx, o, "traits");
      const ch = ws.deref({
        value: merged.channel,
        absolutePath: o.absolutePath,
        pointer: joinPointer(o.pointer, "channel"),
      });
      const channel = ch ? channelByKey.get(`${ch.absolutePath}#${ch.pointer}`) : undefined;
      if (!channel) {
        notes.unresolvedChannels.push({
          operationId: opId,
          location: loc(joinPointer(o.pointer, "channel"), o.absolutePath),
        });
        continue;
      }
      const msgIds: string[] = [];
      if (Array.isArray(merged.messages)) {
        merged.messages.forEach((m, i) => {
          const target = ws.deref({
            value: m,
            absolutePath: o.absolutePath,
            pointer: joinPointer(o.pointer, "messages", i),
          });
          const known = target
            ? messageByKey.get(`${target.absolutePath}#${target.pointer}`)
            : undefined;
          if (known) addUnique(msgIds, known.id);
        });
      }
      const action = merged.action === "send" ? "send" : "receive";
      operations.push(
        buildOperation(ctx, {
          id: opId,
          action,
          channelId: channel.id,
          messageIds: msgIds.length > 0 ? msgIds : [...channel.messageIds],
          raw: { value: merged, absolutePath: o.absolutePath, pointer: o.pointer },
          location: loc(pointer),
        }),
      );
    }
  }

  // Message ↔ channel links
  const messageById = new Map([...messageByKey.values()].map((m) => [m.id, m]));
  for (const channel of channels.values()) {
    for (const id of channel.messageIds) {
      const m = messageById.get(id);
      if (m) addUnique(m.channelIds, channel.id);
    }
  }

  // Dead-letter policies need the channels.
  for (const op of operations) {
    if (op.action !== "receive") continue;
    const site = notes.annotations.find(
      (a) => a.key === "x-dlq" && a.owner === "operation" && a.ownerId === op.id,
    );
    if (!site || !isRecord(site.value)) continue;
    const chRaw = site.value.channel;
    const ref = isRecord(chRaw) && typeof chRaw.$ref === "string" ? chRaw.$ref : "";
    const target = ws.deref({
      value: chRaw,
      absolutePath: site.absolutePath,
      pointer: joinPointer(site.pointer, "channel"),
    });
    // 2.x channels are keyed by address, so `#/channels/<address>` is found the same way.
    const channel = target
      ? channelByKey.get(`${target.absolutePath}#${target.pointer}`)
      : undefined;
    const location = loc(site.pointer, site.absolutePath);
    if (!channel) {
      notes.unresolvedDlq.push({
        operationId: op.id,
        ref,
        location: ws.locateKey(site.absolutePath, joinPointer(site.pointer, "channel")),
      });
      continue;
    }
    channel.isDeadLetter = true;
    const dlq: DeadLetterPolicy = {
      channelId: channel.id,
      subject: channel.subject ?? "",
      stream: str(site.value.stream) ?? channel.stream ?? "",
      location,
    };
    (op as MutableReceive).dlq = dlq;
  }

  // Streams
  const streams: Stream[] = [];
  const jet = isRecord(doc["x-jetstream"]) ? doc["x-jetstream"] : undefined;
  for (const [name, raw] of entries(jet?.streams)) {
    if (!isRecord(raw)) continue;
    const explicit = Array.isArray(raw.subjects) ? raw.subjects.map(String) : undefined;
    const derived = [...channels.values()]
      .filter((c) => c.stream === name && c.subject !== null)
      .map((c) => c.subject as string);
    streams.push({
      name,
      subjects: explicit ?? [...new Set(derived)].sort(),
      subjectsDerived: explicit === undefined,
      retention: (str(raw.retention) as Stream["retention"]) ?? "limits",
      storage: (str(raw.storage) as Stream["storage"]) ?? "file",
      replicas: typeof raw.replicas === "number" ? raw.replicas : 1,
      discard: (str(raw.discard) as Stream["discard"]) ?? "old",
      ...opt("maxAgeMs", dur(raw.maxAge)),
      ...opt("maxBytes", size(raw.maxBytes)),
      ...opt("maxMsgs", typeof raw.maxMsgs === "number" ? raw.maxMsgs : undefined),
      ...opt("maxMsgSizeBytes", size(raw.maxMsgSize)),
      ...opt("duplicateWindowMs", dur(raw.duplicateWindow)),
      ...opt("description", str(raw.description)),
      isDeadLetter: operations.some(
        (o) => o.action === "receive" && (o as MutableReceive).dlq?.stream === name,
      ),
      location: loc(joinPointer("/x-jetstream/streams", name)),
    });
  }

  const messages = [...messageByKey.values()].map(freezeMessage);
  const contract: Contract = {
    asyncapiVersion: String(doc.asyncapi ?? ""),
    info: {
      title: String(info.title ?? ""),
      version: String(info.version ?? ""),
      ...opt("description", str(info.description)),
    },
    files: ws.order.map((abs) => ws.files.get(abs)?.displayPath ?? abs),
    defaultCompatibility,
    servers: byKey(servers, (s) => s.id),
    streams: byKey(streams, (s) => s.name),
    channels: byKey(
      [...channels.values()].map((c) => ({ ...c, messageIds: [...c.messageIds].sort() })),
      (c) => c.id,
    ),
    messages: byKey(messages, (m) => m.id),
    operations: byKey(
      operations.map((o) => ({ ...o, messageIds: [...o.messageIds].sort() }) as Operation),
      (o) => o.id,
    ),
    location: ws.locate(rootPath, ""),
  };
  return { contract, notes };
}

/** Notes each of `keys` that `obj` carries, where it is written. */
function noteAnnotations(
  notes: BuildNotes,
  keys: readonly string[],
  owner: AnnotationSite["owner"],
  ownerId: string,
  obj: Located,
): void {
  if (!isRecord(obj.value)) return;
  for (const key of keys) {
    const value = obj.value[key];
    if (value === undefined) continue;
    notes.annotations.push({
      key,
      owner,
      ownerId,
      value,
      absolutePath: obj.absolutePath,
      pointer: joinPointer(obj.pointer, key),
    });
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MutableChannel = Mutable<Channel> & { messageIds: string[] };
type MutableMessage = Mutable<Message> & { channelIds: string[] };
type MutableReceive = Mutable<Extract<Operation, { action: "receive" }>>;
type MutableOperation = Mutable<Operation>;

function freezeMessage(m: MutableMessage): Message {
  return { ...m, channelIds: [...m.channelIds].sort() };
}

function buildMessage(
  ctx: Ctx,
  id: string,
  m: Located,
  v2: boolean,
  defaultCompatibility: CompatibilityMode,
  defaultContentType: string,
): MutableMessage {
  const { ws, notes } = ctx;
  const value = applyTraits(ctx, m, "traits");
  const obj: Located = { value, absolutePath: m.absolutePath, pointer: m.pointer };
  notes.owners.push({
    kind: "message",
    id,
    value,
    absolutePath: m.absolutePath,
    pointer: m.pointer,
  });
  noteAnnotations(notes, JETCONTRACT_KEYS.message, "message", id, obj);
  const own = compat(value["x-compatibility"]);
  const schemaOf = (
    field: "payload" | "headers",
  ): { schema?: JsonSchema; location?: SourceLocation } => {
    const raw = value[field];
    if (raw === undefined) return {};
    let at: Located = {
      value: raw,
      absolutePath: obj.absolutePath,
      pointer: joinPointer(obj.pointer, field),
    };
    let format = v2 && field === "payload" ? str(value.schemaFormat) : undefined;
    const d = ws.deref(at);
    if (
      !v2 &&
      d &&
      isRecord(d.value) &&
      typeof d.value.schemaFormat === "string" &&
      "schema" in d.value
    ) {
      format = d.value.schemaFormat;
      at = {
        value: d.value.schema,
        absolutePath: d.absolutePath,
        pointer: joinPointer(d.pointer, "schema"),
      };
    }
    if (format && !JSON_SCHEMA_FORMAT.test(format)) {
      if (field === "payload") notes.nonJsonPayloads.set(id, format);
      return { location: ws.locateKey(obj.absolutePath, joinPointer(obj.pointer, field)) };
    }
    return {
      schema: inlineSchema(ws, at),
      location: ws.locateKey(obj.absolutePath, joinPointer(obj.pointer, field)),
    };
  };
  const payload = schemaOf("payload");
  const headers = schemaOf("headers");
  const examples: MessageExample[] = [];
  if (Array.isArray(value.examples)) {
    for (const ex of value.examples) {
      if (!isRecord(ex)) continue;
      examples.push({
        ...opt("name", str(ex.name)),
        ...(ex.payload !== undefined ? { payload: structuredClone(ex.payload) } : {}),
        ...(ex.headers !== undefined ? { headers: structuredClone(ex.headers) } : {}),
      });
    }
  }
  return {
    id,
    name: str(value.name) ?? id,
    ...opt("title", str(value.title)),
    ...opt("summary", str(value.summary)),
    ...opt("description", str(value.description)),
    contentType: str(value.contentType) ?? defaultContentType,
    ...opt("payload", payload.schema),
    ...opt("headers", headers.schema),
    ...opt("idempotencyKey", idempotencyKey(ctx, id, value["x-idempotency-key"], m)),
    ...opt("schemaFormat", notes.nonJsonPayloads.get(id)),
    compatibility: own ?? defaultCompatibility,
    compatibilityExplicit: own !== undefined,
    examples,
    channelIds: [],
    location: ws.locateKey(m.absolutePath, m.pointer),
    ...opt("payloadLocation", payload.location),
    ...opt("headersLocation", headers.location),
  };
}

const KEY_EXPRESSION = /^\$message\.(payload|header)#(\/.*)?$/;

/** Parses one `$message.payload#/a/b` / `$message.header#/X` expression. */
function parseKeyExpression(expression: string): IdempotencyKeyPart | undefined {
  const match = KEY_EXPRESSION.exec(expression.trim());
  if (!match) return undefined;
  const pointer = match[2] ?? "";
  const path = parsePointer(pointer);
  if (!path || path.length === 0 || path.some((s) => s === "")) return undefined;
  return { expression, source: match[1] === "header" ? "header" : "payload", pointer, path };
}

function idempotencyKey(
  ctx: Ctx,
  messageId: string,
  raw: unknown,
  m: Located,
): IdempotencyKey | undefined {
  if (raw === undefined) return undefined;
  const pointer = joinPointer(m.pointer, "x-idempotency-key");
  const location = ctx.ws.locateKey(m.absolutePath, pointer);
  let list: unknown[] = [];
  let separator: string = DEFAULTS.keySeparator;
  if (typeof raw === "string") list = [raw];
  else if (Array.isArray(raw)) list = raw;
  else if (isRecord(raw)) {
    list = Array.isArray(raw.parts) ? raw.parts : [raw.parts];
    if (typeof raw.separator === "string") separator = raw.separator;
  }
  const parts: IdempotencyKeyPart[] = [];
  for (const e of list) {
    const part = typeof e === "string" ? parseKeyExpression(e) : undefined;
    if (!part) {
      ctx.notes.badKeyExpressions.push({ messageId, expression: String(e), location });
      return undefined;
    }
    parts.push(part);
  }
  if (parts.length === 0) return undefined;
  return { parts, separator, location };
}

function buildParameters(ctx: Ctx, c: Located, v2: boolean): ChannelParameter[] {
  const out: ChannelParameter[] = [];
  const params = isRecord(c.value) ? c.value.parameters : undefined;
  for (const [name, raw] of entries(params)) {
    const pointer = joinPointer(c.pointer, "parameters", name);
    const p = ctx.ws.deref({ value: raw, absolutePath: c.absolutePath, pointer });
    if (!p || !isRecord(p.value)) continue;
    const schema = v2 && isRecord(p.value.schema) ? p.value.schema : p.value;
    const en = Array.isArray(schema.enum) ? schema.enum.map(String) : undefined;
    out.push({
      name,
      ...opt("description", str(p.value.description)),
      ...opt("enum", en),
      location: ctx.ws.locateKey(c.absolutePath, pointer),
    });
  }
  return out.sort((a, b) => cmp(a.name, b.name));
}

interface OpInput {
  id: string;
  action: "send" | "receive";
  channelId: string;
  messageIds: string[];
  raw: Located;
  location: SourceLocation;
}

function buildOperation(ctx: Ctx, input: OpInput): MutableOperation {
  const value = input.raw.value as Record<string, unknown>;
  // Every operation annotation is noted, also on the wrong kind of operation, so the
  // `jc-annotation-misplaced` rule can report it.
  noteAnnotations(
    ctx.notes,
    [...JETCONTRACT_KEYS.receive, ...JETCONTRACT_KEYS.send],
    "operation",
    input.id,
    input.raw,
  );
  ctx.notes.owners.push({
    kind: input.action,
    id: input.id,
    value,
    absolutePath: input.raw.absolutePath,
    pointer: input.raw.pointer,
  });
  const at = (key: string) =>
    ctx.ws.locateKey(input.raw.absolutePath, joinPointer(input.raw.pointer, key));
  const base = {
    id: input.id,
    channelId: input.channelId,
    messageIds: input.messageIds,
    ...opt("title", str(value.title)),
    ...opt("summary", str(value.summary)),
    ...opt("description", str(value.description)),
    location: input.location,
  };
  if (input.action === "send") {
    const publish = isRecord(value["x-publish"])
      ? publishPolicy(value["x-publish"], at("x-publish"))
      : undefined;
    return { ...base, action: "send", ...opt("publish", publish) };
  }
  const consumer = consumerPolicy(input.id, value["x-consumer"], at("x-consumer"), input.location);
  const retry = isRecord(value["x-retry"])
    ? retryPolicy(value["x-retry"], at("x-retry"), DEFAULTS.retry)
    : undefined;
  const dedup = isRecord(value["x-dedup"])
    ? dedupPolicy(value["x-dedup"], consumer, at("x-dedup"))
    : undefined;
  const breaker = isRecord(value["x-circuit-breaker"])
    ? breakerPolicy(value["x-circuit-breaker"], at("x-circuit-breaker"))
    : undefined;
  const monitor = monitorPolicy(value["x-monitor"], consumer, at("x-monitor"), input.location);
  return {
    ...base,
    action: "receive",
    consumer,
    monitor,
    ...opt("retry", retry),
    ...opt("dedup", dedup),
    ...opt("circuitBreaker", breaker),
  };
}

/** An operation id made into a valid JetStream durable name. */
export function durableFromId(id: string): string {
  const name = id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 255);
  return name === "" ? "consumer" : name;
}

function consumerPolicy(
  opId: string,
  raw: unknown,
  location: SourceLocation,
  opLocation: SourceLocation,
): ConsumerPolicy {
  const r = isRecord(raw) ? raw : {};
  const ackWait = dur(r.ackWait);
  const handler = dur(r.handlerTimeout);
  const concurrency = int(r.concurrency) ?? DEFAULTS.concurrency;
  const ackWaitMs =
    ackWait ?? Math.max(DEFAULTS.ackWaitMs, (handler ?? 0) + DEFAULTS.handlerTimeoutMarginMs);
  const handlerTimeoutMs =
    handler ??
    (ackWait !== undefined
      ? Math.max(1000, ackWait - DEFAULTS.handlerTimeoutMarginMs)
      : DEFAULTS.handlerTimeoutMs);
  return {
    durable: str(r.durable) ?? durableFromId(opId),
    ackWaitMs,
    maxAckPending: int(r.maxAckPending) ?? Math.max(DEFAULTS.maxAckPending, concurrency),
    concurrency,
    handlerTimeoutMs,
    deliverPolicy: (str(r.deliverPolicy) as ConsumerPolicy["deliverPolicy"]) ?? "all",
    location: isRecord(raw) ? location : opLocation,
  };
}

function monitorPolicy(
  raw: unknown,
  consumer: ConsumerPolicy,
  location: SourceLocation,
  opLocation: SourceLocation,
): MonitorPolicy {
  const r = isRecord(raw) ? raw : {};
  const d = DEFAULTS.monitor;
  return {
    maxPending: int(r.maxPending) ?? d.maxPending,
    maxAckPending: int(r.maxAckPending) ?? consumer.maxAckPending,
    maxDlqDepth: int(r.maxDlqDepth) ?? d.maxDlqDepth,
    maxIdleMs: dur(r.maxIdle) ?? d.maxIdleMs,
    warnAt: num(r.warnAt) ?? d.warnAt,
    location: isRecord(raw) ? location : opLocation,
  };
}

function retryPolicy(
  r: Record<string, unknown>,
  location: SourceLocation,
  d: { maxAttempts: number; initialDelayMs: number; maxDelayMs: number; multiplier: number },
): RetryPolicy {
  const delays = Array.isArray(r.delays) ? r.delays.map((x) => dur(x) ?? 0) : undefined;
  if (delays && delays.length > 0) {
    return {
      maxAttempts: int(r.maxAttempts) ?? delays.length + 1,
      strategy: (str(r.strategy) as RetryPolicy["strategy"]) ?? "fixed",
      initialDelayMs: dur(r.initialDelay) ?? (delays[0] as number),
      maxDelayMs: dur(r.maxDelay) ?? Math.max(...delays),
      multiplier: num(r.multiplier) ?? 1,
      jitter: (str(r.jitter) as RetryPolicy["jitter"]) ?? "none",
      delaysMs: delays,
      location,
    };
  }
  const strategy = (str(r.strategy) as RetryPolicy["strategy"]) ?? "exponential";
  return {
    maxAttempts: int(r.maxAttempts) ?? d.maxAttempts,
    strategy,
    initialDelayMs: dur(r.initialDelay) ?? d.initialDelayMs,
    maxDelayMs: dur(r.maxDelay) ?? d.maxDelayMs,
    multiplier: num(r.multiplier) ?? (strategy === "exponential" ? d.multiplier : 1),
    jitter: (str(r.jitter) as RetryPolicy["jitter"]) ?? "full",
    location,
  };
}

/** Delays before retry 1..n of a policy, without jitter (the upper bound used for deadlines). */
export function retryDelays(policy: RetryPolicy): number[] {
  const out: number[] = [];
  for (let i = 0; i < policy.maxAttempts - 1; i++) {
    let delay: number;
    if (policy.delaysMs && policy.delaysMs.length > 0) {
      delay = policy.delaysMs[Math.min(i, policy.delaysMs.length - 1)] as number;
    } else if (policy.strategy === "fixed") delay = policy.initialDelayMs;
    else if (policy.strategy === "linear") delay = policy.initialDelayMs * (i + 1);
    else delay = policy.initialDelayMs * policy.multiplier ** i;
    out.push(Math.min(delay, policy.maxDelayMs));
  }
  return out;
}

function publishPolicy(r: Record<string, unknown>, location: SourceLocation): PublishPolicy {
  const timeoutMs = dur(r.timeout) ?? DEFAULTS.publish.timeoutMs;
  const retry = retryPolicy(isRecord(r.retry) ? r.retry : {}, location, DEFAULTS.publish.retry);
  const deadlineMs =
    dur(r.deadline) ??
    retry.maxAttempts * timeoutMs + retryDelays(retry).reduce((a, b) => a + b, 0);
  return { timeoutMs, retry, deadlineMs, location };
}

function dedupPolicy(
  r: Record<string, unknown>,
  consumer: ConsumerPolicy,
  location: SourceLocation,
): DedupPolicy {
  if (r.store === "kv") {
    return {
      store: "kv",
      bucket: str(r.bucket) ?? `${consumer.durable}_dedup`.replace(/[^A-Za-z0-9_-]/g, "_"),
      ttlMs: dur(r.ttl) ?? DEFAULTS.kvTtlMs,
      leaseMs: dur(r.lease) ?? consumer.ackWaitMs,
      location,
    };
  }
  if (r.store === "memory") {
    return {
      store: "memory",
      maxEntries: int(r.maxEntries) ?? DEFAULTS.memoryMaxEntries,
      ttlMs: dur(r.ttl) ?? DEFAULTS.memoryTtlMs,
      location,
    };
  }
  return { store: "none", location };
}

function breakerPolicy(r: Record<string, unknown>, location: SourceLocation): CircuitBreakerPolicy {
  const d = DEFAULTS.breaker;
  const open: BreakerOpenCondition =
    typeof r.failureRatio === "number"
      ? {
          kind: "ratio",
          failureRatio: r.failureRatio,
          windowMs: dur(r.window) ?? d.windowMs,
          minCalls: int(r.minCalls) ?? d.minCalls,
        }
      : { kind: "consecutive", failures: int(r.consecutiveFailures) ?? d.failures };
  return {
    open,
    halfOpenAfterMs: dur(r.halfOpenAfter) ?? d.halfOpenAfterMs,
    halfOpenProbes: int(r.halfOpenProbes) ?? d.probes,
    location,
  };
}

/**
 * Merges traits into an object. AsyncAPI 3.x: the object's own fields win over the traits'.
 * AsyncAPI 2.x: traits are merge-patched onto the object in order, so a trait's field wins.
 * (Shallow: the top-level fields of the object.)
 */
function applyTraits(ctx: Ctx, at: Located, field: string): Record<string, unknown> {
  const value = isRecord(at.value) ? at.value : {};
  const traits = value[field];
  if (!Array.isArray(traits) || traits.length === 0) return value;
  let merged: Record<string, unknown> = {};
  traits.forEach((t, i) => {
    const tr = ctx.ws.deref({
      value: t,
      absolutePath: at.absolutePath,
      pointer: joinPointer(at.pointer, field, i),
    });
    if (tr && isRecord(tr.value)) merged = { ...merged, ...tr.value };
  });
  const { [field]: _drop, ...own } = value;
  return ctx.v2 ? { ...own, ...merged } : { ...merged, ...own };
}

/** The NATS subject of an address: each `{param}` becomes `*`. */
export function subjectOf(address: string): string {
  return address.replace(/\{[^}]*\}/g, "*");
}

function compat(value: unknown): CompatibilityMode | undefined {
  return typeof value === "string" && COMPAT_MODES.has(value)
    ? (value as CompatibilityMode)
    : undefined;
}

function entries(value: unknown): [string, unknown][] {
  return isRecord(value) ? Object.entries(value) : [];
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
function int(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) ? value : undefined;
}
function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
function dur(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}
function size(value: unknown): number | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  try {
    return parseSize(value);
  } catch {
    return undefined;
  }
}

/** `{ [key]: value }` when value is defined, else `{}` (for exactOptionalPropertyTypes). */
function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function addUnique(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byKey<T>(items: T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) => cmp(key(a), key(b)));
}
