import { subjectCovers } from "../model/subjects.js";
import type {
  Channel,
  CompatibilityMode,
  Contract,
  IdempotencyKey,
  JsonSchema,
  Message,
  SourceLocation,
  Stream,
} from "../model/types.js";
import { buildReport, judge, type MessageMode, messageMode } from "./report.js";
import { type RuleId, ruleById } from "./rules.js";
import { diffSchemas } from "./schema/index.js";
import type { Change, DiffOptions, DiffReport, ReportedChange } from "./types.js";
import { isTransitive } from "./types.js";
import { gateOnVersion } from "./version-gate.js";

/** One version of a contract with the label reports use for it (a file, or `REV:path`). */
export interface ContractVersion {
  readonly label: string;
  readonly contract: Contract;
}

function contractChange(
  ruleId: RuleId,
  message: string,
  location: SourceLocation,
  side: "old" | "new",
): Change {
  const rule = ruleById(ruleId);
  return {
    ruleId,
    message,
    path: location.pointer,
    backward: rule.backward,
    forward: rule.forward,
    location,
    side,
  };
}

/** Matches the new version's messages to the old ones: by id, else by name. */
function matchMessages(
  oldMessages: readonly Message[],
  newMessages: readonly Message[],
): Map<string, Message> {
  const byId = new Map(oldMessages.map((m) => [m.id, m]));
  const used = new Set<string>();
  const result = new Map<string, Message>();
  for (const m of newMessages) {
    const hit = byId.get(m.id);
    if (hit) {
      result.set(m.id, hit);
      used.add(hit.id);
    }
  }
  for (const m of newMessages) {
    if (result.has(m.id)) continue;
    const hit = oldMessages.find(
      (o) => !used.has(o.id) && o.name === m.name && !byIdIn(newMessages, o.id),
    );
    if (hit) {
      result.set(m.id, hit);
      used.add(hit.id);
    }
  }
  return result;
}

function byIdIn(messages: readonly Message[], id: string): boolean {
  return messages.some((m) => m.id === id);
}

/**
 * Matches channels by id; a channel whose id disappeared is matched by address when exactly
 * one new, otherwise unmatched channel has that address (renaming a key in the document does
 * not change the subject on the wire).
 */
function matchChannels(
  oldChannels: readonly Channel[],
  newChannels: readonly Channel[],
): Map<string, { channel: Channel; renamed: boolean }> {
  const result = new Map<string, { channel: Channel; renamed: boolean }>();
  const newIds = new Set(newChannels.map((c) => c.id));
  const oldIds = new Set(oldChannels.map((c) => c.id));
  for (const o of oldChannels) {
    const same = newChannels.find((c) => c.id === o.id);
    if (same) {
      result.set(o.id, { channel: same, renamed: false });
      continue;
    }
    const byAddress = newChannels.filter(
      (c) => !oldIds.has(c.id) && c.address !== null && c.address === o.address,
    );
    if (byAddress.length === 1 && byAddress[0] && newIds.has(byAddress[0].id)) {
      result.set(o.id, { channel: byAddress[0], renamed: true });
    }
  }
  return result;
}

function keyText(key: IdempotencyKey): string {
  return `${key.parts.map((p) => p.expression).join(" + ")}${key.parts.length > 1 ? ` (joined by ${JSON.stringify(key.separator)})` : ""}`;
}

function sameKey(a: IdempotencyKey, b: IdempotencyKey): boolean {
  return (
    a.parts.length === b.parts.length &&
    a.parts.every((p, i) => p.source === b.parts[i]?.source && p.pointer === b.parts[i]?.pointer) &&
    (a.parts.length < 2 || a.separator === b.separator)
  );
}

