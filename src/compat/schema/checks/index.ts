import { additionalProperties } from "./additional-properties.js";
import { bounds } from "./bounds.js";
import type { Check } from "./check.js";
import { combinators } from "./combinators.js";
import { conditional } from "./conditional.js";
import { contains } from "./contains.js";
import { content } from "./content.js";
import { dependencies } from "./dependencies.js";
import { enums } from "./enums.js";
import { format } from "./format.js";
import { items } from "./items.js";
import { multipleOf } from "./multiple-of.js";
import { not } from "./not.js";
import { otherKeywords } from "./other-keywords.js";
import { pattern } from "./pattern.js";
import { properties } from "./properties.js";
import { required } from "./required.js";
import { types } from "./types.js";
import { uniqueItems } from "./unique-items.js";

/**
 * The keyword families, in the order they compare a pair (and so the order of their changes).
 * A pair where either side is `false`, or either is only an `anyOf`/`oneOf`, is compared by
 * `false-schema.ts` or `sums.ts` instead.
 */
const FAMILIES: readonly Check[] = [
  types,
  enums,
  bounds,
  multipleOf,
  pattern,
  format,
  content,
  properties,
  required,
  additionalProperties,
  dependencies,
  items,
  uniqueItems,
  contains,
  combinators,
  not,
  conditional,
];

/** Keywords some family compares; the rest are compared as text by `other-keywords.ts`. */
const KNOWN = new Set(FAMILIES.flatMap((c) => c.keywords));

export const CHECKS: readonly Check[] = [...FAMILIES, otherKeywords(KNOWN)];
