import { B, C, contractRule, type Rule } from "./rule.js";
import { rules as allOf } from "./schema/checks/all-of.js";
import { rules as bounds } from "./schema/checks/bounds.js";
import { rules as combinators } from "./schema/checks/combinators.js";
import { rules as conditional } from "./schema/checks/conditional.js";
import { rules as contains } from "./schema/checks/contains.js";
import { rules as content } from "./schema/checks/content.js";
import { rules as dependencies } from "./schema/checks/dependencies.js";
import { rules as enums } from "./schema/checks/enums.js";
import { rules as falseSchema } from "./schema/checks/false-schema.js";
import { rules as format } from "./schema/checks/format.js";
import { rules as items } from "./schema/checks/items.js";
import { rules as multipleOf } from "./schema/checks/multiple-of.js";
import { rules as not } from "./schema/checks/not.js";
import { rules as otherKeywords } from "./schema/checks/other-keywords.js";
import { rules as pattern } from "./schema/checks/pattern.js";
import { rules as properties } from "./schema/checks/properties.js";
import { rules as required } from "./schema/checks/required.js";
import { rules as selfReference } from "./schema/checks/self-reference.js";
import { rules as sums } from "./schema/checks/sums.js";
import { rules as types } from "./schema/checks/types.js";
import { rules as uniqueItems } from "./schema/checks/unique-items.js";

export type { Rule } from "./rule.js";

/**
 * The rule registry: every rule a change can name. Schema rules are defined beside the check
 * that reports them (`schema/checks/<family>.ts`), contract rules here. A test audits the
 * registry: every rule has a fixture pair and (when it can break) a fix, and every rule with a
 * `mirror` agrees with it (swapping old and new swaps the directions).
 */

/** Schema rules in the order the docs list them. */
const SCHEMA_RULES = [
  ...falseSchema,
  ...types,
  ...enums,
  ...bounds,
  ...multipleOf,
  ...pattern,
  ...format,
  ...content,
  ...uniqueItems,
  ...contains,
  ...items,
  ...properties,
  ...required,
  ...dependencies,
  ...sums,
  ...allOf,
  ...combinators,
  ...not,
  ...conditional,
  ...otherKeywords,
  ...selfReference,
];

const CONTRACT_RULES = [
  contractRule({
    id: "channel-removed",
    purpose: "A channel was removed: its producers or consumers lose their subject.",
    backward: B,
    forward: B,
    fix: "keep the channel until no producer or consumer uses it",
  }),
  contractRule({
    id: "channel-address-changed",
    purpose: "A channel's address (its NATS subject) changed.",
    backward: B,
    forward: B,
    fix: "keep the old address, or add a new channel beside the old one",
  }),
  contractRule({
    id: "channel-renamed",
    purpose: "A channel's id changed but its address did not (matched by address).",
    severity: "info",
    backward: C,
    forward: C,
  }),
  contractRule({
    id: "channel-message-removed",
    purpose: "A channel no longer carries a message it carried.",
    backward: B,
    forward: B,
    fix: "keep the message on the channel until producers stop sending it",
  }),
  contractRule({
    id: "message-removed",
    purpose: "A message was removed from the contract.",
    backward: B,
    forward: B,
    fix: "keep the message until no producer or consumer uses it",
  }),
  contractRule({
    id: "operation-removed",
    purpose: "An operation (a producer or consumer) was removed.",
    backward: B,
    forward: B,
    fix: "keep the operation until its producer or consumer is retired",
  }),
  contractRule({
    id: "idempotency-key-changed",
    purpose: "A message's idempotency key changed: in-flight duplicates are no longer detected.",
    backward: B,
    forward: B,
    fix: "keep the old key (in-flight duplicates would be processed twice)",
  }),
  contractRule({
    id: "idempotency-key-removed",
    purpose: "A message lost its idempotency key: deduplication stops.",
    backward: B,
    forward: B,
    fix: "keep the idempotency key",
  }),
  contractRule({
    id: "dlq-removed",
    purpose:
      "A consumer's dead-letter queue was removed: failures are dropped or redelivered forever.",
    backward: B,
    forward: B,
    fix: "keep the dead-letter channel",
  }),
  contractRule({
    id: "retry-policy-removed",
    purpose: "A consumer's or producer's retry policy was removed.",
    backward: B,
    forward: B,
    fix: "keep the retry policy",
  }),
  contractRule({
    id: "stream-removed",
    purpose: "A JetStream stream was removed.",
    backward: B,
    forward: B,
    fix: "keep the stream until its messages are drained",
  }),
  contractRule({
    id: "stream-not-updatable",
    purpose:
      "A stream setting JetStream cannot change in place (storage, retention) changed: the stream must be recreated.",
    backward: B,
    forward: B,
    fix: "keep the old setting, or plan a stream migration (create a new stream and move consumers)",
  }),
  contractRule({
    id: "major-version-bump-missing",
    purpose:
      "With version gating (`--allow-major`), a breaking change whose `info.version` keeps the old major number.",
    backward: B,
    forward: B,
    fix: "raise the major number of info.version, or make the change compatible",
  }),
  contractRule({
    id: "stream-subjects-narrowed",
    purpose: "A stream's subjects no longer cover subjects the old contract published to it.",
    backward: B,
    forward: B,
    fix: "keep the stream's subjects covering every subject published to it",
  }),
] as const;

/** Every rule id: a misspelt id in a check or a test fails to compile. */
export type RuleId = (typeof SCHEMA_RULES)[number]["id"] | (typeof CONTRACT_RULES)[number]["id"];

export const RULES: readonly (Rule & { readonly id: RuleId })[] = [
  ...SCHEMA_RULES,
  ...CONTRACT_RULES,
];

const BY_ID = new Map<string, Rule & { readonly id: RuleId }>(RULES.map((r) => [r.id, r]));

/** The rule with this id (every `RuleId` has one; the registry test checks the ids are unique). */
export function ruleById(id: RuleId): Rule & { readonly id: RuleId } {
  const rule = BY_ID.get(id);
  if (!rule) throw new Error(`jetcontract compat: unknown rule id ${id}`);
  return rule;
}

/** Whether user input (an `ignore` entry) names a rule. */
export function isRuleId(id: string): id is RuleId {
  return BY_ID.has(id);
}
