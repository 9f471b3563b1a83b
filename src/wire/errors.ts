// Errors of the wire codec. Decoding untrusted bytes throws nothing but WireError, so a
// connection can switch on `code` and drop the peer without guarding against other types.

import { WasmeshError } from '../util/wasmesh-error.js'

export type WireErrorCode =
  /** The bytes end before a field, a message or a frame does. */
  | 'WIRE_TRUNCATED'
  /** A message or frame is, or declares itself, larger than the limit. */
  | 'WIRE_TOO_LARGE'
  /** A frame does not start with the wasmesh magic byte. */
  | 'WIRE_BAD_MAGIC'
  /** A frame carries a wire version this decoder does not speak. */
  | 'WIRE_BAD_VERSION'
  /** A message type code is not in the catalogue (and unknown types are not accepted). */
  | 'WIRE_UNKNOWN_TYPE'
  /** A field is out of its bounds or not in canonical form (a boolean of 2, an empty topic). */
  | 'WIRE_BAD_FIELD'
  /** A repeated field, a frame's message count or a frame's entry budget is over its cap. */
  | 'WIRE_COUNT_EXCEEDED'
  /** Bytes are left over after a message body or after a frame's last message. */
  | 'WIRE_TRAILING_BYTES'
  /** A string field is not well-formed UTF-8 (or, when encoding, not well-formed UTF-16). */
  | 'WIRE_BAD_UTF8'
  /** A codec option (a limit, a delay) is out of range. */
  | 'WIRE_INVALID_OPTION'
  /** A FrameCoalescer or FrameDecoder was used after close() or after it failed. */
  | 'WIRE_CLOSED'

/** Thrown when bytes cannot be decoded, a message cannot be encoded, or a codec option is bad. */
export class WireError extends WasmeshError {
  declare readonly code: WireErrorCode

  constructor(code: WireErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}
