// One message on the wire: type u8, body length u32, body. The length makes every message
// skippable without knowing its type, which is how a peer can pass over a message type newer
// than itself (`unknownTypes: 'return'`) instead of dropping the connection.

import { WireError } from './errors.js'
import { MAX_MESSAGE_BYTES, MESSAGE_HEADER_BYTES, resolveWireLimits, type WireLimits } from './limits.js'
import { BODY_CODECS, type BodyCodec } from './message-codecs.js'
import { MESSAGE_TYPE_CODES, type DecodedMessage, type UnknownMessage, type WireMessage, type WireMessageType } from './messages.js'
import { WireReader } from './reader.js'
import { WireWriter } from './writer.js'
import { describeValue } from '../util/validate.js'

/** What a decoder does with a type code it does not know. */
export type UnknownTypePolicy = 'error' | 'return'

export interface DecodeOptions {
  /** Lower limits than the defaults; see WireLimits. */
  readonly limits?: Partial<WireLimits>
  /**
   * 'error' (default): an unknown type code throws WIRE_UNKNOWN_TYPE. 'return': it decodes
   * as `{ type: 'unknown', typeCode, body }` for the caller to ignore, for use with peers
   * that negotiated a newer protocol version in their hello.
   */
  readonly unknownTypes?: UnknownTypePolicy
}

/** Decode options that cannot yield an UnknownMessage. */
export type StrictDecodeOptions = DecodeOptions & { readonly unknownTypes?: 'error' }

/** Type code -> message type; undefined where no type is assigned. */
const TYPE_BY_CODE: readonly (WireMessageType | undefined)[] = (() => {
  const table = new Array<WireMessageType | undefined>(256).fill(undefined)
  for (const [type, code] of Object.entries(MESSAGE_TYPE_CODES)) table[code] = type as WireMessageType
  return table
})()

function codecOf(type: string): BodyCodec<WireMessage> {
  if (!Object.hasOwn(BODY_CODECS, type)) throw new WireError('WIRE_UNKNOWN_TYPE', `no message type ${describeValue(type)} in the catalogue`)
  return BODY_CODECS[type as WireMessageType] as BodyCodec<WireMessage>
}

function isUnknown(message: DecodedMessage): message is UnknownMessage {
  return message.type === 'unknown'
}

/**
 * Encodes one message, header included, validating every field. Throws WireError:
 * WIRE_BAD_FIELD, WIRE_BAD_UTF8 or WIRE_COUNT_EXCEEDED for a field out of bounds,
 * WIRE_TOO_LARGE for a message over 1 MiB.
 */
export function encodeMessage(message: DecodedMessage): Uint8Array {
  if (typeof message !== 'object' || message === null) throw new WireError('WIRE_BAD_FIELD', `a message must be an object, got ${describeValue(message)}`)
  let typeCode: number
  let bodyBytes: number
  let codec: BodyCodec<WireMessage> | undefined
  if (isUnknown(message)) {
    typeCode = message.typeCode
    if (!Number.isInteger(typeCode) || typeCode < 0 || typeCode > 0xff || TYPE_BY_CODE[typeCode] !== undefined) {
      throw new WireError('WIRE_BAD_FIELD', `typeCode of an unknown message must be an unassigned integer from 0 to 255, got ${describeValue(typeCode)}`)
    }
    if (!(message.body instanceof Uint8Array)) throw new WireError('WIRE_BAD_FIELD', `body must be a Uint8Array, got ${describeValue(message.body)}`)
    bodyBytes = message.body.length
  } else {
    codec = codecOf(message.type)
    typeCode = MESSAGE_TYPE_CODES[message.type]
    bodyBytes = codec.measure(message)
  }
  const size = MESSAGE_HEADER_BYTES + bodyBytes
  if (size > MAX_MESSAGE_BYTES) throw new WireError('WIRE_TOO_LARGE', `a ${message.type} message of ${size} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`)
  const writer = new WireWriter(size)
  writer.u8(typeCode)
  writer.u32(bodyBytes)
  if (codec === undefined) writer.bytesRaw((message as UnknownMessage).body)
  else codec.write(writer, message as WireMessage)
  return writer.finish()
}

/** Repeated-field entries of a message, as counted against a frame's entry budget. */
export function countEntries(message: DecodedMessage): number {
  return isUnknown(message) ? 0 : codecOf(message.type).entries(message)
}

/**
 * Reads one message at the reader's position. The declared length is checked against
 * `maxMessageBytes` and the bytes left before the type is even looked up.
 */
export function readMessage(reader: WireReader, maxMessageBytes: number, unknownTypes: UnknownTypePolicy): DecodedMessage {
  const typeCode = reader.u8('message type')
  const bodyBytes = reader.u32('message length')
  if (bodyBytes > maxMessageBytes - MESSAGE_HEADER_BYTES) {
    throw new WireError('WIRE_TOO_LARGE', `a message declares ${bodyBytes} body bytes, at most ${maxMessageBytes - MESSAGE_HEADER_BYTES} allowed`)
  }
  reader.need(bodyBytes, 'message body')
  const type = TYPE_BY_CODE[typeCode]
  if (type === undefined) {
    if (unknownTypes === 'return') return { type: 'unknown', typeCode, body: reader.bytesCopy(bodyBytes, 'message body') }
    throw new WireError('WIRE_UNKNOWN_TYPE', `message type code ${typeCode} is not in the catalogue`)
  }
  const outer = reader.enter(bodyBytes)
  const message = BODY_CODECS[type].read(reader)
  reader.leave(outer, `${type} message`)
  return message
}

export function checkBytesArgument(bytes: unknown): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new WireError('WIRE_BAD_FIELD', `bytes to decode must be a Uint8Array, got ${describeValue(bytes)}`)
}

export function checkUnknownTypes(value: unknown): UnknownTypePolicy {
  if (value === undefined) return 'error'
  if (value !== 'error' && value !== 'return') throw new WireError('WIRE_INVALID_OPTION', `unknownTypes must be 'error' or 'return', got ${describeValue(value)}`)
  return value
}

/**
 * Decodes exactly one encoded message (header and body) from untrusted bytes. Returns the
 * message or throws WireError; nothing else.
 */
export function decodeMessage(bytes: Uint8Array, options?: StrictDecodeOptions): WireMessage
export function decodeMessage(bytes: Uint8Array, options: DecodeOptions): DecodedMessage
export function decodeMessage(bytes: Uint8Array, options: DecodeOptions = {}): DecodedMessage {
  checkBytesArgument(bytes)
  const limits = resolveWireLimits(options.limits)
  const reader = new WireReader(bytes, limits.maxEntriesPerFrame)
  const message = readMessage(reader, limits.maxMessageBytes, checkUnknownTypes(options.unknownTypes))
  if (reader.remaining !== 0) throw new WireError('WIRE_TRAILING_BYTES', `${reader.remaining} bytes left over after the message`)
  return message
}
