/**
 * Telemetry names: the OpenTelemetry messaging semantic conventions the runtime follows, and
 * jetcontract's own names where the conventions have nothing. No `@opentelemetry/api` types
 * here, so these constants are usable (and type-check) without the optional peer installed.
 */

export const INSTRUMENTATION_NAME = "@jetcontract/runtime";
export const INSTRUMENTATION_VERSION = "0.1.0";

/** Attribute names used on spans and metrics. */
export const Attr = {
  system: "messaging.system",
  destination: "messaging.destination.name",
  destinationTemplate: "messaging.destination.template",
  operationType: "messaging.operation.type",
  operationName: "messaging.operation.name",
  messageId: "messaging.message.id",
  bodySize: "messaging.message.body.size",
  consumerGroup: "messaging.consumer.group.name",
  stream: "jetcontract.stream",
  streamSequence: "jetcontract.stream.sequence",
  deliveryCount: "jetcontract.delivery_count",
  attempt: "jetcontract.attempt",
  outcome: "jetcontract.outcome",
  errorType: "error.type",
} as const;
