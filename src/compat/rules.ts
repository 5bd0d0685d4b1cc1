import type { Verdict } from "./types.js";

/**
 * The rule registry. Every change the checker reports names one of these rules; the rule,
 * not the call site, decides the verdict in each direction. Verdicts are read as set
 * inclusion: `backward` is "every instance the old schema accepts, the new one accepts",
 * `forward` the converse. A test audits the registry: every rule has a fixture pair, and
 * every rule with a `mirror` agrees with it (swapping old and new swaps the directions).
 */
export interface Rule {
  /** Stable, kebab-case id, used in reports and in `ignore` configuration. */
  readonly id: string;
  /** One line: what the rule detects. */
  readonly purpose: string;
  /** Level of a change that breaks a checked direction (`info` rules never break). */
  readonly severity: "error" | "warning" | "info";
  readonly backward: Verdict;
  readonly forward: Verdict;
  readonly scope: "schema" | "contract";
  /** The rule reported when old and new are swapped; verdicts must then swap too. */
  readonly mirror?: string;
  /** Why this rule's verdicts do not mirror, when they deliberately do not. */
  readonly asymmetry?: string;
  /**
   * A keyword JSON Schema defines as an annotation (`format`, `content*`) but that readers
   * commonly enforce: breaking by default, relaxed with the `format` setting.
   */
  readonly annotation?: boolean;
}

const B: Verdict = "breaking";
const C: Verdict = "compatible";

type RuleSpec<I extends string> = Omit<Rule, "scope" | "severity" | "id"> & {
  readonly id: I;
  severity?: Rule["severity"];
};

function schemaRule<const I extends string>(spec: RuleSpec<I>): Rule & { readonly id: I } {
  const severity = spec.severity ?? (spec.backward === C && spec.forward === C ? "info" : "error");
  return { ...spec, severity, scope: "schema" };
}

function contractRule<const I extends string>(spec: RuleSpec<I>): Rule & { readonly id: I } {
  return { ...spec, severity: spec.severity ?? "error", scope: "contract" };
}

/** A count or value bound keyword. */
export interface BoundKeyword {
  readonly keyword: string;
  readonly id: string;
  /** Lower bounds tighten when they increase, upper bounds when they decrease. */
  readonly lower: boolean;
  readonly what: string;
  /** The keyword's exclusive variant (draft-4 boolean or draft-6 numeric), if any. */
  readonly exclusive?: string;
  /** Instance types the bound applies to. */
  readonly applies: readonly string[];
}

const NUMBER = ["number", "integer"];

const BOUND_LIST = [
  {
    keyword: "minimum",
    id: "minimum",
    lower: true,
    what: "numeric lower bound",
    exclusive: "exclusiveMinimum",
    applies: NUMBER,
  },
  {
    keyword: "maximum",
    id: "maximum",
    lower: false,
    what: "numeric upper bound",
    exclusive: "exclusiveMaximum",
    applies: NUMBER,
  },
  {
    keyword: "minLength",
    id: "min-length",
    lower: true,
    what: "minimum string length",
    applies: ["string"],
  },
  {
    keyword: "maxLength",
    id: "max-length",
    lower: false,
    what: "maximum string length",
    applies: ["string"],
  },
  {
    keyword: "minItems",
    id: "min-items",
    lower: true,
    what: "minimum array length",
    applies: ["array"],
  },
  {
    keyword: "maxItems",
    id: "max-items",
    lower: false,
    what: "maximum array length",
    applies: ["array"],
  },
  {
    keyword: "minProperties",
    id: "min-properties",
    lower: true,
    what: "minimum property count",
    applies: ["object"],
  },
  {
    keyword: "maxProperties",
    id: "max-properties",
    lower: false,
    what: "maximum property count",
    applies: ["object"],
  },
  {
    keyword: "minContains",
    id: "min-contains",
    lower: true,
    what: "minimum `contains` matches",
    applies: ["array"],
  },
  {
    keyword: "maxContains",
    id: "max-contains",
    lower: false,
    what: "maximum `contains` matches",
    applies: ["array"],
  },
] as const satisfies readonly BoundKeyword[];

type BoundId = (typeof BOUND_LIST)[number]["id"];
/** Ids of the rules generated for the bound keywords. */
type BoundRuleId = `${BoundId}-${"added" | "removed" | "increased" | "decreased"}`;