/** Contract-level changes between two versions (channels, messages, operations, streams). */
export function diffContractElements(
  oldC: Contract,
  newC: Contract,
): {
  change: Change;
  element: string;
  messageId?: string;
}[] {
  const out: { change: Change; element: string; messageId?: string }[] = [];
  const channels = matchChannels(oldC.channels, newC.channels);
  const messages = matchMessages(oldC.messages, newC.messages);
  const oldToNewMessage = new Map([...messages.entries()].map(([n, o]) => [o.id, n]));

  for (const o of oldC.channels) {
    const match = channels.get(o.id);
    const element = `channel ${o.id}`;
    if (!match) {
      out.push({
        element,
        change: contractChange(
          "channel-removed",
          `channel "${o.id}" (${o.address ?? "no address"}) was removed`,
          o.location,
          "old",
        ),
      });
      continue;
    }
    const n = match.channel;
    if (match.renamed) {
      out.push({
        element,
        change: contractChange(
          "channel-renamed",
          `channel "${o.id}" is now "${n.id}" (same address ${o.address})`,
          n.location,
          "new",
        ),
      });
    }
    if (o.address !== n.address) {
      out.push({
        element,
        change: contractChange(
          "channel-address-changed",
          `channel "${n.id}" moved from ${o.address ?? "no address"} to ${n.address ?? "no address"}`,
          n.location,
          "new",
        ),
      });
    }
    for (const mid of o.messageIds) {
      const newId = oldToNewMessage.get(mid);
      if (newId !== undefined && n.messageIds.includes(newId)) continue;
      if (newId === undefined) continue; // reported as message-removed
      out.push({
        element,
        messageId: newId,
        change: contractChange(
          "channel-message-removed",
          `channel "${n.id}" no longer carries message "${mid}"`,
          n.location,
          "new",
        ),
      });
    }
  }

  for (const o of oldC.messages) {
    if (oldToNewMessage.has(o.id)) continue;
    out.push({
      element: `message ${o.id}`,
      messageId: o.id,
      change: contractChange("message-removed", `message "${o.id}" was removed`, o.location, "old"),
    });
  }
  for (const [newId, o] of messages) {
    const n = newC.messages.find((m) => m.id === newId);
    if (!n || !o.idempotencyKey) continue;
    const element = `message ${newId}`;
    if (!n.idempotencyKey) {
      out.push({
        element,
        messageId: newId,
        change: contractChange(
          "idempotency-key-removed",
          `message "${newId}" no longer has an idempotency key (was ${keyText(o.idempotencyKey)})`,
          o.idempotencyKey.location,
          "old",
        ),
      });
    } else if (!sameKey(o.idempotencyKey, n.idempotencyKey)) {
      out.push({
        element,
        messageId: newId,
        change: contractChange(
          "idempotency-key-changed",
          `idempotency key of "${newId}" changed from ${keyText(o.idempotencyKey)} to ${keyText(n.idempotencyKey)}`,
          n.idempotencyKey.location,
          "new",
        ),
      });
    }
  }

  for (const o of oldC.operations) {
    const n = newC.operations.find((op) => op.id === o.id);
    const element = `operation ${o.id}`;
    if (!n) {
      out.push({
        element,
        change: contractChange(
          "operation-removed",
          `operation "${o.id}" (${o.action} on ${o.channelId}) was removed`,
          o.location,
          "old",
        ),
      });
      continue;
    }
    if (o.action === "receive" && n.action === "receive") {
      if (o.dlq && !n.dlq) {
        out.push({
          element,
          change: contractChange(
            "dlq-removed",
            `operation "${o.id}" no longer dead-letters to ${o.dlq.subject}`,
            o.dlq.location,
            "old",
          ),
        });
      }
      // Retries are never absent (the defaults apply); removing the annotation drops the policy
      // the author chose.
      if (o.annotated.includes("x-retry") && !n.annotated.includes("x-retry")) {
        out.push({
          element,
          change: contractChange(
            "retry-policy-removed",
            `operation "${o.id}" no longer retries (was ${o.retry.maxAttempts} attempts)`,
            o.retry.location,
            "old",
          ),
        });
      }
    } else if (
      o.action === "send" &&
      n.action === "send" &&
      o.annotated.includes("x-publish") &&
      !n.annotated.includes("x-publish")
    ) {
      out.push({
        element,
        change: contractChange(
          "retry-policy-removed",
          `operation "${o.id}" no longer retries publishing (was ${o.publish.retry.maxAttempts} attempts)`,
          o.publish.location,
          "old",
        ),
      });
    }
  }

  for (const o of oldC.streams) {
    const n = newC.streams.find((s) => s.name === o.name);
    const element = `stream ${o.name}`;
    if (!n) {
      out.push({
        element,
        change: contractChange("stream-removed", `the stream was removed`, o.location, "old"),
      });
      continue;
    }
    for (const field of ["storage", "retention"] as const satisfies readonly (keyof Stream)[]) {
      if (o[field] === n[field]) continue;
      out.push({
        element,
        change: contractChange(
          "stream-not-updatable",
          `${field} changed from ${o[field]} to ${n[field]}; JetStream cannot change it in place, the stream must be recreated`,
          n.location,
          "new",
        ),
      });
    }
    const lost = o.subjects.filter((s) => !n.subjects.some((ns) => subjectCovers(ns, s)));
    if (lost.length > 0) {
      out.push({
        element,
        change: contractChange(
          "stream-subjects-narrowed",
          `the stream no longer captures ${lost.join(", ")}`,
          n.location,
          "new",
        ),
      });
    }
  }
  return out;
}

