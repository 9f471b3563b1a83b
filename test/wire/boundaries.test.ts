// The wire's limits at their exact edges, and what its errors say: a frame or message of exactly
// the limit is taken and one byte more is refused, the coalescer packs up to exactly its frame
// size, and every refusal names the figures (a user reading the error learns the limit).

import { describe, expect, it } from 'vitest'
import { FrameCoalescer, type FrameCoalescerOptions } from '../../src/wire/coalescer.js'
import { encodeMessage } from '../../src/wire/codec.js'
import { WireError } from '../../src/wire/errors.js'
import { decodeFrame, encodeFrame } from '../../src/wire/frame.js'
import { FrameDecoder } from '../../src/wire/frame-decoder.js'
import { FRAME_HEADER_BYTES, MAX_DATA_BYTES, MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from '../../src/wire/limits.js'
import type { WireMessage } from '../../src/wire/messages.js'

/** The WireError `fn` throws (the test fails on anything else, or on no throw). */
function wireErrorOf(fn: () => unknown): WireError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WireError)
    return error as WireError
  }
  throw new Error('expected a WireError, nothing was thrown')
}

const direct = (dataBytes: number): WireMessage => ({
  type: 'direct', messageId: 1n, origin: new Uint8Array(32), target: new Uint8Array(32), originKey: new Uint8Array(32),
  timestampMs: 0, ttl: 8, data: new Uint8Array(dataBytes), signature: new Uint8Array(64),
})

/** A direct message whose encoding is exactly `encodedBytes` long. */
function directOfEncodedSize(encodedBytes: number): WireMessage {
  const overhead = encodeMessage(direct(0)).length
  const message = direct(encodedBytes - overhead)
  expect(encodeMessage(message).length).toBe(encodedBytes)
  return message
}

/** Raw bytes queued as one message: what pushEncoded takes, of any length. */
const rawMessage = (length: number) => ({ bytes: new Uint8Array(length), entries: 0 })

function coalescer(options: Partial<FrameCoalescerOptions> = {}) {
  const frames: Uint8Array[] = []
  const made = new FrameCoalescer({ onFrame: (frame) => frames.push(frame), timers: { setTimeout: () => 1, clearTimeout: () => {} }, ...options })
  return { coalescer: made, frames }
}

describe('encodeFrame at the frame limit', () => {
  it(`takes a frame of exactly ${MAX_FRAME_BYTES} bytes and refuses one byte more, naming both sizes`, () => {
    const big = direct(MAX_DATA_BYTES) // the largest data a message holds: two messages are needed
    const bigBytes = encodeMessage(big).length
    const exact = [big, directOfEncodedSize(MAX_MESSAGE_BYTES - bigBytes)]
    expect(encodeFrame(exact)).toHaveLength(MAX_FRAME_BYTES)
    const over = [big, directOfEncodedSize(MAX_MESSAGE_BYTES - bigBytes + 1)]
    const error = wireErrorOf(() => encodeFrame(over))
    expect([error.code, error.message]).toEqual(['WIRE_TOO_LARGE', `a frame of ${MAX_FRAME_BYTES + 1} bytes is over the ${MAX_FRAME_BYTES}-byte limit`])
  })

  it('a frame over the entry budget says how many entries it has against the 4,096 allowed', () => {
    const subscribe: WireMessage = { type: 'subscribe', topics: Array.from({ length: 256 }, (_, i) => `t${i}`) }
    const error = wireErrorOf(() => encodeFrame(Array.from({ length: 17 }, () => subscribe)))
    expect([error.code, error.message]).toEqual(['WIRE_COUNT_EXCEEDED', 'a frame holds at most 4096 repeated-field entries, these messages have 4352'])
  })
})

describe('decodeFrame of a header that declares too much', () => {
  it('names the declared size and the limit', () => {
    const header = Uint8Array.of(0x57, 1, 0x00, 0x10, 0x00, 0x01, 0, 1) // payload 2**20 + 1
    const error = wireErrorOf(() => decodeFrame(header))
    expect([error.code, error.message]).toEqual(['WIRE_TOO_LARGE', `a frame declares ${FRAME_HEADER_BYTES + 2 ** 20 + 1} bytes, at most ${MAX_FRAME_BYTES} allowed`])
  })
})

describe('FrameDecoder.bufferedBytes', () => {
  it('counts the bytes of a header that has not all arrived', () => {
    const decoder = new FrameDecoder()
    expect(decoder.push(Uint8Array.of(0x57, 1, 0, 0, 0))).toEqual([])
    expect(decoder.bufferedBytes).toBe(5)
  })
})

