/**
 * Builds the Contract model from a loaded workspace, one builder per spec object
 * (`./build/`): servers, messages, channels, operations with their policies, streams.
 * Annotations must have passed the annotation schema.
 */
import type { Contract } from "../model/types.js";
import { buildChannel, type MutableChannel } from "./build/channels.js";
import {
  type BuildContext,
  type BuildNotes,
  byKey,
  entries,
  JETCONTRACT_KEYS,
  noteAnnotations,
  opt,
  str,
} from "./build/context.js";
import { MessageRegistry } from "./build/messages.js";
import {
  freezeOperation,
  linkDeadLetters,
  type MutableOperation,
  operationsOfChannelV2,
  operationsV3,
} from "./build/operations.js";
import { buildServers } from "./build/servers.js";
import { buildStreams } from "./build/streams.js";
import { isRecord, joinPointer } from "./pointer.js";
import type { Workspace } from "./workspace.js";

export {
  ALL_ANNOTATION_KEYS,
  type AnnotationOwner,
  type AnnotationSite,
  type BuildNotes,
} from "./build/context.js";

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
  const info = isRecord(doc.info) ? doc.info : {};
  const ctx: BuildContext = {
    v2: String(doc.asyncapi ?? "").startsWith("2."),
    ws,
    root: rootPath,
    doc,
    notes,
    title: String(info.title ?? ""),
  };
  noteAnnotations(notes, JETCONTRACT_KEYS.root, "root", "", {
    value: doc,
    absolutePath: rootPath,
    pointer: "",
  });

  // Component messages first: they keep their component key as id.
  const messages = new MessageRegistry(ctx);
  for (const [key, raw] of entries(
    isRecord(doc.components) ? doc.components.messages : undefined,
  )) {
    messages.register(
      { value: raw, absolutePath: rootPath, pointer: joinPointer("/components/messages", key) },
      key,
    );
  }

  const channels: MutableChannel[] = [];
  const channelByKey = new Map<string, MutableChannel>();
  const operations: MutableOperation[] = [];
  for (const [channelId, raw] of entries(doc.channels)) {
    const pointer = joinPointer("/channels", channelId);
    const c = ws.deref({ value: raw, absolutePath: rootPath, pointer });
    if (!c || !isRecord(c.value)) continue;
    const located = { ...c, value: c.value };
    const channel = buildChannel(ctx, channelId, located, messages);
    channels.push(channel);
    channelByKey.set(`${c.absolutePath}#${c.pointer}`, channel);
    if (ctx.v2) operations.push(...operationsOfChannelV2(ctx, channel, located, messages));
  }
  if (!ctx.v2) operations.push(...operationsV3(ctx, channelByKey, messages));
  linkDeadLetters(ctx, operations, channelByKey);

  // Message ↔ channel links.
  const messageById = new Map(messages.all().map((m) => [m.id, m]));
  for (const channel of channels) {
    for (const id of channel.messageIds) {
      const m = messageById.get(id);
      if (m && !m.channelIds.includes(channel.id)) m.channelIds.push(channel.id);
    }
  }

  const contract: Contract = {
    asyncapiVersion: String(doc.asyncapi ?? ""),
    info: {
      title: ctx.title,
      version: String(info.version ?? ""),
      ...opt("description", str(info.description)),
    },
    files: ws.order.map((abs) => ws.files.get(abs)?.displayPath ?? abs),
    defaultCompatibility: messages.defaultCompatibility,
    servers: byKey(buildServers(ctx), (s) => s.id),
    streams: byKey(buildStreams(ctx, channels, operations), (s) => s.name),
    channels: byKey(
      channels.map((c) => ({ ...c, messageIds: [...c.messageIds].sort() })),
      (c) => c.id,
    ),
    messages: byKey(
      messages.all().map((m) => ({ ...m, channelIds: [...m.channelIds].sort() })),
      (m) => m.id,
    ),
    operations: byKey(operations.map(freezeOperation), (o) => o.id),
    location: ws.locate(rootPath, ""),
  };
  return { contract, notes };
}
