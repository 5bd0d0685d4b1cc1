/**
 * jetcontract library entry point: every CLI command is a function here first.
 * The runtime is a separate entry point, `jetcontract/runtime`.
 */
export type * from "./model/types.js";
export type { Problem, Severity } from "./model/problem.js";
