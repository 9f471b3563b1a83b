// One message: every type survives encode -> decode unchanged, the encoding is canonical
// (whatever decodes re-encodes to the same bytes), the byte layout is pinned by golden
// vectors, and out-of-bounds fields are refused when encoding, not by the peer.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeMessage, encodeMessage } from '../../src/wire/codec.js'
import {
  DEFAULT_COALESCE_FRAME_BYTES,
  MAX_DATA_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_RECORD_VALUE_BYTES,
} from '../../src/wire/limits.js'
import { MESSAGE_TYPE_CODES, type DecodedMessage, type WireMessage, type WireMessageType } from '../../src/wire/messages.js'
import { messageArbitraries } from './arbitraries.js'
import { codeOf } from './wire-error.js'

const id = (fill: number) => new Uint8Array(32).fill(fill)
const sig = new Uint8Array(64).fill(9)
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('encodeMessage / decodeMessage', () => {
  describe.each(Object.keys(MESSAGE_TYPE_CODES) as WireMessageType[])('%s', (type) => {
    it('round-trips every message of the type', () => {
      fc.assert(
        fc.property(messageArbitraries[type] as fc.Arbitrary<WireMessage>, (message) => {
          const encoded = encodeMessage(message)
          expect(encoded.length).toBeLessThanOrEqual(MAX_MESSAGE_BYTES)
          expect(encoded[0]).toBe(MESSAGE_TYPE_CODES[type])
          expect(decodeMessage(encoded)).toEqual(message)
        }),
        { numRuns: 200 },
      )
    })

    it('refuses every truncation of an encoded message with WIRE_TRUNCATED', () => {
      fc.assert(
        fc.property(messageArbitraries[type] as fc.Arbitrary<WireMessage>, (message) => {
          const encoded = encodeMessage(message)
          const step = Math.max(1, Math.floor(encoded.length / 200))
          for (let end = 0; end < encoded.length; end += step) expect(codeOf(() => decodeMessage(encoded.subarray(0, end)))).toBe('WIRE_TRUNCATED')
        }),
        { numRuns: 20 },
      )
    })
  })

  it('decodes into copies: the decoded message does not share memory with the input', () => {
    const encoded = encodeMessage({ type: 'auth', signature: sig })
    const decoded = decodeMessage(encoded)
    encoded.fill(0)
    expect(decoded).toEqual({ type: 'auth', signature: sig })
  })

  it('keeps a leading byte-order mark and 4-byte code points in strings', () => {
    const message: WireMessage = { type: 'subscribe', topics: ['\uFEFF', '\uFEFFa', '\u{1F600}', 'é'] }
    expect(decodeMessage(encodeMessage(message))).toEqual(message)
  })

  it('encodes the largest payload the limits promise, within 1 MiB', () => {
    const message: WireMessage = {
      type: 'publish',
      topic: '\u{1F600}'.repeat(64),
      origin: id(1),
      originKey: id(2),
      seq: 2n ** 64n - 1n,
      timestampMs: Number.MAX_SAFE_INTEGER,
      ttl: 255,
      path: Array.from({ length: 8 }, (_, i) => id(i)),
      data: new Uint8Array(MAX_DATA_BYTES),
      signature: sig,
    }
    const encoded = encodeMessage(message)
    expect(encoded.length).toBe(MAX_DATA_BYTES + 669)
    const decoded = decodeMessage(encoded)
    if (decoded.type !== 'publish') throw new Error('expected a publish message')
    // Compared apart: vitest's deep equality walks a megabyte element by element.
    expect(Buffer.compare(decoded.data, message.data)).toBe(0)
    expect({ ...decoded, data: null }).toEqual({ ...message, data: null })
  })

  it('fits the largest value reply (a 16 KiB record and 20 peers of 8 full addresses) in one default 64 KiB frame', () => {
    const address = 'a'.repeat(256)
    const message: WireMessage = {
      type: 'value',
      requestId: 1,
      record: { kind: 'mutable', key: id(1), value: new Uint8Array(MAX_RECORD_VALUE_BYTES), ttlMs: 1, publicKey: id(2), seq: 1n, signedAtMs: 1, signature: sig },
      peers: Array.from({ length: 20 }, (_, i) => ({ id: id(i), addresses: Array.from({ length: 8 }, () => address) })),
    }
    const encoded = encodeMessage(message)
    expect(8 + encoded.length).toBeLessThanOrEqual(DEFAULT_COALESCE_FRAME_BYTES)
    expect(decodeMessage(encoded)).toEqual(message)
  })
})

