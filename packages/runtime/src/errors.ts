/**
 * Typed, named errors. Every error carries an optional `cause`; each class has a guard
 * (`isPermanentError(e)` ...) that also recognises instances from another copy of this module
 * (by `name` along the prototype chain), so guards work across bundles.
 */
import type { ValidationIssue } from "./descriptors.js";

function hasName(e: unknown, name: string): boolean {
  if (typeof e !== "object" || e === null) return false;
  let proto: unknown = e;
  while (proto !== null && typeof proto === "object") {
    const ctor = (proto as { constructor?: { name?: unknown } }).constructor;
    if (ctor?.name === name) return true;
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}

/** Base class of every error the runtime throws. */
export class JetcontractError extends Error {
  override name = "JetcontractError";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

// ---------------------------------------------------------------- handler outcomes

/** Thrown by a handler: this message can never succeed; dead-letter it now. */
export class PermanentError extends JetcontractError {
  override name = "PermanentError";
}

/** A business rule rejected the message (a kind of permanent failure). */
export class BusinessRuleError extends PermanentError {
  override name = "BusinessRuleError";
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
}

/** The payload or headers do not match the message schema. */
export class SchemaValidationError extends PermanentError {
  override name = "SchemaValidationError";
  constructor(
    message: string,
    readonly issues: readonly ValidationIssue[],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A failure worth retrying; `retryAfterMs` overrides the computed backoff delay. */
export class TransientError extends JetcontractError {
  override name = "TransientError";
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: ErrorOptions & { retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** The handler did not settle within `handlerTimeoutMs` (transient). */
export class HandlerTimeoutError extends TransientError {
  override name = "HandlerTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`handler did not finish within ${timeoutMs}ms`);
  }
}

// ---------------------------------------------------------------- publish

/** Base of publish failures. */
export class PublishError extends JetcontractError {
  override name = "PublishError";
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
}

/** An `expect` constraint (last sequence, last msg id, stream name) failed (permanent). */
export class WrongExpectedSequenceError extends PublishError {
  override name = "WrongExpectedSequenceError";
}

/** Transient failures went on until the attempts or the deadline ran out. */
export class PublishRetriesExhaustedError extends PublishError {
  override name = "PublishRetriesExhaustedError";
}

/** The caller's `AbortSignal` fired before the publish was acknowledged. */
export class PublishAbortedError extends PublishError {
  override name = "PublishAbortedError";
}

/** The server rejected the publish for a reason that retrying will not fix. */
export class PublishRejectedError extends PublishError {
  override name = "PublishRejectedError";
}

// ---------------------------------------------------------------- consumer side

/** Publishing to the dead-letter subject failed; the original is released, not lost. */
export class DeadLetterError extends JetcontractError {
  override name = "DeadLetterError";
}

/** A dedup store could not be reached or answered unexpectedly. */
export class DedupStoreError extends JetcontractError {
  override name = "DedupStoreError";
}

/** Bad options or descriptor (programming error). */
export class ConfigurationError extends JetcontractError {
  override name = "ConfigurationError";
}

// ---------------------------------------------------------------- guards

export const isJetcontractError = (e: unknown): e is JetcontractError =>
  e instanceof JetcontractError || hasName(e, "JetcontractError");
export const isPermanentError = (e: unknown): e is PermanentError =>
  e instanceof PermanentError || hasName(e, "PermanentError");
export const isBusinessRuleError = (e: unknown): e is BusinessRuleError =>
  e instanceof BusinessRuleError || hasName(e, "BusinessRuleError");
export const isDecodeError = (e: unknown): e is DecodeError =>
  e instanceof DecodeError || hasName(e, "DecodeError");
export const isSchemaValidationError = (e: unknown): e is SchemaValidationError =>
  e instanceof SchemaValidationError || hasName(e, "SchemaValidationError");
export const isTransientError = (e: unknown): e is TransientError =>
  e instanceof TransientError || hasName(e, "TransientError");
export const isHandlerTimeoutError = (e: unknown): e is HandlerTimeoutError =>
  e instanceof HandlerTimeoutError || hasName(e, "HandlerTimeoutError");
export const isPublishError = (e: unknown): e is PublishError =>
  e instanceof PublishError || hasName(e, "PublishError");
export const isStreamNotFoundForSubjectError = (e: unknown): e is StreamNotFoundForSubjectError =>
  e instanceof StreamNotFoundForSubjectError || hasName(e, "StreamNotFoundForSubjectError");
export const isWrongExpectedSequenceError = (e: unknown): e is WrongExpectedSequenceError =>
  e instanceof WrongExpectedSequenceError || hasName(e, "WrongExpectedSequenceError");
export const isPublishRetriesExhaustedError = (e: unknown): e is PublishRetriesExhaustedError =>
  e instanceof PublishRetriesExhaustedError || hasName(e, "PublishRetriesExhaustedError");
export const isPublishAbortedError = (e: unknown): e is PublishAbortedError =>
  e instanceof PublishAbortedError || hasName(e, "PublishAbortedError");
export const isDeadLetterError = (e: unknown): e is DeadLetterError =>
  e instanceof DeadLetterError || hasName(e, "DeadLetterError");
export const isDedupStoreError = (e: unknown): e is DedupStoreError =>
  e instanceof DedupStoreError || hasName(e, "DedupStoreError");

/** Name of an error's class for headers and events (`Error` for non-errors). */
export function errorClassName(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== "Error" ? e.name : e.constructor.name;
  return typeof e;
}

/** Message of an error, or its string form. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
