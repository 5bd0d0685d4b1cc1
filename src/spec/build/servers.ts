/** Servers: id, host (3.x) or url (2.x), protocol. */
import type { Server } from "../../model/types.js";
import { isRecord, joinPointer } from "../pointer.js";
import { type BuildContext, entries, locate, opt, str } from "./context.js";

export function buildServers(ctx: BuildContext): Server[] {
  const servers: Server[] = [];
  for (const [id, raw] of entries(ctx.doc.servers)) {
    const pointer = joinPointer("/servers", id);
    const s = ctx.ws.deref({ value: raw, absolutePath: ctx.root, pointer });
    if (!s || !isRecord(s.value)) continue;
    servers.push({
      id,
      host: String((ctx.v2 ? s.value.url : s.value.host) ?? ""),
      protocol: String(s.value.protocol ?? ""),
      ...opt("description", str(s.value.description)),
      location: locate(ctx, pointer),
    });
  }
  return servers;
}
