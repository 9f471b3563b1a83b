// ChannelConnection over a fake data channel: coalescing, fragmentation, backpressure and close
// semantics, asserted by counts of channel messages and frames, never by wall time.

import { afterEach, describe, expect, it } from 'vitest'
import {
  ChannelConnection, CLOSED_WITHOUT_GOODBYE, REFUSED_BACKLOG, REFUSED_MALFORMED, REFUSED_TEXT, REFUSED_TOO_LARGE,
  type ChannelConnectionOptions,
} from '../../src/transport/channel/index.js'
import { TransportError, type CloseInfo } from '../../src/transport/index.js'
import { ManualClock } from '../../src/util/clock.js'
import { fakeChannelPair, turn, type FakeChannel } from './fake-channel.js'
import { frameOf, framesDiffering } from './frames.js'

const CHUNK = 16_384
const MIB = 1_048_576

/** What one connection's handlers saw, and whether any ran inside a call the test made. */
function watch(connection: ChannelConnection) {
  const seen = { frames: [] as Uint8Array[], closes: [] as CloseInfo[], drains: 0, syncCalls: 0 }
  let isInsideCall = false
  const guard = <A extends unknown[]>(fn: (...args: A) => void) => (...args: A) => {
    if (isInsideCall) seen.syncCalls++
    fn(...args)
  }
  connection.onMessage(guard((frame) => seen.frames.push(frame)))
  connection.onClose(guard((info) => seen.closes.push(info)))
  connection.onDrain(guard(() => seen.drains++))
  return {
    ...seen,
    get frames() { return seen.frames },
    get closes() { return seen.closes },
    get drains() { return seen.drains },
    get syncCalls() { return seen.syncCalls },
    /** Runs `fn` as the owner's call: a handler called inside it is counted in syncCalls. */
    call<T>(fn: () => T): T {
      isInsideCall = true
      try {
        return fn()
      } finally {
        isInsideCall = false
      }
    },
  }
}

function setup(options: ChannelConnectionOptions = {}, remoteOptions: ChannelConnectionOptions = options) {
  const { a, b, pumpAll } = fakeChannelPair()
  const here = new ChannelConnection(a, { localAddress: 'webrtc://a', remoteAddress: 'webrtc://b', direction: 'outbound', ...options })
  const there = new ChannelConnection(b, { localAddress: 'webrtc://b', remoteAddress: 'webrtc://a', direction: 'inbound', ...remoteOptions })
  return { a, b, here, there, pumpAll, sent: watch(here), got: watch(there) }
}

function codeOf(fn: () => unknown): string {
  try {
    fn()
    return 'returned'
  } catch (error) {
    return error instanceof TransportError ? error.code : `threw ${String(error)}`
  }
}

const made: ChannelConnection[] = []
afterEach(() => {
  for (const connection of made.splice(0)) connection.close()
})

