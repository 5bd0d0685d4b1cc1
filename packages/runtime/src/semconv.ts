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

/** Standard metric names of the messaging conventions (durations in seconds). */
export const Metric = {
  sentMessages: "messaging.client.sent.messages",
  consumedMessages: "messaging.client.consumed.messages",
  operationDuration: "messaging.client.operation.duration",
  processDuration: "messaging.process.duration",
} as const;

/**
 * The destination template of a subject pattern: its `*` tokens named from `params`
 * (`payments.*.captured` + `["region"]` → `payments.{region}.captured`, the channel address),
 * unnamed ones left as `*`. Low-cardinality, so it names spans and labels metrics.
 */
export function destinationTemplate(subject: string, params: readonly string[] = []): string {
  let i = 0;
  return subject
    .split(".")
    .map((token) => {
      if (token !== "*") return token;
      const name = params[i++];
      return name === undefined ? token : `{${name}}`;
    })
    .join(".");
}
