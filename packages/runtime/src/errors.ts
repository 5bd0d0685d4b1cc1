/**
 * Typed, named errors. Every error carries an optional `cause`; each class has a guard
 * (`isPermanentError(e)` ...) that checks a brand registered with `Symbol.for`, so guards
 * recognise instances from another copy of this module (two bundles, two installs) and survive
 * minifiers that rename classes.
 */
import type { ValidationIssue } from "./descriptors.js";

/** Marks a class (and so its subclasses) with the global brand of `name`. */
function brand(cls: abstract new (...args: never[]) => unknown, name: string): void {
  Object.defineProperty(cls.prototype, Symbol.for(`@jetcontract/runtime.${name}`), {
    value: true,
  });
}

function guard<E>(name: string): (e: unknown) => e is E {
  const key = Symbol.for(`@jetcontract/runtime.${name}`);
  return (e: unknown): e is E =>
    typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[key] === true;
}

/** Base class of every error the runtime throws. */
export class JetcontractError extends Error {
  override name = "JetcontractError";
  static {
    brand(JetcontractError, "JetcontractError");
  }
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

// ---------------------------------------------------------------- handler outcomes

/** Thrown by a handler: this message can never succeed; dead-letter it now. */
export class PermanentError extends JetcontractError {
  override name = "PermanentError";
  static {
    brand(PermanentError, "PermanentError");
  }
}

/** A business rule rejected the message (a kind of permanent failure). */
export class BusinessRuleError extends PermanentError {
  override name = "BusinessRuleError";
  static {
    brand(BusinessRuleError, "BusinessRuleError");
  }
  constructor(
    message: string,
    readonly rule?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The payload could not be decoded (not UTF-8 JSON, or the key extractor failed). */
export class DecodeError extends PermanentError {
  override name = "DecodeError";
  static {
    brand(DecodeError, "DecodeError");
  }
}

/**
 * The payload or headers do not match the message schema. The message names the failing paths
 * and keywords (the first few); `issues` holds every one as ajv reported it
 * (`instancePath` a JSON Pointer into the payload, `keyword` the failed schema keyword).
 */
export class SchemaValidationError extends PermanentError {
  override name = "SchemaValidationError";
  static {
    brand(SchemaValidationError, "SchemaValidationError");
  }
  constructor(
    summary: string,
    readonly issues: readonly ValidationIssue[],
    options?: ErrorOptions,
  ) {
    super(issues.length > 0 ? `${summary}: ${describeIssues(issues)}` : summary, options);
  }
}

/** Issues named in a message at most; the rest are counted. */
const ISSUES_IN_MESSAGE = 5;

/**
 * One line for validation issues: `/lines/0/qty must be >= 1 (minimum); / must have required
 * property 'currency' (required)`, the first few, then how many more.
 */
export function describeIssues(issues: readonly ValidationIssue[]): string {
  const shown = issues
    .slice(0, ISSUES_IN_MESSAGE)
    .map(
      (i) =>
        `${i.instancePath || "/"} ${i.message ?? "is invalid"}${i.keyword ? ` (${i.keyword})` : ""}`,
    );
  const more = issues.length - shown.length;
  return more > 0 ? `${shown.join("; ")}; and ${more} more` : shown.join("; ");
}

/** A failure worth retrying; `retryAfterMs` overrides the computed backoff delay. */
export class TransientError extends JetcontractError {
  override name = "TransientError";
  static {
    brand(TransientError, "TransientError");
  }
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** The handler did not settle within `handlerTimeoutMs` (transient). */
export class HandlerTimeoutError extends TransientError {
  override name = "HandlerTimeoutError";
  static {
    brand(HandlerTimeoutError, "HandlerTimeoutError");
  }
  constructor(readonly timeoutMs: number) {
    super(`handler did not finish within ${timeoutMs}ms`);
  }
}

// ---------------------------------------------------------------- publish

/** Base of publish failures. */
export class PublishError extends JetcontractError {
  override name = "PublishError";
  static {
    brand(PublishError, "PublishError");
  }
  constructor(
    message: string,
    readonly subject: string,
    readonly msgId: string,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No stream captures the subject (permanent). */
export class StreamNotFoundForSubjectError extends PublishError {
  override name = "StreamNotFoundForSubjectError";
  static {
    brand(StreamNotFoundForSubjectError, "StreamNotFoundForSubjectError");
  }
}

/** An `expect` constraint (last sequence, last msg id, stream name) failed (permanent). */
export class WrongExpectedSequenceError extends PublishError {
  override name = "WrongExpectedSequenceError";
  static {
    brand(WrongExpectedSequenceError, "WrongExpectedSequenceError");
  }
}

/** Transient failures went on until the attempts or the deadline ran out. */
export class PublishRetriesExhaustedError extends PublishError {
  override name = "PublishRetriesExhaustedError";
  static {
    brand(PublishRetriesExhaustedError, "PublishRetriesExhaustedError");
  }
}

/** The caller's `AbortSignal` fired before the publish was acknowledged. */
export class PublishAbortedError extends PublishError {
  override name = "PublishAbortedError";
  static {
    brand(PublishAbortedError, "PublishAbortedError");
  }
}

/** The server rejected the publish for a reason that retrying will not fix. */
export class PublishRejectedError extends PublishError {
  override name = "PublishRejectedError";
  static {
    brand(PublishRejectedError, "PublishRejectedError");
  }
}

// ---------------------------------------------------------------- consumer side

/** Publishing to the dead-letter subject failed; the original is released, not lost. */
export class DeadLetterError extends JetcontractError {
  override name = "DeadLetterError";
  static {
    brand(DeadLetterError, "DeadLetterError");
  }
}

/** A dedup store could not be reached or answered unexpectedly. */
export class DedupStoreError extends JetcontractError {
  override name = "DedupStoreError";
  static {
    brand(DedupStoreError, "DedupStoreError");
  }
}

/** Bad options or descriptor (programming error). */
export class ConfigurationError extends JetcontractError {
  override name = "ConfigurationError";
  static {
    brand(ConfigurationError, "ConfigurationError");
  }
}

// ---------------------------------------------------------------- guards

export const isJetcontractError = guard<JetcontractError>("JetcontractError");
export const isPermanentError = guard<PermanentError>("PermanentError");
export const isBusinessRuleError = guard<BusinessRuleError>("BusinessRuleError");
export const isDecodeError = guard<DecodeError>("DecodeError");
export const isSchemaValidationError = guard<SchemaValidationError>("SchemaValidationError");
export const isTransientError = guard<TransientError>("TransientError");
export const isHandlerTimeoutError = guard<HandlerTimeoutError>("HandlerTimeoutError");
export const isPublishError = guard<PublishError>("PublishError");
export const isStreamNotFoundForSubjectError = guard<StreamNotFoundForSubjectError>(
  "StreamNotFoundForSubjectError",
);
export const isWrongExpectedSequenceError = guard<WrongExpectedSequenceError>(
  "WrongExpectedSequenceError",
);
export const isPublishRetriesExhaustedError = guard<PublishRetriesExhaustedError>(
  "PublishRetriesExhaustedError",
);
export const isPublishAbortedError = guard<PublishAbortedError>("PublishAbortedError");
export const isDeadLetterError = guard<DeadLetterError>("DeadLetterError");
export const isDedupStoreError = guard<DedupStoreError>("DedupStoreError");

/** Name of an error's class for headers and events (`Error` for non-errors). */
export function errorClassName(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== "Error" ? e.name : e.constructor.name;
  return typeof e;
}

/** Message of an error, or its string form. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