describe('ChannelConnection: coalescing', () => {
  it('1,000 frames of 100 bytes sent in one turn travel in 7 channel messages, none over the chunk size', async () => {
    const { a, pumpAll, got, here } = setup()
    for (let i = 0; i < 1_000; i++) here.send(frameOf(i, 100))
    await turn()
    // 102 bytes a frame (flags, 1-byte length, bytes): 160 to a chunk of 16,384.
    expect(a.sent.length).toBe(Math.ceil(1_000 / Math.floor(CHUNK / 102)))
    expect(Math.max(...a.sent.map((m) => m.length))).toBeLessThanOrEqual(CHUNK)
    pumpAll()
    await turn()
    expect(framesDiffering(got.frames, Array.from({ length: 1_000 }, (_, i) => frameOf(i, 100)))).toEqual([])
    expect(here.traffic).toMatchObject({ framesSent: 1_000, chunksSent: 7, bytesSent: 100_000 })
  })

  it('a full chunk goes out inside send(); the rest of the turn goes out from a microtask after it', async () => {
    const { a, here } = setup()
    for (let i = 0; i < 161; i++) here.send(frameOf(i, 100))
    expect(a.sent.length).toBe(1)
    await turn()
    expect(a.sent.length).toBe(2)
    expect(a.sent[1].length).toBe(102)
  })

  it('frames of separate turns go in separate channel messages: nothing waits for company longer than its turn', async () => {
    const { a, here } = setup()
    for (let turnIndex = 0; turnIndex < 5; turnIndex++) {
      here.send(frameOf(turnIndex, 10))
      here.send(frameOf(turnIndex, 10))
      await turn()
      expect(a.sent.length).toBe(turnIndex + 1)
    }
  })

  it('a small frame that does not fit what is left of a chunk starts the next one instead of being split', async () => {
    const { a, here } = setup({ chunkBytes: 1_024 })
    here.send(new Uint8Array(1_000)) // 1,003 bytes with its header: 21 left
    here.send(new Uint8Array(100))
    await turn()
    expect(a.sent.map((m) => m.length)).toEqual([1_003, 102])
  })

  it('a large frame is split from what is left of a chunk, unless fewer than 16 bytes are left', async () => {
    const { a, here, pumpAll, got } = setup({ chunkBytes: 1_024 })
    here.send(new Uint8Array(900)) // 903 bytes with its header: 121 left, where the next frame's first fragment goes
    here.send(frameOf(1, 2_000)) // 117 bytes there, 1,021 in a middle fragment, the last 862 in the third chunk (865)
    here.send(new Uint8Array(145)) // 148 more: 11 left
    here.send(frameOf(3, 2_000)) // so this one starts the fourth chunk: 1,019 bytes, then 981 in the fifth
    await turn()
    expect(a.sent.map((m) => m.length)).toEqual([1_024, 1_024, 1_013, 1_024, 984])
    pumpAll()
    await turn()
    expect(framesDiffering(got.frames.filter((_, i) => i % 2 === 1), [frameOf(1, 2_000), frameOf(3, 2_000)])).toEqual([])
  })
})

describe('ChannelConnection: fragmentation', () => {
  it.each([0, 1, CHUNK - 4, CHUNK - 3, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17, MIB])('a frame of %i bytes arrives whole and identical', async (size) => {
    const { a, pumpAll, got, here } = setup()
    here.send(frameOf(size, size))
    await turn()
    expect(a.sent.every((m) => m.length <= CHUNK)).toBe(true)
    pumpAll()
    await turn()
    expect(framesDiffering(got.frames, [frameOf(size, size)])).toEqual([])
  })

  it('a 1 MiB frame travels in 65 channel messages of at most the chunk size', async () => {
    const { a, here } = setup()
    here.send(new Uint8Array(MIB))
    await turn()
    expect(a.sent.length).toBe(65)
  })

  it('send() of maxMessageBytes + 1 throws TRANSPORT_TOO_LARGE, sends nothing of it, and the connection carries on', async () => {
    const { a, pumpAll, got, here } = setup()
    expect(codeOf(() => here.send(new Uint8Array(MIB + 1)))).toBe('TRANSPORT_TOO_LARGE')
    await turn()
    expect(a.sent.length).toBe(0)
    expect(here.isOpen).toBe(true)
    here.send(Uint8Array.of(9))
    await turn()
    pumpAll()
    await turn()
    expect(got.frames).toEqual([Uint8Array.of(9)])
  })

  it('order is kept across mixed sizes: tiny, split and exact-chunk frames interleaved', async () => {
    const { pumpAll, got, here } = setup({ chunkBytes: 512 })
    const sizes = [0, 3, 511, 512, 513, 5_000, 1, 0, 2_000, 100, 509, 510, 1_023, 1_024, 7]
    sizes.forEach((size, i) => here.send(frameOf(i, size)))
    await turn()
    pumpAll()
    await turn()
    expect(framesDiffering(got.frames, sizes.map((size, i) => frameOf(i, size)))).toEqual([])
  })

  it('a whole frame is a view into the channel message it came in; a split one has a buffer of its own size', async () => {
    const { pumpAll, got, here } = setup()
    here.send(new Uint8Array(100))
    here.send(new Uint8Array(100))
    here.send(new Uint8Array(20_000))
    await turn()
    pumpAll()
    await turn()
    expect(got.frames[0].buffer).toBe(got.frames[1].buffer)
    expect(got.frames[1].byteOffset).toBe(102 + 2) // after the first frame and its own 2-byte header
    expect(got.frames[2].buffer.byteLength).toBe(20_000)
  })
})

