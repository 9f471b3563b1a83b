// Frames: many messages survive encodeFrame -> decodeFrame in order, and the header alone
// refuses a frame with a bad magic or version, too many bytes or too many messages.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { encodeMessage } from '../../src/wire/codec.js'
import { assembleFrame, decodeFrame, encodeFrame, readFrameHeader } from '../../src/wire/frame.js'
import {
  DEFAULT_WIRE_LIMITS,
  FRAME_HEADER_BYTES,
  MAX_ENTRIES_PER_FRAME,
  MAX_FRAME_BYTES,
  MAX_MESSAGES_PER_FRAME,
  MESSAGE_HEADER_BYTES,
} from '../../src/wire/limits.js'
import type { WireMessage } from '../../src/wire/messages.js'
import { anyMessage } from './arbitraries.js'
import { codeOf } from './wire-error.js'

const ping = (requestId: number): WireMessage => ({ type: 'ping', requestId })
const header = (bytes: number[]) => Uint8Array.from(bytes)
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('encodeFrame / decodeFrame', () => {
  it('round-trips any list of messages, in order', () => {
    fc.assert(
      fc.property(fc.array(anyMessage, { minLength: 1, maxLength: 12 }), (messages) => {
        expect(decodeFrame(encodeFrame(messages))).toEqual(messages)
      }),
      { numRuns: 300 },
    )
  })

  it('lays a frame out as magic, version, payload length u32, count u16, messages', () => {
    const frame = encodeFrame([ping(1), ping(2)])
    expect(hex(frame)).toBe('57' + '01' + '00000012' + '0002' + '040000000400000001' + '040000000400000002')
  })

  it('holds 1,024 messages, and refuses 1,025 when encoding', () => {
    const messages = Array.from({ length: MAX_MESSAGES_PER_FRAME }, (_, i) => ping(i))
    expect(decodeFrame(encodeFrame(messages))).toEqual(messages)
    expect(codeOf(() => encodeFrame([...messages, ping(0)]))).toBe('WIRE_COUNT_EXCEEDED')
  })

  it('refuses to encode an empty frame, a frame over 1 MiB, or one over the entry budget', () => {
    expect(codeOf(() => encodeFrame([]))).toBe('WIRE_BAD_FIELD')
    const big = (n: number): WireMessage => ({ type: 'direct', messageId: 1n, origin: new Uint8Array(32), target: new Uint8Array(32), originKey: new Uint8Array(32), timestampMs: 0, ttl: 1, data: new Uint8Array(n), signature: new Uint8Array(64) })
    expect(codeOf(() => encodeFrame([big(600_000), big(600_000)]))).toBe('WIRE_TOO_LARGE')
    const subscribe: WireMessage = { type: 'subscribe', topics: Array.from({ length: 256 }, (_, i) => `t${i}`) }
    expect(decodeFrame(encodeFrame(Array.from({ length: MAX_ENTRIES_PER_FRAME / 256 }, () => subscribe)))).toHaveLength(16)
    expect(codeOf(() => encodeFrame(Array.from({ length: MAX_ENTRIES_PER_FRAME / 256 + 1 }, () => subscribe)))).toBe('WIRE_COUNT_EXCEEDED')
  })

  it('passes unknown message types through when asked, and refuses them otherwise', () => {
    const unknown = Uint8Array.of(0xee, 0, 0, 0, 2, 7, 7)
    const parts = [encodeMessage(ping(1)), unknown, encodeMessage(ping(2))]
    const frame = assembleFrame(parts, parts.reduce((sum, part) => sum + part.length, 0))
    expect(codeOf(() => decodeFrame(frame))).toBe('WIRE_UNKNOWN_TYPE')
    const decoded = decodeFrame(frame, { unknownTypes: 'return' })
    expect(decoded).toEqual([ping(1), { type: 'unknown', typeCode: 0xee, body: Uint8Array.of(7, 7) }, ping(2)])
    expect(encodeFrame(decoded)).toEqual(frame)
  })
})

