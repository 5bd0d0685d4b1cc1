/** Idempotency keys: they exist, are required scalars, and are there wherever dedup needs them. */
import type { JsonSchema, Message } from "../../model/types.js";
import { isRecord } from "../pointer.js";
import { channelOf, sends } from "./context.js";
import { documentRule, modelRule, type RuleContext } from "./types.js";

export const keyExpressionInvalid = documentRule({
  id: "jc-idempotency-key-invalid",
  severity: "error",
  purpose:
    "Idempotency keys are `$message.payload#/…` or `$message.header#/…` runtime expressions.",
  *check(ctx) {
    for (const bad of ctx.notes.badKeyExpressions) {
      yield {
        message: `idempotency key \`${bad.expression}\` of message \`${bad.messageId}\` is not a runtime expression of the form \`$message.payload#/<field>\` or \`$message.header#/<name>\``,
        location: bad.location,
      };
    }
  },
});

interface FieldLookup {
  exists: boolean;
  required: boolean;
  type?: unknown;
}

/** Follows a path of property names through a model schema (allOf merged, anyOf/oneOf all branches). */
function lookupField(root: JsonSchema | undefined, path: readonly string[]): FieldLookup {
  const defs = isRecord(root) && isRecord(root.$defs) ? root.$defs : {};
  const deref = (s: unknown, depth = 0): unknown => {
    if (depth < 20 && isRecord(s) && typeof s.$ref === "string" && s.$ref.startsWith("#/$defs/")) {
      return deref(defs[s.$ref.slice(8)], depth + 1);
    }
    return s;
  };
  const step = (
    schema: unknown,
    name: string,
    depth: number,
  ): { exists: boolean; required: boolean; child?: unknown } => {
    const s = deref(schema);
    if (!isRecord(s) || depth > 20) return { exists: false, required: false };
    let exists = false;
    let required = false;
    let child: unknown;
    if (isRecord(s.properties) && name in s.properties) {
      exists = true;
      child = s.properties[name];
    }
    if (Array.isArray(s.required) && s.required.includes(name)) required = true;
    if (Array.isArray(s.allOf)) {
      for (const sub of s.allOf) {
        const r = step(sub, name, depth + 1);
        if (r.exists) {
          exists = true;
          child ??= r.child;
        }
        if (r.required) required = true;
      }
    }
    for (const k of ["anyOf", "oneOf"] as const) {
      const branches = s[k];
      if (!Array.isArray(branches) || branches.length === 0) continue;
      const results = branches.map((b) => step(b, name, depth + 1));
      if (results.some((r) => r.exists)) {
        exists = true;
        child ??= results.find((r) => r.exists)?.child;
      }
      if (results.every((r) => r.required)) required = true;
    }
    return { exists, required, child };
  };
  let current: unknown = root;
  let required = true;
  for (const name of path) {
    const r = step(current, name, 0);
    if (!r.exists) return { exists: false, required: false };
    required = required && r.required;
    current = r.child;
  }
  const leaf = deref(current);
  return {
    exists: true,
    required,
    ...(isRecord(leaf) && leaf.type !== undefined ? { type: leaf.type } : {}),
  };
}

/** Each part of a message's key with what its schema says about the field (JSON payloads only). */
function* keyFields(ctx: RuleContext, m: Message) {
  if (!m.idempotencyKey || ctx.notes.nonJsonPayloads.has(m.id)) return;
  for (const part of m.idempotencyKey.parts) {
    const schema = part.source === "payload" ? m.payload : m.headers;
    yield { part, schema, lookup: lookupField(schema, part.path) };
  }
}

export const keyFieldMissing = documentRule({
  id: "jc-idempotency-key-missing-field",
  severity: "error",
  purpose: "An idempotency key points at a field that exists in the payload or headers schema.",
  *check(ctx) {
    for (const m of ctx.contract.messages) {
      for (const { part, schema, lookup } of keyFields(ctx, m)) {
        if (lookup.exists) continue;
        const what = part.source === "payload" ? "payload" : "headers";
        yield {
          message:
            schema === undefined
              ? `idempotency key \`${part.expression}\` of message \`${m.id}\` reads the ${part.source}, but the message declares no ${what} schema`
              : `idempotency key \`${part.expression}\` of message \`${m.id}\` points at \`${part.path.join(".")}\`, which is not a property of the ${what} schema`,
          location: m.idempotencyKey?.location ?? m.location,
        };
      }
    }
  },
});

export const keyFieldOptional = documentRule({
  id: "jc-idempotency-key-optional-field",
  severity: "error",
  purpose: "An idempotency key points at a required field (and required parents).",
  *check(ctx) {
    for (const m of ctx.contract.messages) {
      for (const { part, lookup } of keyFields(ctx, m)) {
        if (!lookup.exists || lookup.required) continue;
        yield {
          message: `idempotency key \`${part.expression}\` of message \`${m.id}\` points at \`${part.path.join(".")}\`, which is optional; a message without it has no key. Add it (and every parent) to \`required\``,
          location: m.idempotencyKey?.location ?? m.location,
        };
      }
    }
  },
});

export const keyFieldType = documentRule({
  id: "jc-idempotency-key-type",
  severity: "warning",
  purpose: "An idempotency key is a scalar, not an object or array.",
  *check(ctx) {
    for (const m of ctx.contract.messages) {
      for (const { part, lookup } of keyFields(ctx, m)) {
        const types =
          lookup.type === undefined ? [] : Array.isArray(lookup.type) ? lookup.type : [lookup.type];
        if (!types.some((t) => t === "object" || t === "array")) continue;
        yield {
          message: `idempotency key \`${part.expression}\` of message \`${m.id}\` points at a field of type ${types.join("/")}; a key should be a string or a number`,
          location: m.idempotencyKey?.location ?? m.location,
        };
      }
    }
  },
});

export const sendWithoutKey = modelRule({
  id: "jc-send-without-idempotency-key",
  severity: "warning",
  purpose: "Messages published into a stream have an idempotency key, so publish retries dedup.",
  *check(ctx) {
    if (!ctx.usesJetcontract) return;
    for (const op of sends(ctx)) {
      const channel = channelOf(ctx, op);
      if (channel?.stream === undefined) continue;
      for (const id of op.messageIds) {
        const m = ctx.contract.messages.find((x) => x.id === id);
        if (!m || m.idempotencyKey) continue;
        yield {
          message: `message \`${m.id}\`, published by \`${op.id}\` into stream \`${channel.stream}\`, has no \`x-idempotency-key\`: publish retries cannot be deduplicated`,
          location: m.location,
        };
      }
    }
  },
});

export const idempotencyRules = [
  keyExpressionInvalid,
  keyFieldMissing,
  keyFieldOptional,
  keyFieldType,
  sendWithoutKey,
];