describe('ChannelConnection: backpressure', () => {
  const small = { chunkBytes: 1_024, highWaterMarkBytes: 8_192, lowWaterMarkBytes: 2_048, maxBufferedBytes: 32_768, maxMessageBytes: 16_384 }

  it('sets the channel up: binary as ArrayBuffer, bufferedAmountLowThreshold at the low-water mark', () => {
    const { a } = setup(small)
    expect(a.binaryType).toBe('arraybuffer')
    expect(a.bufferedAmountLowThreshold).toBe(2_048)
  })

  it('send() returns false above the high-water mark; chunks wait here, refill on bufferedamountlow, and onDrain follows at the low-water mark', async () => {
    const { a, here, sent, pumpAll, got } = setup(small)
    let accepted = true
    let count = 0
    while (accepted) accepted = sent.call(() => here.send(frameOf(count++, 1_000)))
    expect(here.bufferedAmount).toBeGreaterThan(8_192)
    // An owner that sends on regardless: the channel takes chunks up to one past the high-water mark, the rest wait here.
    for (let i = 0; i < 10; i++) expect(sent.call(() => here.send(frameOf(count++, 1_000)))).toBe(false)
    expect(a.bufferedAmount).toBeGreaterThan(8_192)
    expect(a.bufferedAmount).toBeLessThanOrEqual(8_192 + 1_024)
    expect(here.bufferedAmount - a.bufferedAmount).toBeGreaterThan(8_000)
    await turn()
    expect(sent.drains).toBe(0)
    a.drain(a.bufferedAmount - 2_048) // crosses the threshold: bufferedamountlow
    expect(a.bufferedAmount).toBeGreaterThan(8_192) // refilled from the queue
    expect(sent.drains).toBe(0)
    let steps = 0
    while (sent.drains === 0 && steps++ < 1_000) a.drain(1_024)
    expect(sent.drains).toBe(1)
    expect(here.bufferedAmount).toBeLessThanOrEqual(2_048)
    pumpAll()
    await turn()
    expect(framesDiffering(got.frames, Array.from({ length: count }, (_, i) => frameOf(i, 1_000)))).toEqual([])
    expect(sent.syncCalls).toBe(0)
  })

  it('bufferedAmount counts bytes waiting here and in the channel', async () => {
    const { a, here } = setup(small)
    here.send(new Uint8Array(100))
    expect(here.bufferedAmount).toBe(102)
    await turn()
    expect(a.bufferedAmount).toBe(102)
    expect(here.bufferedAmount).toBe(102)
    a.drain()
    expect(here.bufferedAmount).toBe(0)
  })

  it('send() past maxBufferedBytes throws TRANSPORT_BUFFER_FULL, queueing nothing of that frame, and everything before it arrives', async () => {
    const { a, here, pumpAll, got } = setup(small)
    let count = 0
    let code = 'returned'
    while (code === 'returned') {
      code = codeOf(() => here.send(frameOf(count, 1_000)))
      if (code === 'returned') count++
    }
    expect(code).toBe('TRANSPORT_BUFFER_FULL')
    const buffered = here.bufferedAmount
    expect(codeOf(() => here.send(new Uint8Array(1_000)))).toBe('TRANSPORT_BUFFER_FULL')
    expect(here.bufferedAmount).toBe(buffered)
    expect(here.isOpen).toBe(true)
    while (a.inFlight.length > 0 || here.bufferedAmount > 0) {
      pumpAll()
      await turn()
    }
    expect(framesDiffering(got.frames, Array.from({ length: count }, (_, i) => frameOf(i, 1_000)))).toEqual([])
  })

  it('a frame as large as maxMessageBytes is always accepted by an empty buffer', () => {
    const { here } = setup({ ...small, maxBufferedBytes: 16_384 })
    expect(codeOf(() => here.send(new Uint8Array(16_384)))).toBe('returned')
  })
})

