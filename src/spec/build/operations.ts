/**
 * Operations: 3.x `operations`, 2.x channel `publish`/`subscribe` (publish = the application
 * receives), each with its policies resolved (see ./policies.ts).
 */
import type {
  Operation,
  OperationAnnotation,
  ReceiveOperation,
  SendOperation,
  SourceLocation,
} from "../../model/types.js";
import { isRecord, joinPointer } from "../pointer.js";
import type { Located } from "../workspace.js";
import type { MutableChannel } from "./channels.js";
import {
  addUnique,
  applyTraits,
  type BuildContext,
  entries,
  JETCONTRACT_KEYS,
  locate,
  type Mutable,
  noteAnnotations,
  opt,
  str,
} from "./context.js";
import type { MessageRegistry } from "./messages.js";
import {
  breakerPolicy,
  consumerPolicy,
  dedupPolicy,
  monitorPolicy,
  publishPolicy,
  retryPolicy,
} from "./policies.js";
import { rawStream, streamReplicas } from "./streams.js";

export type MutableOperation = Mutable<SendOperation> | Mutable<ReceiveOperation>;

/** Channels by the location of their definition (`<file>#<pointer>`), for `$ref` lookups. */
export type ChannelIndex = ReadonlyMap<string, MutableChannel>;

const OPERATION_KEYS: readonly OperationAnnotation[] = [
  ...JETCONTRACT_KEYS.receive,
  ...JETCONTRACT_KEYS.send,
];

/** 2.x: the `publish` and `subscribe` operations of one channel (adds their messages to it). */
export function operationsOfChannelV2(
  ctx: BuildContext,
  channel: MutableChannel,
  c: Located<Record<string, unknown>>,
  messages: MessageRegistry,
): MutableOperation[] {
  const out: MutableOperation[] = [];
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
      typeof merged.operationId === "string" ? merged.operationId : `${channel.id}.${verb}`;
    const msgIds: string[] = [];
    const msgRaw = ctx.ws.deref({
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
        const m = messages.register(l, oneOf ? `${opId}.message${i}` : `${opId}.message`);
        if (m) {
          addUnique(msgIds, m.id);
          addUnique(channel.messageIds, m.id);
        }
      });
    }
    out.push(
      buildOperation(ctx, {
        id: opId,
        action: verb === "publish" ? "receive" : "send",
        channelId: channel.id,
        stream: channel.stream,
        messageIds: msgIds,
        raw: { value: merged, absolutePath: opLoc.absolutePath, pointer: opLoc.pointer },
        location: locate(ctx, opLoc.pointer, opLoc.absolutePath),
      }),
    );
  }
  return out;
}

/** 3.x: the document's `operations`. */
export function operationsV3(
  ctx: BuildContext,
  channels: ChannelIndex,
  messages: MessageRegistry,
): MutableOperation[] {
  const { ws, doc, notes } = ctx;
  const out: MutableOperation[] = [];
  for (const [opId, raw] of entries(doc.operations)) {
    const pointer = joinPointer("/operations", opId);
    const o = ws.deref({ value: raw, absolutePath: ctx.root, pointer });
    if (!o || !isRecord(o.value)) continue;
    const merged = applyTraits(ctx, o, "traits");
    const ch = ws.deref({
      value: merged.channel,
      absolutePath: o.absolutePath,
      pointer: joinPointer(o.pointer, "channel"),
    });
    const channel = ch ? channels.get(`${ch.absolutePath}#${ch.pointer}`) : undefined;
    if (!channel) {
      notes.unresolvedChannels.push({
        operationId: opId,
        location: locate(ctx, joinPointer(o.pointer, "channel"), o.absolutePath),
      });
      continue;
    }
    const msgIds: string[] = [];
    if (Array.isArray(merged.messages)) {
      merged.messages.forEach((m, i) => {
        const known = messages.find({
          value: m,
          absolutePath: o.absolutePath,
          pointer: joinPointer(o.pointer, "messages", i),
        });
        if (known) addUnique(msgIds, known.id);
      });
    }
    out.push(
      buildOperation(ctx, {
        id: opId,
        action: merged.action === "send" ? "send" : "receive",
        channelId: channel.id,
        stream: channel.stream,
        messageIds: msgIds.length > 0 ? msgIds : [...channel.messageIds],
        raw: { value: merged, absolutePath: o.absolutePath, pointer: o.pointer },
        location: locate(ctx, pointer),
      }),
    );
  }
  return out;
}

