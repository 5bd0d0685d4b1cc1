/** Operating a contract's consumers: dead letters (`dlq`) and consumer state (`status`). */
export {
  type ConsumerTarget,
  consumerTargets,
  deadLetterStreams,
  PayloadChecker,
  type SchemaCheck,
  type SchemaIssue,
} from "./contract.js";
export type { DeadLetter } from "./dead-letter.js";
export {
  dlqStats,
  type PurgeOptions,
  type PurgeResult,
  type PurgeSelection,
  purgeDeadLetters,
  type SelectOptions,
  type ShownDeadLetter,
  selectDeadLetters,
  showDeadLetter,
} from "./dlq.js";
export { OperateInputError, OperateServerError } from "./errors.js";
export { type DlqFilter, matchesFilter, parseTimeBound } from "./filter.js";
export * from "./format.js";
export { failureGroupId, groupOf, normaliseErrorMessage } from "./normalise.js";
export {
  decideRedrive,
  type RedriveOptions,
  type RedriveProgress,
  type RedriveSummary,
  redriveDeadLetters,
  redriveHeaders,
} from "./redrive.js";
export { type Scope, scopeStreams } from "./scope.js";
export type { OperateSession } from "./session.js";
export type { DlqStreamStats, FailureGroup } from "./stats.js";
export {
  type ConsumerStatus,
  evaluate,
  LEVEL_CODE,
  type Level,
  readStatus,
  type StatusReport,
  worst,
} from "./status.js";