describe('ChannelConnection: close', () => {
  it('close() delivers what was sent first, then the far side sees initiator remote with the reason; each side is told once', async () => {
    const { a, here, there, sent, got, pumpAll } = setup()
    for (let i = 0; i < 3; i++) here.send(frameOf(i, 50))
    sent.call(() => here.close('done here'))
    sent.call(() => here.close('again'))
    expect(here.isOpen).toBe(false)
    expect(sent.closes).toEqual([])
    pumpAll()
    await turn()
    expect(got.frames).toEqual([0, 1, 2].map((i) => frameOf(i, 50)))
    expect(got.closes).toEqual([{ initiator: 'remote', reason: 'done here' }])
    expect(sent.closes).toEqual([{ initiator: 'local', reason: 'done here' }])
    expect(there.isOpen).toBe(false)
    expect(a.readyState).toBe('closed')
    await Promise.all([here.gone, there.gone])
    expect(sent.syncCalls).toBe(0)
  })

  it('close() while chunks wait for the channel still sends them all, then the goodbye', async () => {
    const { a, here, got, pumpAll } = setup({ chunkBytes: 1_024, highWaterMarkBytes: 4_096, lowWaterMarkBytes: 1_024 })
    let count = 0
    while (here.send(frameOf(count, 900))) count++
    count++
    here.close('flushed')
    for (let i = 0; i < 10 && a.readyState !== 'closed'; i++) {
      pumpAll()
      await turn()
    }
    expect(got.frames.length).toBe(count)
    expect(got.closes).toEqual([{ initiator: 'remote', reason: 'flushed' }])
  })

  it('a long reason is cut to 123 bytes of UTF-8 on the wire, at a character boundary', async () => {
    const { here, got, pumpAll } = setup()
    here.close('é'.repeat(100))
    pumpAll()
    await turn()
    expect(got.closes[0].reason).toBe('é'.repeat(61))
  })

  it('send() after close() throws TRANSPORT_CLOSED; frames arriving after close() are dropped', async () => {
    const { here, there, sent, pumpAll } = setup()
    there.send(Uint8Array.of(1))
    await turn()
    here.close()
    expect(codeOf(() => here.send(Uint8Array.of(2)))).toBe('TRANSPORT_CLOSED')
    pumpAll()
    await turn()
    expect(sent.frames).toEqual([])
  })

  it('a close handler set after the end is still called once, from a later callback', async () => {
    const { a, b, pumpAll } = fakeChannelPair()
    const here = new ChannelConnection(a)
    const there = new ChannelConnection(b)
    here.close('early')
    pumpAll()
    await turn()
    expect(there.isOpen).toBe(false)
    const late: CloseInfo[] = []
    here.onClose((info) => late.push(info))
    expect(late).toEqual([])
    await turn()
    here.onClose((info) => late.push(info))
    await turn()
    expect(late).toEqual([{ initiator: 'local', reason: 'early' }])
    expect(b.readyState).toBe('closed')
  })

  it('the side that reads the goodbye closes the channel; a far side that does not is given closeTimeoutMs', async () => {
    const clock = new ManualClock()
    const { a, b, pumpAll } = fakeChannelPair()
    const here = new ChannelConnection(a, { clock, closeTimeoutMs: 2_000 })
    made.push(new ChannelConnection(b))
    here.close('bye')
    await turn()
    expect(a.readyState).toBe('open') // waiting for the far side
    b.inFlight.length = 0
    a.inFlight.length = 0 // the goodbye is lost: nobody will close from there
    clock.advance(1_999)
    expect(a.readyState).toBe('open')
    clock.advance(1)
    expect(a.readyState).toBe('closing')
    pumpAll()
    await here.gone
    expect(a.listenerCount()).toBe(0)
  })

  it('both sides closing at once close the channel on reading each other\'s goodbye, without waiting for the timeout', async () => {
    const clock = new ManualClock()
    const { a, b, pumpAll } = fakeChannelPair()
    const here = new ChannelConnection(a, { clock })
    const there = new ChannelConnection(b, { clock })
    const closes: CloseInfo[] = []
    here.onClose((info) => closes.push(info))
    there.onClose((info) => closes.push(info))
    here.send(Uint8Array.of(1))
    there.send(Uint8Array.of(2))
    here.close('here done')
    there.close('there done')
    pumpAll()
    await Promise.all([here.gone, there.gone])
    expect(a.readyState).toBe('closed')
    expect(closes).toEqual([{ initiator: 'local', reason: 'here done' }, { initiator: 'local', reason: 'there done' }])
    expect(clock.runAll()).toBe(0)
  })

  it('reset() after close() stops waiting for the far side and closes the channel at once', async () => {
    const clock = new ManualClock()
    const { a } = fakeChannelPair()
    const here = new ChannelConnection(a, { clock })
    const closes: CloseInfo[] = []
    here.onClose((info) => closes.push(info))
    here.close('bye')
    here.reset('transport closing')
    expect(a.readyState).toBe('closing')
    a.finishClose()
    await here.gone
    await turn()
    expect(closes).toEqual([{ initiator: 'local', reason: 'bye' }])
    expect(clock.runAll()).toBe(0) // the linger timer was cleared
  })

  it('the channel closing with no goodbye ends the connection with initiator network; frames before it still arrive', async () => {
    const { a, b, here, got } = setup()
    here.send(Uint8Array.of(5))
    await turn()
    a.pump()
    b.finishClose()
    await turn()
    expect(got.frames).toEqual([Uint8Array.of(5)])
    expect(got.closes).toEqual([{ initiator: 'network', reason: CLOSED_WITHOUT_GOODBYE }])
    expect(b.listenerCount()).toBe(0)
  })

  it('a channel error ends the connection with initiator network and the error message; the channel is closed', async () => {
    const { b, got } = setup()
    b.emit('error', { error: new Error('sctp went away') })
    await turn()
    expect(got.closes).toEqual([{ initiator: 'network', reason: 'the data channel failed: sctp went away' }])
    expect(b.readyState).toBe('closing')
  })

  it('a send the channel refuses ends the connection (network) and throws TRANSPORT_CLOSED, once', async () => {
    const { a, here, sent } = setup({ chunkBytes: 1_024 })
    a.failSend = new Error('InvalidStateError')
    expect(codeOf(() => sent.call(() => here.send(new Uint8Array(5_000))))).toBe('TRANSPORT_CLOSED')
    await turn()
    expect(sent.closes).toEqual([{ initiator: 'network', reason: 'the data channel failed: InvalidStateError' }])
    expect(here.traffic.channelErrors).toBe(1)
    expect(sent.syncCalls).toBe(0)
  })

  it('a channel that refuses sends while the goodbye goes out stops the attempt at the first refusal', async () => {
    const { a, here } = setup({ chunkBytes: 1_024, highWaterMarkBytes: 2_048, lowWaterMarkBytes: 1_024 })
    while (here.send(new Uint8Array(900))) ;
    for (let i = 0; i < 5; i++) here.send(new Uint8Array(900))
    here.close('bye')
    const calls = a.sendCalls
    a.failSend = new Error('gone')
    a.drain() // bufferedamountlow: the refill meets the refusal
    expect(a.sendCalls).toBe(calls + 1)
    expect(here.bufferedAmount).toBe(0)
  })

  it('reset() ends the connection with initiator network and sends nothing more', async () => {
    const { a, here, sent } = setup()
    here.send(Uint8Array.of(1))
    sent.call(() => here.reset('ice failed'))
    await turn()
    expect(a.sent.length).toBe(0)
    expect(sent.closes).toEqual([{ initiator: 'network', reason: 'ice failed' }])
    expect(sent.syncCalls).toBe(0)
  })
})