describe('the byte layout (golden vectors)', () => {
  it('ping: type 0x04, body length 4, requestId big-endian', () => {
    expect(hex(encodeMessage({ type: 'ping', requestId: 0x01020304 }))).toBe('040000000401020304')
  })

  it('storeResult: requestId u32, ok u8, reason u8', () => {
    expect(hex(encodeMessage({ type: 'storeResult', requestId: 7, ok: false, reason: 3 }))).toBe('35' + '00000006' + '00000007' + '00' + '03')
  })

  it('subscribe: u16 count, then u16 length + UTF-8 per topic', () => {
    expect(hex(encodeMessage({ type: 'subscribe', topics: ['a', 'é'] }))).toBe('10' + '00000009' + '0002' + '0001' + '61' + '0002' + 'c3a9')
  })

  it('publish: type 0x15, topic, origin, originKey, seq u64, timestampMs u64, ttl, path, data u32-prefixed, signature', () => {
    const encoded = encodeMessage({
      type: 'publish', topic: 'x', origin: id(0xaa), originKey: id(0xcc), seq: 258n, timestampMs: 0x0102_0304_0506, ttl: 5, path: [id(0xbb)], data: Uint8Array.of(1, 2), signature: sig,
    })
    const body = '0001' + '78' + 'aa'.repeat(32) + 'cc'.repeat(32) + '0000000000000102' + '0000010203040506' + '05' + '01' + 'bb'.repeat(32) + '00000002' + '0102' + '09'.repeat(64)
    expect(hex(encoded)).toBe('15' + (body.length / 2).toString(16).padStart(8, '0') + body)
  })

  it('direct: type 0x23, messageId u64, origin, target, originKey, timestampMs u64, ttl, data u32-prefixed, signature', () => {
    const encoded = encodeMessage({
      type: 'direct', messageId: 0x0102n, origin: id(0xaa), target: id(0xbb), originKey: id(0xcc), timestampMs: 7, ttl: 3, data: Uint8Array.of(1), signature: sig,
    })
    const body = '0000000000000102' + 'aa'.repeat(32) + 'bb'.repeat(32) + 'cc'.repeat(32) + '0000000000000007' + '03' + '00000001' + '01' + '09'.repeat(64)
    expect(hex(encoded)).toBe('23' + (body.length / 2).toString(16).padStart(8, '0') + body)
  })

  it('meshSignal: type 0x24, the direct layout; decoded as meshSignal, never as direct', () => {
    const message = { messageId: 0x0102n, origin: id(0xaa), target: id(0xbb), originKey: id(0xcc), timestampMs: 7, ttl: 3, data: Uint8Array.of(1), signature: sig }
    const encoded = encodeMessage({ type: 'meshSignal', ...message })
    const body = '0000000000000102' + 'aa'.repeat(32) + 'bb'.repeat(32) + 'cc'.repeat(32) + '0000000000000007' + '03' + '00000001' + '01' + '09'.repeat(64)
    expect(hex(encoded)).toBe('24' + (body.length / 2).toString(16).padStart(8, '0') + body)
    expect(decodeMessage(encoded)).toEqual({ type: 'meshSignal', ...message })
  })

  it('a timestamp past 2**53 - 1 ms is refused (it would not stay exact as a number)', () => {
    const encoded = encodeMessage({
      type: 'direct', messageId: 1n, origin: id(0xaa), target: id(0xbb), originKey: id(0xcc), timestampMs: Number.MAX_SAFE_INTEGER, ttl: 3, data: new Uint8Array(0), signature: sig,
    })
    expect(decodeMessage(encoded).type).toBe('direct')
    const over = encoded.slice()
    over.set([0, 0x20, 0, 0, 0, 0, 0, 0], 5 + 8 + 96) // 2**53
    expect(codeOf(() => decodeMessage(over))).toBe('WIRE_BAD_FIELD')
    expect(codeOf(() => encodeMessage({ type: 'direct', messageId: 1n, origin: id(0xaa), target: id(0xbb), originKey: id(0xcc), timestampMs: 1.5, ttl: 3, data: new Uint8Array(0), signature: sig }))).toBe('WIRE_BAD_FIELD')
  })

  it('directAck: type 0x22, messageId u64, origin, target, targetKey, ttl, signature (169 bytes)', () => {
    const encoded = encodeMessage({ type: 'directAck', messageId: 0x0102n, origin: id(0xaa), target: id(0xbb), targetKey: id(0xcc), ttl: 3, signature: sig })
    const body = '0000000000000102' + 'aa'.repeat(32) + 'bb'.repeat(32) + 'cc'.repeat(32) + '03' + '09'.repeat(64)
    expect(body.length / 2).toBe(169)
    expect(hex(encoded)).toBe('22' + '000000a9' + body)
  })

  it('ihave 0x13 and iwant 0x14: u16 count, then origin 32 + seq u64 per ref', () => {
    const body = '0002' + 'aa'.repeat(32) + '0000000000000102' + 'bb'.repeat(32) + 'ffffffffffffffff'
    const refs = [{ origin: id(0xaa), seq: 258n }, { origin: id(0xbb), seq: 2n ** 64n - 1n }]
    expect(hex(encodeMessage({ type: 'ihave', refs }))).toBe('13' + '00000052' + body)
    expect(hex(encodeMessage({ type: 'iwant', refs }))).toBe('14' + '00000052' + body)
  })

  it('0x21, the retired unsigned directAck, is an unknown type', () => {
    // Its old body: messageId, origin, target, ttl (73 bytes).
    const old = Uint8Array.of(0x21, 0, 0, 0, 73, ...new Uint8Array(73))
    expect(codeOf(() => decodeMessage(old))).toBe('WIRE_UNKNOWN_TYPE')
  })

  it('0x12 and 0x20, the publish and direct message without a timestamp, are unknown types', () => {
    for (const code of [0x12, 0x20]) {
      const old = Uint8Array.of(code, 0, 0, 0, 4, 1, 2, 3, 4)
      expect(codeOf(() => decodeMessage(old))).toBe('WIRE_UNKNOWN_TYPE')
      expect(decodeMessage(old, { unknownTypes: 'return' })).toEqual({ type: 'unknown', typeCode: code, body: Uint8Array.of(1, 2, 3, 4) })
    }
  })

  it('record: key, kind, ttlMs, value, then publicKey, seq, signedAtMs, signature only when mutable (kind 2; kind 1 is retired)', () => {
    const immutable = encodeMessage({ type: 'store', requestId: 1, record: { kind: 'immutable', key: id(1), value: Uint8Array.of(7), ttlMs: 1000 } })
    expect(hex(immutable.subarray(9))).toBe('01'.repeat(32) + '00' + '000003e8' + '00000001' + '07')
    const mutable = encodeMessage({
      type: 'store',
      requestId: 1,
      record: { kind: 'mutable', key: id(1), value: Uint8Array.of(7), ttlMs: 1000, publicKey: id(2), seq: 3n, signedAtMs: 0x0a0b, signature: sig },
    })
    expect(hex(mutable.subarray(9))).toBe('01'.repeat(32) + '02' + '000003e8' + '00000001' + '07' + '02'.repeat(32) + '0000000000000003' + '0000000000000a0b' + '09'.repeat(64))
    const retired = mutable.slice()
    retired[9 + 32] = 1
    expect(codeOf(() => decodeMessage(retired))).toBe('WIRE_BAD_FIELD')
  })
})

