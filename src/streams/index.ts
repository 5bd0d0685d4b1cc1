/**
 * The streams stage: the JetStream configuration a contract implies, as files
 * (JetStream API JSON, NACK, Terraform) and as a plan/apply against a live server.
 */

export {
  type ApiConsumerConfig,
  type ApiStreamConfig,
  toApiConsumerConfig,
  toApiStreamConfig,
} from "./api-config.js";
export { type ApplyOptions, type ApplyResult, applyJetStream } from "./apply.js";
export {
  connectJetStream,
  DEFAULT_SERVER,
  type JetStreamConnectOptions,
  type JetStreamSession,
} from "./connect.js";
export {
  type DeriveOptions,
  type DeriveResult,
  deriveJetStreamConfig,
  managedOwner,
  maxDeliverFor,
  OWNER_METADATA_KEY,
  ownerMarker,
  RELEASE_ALLOWANCE,
} from "./derive.js";
export {
  isStreamsError,
  StreamsApiError,
  StreamsConnectionError,
  StreamsError,
  StreamsOutputError,
} from "./errors.js";
export { formatApplyText, formatPlanText, planSummary } from "./format.js";
export {
  type FieldChange,
  type JetStreamPlan,
  type JetStreamTarget,
  type PlanAction,
  type PlanItem,
  type PlanOptions,
  planJetStream,
  type ResourceKind,
  StreamsDeriveError,
} from "./plan.js";
export {
  type RenderedStreamFiles,
  type RenderOptions,
  renderStreamFiles,
  STREAM_FILE_FORMATS,
  type StreamFile,
  type StreamFileFormat,
  writeStreamFiles,
} from "./render.js";
export type {
  DesiredBucket,
  DesiredConsumer,
  DesiredStream,
  JetStreamConfig,
  StreamRole,
} from "./types.js";
export { msToGoDuration, msToNanos, msToSeconds, nanosToMs } from "./units.js";
