/**
 * Messages: each message object of the document becomes one model message, however many
 * references reach it (they are registered by the location of their definition).
 */

import { DEFAULT_KEY_SEPARATOR } from "@jetcontract/runtime/internal";
import { COMPATIBILITY_MODES } from "../../model/compatibility.js";
import type {
  CompatibilityMode,
  IdempotencyKey,
  IdempotencyKeyPart,
  JsonSchema,
  Message,
  MessageExample,
  SourceLocation,
} from "../../model/types.js";
import { inlineSchema } from "../inline-schema.js";
import { isRecord, joinPointer, parsePointer } from "../pointer.js";
import type { Located } from "../workspace.js";
import {
  applyTraits,
  type BuildContext,
  JETCONTRACT_KEYS,
  type Mutable,
  noteAnnotations,
  opt,
  str,
} from "./context.js";

export type MutableMessage = Mutable<Message> & { channelIds: string[] };

const COMPAT_MODES = new Set<string>(COMPATIBILITY_MODES);
const JSON_SCHEMA_FORMAT =
  /^application\/(schema\+json|schema\+yaml|vnd\.aai\.asyncapi(\+json|\+yaml)?)(;.*)?$/i;

/** A compatibility mode, or undefined for anything else. */
export function compat(value: unknown): CompatibilityMode | undefined {
  return typeof value === "string" && COMPAT_MODES.has(value)
    ? (value as CompatibilityMode)
    : undefined;
}

/** The message registry of one build: ids are unique, one model message per definition. */
export class MessageRegistry {
  readonly #byKey = new Map<string, MutableMessage>();
  readonly #ids = new Set<string>();
  readonly #defaultCompatibility: CompatibilityMode;
  readonly #defaultContentType: string;

  constructor(private readonly ctx: BuildContext) {
    const doc = ctx.doc;
    this.#defaultCompatibility = compat(doc["x-compatibility"]) ?? "BACKWARD";
    this.#defaultContentType =
      typeof doc.defaultContentType === "string" ? doc.defaultContentType : "application/json";
  }

  get defaultCompatibility(): CompatibilityMode {
    return this.#defaultCompatibility;
  }

  /** The message a (possibly referencing) node defines, built on first sight. */
  register(raw: Located, fallbackId: string): MutableMessage | undefined {
    const { ws, v2 } = this.ctx;
    const m = ws.deref(raw);
    if (!m || !isRecord(m.value)) return undefined;
    const key = `${m.absolutePath}#${m.pointer}`;
    const known = this.#byKey.get(key);
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
    for (let i = 2; this.#ids.has(id); i++) id = `${base}${i}`;
    this.#ids.add(id);
    const built = buildMessage(
      this.ctx,
      id,
      m,
      this.#defaultCompatibility,
      this.#defaultContentType,
    );
    this.#byKey.set(key, built);
    return built;
  }

  /** The message already registered for a node, if any (no new registration). */
  find(raw: Located): MutableMessage | undefined {
    const target = this.ctx.ws.deref(raw);
    return target ? this.#byKey.get(`${target.absolutePath}#${target.pointer}`) : undefined;
  }

  all(): MutableMessage[] {
    return [...this.#byKey.values()];
  }
}

function buildMessage(
  ctx: BuildContext,
  id: string,
  m: Located,
  defaultCompatibility: CompatibilityMode,
  defaultContentType: string,
): MutableMessage {
  const { ws, notes, v2 } = ctx;
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
  ctx: BuildContext,
  messageId: string,
  raw: unknown,
  m: Located,
): IdempotencyKey | undefined {
  if (raw === undefined) return undefined;
  const pointer = joinPointer(m.pointer, "x-idempotency-key");
  const location = ctx.ws.locateKey(m.absolutePath, pointer);
  let list: unknown[] = [];
  let separator: string = DEFAULT_KEY_SEPARATOR;
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