describe('ChannelConnection: delivery', () => {
  it('frames that arrive before a handler is set wait, in order, and come from a later callback', async () => {
    const { a, b, pumpAll } = fakeChannelPair()
    const here = new ChannelConnection(a)
    const there = new ChannelConnection(b)
    for (let i = 0; i < 5; i++) here.send(frameOf(i, 20_000))
    await turn()
    pumpAll()
    await turn()
    const frames: Uint8Array[] = []
    there.onMessage((frame) => frames.push(frame))
    expect(frames).toEqual([])
    await turn()
    expect(framesDiffering(frames, [0, 1, 2, 3, 4].map((i) => frameOf(i, 20_000)))).toEqual([])
  })

  it('a handler that closes the connection stops the rest of its chunk', async () => {
    const { here, there, pumpAll } = setup()
    const frames: Uint8Array[] = []
    there.onMessage((frame) => {
      frames.push(frame)
      if (frames.length === 2) there.close()
    })
    for (let i = 0; i < 5; i++) here.send(Uint8Array.of(i))
    await turn()
    pumpAll()
    await turn()
    expect(frames).toEqual([Uint8Array.of(0), Uint8Array.of(1)])
  })

  it('a handler that throws is reported as uncaught, and the frames after it still arrive', async () => {
    const { here, there, pumpAll } = setup()
    const frames: number[] = []
    const reported: unknown[] = []
    const onUncaught = (error: unknown) => reported.push(error)
    const listeners = process.listeners('uncaughtException')
    process.removeAllListeners('uncaughtException')
    process.on('uncaughtException', onUncaught)
    try {
      there.onMessage((frame) => {
        frames.push(frame[0])
        if (frame[0] === 1) throw new Error('handler bug')
      })
      for (let i = 0; i < 3; i++) here.send(Uint8Array.of(i))
      await turn()
      pumpAll()
      await turn()
    } finally {
      process.off('uncaughtException', onUncaught)
      for (const listener of listeners) process.on('uncaughtException', listener)
    }
    expect(frames).toEqual([0, 1, 2])
    expect(reported.map((error) => (error as Error).message)).toEqual(['handler bug'])
  })
})

