// Every message type, field by field: encoding refuses a bad value of each field with an error
// that names that field; a body cut short anywhere is refused as WIRE_TRUNCATED naming the field
// it was cut in, and the cuts name the fields in their wire order (docs/protocol.md); each type
// counts its repeated entries against the frame's budget as the layout says. And the message
// envelope's own refusals (type, length, trailing bytes, options), each with what it says.

import { describe, expect, it } from 'vitest'
import { countEntries, decodeMessage, encodeMessage } from '../../src/wire/codec.js'
import { WireError } from '../../src/wire/errors.js'
import { MAX_MESSAGE_BYTES } from '../../src/wire/limits.js'
import { MESSAGE_TYPE_CODES, type WireMessageType } from '../../src/wire/messages.js'
import { SAMPLES } from './message-samples.js'
import { refusal } from './wire-error.js'

/** The fields a truncation error names, in the order a body cut one byte later reaches them. */
const WIRE_ORDER: { readonly [T in WireMessageType]: readonly string[] } = {
  hello: ['protocolVersion', 'minVersion', 'capabilities', 'publicKey', 'nonce', 'listenAddresses'],
  auth: ['signature'],
  goodbye: ['reason'],
  // A peer's id is never cut alone: the count already refuses a list too short for one entry.
  redirect: ['peers', 'peers.addresses'],
  ping: ['requestId'],
  pong: ['requestId'],
  subscribe: ['topics'],
  unsubscribe: ['topics'],
  publish: ['topic', 'origin', 'originKey', 'seq', 'timestampMs', 'ttl', 'path', 'data', 'signature'],
  ihave: ['refs'],
  iwant: ['refs'],
  direct: ['messageId', 'origin', 'target', 'originKey', 'timestampMs', 'ttl', 'data', 'signature'],
  meshSignal: ['messageId', 'origin', 'target', 'originKey', 'timestampMs', 'ttl', 'data', 'signature'],
  directAck: ['messageId', 'origin', 'target', 'targetKey', 'ttl', 'signature'],
  findNode: ['requestId', 'target'],
  nodes: ['requestId', 'peers', 'peers.addresses'],
  findValue: ['requestId', 'key'],
  value: ['requestId', 'hasRecord', 'record.key', 'record.kind', 'record.ttlMs', 'record.value', 'record.publicKey', 'record.seq', 'record.signedAtMs', 'record.signature', 'peers', 'peers.addresses'],
  store: ['requestId', 'record.key', 'record.kind', 'record.ttlMs', 'record.value', 'record.publicKey', 'record.seq', 'record.signedAtMs', 'record.signature'],
  storeResult: ['requestId', 'ok', 'reason'],
}

/** Repeated-field entries of each sample (one entry in each list; a peer counts itself and its one address). */
const ENTRIES: { readonly [T in WireMessageType]: number } = {
  hello: 2, auth: 0, goodbye: 0, redirect: 2, ping: 0, pong: 0, subscribe: 1, unsubscribe: 1, publish: 1, ihave: 1, iwant: 1,
  direct: 0, meshSignal: 0, directAck: 0, findNode: 0, nodes: 2, findValue: 0, value: 2, store: 0, storeResult: 0,
}

const types = Object.keys(SAMPLES) as WireMessageType[]

/** The encoded sample with its body cut to `bodyBytes`, the header's length saying so. */
function cut(encoded: Uint8Array, bodyBytes: number): Uint8Array {
  const bytes = encoded.slice(0, 5 + bodyBytes)
  new DataView(bytes.buffer).setUint32(1, bodyBytes)
  return bytes
}

