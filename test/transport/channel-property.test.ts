// Property: whatever the frame sizes, the chunk size, the water marks and the moments at which
// turns end, chunks move and the channel drains, the frames that come out are the frames that
// went in, whole and in order.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChannelConnection } from '../../src/transport/channel/index.js'
import type { CloseInfo } from '../../src/transport/index.js'
import { fakeChannelPair, turn } from './fake-channel.js'
import { frameOf, framesDiffering } from './frames.js'

/** What happens after each send: nothing, the turn ends, or some chunks move to the far end. */
const step = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'turn' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pump' as const), count: fc.integer({ min: 1, max: 4 }) }) },
)

const frameSize = (chunkBytes: number) => fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 200 }) },
  { weight: 3, arbitrary: fc.integer({ min: chunkBytes - 12, max: chunkBytes + 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 * chunkBytes }) },
)

const scenario = fc.integer({ min: 256, max: 2_048 }).chain((chunkBytes) => fc.record({
  chunkBytes: fc.constant(chunkBytes),
  lowWaterMarkBytes: fc.integer({ min: 0, max: 4 * chunkBytes }),
  extraHighBytes: fc.integer({ min: 0, max: 8 * chunkBytes }),
  sends: fc.array(fc.tuple(frameSize(chunkBytes), step), { minLength: 1, maxLength: 60 }),
}))

describe('ChannelConnection property', () => {
  it('random frame sizes, chunk sizes and delivery moments: identical frames out, in order', async () => {
    await fc.assert(fc.asyncProperty(scenario, async ({ chunkBytes, lowWaterMarkBytes, extraHighBytes, sends }) => {
      const { a, b, pumpAll } = fakeChannelPair()
      const options = { chunkBytes, lowWaterMarkBytes, highWaterMarkBytes: lowWaterMarkBytes + extraHighBytes }
      const here = new ChannelConnection(a, options)
      const there = new ChannelConnection(b, options)
      const got: Uint8Array[] = []
      there.onMessage((frame) => got.push(frame))
      const expected: Uint8Array[] = []
      for (const [size, after] of sends) {
        const frame = frameOf(expected.length, size)
        expected.push(frame)
        here.send(frame)
        if (after.kind === 'turn') await turn()
        else if (after.kind === 'pump') a.pump(after.count)
      }
      for (let rounds = 0; rounds < 1_000 && (here.bufferedAmount > 0 || a.inFlight.length > 0); rounds++) {
        await turn()
        pumpAll()
      }
      await turn()
      expect(framesDiffering(got, expected)).toEqual([])
      expect(here.traffic.chunksSent).toBe(a.sent.length)
      expect(there.traffic).toMatchObject({ framesReceived: sends.length, refusedMalformed: 0, refusedTooLarge: 0 })
      here.close()
      there.close()
    }), { numRuns: 200 })
  }, 60_000)

  it('random bytes from the far side never throw: each chunk is taken apart or the connection closes with a reason', async () => {
    const segment = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 300 }), fc.uint8Array({ maxLength: 40 }))
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // Mostly well-formed segments with random flags and lengths, so the deeper checks are reached.
      fc.array(segment, { minLength: 1, maxLength: 6 }).map((segments) => Uint8Array.from(segments.flatMap(([flags, length, bytes]) => [flags, length & 0x7f, ...bytes]))),
    )
    await fc.assert(fc.asyncProperty(fc.array(chunk, { minLength: 1, maxLength: 20 }), async (chunks) => {
      const { b } = fakeChannelPair()
      const there = new ChannelConnection(b, { maxMessageBytes: 256 })
      let bytes = 0
      there.onMessage((frame) => (bytes += frame.length))
      const closes: CloseInfo[] = []
      there.onClose((info) => closes.push(info))
      for (const data of chunks) b.receive(data)
      await turn()
      const traffic = there.traffic
      expect(closes.length).toBe(there.isOpen ? 0 : 1)
      expect(bytes).toBe(traffic.bytesReceived)
      // Refused (initiator local) and counted, or ended by a goodbye among the bytes (remote).
      expect(traffic.refusedMalformed + traffic.refusedTooLarge).toBe(closes[0]?.initiator === 'local' ? 1 : 0)
    }), { numRuns: 300 })
  })
})
