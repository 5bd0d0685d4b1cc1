/** Payload encoding: UTF-8 JSON by default, or the descriptor's own codec. */
import type { MessageDescriptor } from "./descriptors.js";
import { DecodeError } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodePayload<T>(message: MessageDescriptor<T>, payload: T): Uint8Array {
  if (message.codec) return message.codec.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  return encoder.encode(JSON.stringify(payload));
}

/** Decodes bytes to an unvalidated value; throws `DecodeError`. */
export function decodePayload<T>(message: MessageDescriptor<T>, data: Uint8Array): unknown {
  try {
    if (message.codec) return message.codec.decode(data);
    return JSON.parse(decoder.decode(data));
  } catch (cause) {
    throw new DecodeError(
      `${message.name}: payload is not valid ${message.codec ? "data" : "UTF-8 JSON"}`,
      {
        cause,
      },
    );
  }
}
