/** Channels: address, NATS subject, parameters, stream, and (3.x) the messages they carry. */
import type { Channel, ChannelParameter } from "../../model/types.js";
import { isRecord, joinPointer } from "../pointer.js";
import type { Located } from "../workspace.js";
import {
  addUnique,
  type BuildContext,
  cmp,
  entries,
  JETCONTRACT_KEYS,
  locate,
  type Mutable,
  noteAnnotations,
  opt,
  str,
} from "./context.js";
import type { MessageRegistry } from "./messages.js";

export type MutableChannel = Mutable<Channel> & { messageIds: string[] };

/** The NATS subject of an address: each `{param}` becomes `*`. */
export function subjectOf(address: string): string {
  return address.replace(/\{[^}]*\}/g, "*");
}

/** The channel at `channels.<id>` (already dereferenced as `c`). */
export function buildChannel(
  ctx: BuildContext,
  channelId: string,
  c: Located<Record<string, unknown>>,
  messages: MessageRegistry,
): MutableChannel {
  const { notes, v2 } = ctx;
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
    parameters: buildParameters(ctx, c),
    ...opt("stream", str(jet?.stream)),
    messageIds: [],
    ...opt("title", str(c.value.title)),
    ...opt("description", str(c.value.description)),
    isDeadLetter: false,
    location: locate(ctx, joinPointer("/channels", channelId)),
  };
  if (!v2) {
    // 3.x: the channel lists its messages (2.x operations name them instead).
    for (const [msgKey, rawMsg] of entries(c.value.messages)) {
      const m = messages.register(
        {
          value: rawMsg,
          absolutePath: c.absolutePath,
          pointer: joinPointer(c.pointer, "messages", msgKey),
        },
        `${channelId}.${msgKey}`,
      );
      if (m) addUnique(channel.messageIds, m.id);
    }
  }
  return channel;
}

function buildParameters(ctx: BuildContext, c: Located): ChannelParameter[] {
  const out: ChannelParameter[] = [];
  const params = isRecord(c.value) ? c.value.parameters : undefined;
  for (const [name, raw] of entries(params)) {
    const pointer = joinPointer(c.pointer, "parameters", name);
    const p = ctx.ws.deref({ value: raw, absolutePath: c.absolutePath, pointer });
    if (!p || !isRecord(p.value)) continue;
    const schema = ctx.v2 && isRecord(p.value.schema) ? p.value.schema : p.value;
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