describe('ChannelConnection: hostile chunks', () => {
  const opts = { maxMessageBytes: 4_096, maxBufferedBytes: 65_536 }

  /** Feeds `data` to the receiving end as the far side's channel message; returns what the connection made of it. */
  async function feed(data: unknown, options: ChannelConnectionOptions = opts) {
    const { b, there, got, pumpAll } = setup(options)
    b.receive(data)
    await turn()
    pumpAll()
    await turn()
    return { got, there, goodbye: got.closes[0] }
  }

  const cases: [string, Uint8Array, string, keyof ChannelConnection['traffic']][] = [
    ['an empty message', new Uint8Array(0), 'an empty channel message', 'refusedMalformed'],
    ['reserved flag bits', Uint8Array.of(0x13, 1, 0), 'reserved flag bits set (0x13)', 'refusedMalformed'],
    ['a segment past the chunk end', Uint8Array.of(0x03, 10, 1, 2, 3), 'a segment of 10 bytes runs past the end of its 5-byte channel message', 'refusedMalformed'],
    ['a truncated varint', Uint8Array.of(0x03, 0x80), 'a truncated or over-long segment length', 'refusedMalformed'],
    ['an over-long varint', Uint8Array.of(0x03, 0x80, 0x80, 0x80, 0x80, 0x01), 'a truncated or over-long segment length', 'refusedMalformed'],
    ['a continuation with no frame begun', Uint8Array.of(0x02, 1, 7), 'a fragment with no frame begun', 'refusedMalformed'],
    ['a first fragment holding the whole frame', Uint8Array.of(0x01, 2, 2, 7, 7), 'a first fragment of 2 bytes for a frame of 2', 'refusedMalformed'],
    ['a frame begun inside a split one', Uint8Array.of(0x01, 9, 1, 7, 0x01, 9, 1, 7), 'a frame begun inside a split one', 'refusedMalformed'],
    ['a whole frame inside a split one', Uint8Array.of(0x01, 9, 1, 7, 0x03, 1, 7), 'a whole frame inside a split one', 'refusedMalformed'],
    ['fragments past the announced length', Uint8Array.of(0x01, 3, 2, 7, 7, 0x00, 2, 7, 7), 'fragments past the announced 3 bytes of their frame', 'refusedMalformed'],
    ['a frame ended short of its announced length', Uint8Array.of(0x01, 5, 2, 7, 7, 0x02, 1, 7), 'a frame ended at 3 of its announced 5 bytes', 'refusedMalformed'],
    ['a goodbye with other flags', Uint8Array.of(0x05, 0), 'a goodbye with other flags (0x5)', 'refusedMalformed'],
    ['a frame announced over maxMessageBytes', Uint8Array.of(0x01, 0x81, 0x80, 0x40, 1, 7), 'a frame of 1048577 bytes is over maxMessageBytes (4096)', 'refusedTooLarge'],
    ['a whole frame over maxMessageBytes', (() => { const m = new Uint8Array(4_100); m.set([0x03, 0x81, 0x20]); return m })(), 'a frame of 4097 bytes is over maxMessageBytes (4096)', 'refusedTooLarge'],
  ]

  it.each(cases)('%s closes the connection (local), counted, with the reason sent to the far side', async (_, data, detail, counter) => {
    const { there, got, goodbye } = await feed(data)
    const prefix = counter === 'refusedTooLarge' ? REFUSED_TOO_LARGE : REFUSED_MALFORMED
    expect(got.closes).toEqual([{ initiator: 'local', reason: `${prefix}: ${detail}` }])
    expect(there.traffic[counter]).toBe(1)
    expect(got.frames).toEqual([])
    expect(goodbye.initiator).toBe('local')
  })

  it('the far side learns why it was refused from the goodbye', async () => {
    const { a, b, got, sent, pumpAll } = setup(opts)
    void got
    b.receive('hello')
    pumpAll()
    await turn()
    expect(sent.closes).toEqual([{ initiator: 'remote', reason: REFUSED_TEXT }])
    expect(a.readyState).toBe('closed')
  })

  it('a text message closes the connection as refusedText', async () => {
    const { there, got } = await feed('not binary')
    expect(got.closes).toEqual([{ initiator: 'local', reason: REFUSED_TEXT }])
    expect(there.traffic.refusedText).toBe(1)
  })

  it('a Blob (a channel ignoring binaryType) closes the connection as malformed', async () => {
    const { there, got } = await feed(new Blob([Uint8Array.of(3, 0)]))
    expect(got.closes[0].reason).toMatch(new RegExp(`^${REFUSED_MALFORMED}: `))
    expect(there.traffic.refusedMalformed).toBe(1)
  })

  it('frames before a malformed segment of the same chunk are delivered; nothing after it', async () => {
    const { got } = await feed(Uint8Array.of(0x03, 1, 7, 0x03, 1, 8, 0x40))
    expect(got.frames).toEqual([Uint8Array.of(7), Uint8Array.of(8)])
    expect(got.closes[0].reason).toBe(`${REFUSED_MALFORMED}: reserved flag bits set (0x40)`)
  })

  it('frames piling up with no message handler past maxBufferedBytes close the connection as refusedBacklog', async () => {
    const { a, b, pumpAll } = fakeChannelPair()
    const here = new ChannelConnection(a)
    const there = new ChannelConnection(b, { maxMessageBytes: 4_096, maxBufferedBytes: 8_192 })
    made.push(here)
    const closes: CloseInfo[] = []
    there.onClose((info) => closes.push(info))
    for (let i = 0; i < 3; i++) here.send(new Uint8Array(4_000))
    await turn()
    pumpAll()
    await turn()
    expect(closes).toEqual([{ initiator: 'local', reason: REFUSED_BACKLOG }])
    expect(there.traffic.refusedBacklog).toBe(1)
  })

  it('a flood of tiny fragments is bounded by the announced length and never throws', async () => {
    const { b, there, got } = setup(opts)
    b.receive(Uint8Array.of(0x01, 0x80, 0x20, 1, 0)) // a 4,096-byte frame begun
    for (let i = 0; i < 4_095; i++) b.receive(Uint8Array.of(0x00, 1, i & 0xff))
    b.receive(Uint8Array.of(0x00, 1, 0))
    await turn()
    expect(got.closes).toEqual([{ initiator: 'local', reason: `${REFUSED_MALFORMED}: fragments past the announced 4096 bytes of their frame` }])
    expect(there.traffic.chunksReceived).toBe(4_097)
  })
})