describe('encoding refuses what would not decode', () => {
  const publish = { type: 'publish', topic: 't', origin: id(1), originKey: id(2), seq: 1n, timestampMs: 1, ttl: 1, path: [], data: new Uint8Array(0), signature: sig } as const
  const hello = { type: 'hello', protocolVersion: 1, minVersion: 1, capabilities: [], publicKey: id(1), nonce: id(2), listenAddresses: [] } as const
  const record = { kind: 'mutable', key: id(1), value: new Uint8Array(0), ttlMs: 1, publicKey: id(2), seq: 1n, signedAtMs: 1, signature: sig } as const
  const directAck = { type: 'directAck', messageId: 1n, origin: id(1), target: id(2), targetKey: id(3), ttl: 1, signature: sig } as const
  const cases: [string, unknown, string][] = [
    ['17 capabilities', { ...hello, capabilities: Array.from({ length: 17 }, (_, i) => `c${i}`) }, 'WIRE_COUNT_EXCEEDED'],
    ['a capability with a space', { ...hello, capabilities: ['a b'] }, 'WIRE_BAD_FIELD'],
    ['a 33-byte capability', { ...hello, capabilities: ['x'.repeat(33)] }, 'WIRE_BAD_FIELD'],
    ['a non-ASCII capability', { ...hello, capabilities: ['é'] }, 'WIRE_BAD_FIELD'],
    ['a 31-byte public key', { ...hello, publicKey: new Uint8Array(31) }, 'WIRE_BAD_FIELD'],
    ['9 listen addresses', { ...hello, listenAddresses: Array.from({ length: 9 }, () => 'ws://a') }, 'WIRE_COUNT_EXCEEDED'],
    ['a 257-byte address', { ...hello, listenAddresses: ['x'.repeat(257)] }, 'WIRE_BAD_FIELD'],
    ['protocolVersion 65,536', { ...hello, protocolVersion: 65_536 }, 'WIRE_BAD_FIELD'],
    ['an empty topic', { ...publish, topic: '' }, 'WIRE_BAD_FIELD'],
    ['a 257-byte topic', { ...publish, topic: 'é'.repeat(128) + 'x' }, 'WIRE_BAD_FIELD'],
    ['a topic with a lone surrogate', { ...publish, topic: 'a\uD800b' }, 'WIRE_BAD_UTF8'],
    ['a topic that is not a string', { ...publish, topic: 7 }, 'WIRE_BAD_FIELD'],
    ['seq -1n', { ...publish, seq: -1n }, 'WIRE_BAD_FIELD'],
    ['seq 2n ** 64n', { ...publish, seq: 2n ** 64n }, 'WIRE_BAD_FIELD'],
    ['seq as a number', { ...publish, seq: 1 }, 'WIRE_BAD_FIELD'],
    ['ttl 256', { ...publish, ttl: 256 }, 'WIRE_BAD_FIELD'],
    ['a negative timestamp', { ...publish, timestampMs: -1 }, 'WIRE_BAD_FIELD'],
    ['a timestamp of 2 ** 53 ms', { ...publish, timestampMs: 2 ** 53 }, 'WIRE_BAD_FIELD'],
    ['a timestamp as a bigint', { ...publish, timestampMs: 1n }, 'WIRE_BAD_FIELD'],
    ['a record without signedAtMs', { type: 'store', requestId: 1, record: { ...record, signedAtMs: undefined } }, 'WIRE_BAD_FIELD'],
    ['9 path entries', { ...publish, path: Array.from({ length: 9 }, () => id(0)) }, 'WIRE_COUNT_EXCEEDED'],
    ['a 33-byte path entry', { ...publish, path: [new Uint8Array(33)] }, 'WIRE_BAD_FIELD'],
    ['data over the payload limit', { ...publish, data: new Uint8Array(MAX_DATA_BYTES + 1) }, 'WIRE_TOO_LARGE'],
    ['a 63-byte signature', { ...publish, signature: new Uint8Array(63) }, 'WIRE_BAD_FIELD'],
    ['an ack without a signature', { ...directAck, signature: undefined }, 'WIRE_BAD_FIELD'],
    ['an ack with a 65-byte signature', { ...directAck, signature: new Uint8Array(65) }, 'WIRE_BAD_FIELD'],
    ['an ack with a 31-byte target key', { ...directAck, targetKey: new Uint8Array(31) }, 'WIRE_BAD_FIELD'],
    ['21 subscriptions too many', { type: 'subscribe', topics: Array.from({ length: 257 }, () => 't') }, 'WIRE_COUNT_EXCEEDED'],
    ['requestId 2 ** 32', { type: 'ping', requestId: 2 ** 32 }, 'WIRE_BAD_FIELD'],
    ['requestId 1.5', { type: 'ping', requestId: 1.5 }, 'WIRE_BAD_FIELD'],
    ['requestId NaN', { type: 'pong', requestId: Number.NaN }, 'WIRE_BAD_FIELD'],
    ['goodbye reason -1', { type: 'goodbye', reason: -1 }, 'WIRE_BAD_FIELD'],
    ['21 peers in a reply', { type: 'nodes', requestId: 1, peers: Array.from({ length: 21 }, () => ({ id: id(1), addresses: [] })) }, 'WIRE_COUNT_EXCEEDED'],
    ['a peer without an id', { type: 'nodes', requestId: 1, peers: [{ addresses: [] }] }, 'WIRE_BAD_FIELD'],
    ['a record value over 16 KiB', { type: 'store', requestId: 1, record: { ...record, value: new Uint8Array(MAX_RECORD_VALUE_BYTES + 1) } }, 'WIRE_TOO_LARGE'],
    ['a record of unknown kind', { type: 'store', requestId: 1, record: { ...record, kind: 'other' } }, 'WIRE_BAD_FIELD'],
    ['a mutable record without a signature', { type: 'store', requestId: 1, record: { ...record, signature: undefined } }, 'WIRE_BAD_FIELD'],
    ['ttlMs 2 ** 32', { type: 'store', requestId: 1, record: { ...record, ttlMs: 2 ** 32 } }, 'WIRE_BAD_FIELD'],
    ['ok as a number', { type: 'storeResult', requestId: 1, ok: 1, reason: 0 }, 'WIRE_BAD_FIELD'],
    ['257 refs in an ihave', { type: 'ihave', refs: Array.from({ length: 257 }, () => ({ origin: id(1), seq: 1n })) }, 'WIRE_COUNT_EXCEEDED'],
    ['an iwant ref with a 31-byte origin', { type: 'iwant', refs: [{ origin: new Uint8Array(31), seq: 1n }] }, 'WIRE_BAD_FIELD'],
    ['an ihave ref with seq -1n', { type: 'ihave', refs: [{ origin: id(1), seq: -1n }] }, 'WIRE_BAD_FIELD'],
    ['an iwant ref that is null', { type: 'iwant', refs: [null] }, 'WIRE_BAD_FIELD'],
    ['refs that are not an array', { type: 'ihave', refs: 'x' }, 'WIRE_BAD_FIELD'],
    ['a type not in the catalogue', { type: 'gossip' }, 'WIRE_UNKNOWN_TYPE'],
    ['a type named after an Object property', { type: 'constructor' }, 'WIRE_UNKNOWN_TYPE'],
    ['an unknown message reusing an assigned code', { type: 'unknown', typeCode: 0x04, body: new Uint8Array(4) }, 'WIRE_BAD_FIELD'],
    ['null', null, 'WIRE_BAD_FIELD'],
  ]
  it.each(cases)('%s', (_name, message, code) => {
    expect(codeOf(() => encodeMessage(message as DecodedMessage))).toBe(code)
  })
})