export const BOUND_KEYWORDS: readonly (BoundKeyword & { readonly id: BoundId })[] = BOUND_LIST;

function boundRules(): (Rule & { readonly id: BoundRuleId })[] {
  const rules: (Rule & { readonly id: BoundRuleId })[] = [];
  for (const b of BOUND_KEYWORDS) {
    const tighten = b.lower ? "increased" : "decreased";
    const loosen = b.lower ? "decreased" : "increased";
    rules.push(
      schemaRule({
        id: `${b.id}-added`,
        purpose: `A ${b.what} was added (\`${b.keyword}\`${b.exclusive ? ` / \`${b.exclusive}\`` : ""}).`,
        backward: B,
        forward: C,
        mirror: `${b.id}-removed`,
      }),
      schemaRule({
        id: `${b.id}-removed`,
        purpose: `A ${b.what} was removed.`,
        backward: C,
        forward: B,
        mirror: `${b.id}-added`,
      }),
      schemaRule({
        id: `${b.id}-${tighten}`,
        purpose: `The ${b.what} was tightened.`,
        backward: B,
        forward: C,
        mirror: `${b.id}-${loosen}`,
      }),
      schemaRule({
        id: `${b.id}-${loosen}`,
        purpose: `The ${b.what} was relaxed.`,
        backward: C,
        forward: B,
        mirror: `${b.id}-${tighten}`,
      }),
    );
  }
  return rules;
}

const SCHEMA_RULES = [
  schemaRule({
    id: "schema-made-false",
    purpose: "A schema that accepted something now accepts nothing (`false`).",
    backward: B,
    forward: C,
    mirror: "schema-false-relaxed",
  }),
  schemaRule({
    id: "schema-false-relaxed",
    purpose: "A `false` schema (accepts nothing) now accepts something.",
    backward: C,
    forward: B,
    mirror: "schema-made-false",
  }),
  schemaRule({
    id: "type-added",
    purpose: "A `type` constraint was added where any type was allowed.",
    backward: B,
    forward: C,
    mirror: "type-removed",
  }),
  schemaRule({
    id: "type-removed",
    purpose: "The `type` constraint was removed: any type is allowed.",
    backward: C,
    forward: B,
    mirror: "type-added",
  }),
  schemaRule({
    id: "type-widened",
    purpose: "Types were added (or `integer` became `number`, or `nullable` was set).",
    backward: C,
    forward: B,
    mirror: "type-narrowed",
  }),
  schemaRule({
    id: "type-narrowed",
    purpose: "Types were removed (or `number` became `integer`, or `nullable` was unset).",
    backward: B,
    forward: C,
    mirror: "type-widened",
  }),
  schemaRule({
    id: "type-changed",
    purpose: "The type changed so that neither version's types include the other's.",
    backward: B,
    forward: B,
    mirror: "type-changed",
  }),
  schemaRule({
    id: "enum-added",
    purpose: "An `enum` or `const` now restricts the values.",
    backward: B,
    forward: C,
    mirror: "enum-removed",
  }),
  schemaRule({
    id: "enum-removed",
    purpose: "The `enum` or `const` restriction was removed.",
    backward: C,
    forward: B,
    mirror: "enum-added",
  }),
  schemaRule({
    id: "enum-extended",
    purpose: "Values were added to an `enum` (or a `const` became an `enum`).",
    backward: C,
    forward: B,
    mirror: "enum-narrowed",
  }),
  schemaRule({
    id: "enum-narrowed",
    purpose: "Values were removed from an `enum`.",
    backward: B,
    forward: C,
    mirror: "enum-extended",
  }),
  schemaRule({
    id: "enum-changed",
    purpose: "`enum`/`const` values were both added and removed.",
    backward: B,
    forward: B,
    mirror: "enum-changed",
  }),
  ...boundRules(),
  schemaRule({
    id: "multiple-of-added",
    purpose: "A `multipleOf` constraint was added.",
    backward: B,
    forward: C,
    mirror: "multiple-of-removed",
  }),
  schemaRule({
    id: "multiple-of-removed",
    purpose: "The `multipleOf` constraint was removed.",
    backward: C,
    forward: B,
    mirror: "multiple-of-added",
  }),
  schemaRule({
    id: "multiple-of-relaxed",
    purpose: "`multipleOf` changed to a divisor of the old value (e.g. 10 to 2).",
    backward: C,
    forward: B,
    mirror: "multiple-of-tightened",
  }),
  schemaRule({
    id: "multiple-of-tightened",
    purpose: "`multipleOf` changed to a multiple of the old value (e.g. 2 to 10).",
    backward: B,
    forward: C,
    mirror: "multiple-of-relaxed",
  }),
  schemaRule({
    id: "multiple-of-changed",
    purpose: "`multipleOf` changed to a value that neither divides nor is divided by the old one.",
    backward: B,
    forward: B,
    mirror: "multiple-of-changed",
  }),
  schemaRule({
    id: "pattern-added",
    purpose: "A `pattern` was added.",
    backward: B,
    forward: C,
    mirror: "pattern-removed",
  }),
  schemaRule({
    id: "pattern-removed",
    purpose: "The `pattern` was removed.",
    backward: C,
    forward: B,
    mirror: "pattern-added",
  }),
  schemaRule({
    id: "pattern-changed",
    purpose: "The `pattern` changed (regular-expression inclusion cannot be proven).",
    backward: B,
    forward: B,
    mirror: "pattern-changed",
  }),
  schemaRule({
    id: "format-added",
    purpose: "A `format` was added (an assertion here; see the `format` setting).",
    annotation: true,
    backward: B,
    forward: C,
    mirror: "format-removed",
  }),
  schemaRule({
    id: "format-removed",
    purpose: "The `format` was removed.",
    annotation: true,
    backward: C,
    forward: B,
    mirror: "format-added",
  }),
  schemaRule({
    id: "format-changed",
    purpose: "The `format` changed.",
    annotation: true,
    backward: B,
    forward: B,
    mirror: "format-changed",
  }),
  schemaRule({
    id: "content-added",
    purpose: "A `contentMediaType` or `contentEncoding` was added (see the `format` setting).",
    annotation: true,
    backward: B,
    forward: C,
    mirror: "content-removed",
  }),
  schemaRule({
    id: "content-removed",
    purpose: "A `contentMediaType` or `contentEncoding` was removed.",
    annotation: true,
    backward: C,
    forward: B,
    mirror: "content-added",
  }),
  schemaRule({
    id: "content-changed",
    purpose: "`contentMediaType`, `contentEncoding` or `contentSchema` changed.",
    annotation: true,
    backward: B,
    forward: B,
    mirror: "content-changed",
  }),
  schemaRule({
    id: "unique-items-added",
    purpose: "`uniqueItems: true` was added.",
    backward: B,
    forward: C,
    mirror: "unique-items-removed",
  }),
  schemaRule({
    id: "unique-items-removed",
    purpose: "`uniqueItems: true` was removed.",
    backward: C,
    forward: B,
    mirror: "unique-items-added",
  }),
  schemaRule({
    id: "contains-added",
    purpose: "A `contains` constraint was added.",
    backward: B,
    forward: C,
    mirror: "contains-removed",
  }),
  schemaRule({
    id: "contains-removed",
    purpose: "The `contains` constraint was removed.",
    backward: C,
    forward: B,
    mirror: "contains-added",
  }),
  schemaRule({
    id: "item-added-to-open-tuple",
    purpose: "A tuple position was added where any extra item was allowed.",
    backward: B,
    forward: C,
    mirror: "item-removed-from-open-tuple",
  }),
  schemaRule({
    id: "item-added-to-closed-tuple",
    purpose: "A tuple position was added where extra items were forbidden.",
    backward: C,
    forward: B,
    mirror: "item-removed-from-closed-tuple",
  }),
  schemaRule({
    id: "item-added-to-partially-open-tuple",
    purpose:
      "A tuple position was added where extra items had a schema (compared with that schema).",
    backward: C,
    forward: C,
    mirror: "item-removed-to-partially-open-tuple",
  }),
  schemaRule({
    id: "item-removed-from-open-tuple",
    purpose: "A tuple position was removed; extra items are allowed, so old data still passes.",
    backward: C,
    forward: B,
    mirror: "item-added-to-open-tuple",
  }),
  schemaRule({
    id: "item-removed-from-closed-tuple",
    purpose: "A tuple position was removed and extra items are forbidden.",
    backward: B,
    forward: C,
    mirror: "item-added-to-closed-tuple",
  }),
  schemaRule({
    id: "item-removed-to-partially-open-tuple",
    purpose:
      "A tuple position was removed; extra items have a schema (compared with the old item).",
    backward: C,
    forward: C,
    mirror: "item-added-to-partially-open-tuple",
  }),
  schemaRule({
    id: "property-added-to-open-model",
    purpose:
      "A property was added to an open object: old data may carry that name with another type.",
    backward: B,
    forward: C,
    mirror: "property-removed-from-open-model",
  }),
  schemaRule({
    id: "property-added-to-closed-model",
    purpose: "A property was added to a closed object (`additionalProperties: false`).",
    backward: C,
    forward: B,
    mirror: "property-removed-from-closed-model",
  }),
  schemaRule({
    id: "property-added-to-partially-open-model",
    purpose:
      "A property was added where other names had a schema (`additionalProperties`/`patternProperties`); compared with it.",
    backward: C,
    forward: C,
    mirror: "property-removed-to-partially-open-model",
  }),
  schemaRule({
    id: "property-removed-from-open-model",
    purpose: "A property was removed from an open object: old data still passes.",
    backward: C,
    forward: B,
    mirror: "property-added-to-open-model",
  }),
  schemaRule({
    id: "property-removed-from-closed-model",
    purpose: "A property was removed from a closed object: old data carrying it is rejected.",
    backward: B,
    forward: C,
    mirror: "property-added-to-closed-model",
  }),
  schemaRule({
    id: "property-removed-to-partially-open-model",
    purpose:
      "A property was removed where other names have a schema; the old property is compared with it.",
    backward: C,
    forward: C,
    mirror: "property-added-to-partially-open-model",
  }),
  schemaRule({
    id: "required-property-added",
    purpose: "A property became required (and has no `default`).",
    backward: B,
    forward: C,
    mirror: "required-property-removed",
  }),
  schemaRule({
    id: "required-property-with-default-added",
    purpose: "A property with a `default` became required (readers fill in the default).",
    backward: C,
    forward: C,
    asymmetry:
      "Schema-registry convention: a reader fills in the default, so it is not a break, although set inclusion alone would say it is.",
  }),
  schemaRule({
    id: "required-property-removed",
    purpose: "A property is no longer required.",
    backward: C,
    forward: B,
    mirror: "required-property-added",
  }),
  schemaRule({
    id: "dependent-required-added",
    purpose: "A `dependentRequired` (or array `dependencies`) entry was added.",
    backward: B,
    forward: C,
    mirror: "dependent-required-removed",
  }),
  schemaRule({
    id: "dependent-required-removed",
    purpose: "A `dependentRequired` (or array `dependencies`) entry was removed.",
    backward: C,
    forward: B,
    mirror: "dependent-required-added",
  }),
  schemaRule({
    id: "dependent-required-extended",
    purpose: "A `dependentRequired` entry now requires more properties.",
    backward: B,
    forward: C,
    mirror: "dependent-required-narrowed",
  }),
  schemaRule({
    id: "dependent-required-narrowed",
    purpose: "A `dependentRequired` entry now requires fewer properties.",
    backward: C,
    forward: B,
    mirror: "dependent-required-extended",
  }),
  schemaRule({
    id: "dependent-required-changed",
    purpose: "A `dependentRequired` entry requires different properties.",
    backward: B,
    forward: B,
    mirror: "dependent-required-changed",
  }),
  schemaRule({
    id: "sum-branch-added",
    purpose: "An `anyOf`/`oneOf` branch was added (the new schema accepts more).",
    backward: C,
    forward: B,
    mirror: "sum-branch-removed",
  }),
  schemaRule({
    id: "sum-branch-removed",
    purpose: "An `anyOf`/`oneOf` branch was removed, or no new branch accepts all it accepted.",
    backward: B,
    forward: C,
    mirror: "sum-branch-added",
  }),
  schemaRule({
    id: "one-of-branches-may-overlap",
    purpose:
      "New `oneOf` branches are not provably disjoint: a value matching two of them is rejected.",
    backward: B,
    forward: C,
    asymmetry: "Concerns only the reader holding the `oneOf`; checked from the new schema's side.",
  }),
  schemaRule({
    id: "old-one-of-branches-may-overlap",
    purpose:
      "The old `oneOf` has branches that are not provably disjoint: a new value matching two is rejected by old readers.",
    backward: C,
    forward: B,
    asymmetry:
      "Concerns only readers of the old `oneOf`; the new side is one-of-branches-may-overlap.",
  }),
  schemaRule({
    id: "one-of-relaxed-to-any-of",
    purpose: "`oneOf` became `anyOf` over branches that are not provably disjoint.",
    backward: C,
    forward: B,
    asymmetry: "The reverse (`anyOf` to `oneOf`) is reported as one-of-branches-may-overlap.",
  }),
  schemaRule({
    id: "product-branch-added",
    purpose: "An `allOf` branch was added that no old branch implies.",
    backward: B,
    forward: C,
    mirror: "product-branch-removed",
  }),
  schemaRule({
    id: "product-branch-removed",
    purpose: "An `allOf` branch was removed.",
    backward: C,
    forward: B,
    mirror: "product-branch-added",
  }),
  schemaRule({
    id: "combinator-added",
    purpose: "An `allOf` whose branches do not merge into their parent was added.",
    backward: B,
    forward: C,
    mirror: "combinator-removed",
  }),
  schemaRule({
    id: "combinator-removed",
    purpose: "An `allOf` whose branches do not merge into their parent was removed.",
    backward: C,
    forward: B,
    mirror: "combinator-added",
  }),
  schemaRule({
    id: "not-added",
    purpose: "A `not` constraint was added.",
    backward: B,
    forward: C,
    mirror: "not-removed",
  }),
  schemaRule({
    id: "not-removed",
    purpose: "The `not` constraint was removed.",
    backward: C,
    forward: B,
    mirror: "not-added",
  }),
  schemaRule({
    id: "not-extended",
    purpose: "The `not` schema excludes more (e.g. `integer` to `number`).",
    backward: B,
    forward: C,
    mirror: "not-narrowed",
  }),
  schemaRule({
    id: "not-narrowed",
    purpose: "The `not` schema excludes less.",
    backward: C,
    forward: B,
    mirror: "not-extended",
  }),
  schemaRule({
    id: "not-changed",
    purpose: "The `not` schema changed so that neither version's exclusion includes the other.",
    backward: B,
    forward: B,
    mirror: "not-changed",
  }),
  schemaRule({
    id: "conditional-changed",
    purpose: "The `if` condition changed, was added or removed (not analysed further).",
    backward: B,
    forward: B,
    mirror: "conditional-changed",
  }),
  schemaRule({
    id: "keyword-changed",
    purpose:
      "A validation keyword the checker cannot reason about (or an unresolvable `$ref`) changed.",
    backward: B,
    forward: B,
    mirror: "keyword-changed",
  }),
] as const;

const CONTRACT_RULES = [
  contractRule({
    id: "channel-removed",
    purpose: "A channel was removed: its producers or consumers lose their subject.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "channel-address-changed",
    purpose: "A channel's address (its NATS subject) changed.",
    backward: B,
    forward: B,
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
  }),
  contractRule({
    id: "message-removed",
    purpose: "A message was removed from the contract.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "operation-removed",
    purpose: "An operation (a producer or consumer) was removed.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "idempotency-key-changed",
    purpose: "A message's idempotency key changed: in-flight duplicates are no longer detected.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "idempotency-key-removed",
    purpose: "A message lost its idempotency key: deduplication stops.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "dlq-removed",
    purpose:
      "A consumer's dead-letter queue was removed: failures are dropped or redelivered forever.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "retry-policy-removed",
    purpose: "A consumer's or producer's retry policy was removed.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "stream-removed",
    purpose: "A JetStream stream was removed.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "stream-not-updatable",
    purpose:
      "A stream setting JetStream cannot change in place (storage, retention) changed: the stream must be recreated.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "major-version-bump-missing",
    purpose:
      "With version gating (`--allow-major`), a breaking change whose `info.version` keeps the old major number.",
    backward: B,
    forward: B,
  }),
  contractRule({
    id: "stream-subjects-narrowed",
    purpose: "A stream's subjects no longer cover subjects the old contract published to it.",
    backward: B,
    forward: B,
  }),
] as const;

/** Every rule id: a misspelt id in the checker or the fixes table fails to compile. */
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
