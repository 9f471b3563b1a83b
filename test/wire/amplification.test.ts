// Amplification: a frame packed with tens of thousands of tiny entries must be refused
// before the decoder loops over them, and the heaviest frames the limits accept must cost
// work the limits bound. Both are counted, not timed: every byte the decoder looks at past a
// frame's header goes through a WireReader, whose reads are spied on here. How long decoding
// takes is a benchmark figure (bench/wire-amplification.ts, against a 10 ms budget).

import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { countEntries } from '../../src/wire/codec.js'
import { WireError } from '../../src/wire/errors.js'
import { decodeFrame, encodeFrame } from '../../src/wire/frame.js'
import { FrameDecoder } from '../../src/wire/frame-decoder.js'
import { FRAME_HEADER_BYTES, MAX_ENTRIES_PER_FRAME, MAX_FRAME_BYTES, MAX_MESSAGES_PER_FRAME, MESSAGE_HEADER_BYTES } from '../../src/wire/limits.js'
import type { DecodedMessage } from '../../src/wire/messages.js'
import { WireReader } from '../../src/wire/reader.js'
import { heaviestAcceptedFrames, rawFrame, rawMessage, refusedFrames, type AmplificationFrame } from './amplification-frames.js'
import { anyMessage } from './arbitraries.js'
import { codeOf } from './wire-error.js'

/** The reader's reads of fixed width, and the bytes each consumes. */
const FIXED_READS = { u8: 1, u16: 2, u32: 4, u64: 8 } as const
/** The reader's reads of a given length (their first argument). */
const SIZED_READS = ['bytesCopy', 'utf8', 'printableAscii'] as const
/** Of those, the ones that make a string. */
const STRING_READS: ReadonlySet<string> = new Set(['utf8', 'printableAscii'])

/**
 * The most reads one message makes besides its repeated fields, its 5-byte header included
 * (a value reply with a mutable record makes 13, the most of any type).
 */
const MAX_READS_PER_MESSAGE = 16
/**
 * The most reads one repeated-field entry makes: a topic, address or capability is a length
 * and its text, a peer an id and its address count, a message ref an origin and a seq.
 */
const MAX_READS_PER_ENTRY = 2

interface DecodeWork {
  /** Successful reads of the cursor: each a bounds check and a number, a copy or a string. */
  readonly reads: number
  /** Bytes those reads consumed. */
  readonly bytesRead: number
  /** Strings decoded (topics, addresses, capabilities). */
  readonly strings: number
  /** Repeated-field entries whose count was accepted, so that the decoder went on to read them. */
  readonly entries: number
  /** Messages decoded; 0 when the frame was refused. */
  readonly messages: number
  /** The code of the WireError decoding threw; undefined when the frame was accepted. */
  readonly code: string | undefined
}

/** Runs `decode` with every read of every WireReader counted. */
function countDecodeWork(decode: () => readonly DecodedMessage[]): DecodeWork {
  const fixed = Object.entries(FIXED_READS).map(([name, width]) => ({ spy: vi.spyOn(WireReader.prototype, name as keyof typeof FIXED_READS), width }))
  const sized = SIZED_READS.map((name) => ({ spy: vi.spyOn(WireReader.prototype, name), isString: STRING_READS.has(name) }))
  const count = vi.spyOn(WireReader.prototype, 'count')
  try {
    let messages = 0
    let code: string | undefined
    try {
      messages = decode().length
    } catch (error) {
      if (!(error instanceof WireError)) throw error
      code = error.code
    }
    // A read that threw consumed nothing; only those that returned count.
    let reads = 0
    let bytesRead = 0
    let strings = 0
    for (const { spy, width } of fixed) {
      const done = spy.mock.results.filter((result) => result.type === 'return').length
      reads += done
      bytesRead += done * width
    }
    for (const { spy, isString } of sized) {
      spy.mock.results.forEach((result, i) => {
        if (result.type !== 'return') return
        reads++
        bytesRead += spy.mock.calls[i][0]
        if (isString) strings++
      })
    }
    const entries = count.mock.results.reduce((sum, result) => sum + (result.type === 'return' ? result.value : 0), 0)
    return { reads, bytesRead, strings, entries, messages, code }
  } finally {
    for (const { spy } of [...fixed, ...sized]) spy.mockRestore()
    count.mockRestore()
  }
}

const byName = (frames: readonly AmplificationFrame[], name: string): AmplificationFrame => {
  const found = frames.find((frame) => frame.name === name)
  if (found === undefined) throw new Error(`no amplification frame named ${name}`)
  return found
}
const workOf = ({ frame, options }: AmplificationFrame) => countDecodeWork(() => decodeFrame(frame, options))

