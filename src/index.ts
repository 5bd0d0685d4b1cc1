/**
 * jetcontract library entry point: every CLI command is a function here first.
 * The runtime is its own package, `@jetcontract/runtime`.
 */

// Stages. Each is also its own entry point (`jetcontract/codegen`, `jetcontract/streams`,
// `jetcontract/compat`, `jetcontract/spec`) for build scripts that want to load one only.
export {
  type EmitOptions,
  type EmitResult,
  type EmittedFile,
  emitContract,
  type FileOutcome,
  type FileStatus,
  GENERATED_MARKER,
  type GenerateOptions,
  type GenerateResult,
  generate,
  generateFromContract,
  UnsafeOutputPathError,
} from "./codegen/index.js";
export {
  checkCompatibility,
  type DiffConfig,
  type DiffFilesOptions,
  type DiffFormat,
  type DiffSource,
  diffContractHistory,
  diffContracts,
  diffFiles,
  diffSchemas,
  findDiffConfig,
  formatReport,
  loadDiffConfig,
  RULES as compatRules,
  type Rule as CompatRule,
} from "./compat/index.js";
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
export {
  type ApplyOptions,
  type ApplyResult,
  applyJetStream,
  connectJetStream,
  type DeriveOptions,
  type DeriveResult,
  deriveJetStreamConfig,
  formatApplyText,
  formatPlanText,
  type JetStreamConfig,
  type JetStreamConnectOptions,
  type JetStreamPlan,
  type PlanOptions,
  planJetStream,
  renderStreamFiles,
  type StreamFileFormat,
  writeStreamFiles,
} from "./streams/index.js";