describe('FrameCoalescer options', () => {
  const timers = { setTimeout: () => 1, clearTimeout: () => {} }
  const refusal = (options: unknown) => {
    const error = wireErrorOf(() => new FrameCoalescer(options as FrameCoalescerOptions))
    expect(error.code).toBe('WIRE_INVALID_OPTION')
    return error.message
  }

  it('refuses missing options, a missing onFrame and timers without both functions, saying which', () => {
    expect(refusal(undefined)).toBe('onFrame must be a function')
    expect(refusal({ timers })).toBe('onFrame must be a function')
    const onFrame = () => {}
    expect(refusal({ onFrame })).toBe('timers must have setTimeout and clearTimeout functions')
    expect(refusal({ onFrame, timers: { clearTimeout: () => {} } })).toBe('timers must have setTimeout and clearTimeout functions')
    expect(refusal({ onFrame, timers: { setTimeout: () => 1 } })).toBe('timers must have setTimeout and clearTimeout functions')
  })

  it('names the option out of range, and takes flushDelayMs up to exactly 1,000', () => {
    const onFrame = () => {}
    expect(refusal({ onFrame, timers, maxFrameBytes: 1_023 })).toBe(`maxFrameBytes must be an integer from 1024 to ${MAX_FRAME_BYTES}, got 1023`)
    expect(refusal({ onFrame, timers, flushDelayMs: -1 })).toMatch(/^flushDelayMs must be a finite, non-negative time in milliseconds, got -1/)
    expect(refusal({ onFrame, timers, flushDelayMs: 1_001 })).toBe('flushDelayMs must be at most 1000, got 1001')
    expect(new FrameCoalescer({ onFrame, timers, flushDelayMs: 1_000 }).flushDelayMs).toBe(1_000)
  })
})

describe('FrameCoalescer at its edges', () => {
  it('pendingBytes counts what is queued, without the frame header', () => {
    const { coalescer: made } = coalescer()
    made.pushEncoded(rawMessage(100))
    made.pushEncoded(rawMessage(20))
    expect([made.pendingMessages, made.pendingBytes]).toEqual([2, 120])
  })

  it('a message that fills a frame exactly waits for its deadline like any other; one byte more goes alone at once', () => {
    const { coalescer: made, frames } = coalescer({ maxFrameBytes: 1_024 })
    made.pushEncoded(rawMessage(1_024 - FRAME_HEADER_BYTES))
    expect([frames.length, made.pendingMessages]).toEqual([0, 1])
    made.flush()
    made.pushEncoded(rawMessage(1_024 - FRAME_HEADER_BYTES + 1))
    expect(frames.map((frame) => frame.length)).toEqual([1_024, 1_025])
    expect(made.pendingMessages).toBe(0)
  })

  it('packs messages up to exactly the frame size into one frame, and starts a new frame one byte past it', () => {
    const { coalescer: made, frames } = coalescer({ maxFrameBytes: 1_024 })
    made.pushEncoded(rawMessage(500))
    made.pushEncoded(rawMessage(1_024 - FRAME_HEADER_BYTES - 500))
    expect([frames.length, made.pendingMessages]).toEqual([0, 2])
    made.flush()
    made.pushEncoded(rawMessage(500))
    made.pushEncoded(rawMessage(1_024 - FRAME_HEADER_BYTES - 500 + 1))
    expect([frames.map((frame) => frame.length), made.pendingMessages]).toEqual([[1_024, 8 + 500], 1])
  })

  it(`takes a message of exactly ${MAX_MESSAGE_BYTES} bytes and refuses one byte more, naming both sizes`, () => {
    const { coalescer: made, frames } = coalescer({ maxFrameBytes: MAX_FRAME_BYTES })
    made.pushEncoded(rawMessage(MAX_MESSAGE_BYTES))
    made.flush()
    expect(frames.map((frame) => frame.length)).toEqual([MAX_FRAME_BYTES])
    const error = wireErrorOf(() => made.pushEncoded(rawMessage(MAX_MESSAGE_BYTES + 1)))
    expect([error.code, error.message]).toEqual(['WIRE_TOO_LARGE', `a message of ${MAX_MESSAGE_BYTES + 1} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`])
  })

  it('a push after close() is WIRE_CLOSED and says so', () => {
    const { coalescer: made } = coalescer()
    made.close()
    const error = wireErrorOf(() => made.push({ type: 'ping', requestId: 1 }))
    expect([error.code, error.message]).toEqual(['WIRE_CLOSED', 'this FrameCoalescer is closed'])
  })
})
