// A frame: what one transport message (a data channel or WebSocket message) carries.
//   magic u8 (0x57), version u8 (1), payload length u32, message count u16, then `count`
//   messages (type u8, body length u32, body) filling exactly `payload length` bytes.
// The header alone is enough to refuse a frame that is too large or holds too many
// messages, before its payload is buffered or a single message is decoded.

import {
  checkBytesArgument,
  checkUnknownTypes,
  countEntries,
  encodeMessage,
  readMessage,
  type DecodeOptions,
  type StrictDecodeOptions,
} from './codec.js'
import { WireError } from './errors.js'
import {
  FRAME_HEADER_BYTES,
  MAX_ENTRIES_PER_FRAME,
  MAX_FRAME_BYTES,
  MAX_MESSAGES_PER_FRAME,
  MESSAGE_HEADER_BYTES,
  WIRE_MAGIC,
  WIRE_VERSION,
  resolveWireLimits,
  type WireLimits,
} from './limits.js'
import type { DecodedMessage, WireMessage } from './messages.js'
import { WireReader } from './reader.js'

export interface FrameHeader {
  /** Bytes after the header. */
  readonly payloadBytes: number
  readonly messageCount: number
}

/** The message count a frame's header claims, unchecked (0 when the bytes are too short for a header): what a receiver can charge before decoding. */
export function claimedMessageCount(bytes: Uint8Array): number {
  return bytes.length < FRAME_HEADER_BYTES ? 0 : (bytes[6] << 8) + bytes[7]
}

/**
 * Checks the 8-byte header at the start of `bytes` against `limits`: magic, version,
 * declared size, message count, and that the count fits in the declared size.
 */
export function readFrameHeader(bytes: Uint8Array, limits: WireLimits): FrameHeader {
  if (bytes.length < FRAME_HEADER_BYTES) throw new WireError('WIRE_TRUNCATED', `a frame header needs ${FRAME_HEADER_BYTES} bytes, got ${bytes.length}`)
  if (bytes[0] !== WIRE_MAGIC) throw new WireError('WIRE_BAD_MAGIC', `a frame starts with 0x${WIRE_MAGIC.toString(16)}, got 0x${bytes[0].toString(16)}`)
  if (bytes[1] !== WIRE_VERSION) throw new WireError('WIRE_BAD_VERSION', `wire version ${bytes[1]} is not supported, this decoder speaks ${WIRE_VERSION}`)
  const payloadBytes = ((bytes[2] << 24) >>> 0) + (bytes[3] << 16) + (bytes[4] << 8) + bytes[5]
  if (payloadBytes > limits.maxFrameBytes - FRAME_HEADER_BYTES) {
    throw new WireError('WIRE_TOO_LARGE', `a frame declares ${FRAME_HEADER_BYTES + payloadBytes} bytes, at most ${limits.maxFrameBytes} allowed`)
  }
  const messageCount = claimedMessageCount(bytes)
  if (messageCount === 0) throw new WireError('WIRE_BAD_FIELD', 'a frame declares 0 messages, at least 1 is needed')
  if (messageCount > limits.maxMessagesPerFrame) {
    throw new WireError('WIRE_COUNT_EXCEEDED', `a frame declares ${messageCount} messages, at most ${limits.maxMessagesPerFrame} allowed`)
  }
  if (messageCount * MESSAGE_HEADER_BYTES > payloadBytes) {
    throw new WireError('WIRE_TRUNCATED', `${messageCount} messages need at least ${messageCount * MESSAGE_HEADER_BYTES} bytes, the frame declares ${payloadBytes}`)
  }
  return { payloadBytes, messageCount }
}

/**
 * Decodes one whole frame from untrusted bytes into its messages. Returns them or throws
 * WireError; nothing else. Work is bounded by the limits: the header is checked before any
 * message is read, each count before its entries.
 */
export function decodeFrame(bytes: Uint8Array, options?: StrictDecodeOptions): WireMessage[]
export function decodeFrame(bytes: Uint8Array, options: DecodeOptions): DecodedMessage[]
export function decodeFrame(bytes: Uint8Array, options: DecodeOptions = {}): DecodedMessage[] {
  checkBytesArgument(bytes)
  const limits = resolveWireLimits(options.limits)
  const unknownTypes = checkUnknownTypes(options.unknownTypes)
  const { payloadBytes, messageCount } = readFrameHeader(bytes, limits)
  const frameBytes = FRAME_HEADER_BYTES + payloadBytes
  if (bytes.length < frameBytes) throw new WireError('WIRE_TRUNCATED', `a frame declares ${frameBytes} bytes, got ${bytes.length}`)
  if (bytes.length > frameBytes) throw new WireError('WIRE_TRAILING_BYTES', `${bytes.length - frameBytes} bytes follow the ${frameBytes}-byte frame`)
  const reader = new WireReader(bytes.subarray(FRAME_HEADER_BYTES), limits.maxEntriesPerFrame)
  const messages = new Array<DecodedMessage>(messageCount)
  for (let i = 0; i < messageCount; i++) messages[i] = readMessage(reader, limits.maxMessageBytes, unknownTypes)
  if (reader.remaining !== 0) throw new WireError('WIRE_TRAILING_BYTES', `${reader.remaining} bytes follow the frame's last message`)
  return messages
}

/**
 * Builds a frame from already-encoded messages (see encodeMessage) whose total size is
 * `payloadBytes`. The caller has kept within the limits.
 */
export function assembleFrame(encoded: readonly Uint8Array[], payloadBytes: number): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payloadBytes)
  frame[0] = WIRE_MAGIC
  frame[1] = WIRE_VERSION
  frame[2] = payloadBytes >>> 24
  frame[3] = payloadBytes >>> 16
  frame[4] = payloadBytes >>> 8
  frame[5] = payloadBytes
  frame[6] = encoded.length >>> 8
  frame[7] = encoded.length
  let offset = FRAME_HEADER_BYTES
  for (const message of encoded) {
    frame.set(message, offset)
    offset += message.length
  }
  return frame
}

/**
 * Encodes messages into one frame. Throws WireError for any message that does not encode,
 * for an empty list or more than 1,024 messages, more than 4,096 repeated-field entries,
 * or more than 1 MiB in all.
 */
export function encodeFrame(messages: readonly DecodedMessage[]): Uint8Array {
  if (!Array.isArray(messages) || messages.length === 0) throw new WireError('WIRE_BAD_FIELD', 'a frame needs at least 1 message')
  if (messages.length > MAX_MESSAGES_PER_FRAME) {
    throw new WireError('WIRE_COUNT_EXCEEDED', `a frame holds at most ${MAX_MESSAGES_PER_FRAME} messages, got ${messages.length}`)
  }
  const encoded = new Array<Uint8Array>(messages.length)
  let payloadBytes = 0
  let entries = 0
  for (let i = 0; i < messages.length; i++) {
    encoded[i] = encodeMessage(messages[i])
    payloadBytes += encoded[i].length
    entries += countEntries(messages[i])
  }
  if (entries > MAX_ENTRIES_PER_FRAME) {
    throw new WireError('WIRE_COUNT_EXCEEDED', `a frame holds at most ${MAX_ENTRIES_PER_FRAME} repeated-field entries, these messages have ${entries}`)
  }
  if (FRAME_HEADER_BYTES + payloadBytes > MAX_FRAME_BYTES) {
    throw new WireError('WIRE_TOO_LARGE', `a frame of ${FRAME_HEADER_BYTES + payloadBytes} bytes is over the ${MAX_FRAME_BYTES}-byte limit`)
  }
  return assembleFrame(encoded, payloadBytes)
}