describe('decoding refuses malformed bodies with a precise code', () => {
  const ping = encodeMessage({ type: 'ping', requestId: 1 })
  const withBody = (type: number, body: number[]) => Uint8Array.of(type, 0, 0, body.length >> 8, body.length & 0xff, ...body)

  it('a body longer than its fields: WIRE_TRAILING_BYTES', () => {
    expect(codeOf(() => decodeMessage(withBody(0x04, [0, 0, 0, 1, 0])))).toBe('WIRE_TRAILING_BYTES')
  })

  it('bytes after the message: WIRE_TRAILING_BYTES', () => {
    expect(codeOf(() => decodeMessage(Uint8Array.of(...ping, 0)))).toBe('WIRE_TRAILING_BYTES')
  })

  it('a boolean other than 0 or 1: WIRE_BAD_FIELD', () => {
    expect(codeOf(() => decodeMessage(withBody(0x35, [0, 0, 0, 1, 2, 0])))).toBe('WIRE_BAD_FIELD')
  })

  it('a record kind other than 0 or 2 (1 is retired): WIRE_BAD_FIELD', () => {
    const store = encodeMessage({ type: 'store', requestId: 1, record: { kind: 'immutable', key: id(1), value: new Uint8Array(0), ttlMs: 1 } })
    for (const kind of [1, 3, 0xff]) {
      store[9 + 32] = kind
      expect(codeOf(() => decodeMessage(store)), `kind ${kind}`).toBe('WIRE_BAD_FIELD')
    }
  })

  it('an empty topic: WIRE_BAD_FIELD', () => {
    expect(codeOf(() => decodeMessage(withBody(0x10, [0, 1, 0, 0, 0x61])))).toBe('WIRE_BAD_FIELD')
  })

  it('a topic that is not UTF-8: WIRE_BAD_UTF8', () => {
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0x80], [0x61, 0x80]]) {
      expect(codeOf(() => decodeMessage(withBody(0x10, [0, 1, 0, bad.length, ...bad])))).toBe('WIRE_BAD_UTF8')
    }
  })

  it('a capability with a control byte: WIRE_BAD_FIELD', () => {
    const hello = encodeMessage({ type: 'hello', protocolVersion: 1, minVersion: 1, capabilities: ['ab'], publicKey: id(1), nonce: id(2), listenAddresses: [] })
    hello[5 + 4 + 1 + 1] = 0x0a
    expect(codeOf(() => decodeMessage(hello))).toBe('WIRE_BAD_FIELD')
  })

  it('a payload length over its cap: WIRE_TOO_LARGE, before the bytes are looked for', () => {
    const store = encodeMessage({ type: 'store', requestId: 1, record: { kind: 'immutable', key: id(1), value: new Uint8Array(0), ttlMs: 1 } })
    new DataView(store.buffer).setUint32(9 + 32 + 1 + 4, MAX_RECORD_VALUE_BYTES + 1)
    expect(codeOf(() => decodeMessage(store))).toBe('WIRE_TOO_LARGE')
  })

  it('an ihave or iwant over 256 refs: WIRE_COUNT_EXCEEDED from the count, before any ref is read', () => {
    // Count 257 with no refs behind it: refused for the cap, not for the missing bytes.
    expect(codeOf(() => decodeMessage(withBody(0x13, [0x01, 0x01])))).toBe('WIRE_COUNT_EXCEEDED')
    expect(codeOf(() => decodeMessage(withBody(0x14, [0xff, 0xff])))).toBe('WIRE_COUNT_EXCEEDED')
    // Count 2 with one ref's bytes: refused before the first ref is read.
    expect(codeOf(() => decodeMessage(withBody(0x13, [0x00, 0x02, ...new Array(40).fill(0)])))).toBe('WIRE_TRUNCATED')
  })

  it('a message declaring more than 1 MiB: WIRE_TOO_LARGE from the header alone', () => {
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x15, 0x00, 0x10, 0x00, 0x00)))).toBe('WIRE_TOO_LARGE')
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x15, 0xff, 0xff, 0xff, 0xff)))).toBe('WIRE_TOO_LARGE')
  })

  it('a lowered maxMessageBytes is enforced', () => {
    const publish = encodeMessage({ type: 'publish', topic: 't', origin: id(1), originKey: id(2), seq: 1n, timestampMs: 1, ttl: 1, path: [], data: new Uint8Array(500), signature: sig })
    expect(codeOf(() => decodeMessage(publish, { limits: { maxMessageBytes: 512 } }))).toBe('WIRE_TOO_LARGE')
    expect(decodeMessage(publish, { limits: { maxMessageBytes: publish.length } }).type).toBe('publish')
  })

  it('limits can be lowered but not raised or made nonsense: WIRE_INVALID_OPTION', () => {
    for (const limits of [{ maxMessageBytes: MAX_MESSAGE_BYTES + 1 }, { maxMessageBytes: 4 }, { maxMessagesPerFrame: 0 }, { maxEntriesPerFrame: 1.5 }, { maxFrameBytes: Number.NaN }]) {
      expect(codeOf(() => decodeMessage(ping, { limits }))).toBe('WIRE_INVALID_OPTION')
    }
    expect(codeOf(() => decodeMessage(ping, { unknownTypes: 'skip' as 'error' }))).toBe('WIRE_INVALID_OPTION')
  })

  it('input that is not a Uint8Array: WireError, not a TypeError', () => {
    for (const input of [null, undefined, 'bytes', [1, 2], new ArrayBuffer(9)]) {
      expect(codeOf(() => decodeMessage(input as unknown as Uint8Array))).toBe('WIRE_BAD_FIELD')
    }
  })

  it('reads a Uint8Array that is a view at an offset of a larger buffer', () => {
    const buffer = new Uint8Array(100)
    buffer.set(ping, 37)
    expect(decodeMessage(buffer.subarray(37, 37 + ping.length))).toEqual({ type: 'ping', requestId: 1 })
  })
})

describe('unknown message types', () => {
  const unknown = Uint8Array.of(0x7f, 0, 0, 0, 3, 1, 2, 3)

  it('are refused with WIRE_UNKNOWN_TYPE by default', () => {
    expect(codeOf(() => decodeMessage(unknown))).toBe('WIRE_UNKNOWN_TYPE')
    expect(codeOf(() => decodeMessage(Uint8Array.of(0, 0, 0, 0, 0)))).toBe('WIRE_UNKNOWN_TYPE')
  })

  it("are returned opaque with unknownTypes: 'return', and re-encode to the same bytes", () => {
    const decoded = decodeMessage(unknown, { unknownTypes: 'return' })
    expect(decoded).toEqual({ type: 'unknown', typeCode: 0x7f, body: Uint8Array.of(1, 2, 3) })
    expect(encodeMessage(decoded)).toEqual(unknown)
  })

  it('still have their declared length checked against the limit', () => {
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x7f, 0xff, 0, 0, 0), { unknownTypes: 'return' }))).toBe('WIRE_TOO_LARGE')
    expect(codeOf(() => decodeMessage(Uint8Array.of(0x7f, 0, 0, 0, 9, 1), { unknownTypes: 'return' }))).toBe('WIRE_TRUNCATED')
  })
})
