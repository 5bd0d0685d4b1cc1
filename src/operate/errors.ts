/** Typed errors of the operator tools; the CLI maps them to exit codes. */

/** The request cannot be met as asked (unknown consumer, no DLQ, bad bound): exit 1 or 2 by caller. */
export class OperateInputError extends Error {
  override readonly name = "OperateInputError";
}

/** The server could not be read or changed as needed. */
export class OperateServerError extends Error {
  override readonly name = "OperateServerError";
}
