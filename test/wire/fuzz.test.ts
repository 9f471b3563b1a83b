// Untrusted bytes: random input and mutated valid frames (flipped bits, truncations, lying
// lengths and counts) only ever decode to messages or throw WireError, never any other
// exception. And the encoding is canonical: whatever decodes re-encodes to the same bytes.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeMessage } from '../../src/wire/codec.js'
import { WireError } from '../../src/wire/errors.js'
import { decodeFrame, encodeFrame } from '../../src/wire/frame.js'
import { FrameDecoder } from '../../src/wire/frame-decoder.js'
import { MESSAGE_TYPE_CODES, type DecodedMessage } from '../../src/wire/messages.js'
import { smallMessage } from './arbitraries.js'

/** Decodes with either policy; returns the messages, or the WireError. Anything else fails the test. */
function decodeOrWireError(bytes: Uint8Array, unknownTypes: 'error' | 'return'): DecodedMessage[] | WireError {
  try {
    return decodeFrame(bytes, { unknownTypes })
  } catch (error) {
    if (!(error instanceof WireError)) throw new Error(`decodeFrame threw a non-WireError: ${String(error)}`, { cause: error })
    return error
  }
}

/** The two properties every input must satisfy, for both unknown-type policies. */
function checkUntrusted(bytes: Uint8Array): void {
  for (const policy of ['error', 'return'] as const) {
    const result = decodeOrWireError(bytes, policy)
    // Byte comparison by Buffer.compare: vitest's deep equality is too slow for thousands of frames.
    if (!(result instanceof WireError) && Buffer.compare(encodeFrame(result), bytes) !== 0) {
      throw new Error(`not canonical: ${Buffer.from(bytes).toString('hex')} decoded but re-encoded differently`)
    }
  }
  try {
    decodeMessage(bytes, { unknownTypes: 'return' })
  } catch (error) {
    if (!(error instanceof WireError)) throw new Error(`decodeMessage threw a non-WireError: ${String(error)}`, { cause: error })
  }
}

const typeCodes = Object.values(MESSAGE_TYPE_CODES)

/** A frame header that passes, then anything: reaches the message decoders. */
const plausibleFrame = fc
  .array(
    fc.tuple(fc.oneof(fc.constantFrom(...typeCodes), fc.integer({ min: 0, max: 255 })), fc.uint8Array({ maxLength: 120 })),
    { minLength: 1, maxLength: 6 },
  )
  .map((entries) => {
    const parts = entries.map(([type, body]) => Uint8Array.of(type, 0, 0, body.length >> 8, body.length & 0xff, ...body))
    const length = parts.reduce((sum, part) => sum + part.length, 0)
    const frame = new Uint8Array(8 + length)
    frame.set([0x57, 1, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, 0, parts.length])
    let offset = 8
    for (const part of parts) {
      frame.set(part, offset)
      offset += part.length
    }
    return frame
  })

const validFrame = fc.array(smallMessage, { minLength: 1, maxLength: 5 }).map((messages) => encodeFrame(messages))

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'u16'; at: number; value: number }
  | { kind: 'insert'; at: number; value: number }
  | { kind: 'delete'; at: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 1, 0xffff_ffff, 0x0010_0000, 0x0010_0001), fc.nat()) }),
  fc.record({ kind: fc.constant('u16' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 1, 0xffff, 1_025), fc.integer({ min: 0, max: 0xffff })) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
)

function mutate(frame: Uint8Array, mutations: Mutation[]): Uint8Array {
  let bytes = frame.slice()
  for (const m of mutations) {
    if (bytes.length === 0) break
    const at = m.at % bytes.length
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    switch (m.kind) {
      case 'flip': bytes[at] ^= 1 << m.bit; break
      case 'set': bytes[at] = m.value; break
      case 'u32': if (at + 4 <= bytes.length) view.setUint32(at, m.value); break
      case 'u16': if (at + 2 <= bytes.length) view.setUint16(at, m.value); break
      case 'insert': bytes = Uint8Array.of(...bytes.subarray(0, at), m.value, ...bytes.subarray(at)); break
      case 'delete': bytes = Uint8Array.of(...bytes.subarray(0, at), ...bytes.subarray(at + 1)); break
    }
  }
  return bytes
}

describe('decoding untrusted bytes yields messages or WireError, nothing else', () => {
  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2_000 }), checkUntrusted), { numRuns: 2_000 })
  })

  it('on random bytes behind a valid magic and version', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 500 }), (tail) => checkUntrusted(Uint8Array.of(0x57, 1, ...tail))), { numRuns: 2_000 })
  })

  it('on frames with a valid header and random message bodies', () => {
    fc.assert(fc.property(plausibleFrame, checkUntrusted), { numRuns: 5_000 })
  })

  it('on valid frames with flipped bits, overwritten bytes, lying lengths and counts, insertions and deletions', () => {
    fc.assert(fc.property(validFrame, fc.array(mutation, { minLength: 1, maxLength: 4 }), (frame, mutations) => checkUntrusted(mutate(frame, mutations))), { numRuns: 5_000 })
  })

  it('on every single-bit flip of small valid frames', () => {
    fc.assert(
      fc.property(validFrame, (frame) => {
        for (let at = 0; at < frame.length; at++) {
          for (let bit = 0; bit < 8; bit++) checkUntrusted(mutate(frame, [{ kind: 'flip', at, bit }]))
        }
      }),
      { numRuns: 30 },
    )
  })

  it('on every truncation of small valid frames, which is always WIRE_TRUNCATED', () => {
    fc.assert(
      fc.property(validFrame, (frame) => {
        for (let end = 0; end < frame.length; end++) {
          const result = decodeOrWireError(frame.subarray(0, end), 'return')
          expect(result).toBeInstanceOf(WireError)
          expect((result as WireError).code).toBe('WIRE_TRUNCATED')
        }
      }),
      { numRuns: 100 },
    )
  })

  it('through FrameDecoder: random chunks of random or mutated streams give frames or WireError', () => {
    const stream = fc.oneof(fc.uint8Array({ maxLength: 600 }), validFrame, fc.tuple(validFrame, fc.array(mutation, { maxLength: 3 })).map(([frame, m]) => mutate(frame, m)))
    fc.assert(
      fc.property(fc.array(stream, { minLength: 1, maxLength: 4 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }), (pieces, cuts) => {
        const bytes = Uint8Array.of(...pieces.flatMap((piece) => [...piece]))
        const decoder = new FrameDecoder()
        let offset = 0
        let cut = 0
        try {
          while (offset < bytes.length) {
            const next = Math.min(bytes.length, offset + cuts[cut++ % cuts.length])
            for (const frame of decoder.push(bytes.subarray(offset, next))) checkUntrusted(frame)
            offset = next
          }
        } catch (error) {
          if (!(error instanceof WireError)) throw error
        }
      }),
      { numRuns: 2_000 },
    )
  })
})
