// The chunk format of a channel connection: how frames travel in data-channel messages
// (docs/protocol.md, "Frames over a data channel", is the description for other
// implementations). A channel message (a chunk) is one or more segments:
//
//   segment = flags u8 | [frame length varint, on a first fragment only] | length varint | bytes
//
// A frame that fits goes whole in one segment (FIRST | LAST), packed with other frames up to
// the chunk size; a larger one is split into a first fragment that announces the frame's
// length, middle fragments and a last one, over consecutive chunks. GOODBYE carries the UTF-8
// reason of a close. Varints are unsigned LEB128 of at most 4 bytes.

/** The segment starts a frame. */
export const FLAG_FIRST = 0x01
/** The segment ends its frame. */
export const FLAG_LAST = 0x02
/** The sender closed the connection; the segment's bytes are the reason (UTF-8). No flag goes with it. */
export const FLAG_GOODBYE = 0x04
/** Bits no segment may set: room for later versions, refused as malformed by this one. */
export const FLAGS_RESERVED = 0xf8

/** A whole frame in one segment. */
export const WHOLE = FLAG_FIRST | FLAG_LAST

/** Largest value a varint of this format holds (4 bytes of 7 bits). */
export const MAX_VARINT = 2 ** 28 - 1

/** Bytes of the varint of `value` (0 to MAX_VARINT). */
export function varintBytes(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20_0000 ? 3 : 4
}

/** Writes the varint of `value` at `at`; returns the offset after it. */
export function writeVarint(buffer: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    buffer[at++] = (value & 0x7f) | 0x80
    value >>>= 7
  }
  buffer[at++] = value
  return at
}

/**
 * Longest goodbye reason sent, in UTF-8 bytes (WebSocket's close-reason limit): a reason is
 * for a log line, and a short one always fits one chunk.
 */
export const MAX_GOODBYE_BYTES = 123

/** `reason` as UTF-8, cut to MAX_GOODBYE_BYTES at a character boundary. */
export function encodeGoodbye(reason: string): Uint8Array {
  const bytes = new TextEncoder().encode(reason)
  if (bytes.length <= MAX_GOODBYE_BYTES) return bytes
  let end = MAX_GOODBYE_BYTES
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--
  return bytes.subarray(0, end)
}
