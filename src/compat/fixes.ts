import { BOUND_KEYWORDS, type RuleId } from "./rules.js";

/**
 * What change would make a breaking finding compatible, per rule: the text a report shows
 * after the finding. (How to accept it deliberately is the same for every rule and is added
 * by the report: an `ignore` entry, or a new major version with `--allow-major`.) A test
 * checks that every rule that can break has one.
 */
const FIXES: Readonly<Partial<Record<RuleId, string>>> = {
  "schema-made-false": "keep accepting what the old schema accepted (drop the `false`)",
  "schema-false-relaxed": "keep the `false` schema until every reader is upgraded",
  "type-added": "drop the new `type`, or list every type old data uses",
  "type-removed": "keep the `type` restriction until old readers are upgraded",
  "type-widened": "upgrade readers first (they must accept the new types), or keep the old types",
  "type-narrowed": "keep the removed types (old data still carries them)",
  "type-changed":
    "keep the old type and add the new one (`type: [old, new]`), then remove the old one later",
  "enum-added": "drop the `enum`/`const`, or list every value old data uses",
  "enum-removed": "keep the value restriction until old readers are upgraded",
  "enum-extended": "upgrade readers first (they must accept the new values), or keep the old list",
  "enum-narrowed": "keep the removed values (old data still carries them)",
  "enum-changed": "add the new values without removing the old ones",
  "multiple-of-added": "drop the `multipleOf` (old data need not satisfy it)",
  "multiple-of-removed": "keep `multipleOf` until old readers are upgraded",
  "multiple-of-relaxed": "keep the old `multipleOf` until old readers are upgraded",
  "multiple-of-tightened": "keep the old `multipleOf` (or a divisor of it)",
  "multiple-of-changed": "use a divisor of the old `multipleOf`",
  "pattern-added": "drop the `pattern`, or make sure it matches every value old data uses",
  "pattern-removed": "keep the `pattern` until old readers are upgraded",
  "pattern-changed": "keep the old `pattern` (inclusion between regular expressions is not proven)",
  "format-added":
    "drop the `format`, or set `format: warn` in .jetcontract-diff.yaml if readers do not assert formats",
  "format-removed": "keep the `format`, or set `format: warn` if readers do not assert formats",
  "format-changed": "keep the old `format`, or set `format: warn` if readers do not assert formats",
  "content-added":
    "drop the content keyword, or set `format: warn` if readers do not decode content",
  "content-removed":
    "keep the content keyword, or set `format: warn` if readers do not decode content",
  "content-changed":
    "keep the old content keywords, or set `format: warn` if readers do not decode content",
  "unique-items-added": "drop `uniqueItems` (old data may repeat items)",
  "unique-items-removed": "keep `uniqueItems` until old readers are upgraded",
  "contains-added": "drop the `contains` constraint (old data need not satisfy it)",
  "contains-removed": "keep the `contains` constraint until old readers are upgraded",
  "item-added-to-open-tuple": "give the new position the schema extra items had (or none)",
  "item-added-to-closed-tuple": "upgrade readers first, or keep the tuple as it was",
  "item-removed-from-open-tuple": "keep the position, or make extra items match what it accepted",
  "item-removed-from-closed-tuple":
    "keep the position, or allow extra items that match what it accepted",
  "property-added-to-open-model":
    "close the object with `additionalProperties: false` (then adding optional properties is compatible), or give the property a schema that accepts anything",
  "property-added-to-closed-model":
    "upgrade readers first (old readers reject the new property), or do not send it yet",
  "property-removed-from-open-model":
    "keep the property, or keep sending only values old readers accept",
  "property-removed-from-closed-model":
    "keep the property (deprecate it instead), or allow it through `additionalProperties`",
  "required-property-added": "make the property optional, or give it a `default`",
  "required-property-removed": "keep it required until old readers are upgraded",
  "dependent-required-added": "drop the dependency (old data need not satisfy it)",
  "dependent-required-removed": "keep the dependency until old readers are upgraded",
  "dependent-required-extended": "require no more properties than before",
  "dependent-required-narrowed":
    "keep requiring the removed properties until old readers are upgraded",
  "dependent-required-changed": "keep the old required properties in the dependency",
  "sum-branch-added": "upgrade readers first, or do not send values of the new branch yet",
  "sum-branch-removed": "keep the branch (old data may match only it)",
  "one-of-branches-may-overlap":
    "make the branches disjoint (a distinct `const` or `type` per branch), or use `anyOf`",
  "old-one-of-branches-may-overlap":
    "send only values that match exactly one old branch, or upgrade readers first",
  "one-of-relaxed-to-any-of": "keep `oneOf`, or make the branches disjoint",
  "product-branch-added": "drop the new `allOf` branch (old data need not satisfy it)",
  "product-branch-removed": "keep the `allOf` branch until old readers are upgraded",
  "combinator-added": "drop the new `allOf` (old data need not satisfy it)",
  "combinator-removed": "keep the `allOf` until old readers are upgraded",
  "not-added": "drop the `not` (old data may match it)",
  "not-removed": "keep the `not` until old readers are upgraded",
  "not-extended": "exclude no more than before",
  "not-narrowed": "keep the old exclusion until old readers are upgraded",
  "not-changed": "keep the old `not` schema",
  "conditional-changed": "keep the old `if` and change only `then`/`else` (those are compared)",
  "keyword-changed": "keep the keyword as it was (its effect cannot be checked)",
  "channel-removed": "keep the channel until no producer or consumer uses it",
  "channel-address-changed": "keep the old address, or add a new channel beside the old one",
  "channel-message-removed": "keep the message on the channel until producers stop sending it",
  "message-removed": "keep the message until no producer or consumer uses it",
  "operation-removed": "keep the operation until its producer or consumer is retired",
  "idempotency-key-changed": "keep the old key (in-flight duplicates would be processed twice)",
  "idempotency-key-removed": "keep the idempotency key",
  "dlq-removed": "keep the dead-letter channel",
  "retry-policy-removed": "keep the retry policy",
  "major-version-bump-missing":
    "raise the major number of info.version, or make the change compatible",
  "stream-removed": "keep the stream until its messages are drained",
  "stream-not-updatable":
    "keep the old setting, or plan a stream migration (create a new stream and move consumers)",
  "stream-subjects-narrowed": "keep the stream's subjects covering every subject published to it",
};

function boundFix(id: string): string | undefined {
  for (const b of BOUND_KEYWORDS) {
    if (!id.startsWith(`${b.id}-`)) continue;
    const change = id.slice(b.id.length + 1);
    const tightens = change === "added" || change === (b.lower ? "increased" : "decreased");
    return tightens
      ? `keep the ${b.what} where it was (old data may lie outside the new one)`
      : `keep the ${b.what} until old readers are upgraded`;
  }
  return undefined;
}

/** The suggested fix for a rule's breaking findings. */
export function fixFor(ruleId: RuleId): string | undefined {
  return FIXES[ruleId] ?? boundFix(ruleId);
}
