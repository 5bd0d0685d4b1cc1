import { B, C, type Rule, schemaRule } from "../../rule.js";
import type { Obj } from "../json.js";
import type { Check } from "./check.js";

/**
 * Count and value bounds: `minimum`/`maximum` (with their exclusive variants), `minLength`/
 * `maxLength`, `minItems`/`maxItems`, `minProperties`/`maxProperties`, `minContains`/
 * `maxContains`. Each bound keyword has four rules: added, removed, tightened, relaxed.
 */

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
type BoundChange = "added" | "removed" | "increased" | "decreased";
/** Ids of the rules generated for the bound keywords. */
type BoundRuleId = `${BoundId}-${BoundChange}`;

export const BOUND_KEYWORDS: readonly (BoundKeyword & { readonly id: BoundId })[] = BOUND_LIST;

function boundRules(): (Rule & { readonly id: BoundRuleId })[] {
  const rules: (Rule & { readonly id: BoundRuleId })[] = [];
  for (const b of BOUND_KEYWORDS) {
    const tighten = b.lower ? "increased" : "decreased";
    const loosen = b.lower ? "decreased" : "increased";
    const keepTight = `keep the ${b.what} where it was (old data may lie outside the new one)`;
    const keepLoose = `keep the ${b.what} until old readers are upgraded`;
    rules.push(
      schemaRule({
        id: `${b.id}-added`,
        purpose: `A ${b.what} was added (\`${b.keyword}\`${b.exclusive ? ` / \`${b.exclusive}\`` : ""}).`,
        backward: B,
        forward: C,
        mirror: `${b.id}-removed`,
        fix: keepTight,
      }),
      schemaRule({
        id: `${b.id}-removed`,
        purpose: `A ${b.what} was removed.`,
        backward: C,
        forward: B,
        mirror: `${b.id}-added`,
        fix: keepLoose,
      }),
      schemaRule({
        id: `${b.id}-${tighten}`,
        purpose: `The ${b.what} was tightened.`,
        backward: B,
        forward: C,
        mirror: `${b.id}-${loosen}`,
        fix: keepTight,
      }),
      schemaRule({
        id: `${b.id}-${loosen}`,
        purpose: `The ${b.what} was relaxed.`,
        backward: C,
        forward: B,
        mirror: `${b.id}-${tighten}`,
        fix: keepLoose,
      }),
    );
  }
  return rules;
}

export const rules = boundRules();

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

/** A bound keyword's value, folding draft-4 boolean and draft-6 numeric exclusive variants. */
function boundOf(
  node: Obj,
  { keyword, lower, exclusive: exclusiveKey }: BoundKeyword,
): Bound | undefined {
  const candidates: Bound[] = [];
  const plain = node[keyword];
  const exclusive = exclusiveKey ? node[exclusiveKey] : undefined;
  if (typeof plain === "number") candidates.push({ value: plain, exclusive: exclusive === true });
  if (typeof exclusive === "number") candidates.push({ value: exclusive, exclusive: true });
  let best: Bound | undefined;
  for (const c of candidates) {
    if (!best || tighter(c, best, lower)) best = c;
  }
  return best;
}

function tighter(a: Bound, b: Bound, lower: boolean): boolean {
  if (a.value !== b.value) return lower ? a.value > b.value : a.value < b.value;
  return a.exclusive && !b.exclusive;
}

function describeBound(b: Bound): string {
  return b.exclusive ? `${b.value} (exclusive)` : String(b.value);
}

export const bounds: Check = {
  keywords: BOUND_KEYWORDS.flatMap((b) => [b.keyword, ...(b.exclusive ? [b.exclusive] : [])]),
  compare(walk, { n, oNode, nNode, path, applies }) {
    for (const b of BOUND_KEYWORDS) {
      if (!applies(b.applies)) continue;
      const ob = boundOf(oNode, b);
      const nb = boundOf(nNode, b);
      const at = `${path}/${b.keyword}`;
      if (!ob && !nb) continue;
      if (!ob && nb) {
        walk.emit(
          `${b.id}-added`,
          at,
          `${b.what} ${describeBound(nb)} added`,
          "new",
          n,
          `/${b.keyword}`,
          `/${b.exclusive ?? b.keyword}`,
        );
      } else if (ob && !nb) {
        walk.emit(`${b.id}-removed`, at, `${b.what} ${describeBound(ob)} removed`, "new", n);
      } else if (ob && nb) {
        if (ob.value === nb.value && ob.exclusive === nb.exclusive) continue;
        const tightened = tighter(nb, ob, b.lower);
        const suffix = tightened === b.lower ? "increased" : "decreased";
        walk.emit(
          `${b.id}-${suffix}`,
          at,
          `${b.what} changed from ${describeBound(ob)} to ${describeBound(nb)}`,
          "new",
          n,
          `/${b.keyword}`,
          `/${b.exclusive ?? b.keyword}`,
        );
      }
    }
  },
};