/** The work bound every decoded frame must keep, checked for one frame's messages and entries. */
function expectBoundedWork(work: DecodeWork, frame: Uint8Array): void {
  expect(work.code).toBeUndefined()
  // Each payload byte is read exactly once: nothing is skipped, nothing read again.
  expect(work.bytesRead).toBe(frame.length - FRAME_HEADER_BYTES)
  expect(work.entries).toBeLessThanOrEqual(MAX_ENTRIES_PER_FRAME)
  expect(work.reads).toBeLessThanOrEqual(work.messages * MAX_READS_PER_MESSAGE + work.entries * MAX_READS_PER_ENTRY)
}

describe('amplification: tiny entries packed into a large frame', () => {
  const refused = refusedFrames()

  it('a 1 MiB frame declaring 65,535 messages is refused from its header, before a byte of its messages is read', () => {
    const shape = byName(refused, '65,535 messages in one frame')
    const { frame } = shape
    expect(frame.length).toBeGreaterThan(1_000_000)
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES)
    const work = workOf(shape)
    expect(work.code).toBe('WIRE_COUNT_EXCEEDED')
    expect(work.reads).toBe(0)
    // A stream decoder refuses it from the header alone, before the payload arrives.
    expect(codeOf(() => new FrameDecoder().push(frame.subarray(0, FRAME_HEADER_BYTES)))).toBe('WIRE_COUNT_EXCEEDED')
  })

  it('one subscribe of 65,535 topics is refused at its count, before any topic is read', () => {
    const work = workOf(byName(refused, 'one subscribe of 65,535 topics'))
    expect(work.code).toBe('WIRE_COUNT_EXCEEDED')
    expect(work.strings).toBe(0)
    expect(work.entries).toBe(0)
    // The message header and the u16 count, nothing after.
    expect(work.bytesRead).toBe(MESSAGE_HEADER_BYTES + 2)
    // With the topics missing altogether the count is still what is refused.
    expect(codeOf(() => decodeFrame(rawFrame([rawMessage(0x10, Uint8Array.of(0xff, 0xff))])))).toBe('WIRE_COUNT_EXCEEDED')
  })

  it('a nodes reply of 255 peers, or a peer of 255 addresses, is refused at the count', () => {
    expect(codeOf(() => decodeFrame(rawFrame([rawMessage(0x31, Uint8Array.of(0, 0, 0, 1, 255))])))).toBe('WIRE_COUNT_EXCEEDED')
    expect(codeOf(() => decodeFrame(rawFrame([rawMessage(0x31, Uint8Array.of(0, 0, 0, 1, 1, ...new Uint8Array(32), 255))])))).toBe('WIRE_COUNT_EXCEEDED')
  })

  it('1,024 subscribes of 256 topics each (262,144 strings) are refused by the frame entry budget after 4,096 strings', () => {
    const shape = byName(refused, '262,144 topics spread over 1,024 subscribes')
    const { frame } = shape
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES)
    const work = workOf(shape)
    expect(work.code).toBe('WIRE_COUNT_EXCEEDED')
    // The first 16 subscribes use the budget up; the 17th is refused at its count.
    const subscribeBytes = (frame.length - FRAME_HEADER_BYTES) / MAX_MESSAGES_PER_FRAME
    expect(work.strings).toBe(MAX_ENTRIES_PER_FRAME)
    expect(work.entries).toBe(MAX_ENTRIES_PER_FRAME)
    expect(work.bytesRead).toBe(16 * subscribeBytes + MESSAGE_HEADER_BYTES + 2)
  })

  it('the heaviest frames the limits accept are read once, in at most 16 reads a message and 2 an entry', () => {
    const capBound = MAX_MESSAGES_PER_FRAME * MAX_READS_PER_MESSAGE + MAX_ENTRIES_PER_FRAME * MAX_READS_PER_ENTRY
    for (const shape of heaviestAcceptedFrames()) {
      const work = workOf(shape)
      expectBoundedWork(work, shape.frame)
      // Each of them fills the entry budget, so the caps are what bounds it.
      expect(work.entries).toBe(MAX_ENTRIES_PER_FRAME)
      expect(work.reads).toBeLessThanOrEqual(capBound)
    }
  })

  it('property: any frame decodes reading each byte once, in at most 16 reads a message and 2 an entry', () => {
    fc.assert(
      fc.property(fc.array(anyMessage, { minLength: 1, maxLength: 8 }), (messages) => {
        const frame = encodeFrame(messages)
        const work = countDecodeWork(() => decodeFrame(frame))
        expectBoundedWork(work, frame)
        expect(work.messages).toBe(messages.length)
        expect(work.entries).toBe(messages.reduce((sum, message) => sum + countEntries(message), 0))
      }),
      { numRuns: 200 },
    )
  })
})
