// FrameDecoder: a byte stream cut anywhere gives back the same frames, and a header that
// declares too much is refused the moment its 8 bytes arrive, before any payload is buffered.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { encodeFrame } from '../../src/wire/frame.js'
import { FrameDecoder } from '../../src/wire/frame-decoder.js'
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from '../../src/wire/limits.js'
import type { WireMessage } from '../../src/wire/messages.js'
import { anyMessage } from './arbitraries.js'
import { codeOf } from './wire-error.js'

const ping = (requestId: number): WireMessage => ({ type: 'ping', requestId })
const concat = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((part) => [...part]))
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

/** A header declaring `payloadBytes` after it, and one message. */
function header(payloadBytes: number): Uint8Array {
  const bytes = Uint8Array.of(0x57, 1, 0, 0, 0, 0, 0, 1)
  new DataView(bytes.buffer).setUint32(2, payloadBytes)
  return bytes
}

describe('FrameDecoder', () => {
  it('returns a frame that arrives whole in one chunk as is, without copying', () => {
    const frame = encodeFrame([ping(1), ping(2)])
    const [out, ...rest] = new FrameDecoder().push(frame)
    expect(rest).toEqual([])
    expect(out).toEqual(frame)
    expect(out.buffer).toBe(frame.buffer)
  })

  it('returns several frames from one chunk, in order', () => {
    const frames = [encodeFrame([ping(1)]), encodeFrame([ping(2), ping(3)]), encodeFrame([ping(4)])]
    expect(new FrameDecoder().push(concat(frames))).toEqual(frames)
  })

  it('reassembles a frame cut at every position', () => {
    const frames = [encodeFrame([ping(1), { type: 'subscribe', topics: ['a', 'b'] }]), encodeFrame([ping(9)])]
    const stream = concat(frames)
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder()
      const out = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))]
      expect(out.map(hex)).toEqual(frames.map(hex))
      expect(decoder.bufferedBytes).toBe(0)
    }
  })

  it('reassembles any frames from any chunking, one byte at a time included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(anyMessage, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 5_000 }), { minLength: 1, maxLength: 10 }),
        (frameMessages, cuts) => {
          const frames = frameMessages.map((messages) => encodeFrame(messages))
          const stream = concat(frames)
          const decoder = new FrameDecoder()
          const out: Uint8Array[] = []
          for (let offset = 0, i = 0; offset < stream.length; i++) {
            const next = Math.min(stream.length, offset + (i < 3 ? 1 : cuts[i % cuts.length]))
            out.push(...decoder.push(stream.subarray(offset, next)))
            offset = next
          }
          expect(out.map(hex)).toEqual(frames.map(hex))
          expect(decoder.bufferedBytes).toBe(0)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('refuses a header declaring more than 1 MiB as soon as the header arrives, buffering nothing', () => {
    const decoder = new FrameDecoder()
    expect(codeOf(() => decoder.push(header(MAX_FRAME_BYTES - FRAME_HEADER_BYTES + 1)))).toBe('WIRE_TOO_LARGE')
    expect(decoder.bufferedBytes).toBe(0)
  })

  it('refuses it on the 8th byte when the header trickles in byte by byte', () => {
    const decoder = new FrameDecoder()
    const bytes = header(0xffff_ffff)
    for (let i = 0; i < FRAME_HEADER_BYTES - 1; i++) expect(decoder.push(bytes.subarray(i, i + 1))).toEqual([])
    expect(codeOf(() => decoder.push(bytes.subarray(7)))).toBe('WIRE_TOO_LARGE')
  })

  it('accepts a header at exactly the limit and holds only what has arrived', () => {
    const decoder = new FrameDecoder()
    expect(decoder.push(Uint8Array.of(...header(MAX_FRAME_BYTES - FRAME_HEADER_BYTES), 1, 2, 3))).toEqual([])
    expect(decoder.bufferedBytes).toBe(FRAME_HEADER_BYTES + 3)
  })

  it('refuses a bad magic, version or count from the header, and obeys lowered limits', () => {
    expect(codeOf(() => new FrameDecoder().push(Uint8Array.of(0x47, 1, 0, 0, 0, 9, 0, 1)))).toBe('WIRE_BAD_MAGIC')
    expect(codeOf(() => new FrameDecoder().push(Uint8Array.of(0x57, 9, 0, 0, 0, 9, 0, 1)))).toBe('WIRE_BAD_VERSION')
    expect(codeOf(() => new FrameDecoder().push(Uint8Array.of(0x57, 1, 0, 0, 0, 9, 0xff, 0xff)))).toBe('WIRE_COUNT_EXCEEDED')
    expect(codeOf(() => new FrameDecoder({ limits: { maxFrameBytes: 1_024 } }).push(header(1_024 - FRAME_HEADER_BYTES + 1)))).toBe('WIRE_TOO_LARGE')
    expect(codeOf(() => new FrameDecoder({ limits: { maxFrameBytes: 4 } }))).toBe('WIRE_INVALID_OPTION')
  })

  it('is unusable after a refused header or close(): later pushes throw WIRE_CLOSED', () => {
    const failed = new FrameDecoder()
    expect(codeOf(() => failed.push(header(0xffff_ffff)))).toBe('WIRE_TOO_LARGE')
    expect(codeOf(() => failed.push(encodeFrame([ping(1)])))).toBe('WIRE_CLOSED')
    const closed = new FrameDecoder()
    closed.push(encodeFrame([ping(1)]).subarray(0, 10))
    closed.close()
    expect(closed.bufferedBytes).toBe(0)
    expect(codeOf(() => closed.push(Uint8Array.of(1)))).toBe('WIRE_CLOSED')
  })

  it('refuses a chunk that is not a Uint8Array with WireError', () => {
    expect(codeOf(() => new FrameDecoder().push('abc' as unknown as Uint8Array))).toBe('WIRE_BAD_FIELD')
  })
})
