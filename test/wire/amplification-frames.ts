// The frames of the amplification checks: frames packed with tiny entries, which the limits
// must refuse, and the heaviest frames the limits accept. test/wire/amplification.test.ts
// counts the decoder's work on them; bench/wire-amplification.ts times it (a time depends on
// the machine, so it is a benchmark figure, not a test verdict).

import { encodeMessage, type DecodeOptions } from '../../src/wire/codec.js'
import type { WireErrorCode } from '../../src/wire/errors.js'
import { assembleFrame } from '../../src/wire/frame.js'
import { MAX_FRAME_BYTES, MAX_MESSAGES_PER_FRAME } from '../../src/wire/limits.js'
import type { WireMessage } from '../../src/wire/messages.js'

export interface AmplificationFrame {
  readonly name: string
  readonly frame: Uint8Array
  readonly options: DecodeOptions
  /** The code the frame is refused with; undefined for a frame the limits accept. */
  readonly code: WireErrorCode | undefined
}

/** A frame whose header says `count` messages, around `entries` as they are. */
export function rawFrame(entries: readonly Uint8Array[], count = entries.length): Uint8Array {
  const payloadBytes = entries.reduce((sum, entry) => sum + entry.length, 0)
  const frame = assembleFrame(entries, payloadBytes)
  frame[6] = count >>> 8
  frame[7] = count & 0xff
  return frame
}

/** One message with a raw body. */
export function rawMessage(type: number, body: Uint8Array): Uint8Array {
  const message = new Uint8Array(5 + body.length)
  new DataView(message.buffer).setUint32(1, body.length)
  message[0] = type
  message.set(body, 5)
  return message
}

/** A subscribe body of `count` one-byte topics. */
export function subscribeBody(count: number): Uint8Array {
  const body = new Uint8Array(2 + 3 * count)
  new DataView(body.buffer).setUint16(0, count)
  for (let i = 0; i < count; i++) body.set([0, 1, 0x61], 2 + 3 * i)
  return body
}

/** A type code no message has: the tiny messages of the first frame decode as unknown. */
const UNASSIGNED_TYPE = 0x7f

/**
 * Frames the limits refuse: each would make a decoder without them loop over tens or
 * hundreds of thousands of entries, the shape of GHSA-cwc9-cp4j-mcvv (js gossipsub decoded
 * one 4 MB frame of ~180,000 ids for 135-200 ms).
 */
export function refusedFrames(): AmplificationFrame[] {
  const tiny = rawMessage(UNASSIGNED_TYPE, new Uint8Array(11))
  const subscribe = rawMessage(0x10, subscribeBody(256))
  return [
    {
      name: '65,535 messages in one frame',
      frame: rawFrame(Array.from({ length: 65_535 }, () => tiny)),
      options: { unknownTypes: 'return' },
      code: 'WIRE_COUNT_EXCEEDED',
    },
    {
      name: 'one subscribe of 65,535 topics',
      frame: rawFrame([rawMessage(0x10, subscribeBody(65_535))]),
      options: {},
      code: 'WIRE_COUNT_EXCEEDED',
    },
    {
      name: '262,144 topics spread over 1,024 subscribes',
      frame: rawFrame(Array.from({ length: MAX_MESSAGES_PER_FRAME }, () => subscribe)),
      options: {},
      code: 'WIRE_COUNT_EXCEEDED',
    },
  ]
}

/** The heaviest frames the limits accept: the most messages, each using up the frame's entry budget. */
export function heaviestAcceptedFrames(): AmplificationFrame[] {
  const id = new Uint8Array(32).fill(7)
  const publish: WireMessage = {
    type: 'publish',
    topic: 'chat',
    origin: id,
    originKey: id,
    seq: 1n,
    timestampMs: 0,
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
  return shapes.map(([name, message, count]) => {
    const encoded = encodeMessage(message)
    return { name, frame: rawFrame(Array.from({ length: count }, () => encoded)), options: {}, code: undefined }
  })
}
