/** Base class of every error the streams stage throws; `code` is stable for callers. */
export class StreamsError extends Error {
  override readonly name: string = "StreamsError";
  constructor(
    message: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Could not connect or authenticate to the NATS server, or JetStream is not available. */
export class StreamsConnectionError extends StreamsError {
  override readonly name = "StreamsConnectionError";
}

/** A JetStream API call failed while planning or applying. */
export class StreamsApiError extends StreamsError {
  override readonly name = "StreamsApiError";
}

/** A write would land outside the output directory. */
export class StreamsOutputError extends StreamsError {
  override readonly name = "StreamsOutputError";
}

export function isStreamsError(error: unknown): error is StreamsError {
  return error instanceof StreamsError;
}
