export {
  FILE_UNREADABLE,
  type LoadOptions,
  type LoadResult,
  loadContract,
  validateSpecs,
} from "./load.js";
export { checkContract, type Phase, type Rule, rules } from "./rules/index.js";
export { DURATION_FORMS, parseDuration, parseSize, SIZE_FORMS, UnitParseError } from "./units.js";