describe('every message type, field by field', () => {
  it('covers the whole catalogue', () => {
    expect(types.sort()).toEqual(Object.keys(MESSAGE_TYPE_CODES).sort())
  })

  it.each(types)('%s: a bad value of any field is refused with an error that names the field', (type) => {
    const sample = SAMPLES[type] as unknown as Record<string, unknown>
    for (const field of Object.keys(sample).filter((key) => key !== 'type')) {
      let thrown: unknown
      try {
        encodeMessage({ ...sample, [field]: Symbol('bad') } as never)
      } catch (error) {
        thrown = error
      }
      expect(thrown, `${type}.${field}`).toBeInstanceOf(WireError)
      expect((thrown as WireError).message, `${type}.${field}`).toMatch(new RegExp(`^${field} must be `))
    }
  })

  it.each(types)('%s: a body cut anywhere is WIRE_TRUNCATED, naming the fields in wire order', (type) => {
    const encoded = encodeMessage(SAMPLES[type])
    const named: string[] = []
    for (let bodyBytes = 0; bodyBytes < encoded.length - 5; bodyBytes++) {
      const error = refusal(() => decodeMessage(cut(encoded, bodyBytes)), 'WIRE_TRUNCATED')
      const field = error.message.slice(0, error.message.indexOf(':'))
      if (named.at(-1) !== field) named.push(field)
    }
    expect(named).toEqual(WIRE_ORDER[type])
    expect(decodeMessage(encoded)).toEqual(SAMPLES[type])
  })

  it.each(types)('%s: counts its repeated entries against the frame budget', (type) => {
    expect(countEntries(SAMPLES[type])).toBe(ENTRIES[type])
    const budget = ENTRIES[type]
    const encoded = encodeMessage(SAMPLES[type])
    expect(decodeMessage(encoded, { limits: { maxEntriesPerFrame: budget } })).toEqual(SAMPLES[type])
    if (budget > 0) refusal(() => decodeMessage(encoded, { limits: { maxEntriesPerFrame: budget - 1 } }), 'WIRE_COUNT_EXCEEDED')
  })
})

