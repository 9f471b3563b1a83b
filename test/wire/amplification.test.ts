// Amplification: a frame packed with tens of thousands of tiny entries must be refused
// before the decoder loops over them. js gossipsub decoded one 4 MB frame of ~180,000 ids
// for 135-200 ms (GHSA-cwc9-cp4j-mcvv). Caps are proven structural (refused with the entries
// absent, so no entry can have been read) and timed with a generous bound (median of runs <
// 10 ms); precise speed belongs to benchmarks.

import { describe, expect, it } from 'vitest'
import { encodeMessage } from '../../src/wire/codec.js'
import { WireError } from '../../src/wire/errors.js'
import { assembleFrame, decodeFrame } from '../../src/wire/frame.js'
import { FrameDecoder } from '../../src/wire/frame-decoder.js'
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, MAX_MESSAGES_PER_FRAME } from '../../src/wire/limits.js'
import type { WireMessage } from '../../src/wire/messages.js'
import { codeOf } from './wire-error.js'

/** A frame whose header says `count` messages, around `entries` as they are. */
function rawFrame(entries: readonly Uint8Array[], count = entries.length): Uint8Array {
  const payloadBytes = entries.reduce((sum, entry) => sum + entry.length, 0)
  const frame = assembleFrame(entries, payloadBytes)
  frame[6] = count >>> 8
  frame[7] = count & 0xff
  return frame
}

/** One message with a raw body. */
function rawMessage(type: number, body: Uint8Array): Uint8Array {
  const message = new Uint8Array(5 + body.length)
  new DataView(message.buffer).setUint32(1, body.length)
  message[0] = type
  message.set(body, 5)
  return message
}

/** A subscribe body of `count` one-byte topics. */
function subscribeBody(count: number): Uint8Array {
  const body = new Uint8Array(2 + 3 * count)
  new DataView(body.buffer).setUint16(0, count)
  for (let i = 0; i < count; i++) body.set([0, 1, 0x61], 2 + 3 * i)
  return body
}

/** Median milliseconds of `runs` calls of `decode`, after two warm-up calls; also the cold first call. */
function timeDecode(decode: () => unknown, runs = 9): { coldMs: number; medianMs: number; code: string | undefined } {
  let code: string | undefined
  const once = () => {
    const start = performance.now()
    try {
      decode()
      code = undefined
    } catch (error) {
      if (!(error instanceof WireError)) throw error
      code = error.code
    }
    return performance.now() - start
  }
  const coldMs = once()
  once()
  const times = Array.from({ length: runs }, once).sort((a, b) => a - b)
  return { coldMs, medianMs: times[runs >> 1], code }
}

const report = (name: string, bytes: number, t: { coldMs: number; medianMs: number; code: string | undefined }) =>
  console.log(`[wire amplification] ${name}: ${bytes} bytes -> ${t.code ?? 'accepted'} in ${t.medianMs.toFixed(3)} ms median (cold ${t.coldMs.toFixed(3)} ms)`)

describe('amplification: tiny entries packed into a large frame', () => {
  it('a 1 MiB frame declaring 65,535 messages is refused from its header, in well under 10 ms', () => {
    const tiny = rawMessage(0x7f, new Uint8Array(11))
    const frame = rawFrame(Array.from({ length: 65_535 }, () => tiny))
    expect(frame.length).toBeGreaterThan(1_000_000)
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES)
    const timing = timeDecode(() => decodeFrame(frame, { unknownTypes: 'return' }))
    report('65,535 messages in one frame', frame.length, timing)
    expect(timing.code).toBe('WIRE_COUNT_EXCEEDED')
    expect(timing.medianMs).toBeLessThan(10)
    // Structural: the header alone is enough to refuse it, so no message was looked at.
    expect(codeOf(() => new FrameDecoder().push(frame.subarray(0, FRAME_HEADER_BYTES)))).toBe('WIRE_COUNT_EXCEEDED')
  })

  it('one subscribe of 65,535 topics is refused at its count, before any topic is read', () => {
    const frame = rawFrame([rawMessage(0x10, subscribeBody(65_535))])
    const timing = timeDecode(() => decodeFrame(frame))
    report('one subscribe of 65,535 topics', frame.length, timing)
    expect(timing.code).toBe('WIRE_COUNT_EXCEEDED')
    expect(timing.medianMs).toBeLessThan(10)
    // Structural: with the topics missing altogether the count is still what is refused.
    expect(codeOf(() => decodeFrame(rawFrame([rawMessage(0x10, Uint8Array.of(0xff, 0xff))])))).toBe('WIRE_COUNT_EXCEEDED')
  })

  it('a nodes reply of 255 peers, or a peer of 255 addresses, is refused at the count', () => {
    expect(codeOf(() => decodeFrame(rawFrame([rawMessage(0x31, Uint8Array.of(0, 0, 0, 1, 255))])))).toBe('WIRE_COUNT_EXCEEDED')
    expect(codeOf(() => decodeFrame(rawFrame([rawMessage(0x31, Uint8Array.of(0, 0, 0, 1, 1, ...new Uint8Array(32), 255))])))).toBe('WIRE_COUNT_EXCEEDED')
  })

  it('1,024 subscribes of 256 topics each (262,144 strings) are refused by the frame entry budget', () => {
    const message = rawMessage(0x10, subscribeBody(256))
    const frame = rawFrame(Array.from({ length: MAX_MESSAGES_PER_FRAME }, () => message))
    expect(frame.length).toBeLessThanOrEqual(MAX_FRAME_BYTES)
    const timing = timeDecode(() => decodeFrame(frame))
    report('262,144 topics spread over 1,024 subscribes', frame.length, timing)
    expect(timing.code).toBe('WIRE_COUNT_EXCEEDED')
    expect(timing.medianMs).toBeLessThan(10)
  })

  it('the heaviest frames the limits accept still decode in well under 10 ms', () => {
    const id = new Uint8Array(32).fill(7)
    const publish: WireMessage = {
      type: 'publish',
      topic: 'chat',
      origin: id,
      originKey: id,
      seq: 1n,
      ttl: 8,
      path: [id, id, id, id],
      data: new Uint8Array(MAX_FRAME_BYTES / MAX_MESSAGES_PER_FRAME - 300),
      signature: new Uint8Array(64),
    }
    const nodes: WireMessage = { type: 'nodes', requestId: 1, peers: Array.from({ length: 4 }, () => ({ id, addresses: [] })) }
    const subscribe: WireMessage = { type: 'subscribe', topics: Array.from({ length: 256 }, (_, i) => `topic/${i}/é`) }
    const shapes: [string, WireMessage, number][] = [
      ['1,024 publishes of 4 path ids and ~700 B data', publish, MAX_MESSAGES_PER_FRAME],
      ['1,024 nodes replies of 4 peers', nodes, MAX_MESSAGES_PER_FRAME],
      ['16 subscribes of 256 non-ASCII topics', subscribe, 16],
    ]
    for (const [name, message, count] of shapes) {
      const encoded = encodeMessage(message)
      const frame = rawFrame(Array.from({ length: count }, () => encoded))
      const timing = timeDecode(() => decodeFrame(frame))
      report(name, frame.length, timing)
      expect(timing.code).toBeUndefined()
      expect(timing.medianMs).toBeLessThan(10)
    }
  })
})
