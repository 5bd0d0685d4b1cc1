import type { Verdict } from "./types.js";

/**
 * What a rule of the registry is. Every change the checker reports names one rule; the rule,
 * not the call site, decides the verdict in each direction. Verdicts are read as set
 * inclusion: `backward` is "every instance the old schema accepts, the new one accepts",
 * `forward` the converse. Schema rules live beside the check that reports them
 * (`schema/checks/`); `rules.ts` gathers them into the registry.
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
  /**
   * For a rule that can break: what change would make a finding compatible (a report shows
   * it after the finding; how to accept a break deliberately is the same for every rule).
   */
  readonly fix?: string;
}

/** Verdict shorthands for the rule tables. */
export const B: Verdict = "breaking";
export const C: Verdict = "compatible";

type RuleSpec<I extends string> = Omit<Rule, "scope" | "severity" | "id"> & {
  readonly id: I;
  severity?: Rule["severity"];
};

/** A schema rule; its severity is `info` when it breaks neither direction, else `error`. */
export function schemaRule<const I extends string>(spec: RuleSpec<I>): Rule & { readonly id: I } {
  const severity = spec.severity ?? (spec.backward === C && spec.forward === C ? "info" : "error");
  return { ...spec, severity, scope: "schema" };
}

export function contractRule<const I extends string>(spec: RuleSpec<I>): Rule & { readonly id: I } {
  return { ...spec, severity: spec.severity ?? "error", scope: "contract" };
}