describe('the message envelope', () => {
  it('writes the type code and the body length in its 5-byte header', () => {
    for (const type of types) {
      const encoded = encodeMessage(SAMPLES[type])
      expect(encoded[0]).toBe(MESSAGE_TYPE_CODES[type])
      expect(new DataView(encoded.buffer, encoded.byteOffset).getUint32(1)).toBe(encoded.length - 5)
    }
  })

  it('refuses what is not a message, a type not in the catalogue and an unknown message with an assigned code', () => {
    expect(refusal(() => encodeMessage(null as never), 'WIRE_BAD_FIELD').message).toBe('a message must be an object, got null')
    expect(refusal(() => encodeMessage(7 as never), 'WIRE_BAD_FIELD').message).toBe('a message must be an object, got 7')
    expect(refusal(() => encodeMessage({ type: 'gossip' } as never), 'WIRE_UNKNOWN_TYPE').message).toBe('no message type "gossip" in the catalogue')
    expect(refusal(() => encodeMessage({ type: 'toString' } as never), 'WIRE_UNKNOWN_TYPE').message).toBe('no message type "toString" in the catalogue')
    expect(refusal(() => countEntries({ type: 'gossip' } as never), 'WIRE_UNKNOWN_TYPE').message).toBe('no message type "gossip" in the catalogue')
    const assigned = 'typeCode of an unknown message must be an unassigned integer from 0 to 255, got '
    expect(refusal(() => encodeMessage({ type: 'unknown', typeCode: MESSAGE_TYPE_CODES.ping, body: new Uint8Array(0) }), 'WIRE_BAD_FIELD').message).toBe(`${assigned}4`)
    for (const typeCode of [-1, 256, 1.5]) expect(refusal(() => encodeMessage({ type: 'unknown', typeCode, body: new Uint8Array(0) }), 'WIRE_BAD_FIELD').message).toBe(`${assigned}${typeCode}`)
    expect(refusal(() => encodeMessage({ type: 'unknown', typeCode: 0xfe, body: 'x' as never }), 'WIRE_BAD_FIELD').message).toBe('body must be a Uint8Array, got "x"')
  })

  it('encodes an unknown message as its code and body, and counts no entries for it', () => {
    for (const typeCode of [0, 0xff]) {
      const unknown = { type: 'unknown' as const, typeCode, body: Uint8Array.of(1, 2, 3) }
      const encoded = encodeMessage(unknown)
      expect([...encoded]).toEqual([typeCode, 0, 0, 0, 3, 1, 2, 3])
      expect(countEntries(unknown)).toBe(0)
      expect(decodeMessage(encoded, { unknownTypes: 'return' })).toEqual(unknown)
      expect(refusal(() => decodeMessage(encoded), 'WIRE_UNKNOWN_TYPE').message).toBe(`message type code ${typeCode} is not in the catalogue`)
    }
  })

  it('takes a message of exactly the size limit and refuses one byte more, saying which type and how large', () => {
    const largest = { type: 'unknown' as const, typeCode: 0xfe, body: new Uint8Array(MAX_MESSAGE_BYTES - 5) }
    expect(encodeMessage(largest).length).toBe(MAX_MESSAGE_BYTES)
    const over = { ...largest, body: new Uint8Array(MAX_MESSAGE_BYTES - 4) }
    expect(refusal(() => encodeMessage(over), 'WIRE_TOO_LARGE').message).toBe(`a unknown message of ${MAX_MESSAGE_BYTES + 1} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`)
  })

  it('refuses a header cut short naming its field, a declared body past the limit before reading it, and trailing bytes inside and after a body', () => {
    const ping = encodeMessage(SAMPLES.ping)
    expect(decodeMessage(ping, { limits: { maxMessageBytes: ping.length } })).toEqual(SAMPLES.ping)
    expect(refusal(() => decodeMessage(ping, { limits: { maxMessageBytes: ping.length - 1 } }), 'WIRE_TOO_LARGE').message)
      .toBe(`a message declares 4 body bytes, at most ${ping.length - 6} allowed`)
    const header = Uint8Array.of(MESSAGE_TYPE_CODES.ping, 0xff, 0xff, 0xff, 0xff)
    expect(refusal(() => decodeMessage(header), 'WIRE_TOO_LARGE').message).toBe(`a message declares ${2 ** 32 - 1} body bytes, at most ${MAX_MESSAGE_BYTES - 5} allowed`)
    expect(refusal(() => decodeMessage(Uint8Array.of(MESSAGE_TYPE_CODES.ping, 0, 0, 0, 9, 1)), 'WIRE_TRUNCATED').message).toBe('message body: needs 9 bytes at offset 5, 1 left')
    // A header cut short names the field it was cut in.
    expect(refusal(() => decodeMessage(new Uint8Array(0)), 'WIRE_TRUNCATED').message).toBe('message type: needs 1 bytes at offset 0, 0 left')
    expect(refusal(() => decodeMessage(Uint8Array.of(MESSAGE_TYPE_CODES.ping, 0, 0)), 'WIRE_TRUNCATED').message).toBe('message length: needs 4 bytes at offset 1, 2 left')
    const longer = Uint8Array.of(MESSAGE_TYPE_CODES.ping, 0, 0, 0, 5, 0, 0, 0, 1, 0xaa)
    expect(refusal(() => decodeMessage(longer), 'WIRE_TRAILING_BYTES').message).toBe('ping message: 1 bytes left over after the last field')
    expect(refusal(() => decodeMessage(Uint8Array.of(...ping, 0xaa, 0xbb)), 'WIRE_TRAILING_BYTES').message).toBe('2 bytes left over after the message')
  })

  it('refuses bytes that are not a Uint8Array and an unknownTypes option of another value', () => {
    expect(refusal(() => decodeMessage([1, 2] as never), 'WIRE_BAD_FIELD').message).toBe('bytes to decode must be a Uint8Array, got 1,2')
    expect(refusal(() => decodeMessage(encodeMessage(SAMPLES.ping), { unknownTypes: 'skip' as never }), 'WIRE_INVALID_OPTION').message).toBe(`unknownTypes must be 'error' or 'return', got "skip"`)
    expect(decodeMessage(encodeMessage(SAMPLES.ping), { unknownTypes: 'error' })).toEqual(SAMPLES.ping)
  })
})