describe('ChannelConnection: options', () => {
  const { a } = fakeChannelPair()
  it.each([
    [{ chunkBytes: 100 }, 'chunkBytes must be an integer from 256 to 1048576, got 100'],
    [{ chunkBytes: 1.5 }, 'chunkBytes must be an integer from 256 to 1048576, got 1.5'],
    [{ maxMessageBytes: -1 }, 'maxMessageBytes must be an integer from 0 to 268435455, got -1'],
    [{ maxMessageBytes: 1_000, maxBufferedBytes: 999 }, 'maxBufferedBytes must be a finite number from 1000 to 1099511627776, got 999'],
    [{ highWaterMarkBytes: 2 ** 30 }, 'highWaterMarkBytes must be a finite number from 0 to 16777216, got 1073741824'],
    [{ lowWaterMarkBytes: 2 * MIB }, 'lowWaterMarkBytes must be a finite number from 0 to 1048576, got 2097152'],
    [{ direction: 'sideways' }, `direction must be 'inbound' or 'outbound', got "sideways"`],
    [{ remoteAddress: 7 }, 'remoteAddress must be a string, got 7'],
    [{ traffic: {} }, 'traffic must be a ChannelTraffic object (newChannelTraffic()), got [object Object]'],
    [{ closeTimeoutMs: -1 }, 'closeTimeoutMs must be a finite, non-negative time in milliseconds, got -1'],
    [{ clock: Date }, 'clock must be a Clock (now, setTimeout, clearTimeout), got ' + String(Date)],
  ])('%j is refused with TRANSPORT_INVALID_OPTION', (options, message) => {
    expect(() => new ChannelConnection(a, options as ChannelConnectionOptions)).toThrow(new TransportError('TRANSPORT_INVALID_OPTION', message))
  })

  it('a channel that is not open is refused with TRANSPORT_INVALID_STATE', () => {
    const { a: connecting } = fakeChannelPair()
    connecting.readyState = 'connecting'
    expect(codeOf(() => new ChannelConnection(connecting))).toBe('TRANSPORT_INVALID_STATE')
    expect(codeOf(() => new ChannelConnection({} as FakeChannel))).toBe('TRANSPORT_INVALID_OPTION')
  })

  it('send() of something other than a Uint8Array throws TRANSPORT_INVALID_OPTION', () => {
    const connection = new ChannelConnection(fakeChannelPair().a)
    made.push(connection)
    expect(codeOf(() => connection.send('text' as unknown as Uint8Array))).toBe('TRANSPORT_INVALID_OPTION')
  })
})