interface OperationInput {
  readonly id: string;
  readonly action: "send" | "receive";
  readonly channelId: string;
  /** The channel's `x-jetstream.stream`. */
  readonly stream: string | undefined;
  readonly messageIds: string[];
  readonly raw: Located;
  readonly location: SourceLocation;
}

function buildOperation(ctx: BuildContext, input: OperationInput): MutableOperation {
  const value = input.raw.value as Record<string, unknown>;
  // Every operation annotation is noted, also on the wrong kind of operation, so the
  // `jc-annotation-misplaced` rule can report it.
  noteAnnotations(ctx.notes, OPERATION_KEYS, "operation", input.id, input.raw);
  ctx.notes.owners.push({
    kind: input.action,
    id: input.id,
    value,
    absolutePath: input.raw.absolutePath,
    pointer: input.raw.pointer,
  });
  const annotated = OPERATION_KEYS.filter((k) => value[k] !== undefined).sort();
  /** Where annotation `key` is written; the operation itself when it is not. */
  const at = (key: OperationAnnotation) =>
    isRecord(value[key])
      ? ctx.ws.locateKey(input.raw.absolutePath, joinPointer(input.raw.pointer, key))
      : input.location;
  const base = {
    id: input.id,
    channelId: input.channelId,
    messageIds: input.messageIds,
    ...opt("title", str(value.title)),
    ...opt("summary", str(value.summary)),
    ...opt("description", str(value.description)),
    annotated,
    location: input.location,
  };
  if (input.action === "send") {
    return {
      ...base,
      action: "send",
      publish: publishPolicy(value["x-publish"], at("x-publish")),
    };
  }
  const consumer = consumerPolicy(base, value["x-consumer"], ctx.title, at("x-consumer"));
  const breaker = value["x-circuit-breaker"];
  return {
    ...base,
    action: "receive",
    consumer,
    monitor: monitorPolicy(value["x-monitor"], consumer, at("x-monitor")),
    retry: retryPolicy(value["x-retry"], at("x-retry")),
    dlq: null,
    dedup: dedupPolicy(
      value["x-dedup"],
      consumer,
      input.stream === undefined ? undefined : streamReplicas(rawStream(ctx, input.stream)),
      at("x-dedup"),
    ),
    circuitBreaker: isRecord(breaker) ? breakerPolicy(breaker, at("x-circuit-breaker")) : null,
  };
}

/** Resolves each `x-dlq` to its channel (known once every channel is built). */
export function linkDeadLetters(
  ctx: BuildContext,
  operations: readonly MutableOperation[],
  channels: ChannelIndex,
): void {
  const { ws, notes } = ctx;
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
    const channel = target ? channels.get(`${target.absolutePath}#${target.pointer}`) : undefined;
    if (!channel) {
      notes.unresolvedDlq.push({
        operationId: op.id,
        ref,
        location: ws.locateKey(site.absolutePath, joinPointer(site.pointer, "channel")),
      });
      continue;
    }
    channel.isDeadLetter = true;
    op.dlq = {
      channelId: channel.id,
      subject: channel.subject ?? "",
      stream: str(site.value.stream) ?? channel.stream ?? "",
      location: locate(ctx, site.pointer, site.absolutePath),
    };
  }
}

/** An operation as the model holds it (message ids sorted). */
export function freezeOperation(op: MutableOperation): Operation {
  return { ...op, messageIds: [...op.messageIds].sort() } as Operation;
}
