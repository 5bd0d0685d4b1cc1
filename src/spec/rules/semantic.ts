import type { Rule } from "./types.js";

export const semanticRules: Rule[] = [];
