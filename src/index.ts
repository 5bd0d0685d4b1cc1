/**
 * jetcontract library entry point: every CLI command is a function here first.
 * The runtime is a separate entry point, `jetcontract/runtime`.
 */

export type { Problem, Severity } from "./model/problem.js";
export { stripAnnotations } from "./model/schema.js";
export type * from "./model/types.js";
export {
  FILE_UNREADABLE,
  type LoadOptions,
  type LoadResult,
  loadContract,
  parseDuration,
  parseSize,
  type Rule,
  rules,
  validateSpecs,
} from "./spec/index.js";