function schemaChanges(
  oldSchema: JsonSchema | undefined,
  newSchema: JsonSchema | undefined,
  oldLocation: SourceLocation | undefined,
  newLocation: SourceLocation | undefined,
): Change[] {
  if (oldSchema === undefined && newSchema === undefined) return [];
  return diffSchemas(oldSchema ?? true, newSchema ?? true, {
    oldPositions: (p) => (p === "" ? oldLocation : undefined),
    newPositions: (p) => (p === "" ? newLocation : undefined),
  });
}

/**
 * Checks a contract against its earlier versions (oldest first). Each message is judged under
 * its mode: non-transitive modes against the last earlier version, `*_TRANSITIVE` against
 * every one. Contract-level rules compare with the last earlier version.
 */
export function diffContractHistory(
  history: readonly ContractVersion[],
  current: ContractVersion,
  options: DiffOptions = {},
): DiffReport {
  const modes: MessageMode[] = [];
  const changes: ReportedChange[] = [];
  const last = history[history.length - 1];
  const modeOf = new Map<string, CompatibilityMode>();
  for (const message of current.contract.messages) {
    const mode = messageMode(
      message.id,
      message.name,
      message.compatibility,
      message.compatibilityExplicit,
      options,
    );
    modes.push(mode);
    modeOf.set(message.id, mode.mode);
    if (mode.mode === "NONE") continue;
    const against = isTransitive(mode.mode) ? history : last ? [last] : [];
    for (const version of against) {
      const matched = matchMessages(version.contract.messages, [message]).get(message.id);
      if (!matched) continue;
      for (const part of ["payload", "headers"] as const) {
        const found = schemaChanges(
          matched[part],
          message[part],
          part === "payload" ? matched.payloadLocation : matched.headersLocation,
          part === "payload" ? message.payloadLocation : message.headersLocation,
        );
        for (const change of found) {
          changes.push(
            judge(
              change,
              { kind: "message", messageId: message.id, part },
              mode.mode,
              version.label,
              options,
            ),
          );
        }
      }
    }
  }
  if (last) {
    const defaultMode = options.mode ?? current.contract.defaultCompatibility;
    for (const found of diffContractElements(last.contract, current.contract)) {
      const mode =
        (found.messageId !== undefined ? modeOf.get(found.messageId) : undefined) ??
        (found.messageId !== undefined
          ? messageMode(found.messageId, undefined, defaultMode, false, options).mode
          : defaultMode);
      changes.push(
        judge(
          found.change,
          { kind: "contract", element: found.element },
          mode,
          last.label,
          options,
        ),
      );
    }
  }
  const gated = options.allowMajor
    ? gateOnVersion(
        changes,
        new Map(history.map((h) => [h.label, h.contract])),
        current.contract,
        options.mode ?? current.contract.defaultCompatibility,
        options,
      )
    : changes;
  return buildReport(
    current.label,
    history.map((h) => h.label),
    modes,
    gated,
  );
}

/** Checks a contract against the previous version. */
export function diffContracts(
  oldContract: Contract,
  newContract: Contract,
  options: DiffOptions & { readonly labels?: { readonly old: string; readonly new: string } } = {},
): DiffReport {
  const labels = options.labels ?? {
    old: oldContract.files[0] ?? "previous",
    new: newContract.files[0] ?? "current",
  };
  return diffContractHistory(
    [{ label: labels.old, contract: oldContract }],
    { label: labels.new, contract: newContract },
    options,
  );
}
