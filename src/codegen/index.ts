/**
 * Code generation: Contract model → typed TypeScript (types, precompiled validators,
 * descriptors, producers, consumers) and a README, over `@jetcontract/runtime`.
 */
export { type EmitOptions, type EmitResult, type EmittedFile, emitContract } from "./emit.js";
export {
  type FileOutcome,
  type FileStatus,
  type GenerateOptions,
  type GenerateResult,
  generate,
  generateFromContract,
  UnsafeOutputPathError,
} from "./generate.js";
export { GENERATED_MARKER } from "./generated-file.js";
