/**
 * What the operator tools read from the contract: each receive operation's consumer, the
 * stream it reads, its DLQ, its monitor thresholds, and validators of its messages' *current*
 * schemas (compiled here with ajv; dead letters are checked against them before a re-drive).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
// The schema exactly as generated validators see it (nullable, x- keys...): the check here and
// the consumer's validation must agree.
import { stripForValidation } from "../codegen/schema-utils.js";
import type {
  Contract,
  DeadLetterPolicy,
  JsonSchema,
  MonitorPolicy,
  ReceiveOperation,
} from "../model/types.js";
import type { DeadLetter } from "./dead-letter.js";

export interface ConsumerTarget {
  readonly operationId: string;
  readonly durable: string;
  readonly stream: string;
  /** The channel's NATS subject (wildcards where the address has parameters). */
  readonly subject: string;
  readonly dlq?: DeadLetterPolicy;
  readonly monitor?: MonitorPolicy;
  readonly messageIds: readonly string[];
}

/** Receive operations that have a consumer on a stream, sorted by operation id. */
export function consumerTargets(contract: Contract): ConsumerTarget[] {
  const channels = new Map(contract.channels.map((c) => [c.id, c]));
  const out: ConsumerTarget[] = [];
  for (const op of contract.operations) {
    if (op.action !== "receive" || !op.consumer) continue;
    const channel = channels.get(op.channelId);
    if (!channel?.stream || !channel.subject) continue;
    const r = op as ReceiveOperation;
    out.push({
      operationId: op.id,
      durable: op.consumer.durable,
      stream: channel.stream,
      subject: channel.subject,
      ...(r.dlq ? { dlq: r.dlq } : {}),
      ...(r.monitor ? { monitor: r.monitor } : {}),
      messageIds: op.messageIds,
    });
  }
  return out.sort((a, b) => a.operationId.localeCompare(b.operationId));
}

/** DLQ stream names of the contract's consumers, sorted, once each. */
export function deadLetterStreams(targets: readonly ConsumerTarget[]): string[] {
  return [...new Set(targets.flatMap((t) => (t.dlq ? [t.dlq.stream] : [])))].sort();
}

/** The consumer a dead letter came from: same durable and stream (or durable alone). */
export function targetOf(
  targets: readonly ConsumerTarget[],
  d: Pick<DeadLetter, "originConsumer" | "originStream">,
): ConsumerTarget | undefined {
  const byName = targets.filter((t) => t.durable === d.originConsumer);
  return byName.find((t) => t.stream === d.originStream) ?? byName[0];
}

export interface SchemaIssue {
  /** JSON pointer into the payload (`""` for the root). */
  readonly path: string;
  readonly message: string;
}

export type SchemaCheck =
  | { readonly status: "valid"; readonly messageId: string }
  | {
      readonly status: "invalid";
      readonly messageId: string;
      readonly issues: readonly SchemaIssue[];
    }
  /** Not JSON, or no JSON Schema to check against, or an unknown consumer. */
  | { readonly status: "unchecked"; readonly reason: string };

/** Compiles each message's payload schema once, on first use. */
export class PayloadChecker {
  readonly #messages: Map<string, JsonSchema | undefined>;
  readonly #compiled = new Map<string, ValidateFunction>();
  readonly #ajv = new Ajv({ allErrors: true, strict: false, logger: false });

  constructor(contract: Contract) {
    addFormats.default(this.#ajv);
    this.#messages = new Map(contract.messages.map((m) => [m.id, m.payload]));
  }

  /** Checks a payload against the current schema of the target's messages (any one passing). */
  check(target: ConsumerTarget | undefined, data: Uint8Array): SchemaCheck {
    if (!target) return { status: "unchecked", reason: "its consumer is not in the contract" };
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
    } catch {
      return { status: "unchecked", reason: "the payload is not UTF-8 JSON" };
    }
    let first: SchemaCheck | undefined;
    for (const id of target.messageIds) {
      const validate = this.#validator(id);
      if (!validate) continue;
      if (validate(value)) return { status: "valid", messageId: id };
      first ??= { status: "invalid", messageId: id, issues: issuesOf(validate.errors ?? []) };
    }
    return first ?? { status: "unchecked", reason: "its messages have no JSON Schema payload" };
  }

  #validator(messageId: string): ValidateFunction | undefined {
    const cached = this.#compiled.get(messageId);
    if (cached) return cached;
    const schema = this.#messages.get(messageId);
    if (schema === undefined) return undefined;
    const compiled = this.#ajv.compile(stripForValidation(schema) as object);
    this.#compiled.set(messageId, compiled);
    return compiled;
  }
}

function issuesOf(errors: readonly ErrorObject[]): SchemaIssue[] {
  return errors.map((e) => {
    const missing =
      e.keyword === "required" ? (e.params as { missingProperty?: string }).missingProperty : "";
    const extra =
      e.keyword === "additionalProperties"
        ? (e.params as { additionalProperty?: string }).additionalProperty
        : "";
    const child = missing || extra;
    return {
      path: child
        ? `${e.instancePath}/${child.replace(/~/g, "~0").replace(/\//g, "~1")}`
        : e.instancePath,
      message: e.message ?? e.keyword,
    };
  });
}