describe('the frame header', () => {
  const limits = DEFAULT_WIRE_LIMITS

  it('is refused on a wrong magic byte or wire version', () => {
    expect(codeOf(() => readFrameHeader(header([0x58, 1, 0, 0, 0, 9, 0, 1]), limits))).toBe('WIRE_BAD_MAGIC')
    expect(codeOf(() => readFrameHeader(header([0x57, 2, 0, 0, 0, 9, 0, 1]), limits))).toBe('WIRE_BAD_VERSION')
    expect(codeOf(() => readFrameHeader(header([0x57, 0, 0, 0, 0, 9, 0, 1]), limits))).toBe('WIRE_BAD_VERSION')
  })

  it('is refused when it declares more than 1 MiB, whatever follows', () => {
    const payload = MAX_FRAME_BYTES - FRAME_HEADER_BYTES
    expect(readFrameHeader(header([0x57, 1, payload >>> 24, (payload >>> 16) & 0xff, (payload >>> 8) & 0xff, payload & 0xff, 0, 1]), limits).payloadBytes).toBe(payload)
    const over = payload + 1
    expect(codeOf(() => readFrameHeader(header([0x57, 1, over >>> 24, (over >>> 16) & 0xff, (over >>> 8) & 0xff, over & 0xff, 0, 1]), limits))).toBe('WIRE_TOO_LARGE')
    expect(codeOf(() => readFrameHeader(header([0x57, 1, 0xff, 0xff, 0xff, 0xff, 0, 1]), limits))).toBe('WIRE_TOO_LARGE')
  })

  it('is refused when it declares no messages, more than 1,024, or more than its bytes can hold', () => {
    expect(codeOf(() => readFrameHeader(header([0x57, 1, 0, 0, 0, 9, 0, 0]), limits))).toBe('WIRE_BAD_FIELD')
    expect(codeOf(() => readFrameHeader(header([0x57, 1, 0, 1, 0, 0, 0x04, 0x01]), limits))).toBe('WIRE_COUNT_EXCEEDED')
    expect(codeOf(() => readFrameHeader(header([0x57, 1, 0, 0, 0, 2 * MESSAGE_HEADER_BYTES - 1, 0, 2]), limits))).toBe('WIRE_TRUNCATED')
  })

  it('is refused when shorter than 8 bytes', () => {
    for (let length = 0; length < FRAME_HEADER_BYTES; length++) {
      expect(codeOf(() => decodeFrame(encodeFrame([ping(1)]).subarray(0, length)))).toBe('WIRE_TRUNCATED')
    }
  })

  it('must match the bytes exactly: fewer is WIRE_TRUNCATED, more is WIRE_TRAILING_BYTES', () => {
    const frame = encodeFrame([ping(1), ping(2)])
    expect(codeOf(() => decodeFrame(Uint8Array.of(...frame, 0)))).toBe('WIRE_TRAILING_BYTES')
    // The header claims one message but two follow.
    const lying = frame.slice()
    lying[7] = 1
    expect(codeOf(() => decodeFrame(lying))).toBe('WIRE_TRAILING_BYTES')
    // The header claims three messages but two follow.
    lying[7] = 3
    expect(codeOf(() => decodeFrame(lying))).toBe('WIRE_TRUNCATED')
  })

  it('obeys lowered limits', () => {
    const frame = encodeFrame([ping(1), ping(2), ping(3)])
    expect(codeOf(() => decodeFrame(frame, { limits: { maxMessagesPerFrame: 2 } }))).toBe('WIRE_COUNT_EXCEEDED')
    expect(codeOf(() => decodeFrame(frame, { limits: { maxFrameBytes: frame.length - 1 } }))).toBe('WIRE_TOO_LARGE')
    expect(decodeFrame(frame, { limits: { maxFrameBytes: frame.length } })).toHaveLength(3)
    const subscribe = encodeFrame([{ type: 'subscribe', topics: ['a', 'b'] }, { type: 'subscribe', topics: ['c'] }])
    expect(codeOf(() => decodeFrame(subscribe, { limits: { maxEntriesPerFrame: 2 } }))).toBe('WIRE_COUNT_EXCEEDED')
    expect(decodeFrame(subscribe, { limits: { maxEntriesPerFrame: 3 } })).toHaveLength(2)
  })
})
