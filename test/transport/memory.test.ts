import { describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { ManualClock } from '../../src/util/clock.js'
import { MemoryNetwork, TransportError, type CloseInfo, type Connection, type MemoryConnection, type MemoryNetworkOptions, type MemoryTransport } from '../../src/transport/index.js'

/** A network on virtual time, with helpers to move it and to build connected pairs. */
function setup(options: MemoryNetworkOptions = {}) {
  const clock = new ManualClock()
  const net = new MemoryNetwork({ clock, ...options })
  return {
    clock,
    net,
    /** Creates a listening transport; its accepted connections are collected. */
    async listener(name: string) {
      const transport = net.createTransport(name)
      const accepted: Connection[] = []
      await transport.listen((connection) => accepted.push(connection))
      return { transport, accepted }
    },
    /** Advances virtual time, then lets promise callbacks run. */
    async advance(ms: number) {
      clock.advance(ms)
      await flush()
    },
    /** Dials (a bare name means 'memory://name') and advances until the dial settles. */
    async connect(from: MemoryTransport, to: string) {
      const dial = from.dial(to.startsWith('memory://') ? to : `memory://${to}`)
      let settled = false
      dial.then(() => (settled = true), () => (settled = true))
      while (!settled) {
        if (!clock.runNext()) await flush()
        await flush()
      }
      return dial
    },
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve))

function collect(connection: Connection) {
  const frames: number[][] = []
  const closes: CloseInfo[] = []
  connection.onMessage((frame) => frames.push([...frame]))
  connection.onClose((info) => closes.push(info))
  return { frames, closes }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(TransportError)
    return (error as TransportError).code
  }
  return undefined
}

function syncCodeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(TransportError)
    return (error as TransportError).code
  }
  return undefined
}

describe('MemoryNetwork: dial, listen, send', () => {
  it('a dial reaches the listener after one latency and resolves after a round trip', async () => {
    const { clock, net, listener, advance } = setup({ latencyMs: 10 })
    const { accepted } = await listener('bob')
    const alice = net.createTransport('alice')
    expect([alice.kind, alice.localAddress]).toEqual(['memory', 'memory://alice'])
    let outbound: Connection | undefined
    void alice.dial('memory://bob').then((connection) => (outbound = connection))
    await advance(9)
    expect(accepted.length).toBe(0)
    await advance(1)
    expect(accepted.length).toBe(1)
    expect(outbound).toBeUndefined()
    await advance(10)
    expect(outbound).toBeDefined()
    const inbound = accepted[0]
    expect([outbound!.direction, outbound!.localAddress, outbound!.remoteAddress]).toEqual(['outbound', 'memory://alice', 'memory://bob'])
    expect([inbound.direction, inbound.localAddress, inbound.remoteAddress]).toEqual(['inbound', 'memory://bob', 'memory://alice'])
    expect(outbound!.id).not.toBe(inbound.id)
    expect(outbound!.isOpen && inbound.isOpen).toBe(true)
    expect(clock.now()).toBe(20)
  })

  it('frames arrive whole, in order, exactly one latency after send, never synchronously', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 25 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'memory://bob')
    const inbound = collect(accepted[0])
    const back = collect(outbound)
    const sentAt = clock.now()
    outbound.send(Uint8Array.of(1, 2, 3))
    outbound.send(new Uint8Array(0))
    accepted[0].send(Uint8Array.of(9))
    expect(inbound.frames).toEqual([])
    clock.advance(24)
    expect(inbound.frames).toEqual([])
    clock.advance(1)
    expect(inbound.frames).toEqual([[1, 2, 3], []])
    expect(back.frames).toEqual([[9]])
    expect(clock.now() - sentAt).toBe(25)
  })

  it('with zero latency a frame still arrives from a timer, on the next advance', async () => {
    const { clock, net, listener, connect } = setup()
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const inbound = collect(accepted[0])
    outbound.send(Uint8Array.of(7))
    expect(inbound.frames).toEqual([])
    clock.advance(0)
    expect(inbound.frames).toEqual([[7]])
  })

  it('copies a frame at send, so the sender may reuse its buffer', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 1 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const inbound = collect(accepted[0])
    const buffer = Uint8Array.of(1, 1)
    outbound.send(buffer)
    buffer[0] = 99
    outbound.send(buffer.subarray(0, 1))
    clock.advance(1)
    expect(inbound.frames).toEqual([[1, 1], [99]])
  })

  it('copies large frames too, and small ones arrive as separate, aligned views', async () => {
    const { clock, net, listener, connect } = setup()
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const got: Uint8Array[] = []
    accepted[0].onMessage((frame) => got.push(frame))
    const big = new Uint8Array(5_000).fill(1)
    const small = Uint8Array.of(1, 2, 3)
    outbound.send(big)
    outbound.send(small)
    outbound.send(small)
    big.fill(2)
    small.fill(9)
    clock.advance(0)
    expect(got[0].every((byte) => byte === 1)).toBe(true)
    expect([...got[1]]).toEqual([1, 2, 3])
    got[1][0] = 77 // a receiver may write its own frame without touching another's
    expect([...got[2]]).toEqual([1, 2, 3])
    expect(got.every((frame) => frame.byteOffset % 8 === 0)).toBe(true)
  })

  it('copyFrames: false hands over the sender\'s own array', async () => {
    const { clock, net, listener, connect } = setup({ copyFrames: false })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const got: Uint8Array[] = []
    accepted[0].onMessage((frame) => got.push(frame))
    const frame = Uint8Array.of(1)
    outbound.send(frame)
    clock.advance(0)
    expect(got[0]).toBe(frame)
  })

  it('runs on the system clock by default', async () => {
    const net = new MemoryNetwork({ latencyMs: 2 })
    const bob = net.createTransport('bob')
    const received = new Promise<number[]>((resolve) => {
      void bob.listen((connection) => connection.onMessage((frame) => resolve([...frame])))
    })
    const alice = net.createTransport('alice')
    const connection = await alice.dial('memory://bob')
    connection.send(Uint8Array.of(4, 2))
    expect(await received).toEqual([4, 2])
    await net.close()
  })

  it('counts traffic per transport and for the network', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 1 })
    const { transport: bob, accepted } = await listener('bob')
    const alice = net.createTransport('alice')
    const outbound = await connect(alice, 'bob')
    accepted[0].onMessage(() => {})
    outbound.send(new Uint8Array(10))
    outbound.send(new Uint8Array(5))
    clock.advance(1)
    expect(alice.stats()).toEqual({ messagesSent: 2, bytesSent: 15, messagesReceived: 0, bytesReceived: 0, connections: 1 })
    expect(bob.stats()).toEqual({ messagesSent: 0, bytesSent: 0, messagesReceived: 2, bytesReceived: 15, connections: 1 })
    expect(net.stats()).toEqual({
      transports: 2, connections: 2, messagesSent: 2, bytesSent: 15, messagesDelivered: 2, bytesDelivered: 15, messagesInFlight: 0,
      dropped: { loss: 0, cut: 0, closed: 0 },
    })
  })

  it('frames that arrive before a message handler is set wait for it, in order', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 5 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    for (let i = 0; i < 3; i++) outbound.send(Uint8Array.of(i))
    clock.advance(50)
    expect(net.stats().messagesInFlight).toBe(3)
    const inbound = collect(accepted[0])
    expect(inbound.frames).toEqual([])
    clock.advance(0)
    expect(inbound.frames).toEqual([[0], [1], [2]])
  })

  it('the listener may send the moment it accepts; the dialler reads it once dial() resolves', async () => {
    const { clock, net } = setup({ latencyMs: 10 })
    const bob = net.createTransport('bob')
    await bob.listen((connection) => connection.send(Uint8Array.of(42)))
    const dial = net.createTransport('alice').dial('memory://bob')
    clock.advance(20)
    const outbound = await dial
    const got = collect(outbound)
    clock.advance(0)
    expect(got.frames).toEqual([[42]])
  })

  it('a connection to its own address works (loopback)', async () => {
    const { clock, listener, connect } = setup({ latencyMs: 3 })
    const { transport, accepted } = await listener('solo')
    const outbound = await connect(transport, 'memory://solo')
    const inbound = collect(accepted[0])
    outbound.send(Uint8Array.of(5))
    clock.advance(3)
    expect(inbound.frames).toEqual([[5]])
  })
})

describe('MemoryNetwork: dial failures', () => {
  it('dialling an address nobody listens on is refused after one round trip', async () => {
    const { clock, net } = setup({ latencyMs: 15 })
    const alice = net.createTransport('alice')
    const silent = net.createTransport('silent') // exists, not listening
    const results: string[] = []
    for (const target of ['memory://nobody', silent.localAddress]) {
      void codeOf(alice.dial(target)).then((code) => results.push(`${code}@${clock.now()}`))
    }
    clock.advance(29)
    await flush()
    expect(results).toEqual([])
    clock.advance(1)
    await flush()
    expect(results).toEqual(['TRANSPORT_UNREACHABLE@30', 'TRANSPORT_UNREACHABLE@30'])
    expect(clock.pending).toBe(0)
  })

  it('rejects malformed addresses and other schemes with TRANSPORT_BAD_ADDRESS', async () => {
    const { net } = setup()
    const alice = net.createTransport('alice')
    for (const bad of ['bob', 'ws://bob', 'memory://', 'memory://has space', `memory://${'x'.repeat(257)}`]) {
      expect(await codeOf(alice.dial(bad))).toBe('TRANSPORT_BAD_ADDRESS')
    }
    expect(syncCodeOf(() => net.createTransport('a/b'))).toBe('TRANSPORT_BAD_ADDRESS')
    expect(syncCodeOf(() => net.cut('bad name', 'alice'))).toBe('TRANSPORT_BAD_ADDRESS')
  })

  it('an address is unique among open transports and free again once closed', async () => {
    const { net } = setup()
    const first = net.createTransport('memory://taken')
    expect(syncCodeOf(() => net.createTransport('taken'))).toBe('TRANSPORT_ADDRESS_IN_USE')
    await first.close()
    expect(net.createTransport('taken').localAddress).toBe('memory://taken')
    const auto = [net.createTransport(), net.createTransport()]
    expect(auto[0].localAddress).not.toBe(auto[1].localAddress)
    expect(auto[0].localAddress.startsWith('memory://')).toBe(true)
  })

  it('a dial times out after timeoutMs (or dialTimeoutMs) when nothing answers across a cut', async () => {
    const { clock, net, listener } = setup({ latencyMs: 5, dialTimeoutMs: 1_000 })
    await listener('bob')
    const alice = net.createTransport('alice')
    net.cut('alice', 'bob')
    const results: string[] = []
    void codeOf(alice.dial('memory://bob')).then((code) => results.push(`${code}@${clock.now()}`))
    void codeOf(alice.dial('memory://bob', { timeoutMs: 200 })).then((code) => results.push(`${code}@${clock.now()}`))
    for (const step of [199, 1, 799, 1]) {
      clock.advance(step)
      await flush()
    }
    expect(results).toEqual(['TRANSPORT_TIMEOUT@200', 'TRANSPORT_TIMEOUT@1000'])
    expect(clock.pending).toBe(0)
    expect(await codeOf(alice.dial('memory://bob', { timeoutMs: -1 }))).toBe('TRANSPORT_INVALID_OPTION')
  })

  it('an aborted dial rejects with an AbortError carrying TRANSPORT_ABORTED, and the listener side is closed', async () => {
    const { clock, net, listener } = setup({ latencyMs: 10 })
    const { accepted } = await listener('bob')
    const alice = net.createTransport('alice')
    const before = new AbortController()
    before.abort()
    const early = await alice.dial('memory://bob', { signal: before.signal }).catch((error: unknown) => error)
    expect(early).toBeInstanceOf(TransportError)
    expect([(early as TransportError).name, (early as TransportError).code]).toEqual(['AbortError', 'TRANSPORT_ABORTED'])

    const controller = new AbortController()
    const dial = codeOf(alice.dial('memory://bob', { signal: controller.signal }))
    clock.advance(10) // the listener has accepted
    expect(accepted.length).toBe(1)
    const inbound = collect(accepted[0])
    controller.abort()
    expect(await dial).toBe('TRANSPORT_ABORTED')
    clock.advance(10)
    expect(inbound.closes).toEqual([{ initiator: 'remote', reason: expect.stringContaining('aborted') }])
    expect(clock.pending).toBe(0)
  })

  it('closing the dialling transport rejects its pending dials with TRANSPORT_CLOSED; dialling after close does too', async () => {
    const { clock, net, listener } = setup({ latencyMs: 10 })
    await listener('bob')
    const alice = net.createTransport('alice')
    const dial = codeOf(alice.dial('memory://bob'))
    clock.advance(5)
    await alice.close()
    expect(await dial).toBe('TRANSPORT_CLOSED')
    expect(await codeOf(alice.dial('memory://bob'))).toBe('TRANSPORT_CLOSED')
    expect(await codeOf(alice.listen(() => {}))).toBe('TRANSPORT_CLOSED')
    clock.runAll()
    expect(clock.pending).toBe(0)
  })

  it('listening twice is refused', async () => {
    const { listener } = setup()
    const { transport } = await listener('bob')
    expect(await codeOf(transport.listen(() => {}))).toBe('TRANSPORT_INVALID_STATE')
  })
})

describe('MemoryNetwork: limits and backpressure', () => {
  it('refuses a frame over maxMessageBytes (256 KiB by default) with TRANSPORT_TOO_LARGE; exactly the limit passes', async () => {
    const { clock, net, listener, connect } = setup()
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const inbound = collect(accepted[0])
    expect(outbound.maxMessageBytes).toBe(262_144)
    expect(syncCodeOf(() => outbound.send(new Uint8Array(262_145)))).toBe('TRANSPORT_TOO_LARGE')
    expect(outbound.send(new Uint8Array(262_144))).toBe(true)
    clock.advance(0)
    expect(inbound.frames.length).toBe(1)
    expect(net.stats().messagesSent).toBe(1)

    const small = setup({ maxMessageBytes: 16 })
    const { accepted: smallAccepted } = await small.listener('b')
    const smallOut = await small.connect(small.net.createTransport('a'), 'b')
    expect(smallAccepted[0].maxMessageBytes).toBe(16)
    expect(syncCodeOf(() => smallOut.send(new Uint8Array(17)))).toBe('TRANSPORT_TOO_LARGE')
  })

  it('models bandwidth: transmission time adds to latency and bufferedAmount counts the backlog', async () => {
    // 1,000 bytes a second is one byte a millisecond.
    const { clock, net, listener, connect } = setup({ latencyMs: 10, bandwidthBytesPerSec: 1_000, highWaterMarkBytes: 10_000, lowWaterMarkBytes: 0, maxBufferedBytes: 20_000 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const arrivals: number[] = []
    accepted[0].onMessage(() => arrivals.push(clock.now()))
    const start = clock.now()
    outbound.send(new Uint8Array(100))
    outbound.send(new Uint8Array(50))
    expect(outbound.bufferedAmount).toBe(150)
    clock.advance(60)
    expect(outbound.bufferedAmount).toBe(90)
    clock.runAll()
    expect(arrivals.map((t) => t - start)).toEqual([110, 160])
    expect(outbound.bufferedAmount).toBe(0)
  })

  it('send() returns false past the high-water mark, onDrain fires at the low-water mark, and the hard limit throws', async () => {
    const { clock, net, listener, connect } = setup({
      bandwidthBytesPerSec: 1_000_000, // 1,000 bytes a millisecond
      highWaterMarkBytes: 10_000,
      lowWaterMarkBytes: 2_000,
      maxBufferedBytes: 20_000,
    })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    collect(accepted[0])
    const drains: number[] = []
    outbound.onDrain(() => drains.push(clock.now()))
    const start = clock.now()
    const results: boolean[] = []
    for (let i = 0; i < 11; i++) results.push(outbound.send(new Uint8Array(1_000)))
    expect(results).toEqual([...new Array(10).fill(true), false])
    expect(outbound.bufferedAmount).toBe(11_000)
    // More sends are still accepted up to the hard limit...
    for (let i = 0; i < 9; i++) outbound.send(new Uint8Array(1_000))
    expect(outbound.bufferedAmount).toBe(20_000)
    // ...and past it they throw, taking nothing.
    expect(syncCodeOf(() => outbound.send(new Uint8Array(1)))).toBe('TRANSPORT_BUFFER_FULL')
    expect(net.stats().messagesSent).toBe(20)
    clock.advance(17)
    expect(drains).toEqual([])
    clock.advance(1)
    // 20,000 bytes at 1,000 a millisecond fall to 2,000 after 18 ms.
    expect(drains.map((t) => t - start)).toEqual([18])
    expect(outbound.bufferedAmount).toBe(2_000)
    clock.runAll()
    expect(drains.length).toBe(1)
    expect(net.stats().messagesDelivered).toBe(20)
  })

  it('without a bandwidth limit bufferedAmount stays 0 and send() always returns true', async () => {
    const { net, listener, connect } = setup()
    await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    for (let i = 0; i < 100; i++) expect(outbound.send(new Uint8Array(100_000))).toBe(true)
    expect(outbound.bufferedAmount).toBe(0)
  })

  it('a receiver that reads nothing pushes back as a real link would: bufferedAmount counts what waits, send() returns false, then throws; reading again drains', async () => {
    const { clock, net, listener, connect } = setup({ highWaterMarkBytes: 10_000, lowWaterMarkBytes: 2_000, maxBufferedBytes: 20_000 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const drains: number[] = []
    outbound.onDrain(() => drains.push(clock.now()))
    // Bob sets no message handler: the first frame arrives and waits, and so does everything after it.
    expect(outbound.send(new Uint8Array(1_000))).toBe(true)
    clock.runAll()
    expect(outbound.bufferedAmount).toBe(1_000)
    const results: boolean[] = []
    for (let i = 0; i < 10; i++) results.push(outbound.send(new Uint8Array(1_000)))
    expect(results).toEqual([...new Array(9).fill(true), false])
    expect(outbound.bufferedAmount).toBe(11_000)
    for (let i = 0; i < 9; i++) outbound.send(new Uint8Array(1_000))
    expect(syncCodeOf(() => outbound.send(new Uint8Array(1_000)))).toBe('TRANSPORT_BUFFER_FULL')
    expect(outbound.bufferedAmount).toBe(20_000)
    clock.runAll()
    expect(drains).toEqual([])
    const received = collect(accepted[0])
    clock.runAll()
    expect(received.frames).toHaveLength(20)
    expect(outbound.bufferedAmount).toBe(0)
    expect(drains).toHaveLength(1)
  })

  it('a receiver that paused its reading pushes back the same way, and resumeReading() delivers what waited and drains', async () => {
    const { clock, net, listener, connect } = setup({ highWaterMarkBytes: 10_000, lowWaterMarkBytes: 2_000, maxBufferedBytes: 20_000 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const drains: number[] = []
    outbound.onDrain(() => drains.push(clock.now()))
    const received = collect(accepted[0])
    outbound.send(Uint8Array.of(0))
    clock.runAll()
    expect(received.frames).toHaveLength(1)
    // Paused mid-delivery, from the handler, as a node does when a frame passes its budget.
    const inbound = accepted[0] as MemoryConnection
    inbound.onMessage((frame) => {
      received.frames.push([...frame])
      if (frame[0] === 1) inbound.pauseReading()
    })
    const results: boolean[] = []
    for (let i = 1; i <= 12; i++) results.push(outbound.send(new Uint8Array(1_000).fill(i)))
    clock.runAll()
    // Frame 1 arrived and paused the reader; 2 to 12 wait (11,000 bytes, past the high-water mark).
    expect(received.frames.map((frame) => frame[0])).toEqual([0, 1])
    expect(outbound.bufferedAmount).toBe(11_000)
    // In flight when sent, so every one was taken; from here on the wait is past the high-water mark.
    expect(results).toEqual(new Array(12).fill(true))
    const late: boolean[] = []
    for (let i = 13; i <= 21; i++) late.push(outbound.send(new Uint8Array(1_000).fill(i)))
    expect(late).toEqual(new Array(9).fill(false))
    expect(syncCodeOf(() => outbound.send(new Uint8Array(1_000)))).toBe('TRANSPORT_BUFFER_FULL')
    clock.runAll()
    expect(drains).toEqual([])
    inbound.resumeReading()
    clock.runAll()
    expect(received.frames.map((frame) => frame[0])).toEqual(Array.from({ length: 22 }, (_, i) => i))
    expect(outbound.bufferedAmount).toBe(0)
    expect(drains).toHaveLength(1)
  })

  it('closing drops at once the frames still on their way to the closing end', async () => {
    const { clock, net, listener, connect } = setup({ bandwidthBytesPerSec: 1_000 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    for (let i = 0; i < 10; i++) outbound.send(new Uint8Array(1_000))
    accepted[0].close()
    outbound.close()
    // Ten seconds of frames were in flight at 1 KB/s: none is left to deliver.
    expect(clock.pending).toBeLessThanOrEqual(2)
    clock.runAll()
    expect(clock.now()).toBeLessThan(1_000)
    expect(net.stats().messagesDelivered).toBe(0)
  })

  it('validates its options', () => {
    const bad: Array<[MemoryNetworkOptions, string]> = [
      [{ latencyMs: -1 }, 'latencyMs'],
      [{ jitterMs: Number.NaN }, 'jitterMs'],
      [{ loss: 1.5 }, 'loss'],
      [{ bandwidthBytesPerSec: 0 }, 'bandwidthBytesPerSec'],
      [{ maxMessageBytes: 0 }, 'maxMessageBytes'],
      [{ highWaterMarkBytes: 10, lowWaterMarkBytes: 20 }, 'lowWaterMarkBytes'],
      [{ dialTimeoutMs: -5 }, 'dialTimeoutMs'],
      [{ seed: 0.5 }, 'seed'],
    ]
    for (const [options, name] of bad) {
      expect(() => new MemoryNetwork(options), name).toThrow(name)
    }
    const { net } = setup()
    expect(syncCodeOf(() => net.setLoss('a', 'b', -0.1))).toBe('TRANSPORT_INVALID_OPTION')
    expect(syncCodeOf(() => net.setLatency('a', 'b', Infinity))).toBe('TRANSPORT_INVALID_OPTION')
  })
})

describe('MemoryNetwork: ordering, jitter and loss', () => {
  it('keeps order on a connection under heavy jitter, while jitter does spread arrivals', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 5, jitterMs: 100, seed: 3 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const got: number[] = []
    const delays: number[] = []
    const sentAt = new Map<number, number>()
    accepted[0].onMessage((frame) => {
      const id = frame[0] | (frame[1] << 8)
      got.push(id)
      delays.push(clock.now() - (sentAt.get(id) as number))
    })
    for (let i = 0; i < 2_000; i++) {
      sentAt.set(i, clock.now())
      outbound.send(Uint8Array.of(i & 0xff, i >> 8))
      if (i % 4 === 0) clock.advance(1) // some frames share a send time, most do not
    }
    clock.runAll()
    expect(got).toEqual(Array.from({ length: 2_000 }, (_, i) => i))
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(5)
    expect(Math.max(...delays)).toBeGreaterThan(60)
  })

  it('property: per-connection order holds for any latency, jitter and send schedule', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 80 }),
        async (latencyMs, jitterMs, seed, gaps) => {
          const { clock, net, listener, connect } = setup({ latencyMs, jitterMs, seed })
          const { accepted } = await listener('bob')
          const outbound = await connect(net.createTransport('alice'), 'bob')
          const got: number[] = []
          accepted[0].onMessage((frame) => got.push(frame[0]))
          gaps.forEach((gap, i) => {
            clock.advance(gap)
            outbound.send(Uint8Array.of(i))
          })
          clock.runAll()
          expect(got).toEqual(gaps.map((_, i) => i))
        },
      ),
      { numRuns: 60 },
    )
  })

  it('drops close to the configured loss rate, deterministically for a seed', async () => {
    async function run(seed: number) {
      const { clock, net, listener, connect } = setup({ loss: 0.2, latencyMs: 3, seed })
      const { accepted } = await listener('bob')
      const outbound = await connect(net.createTransport('alice'), 'bob')
      const got: number[] = []
      accepted[0].onMessage((frame) => got.push(frame[0] | (frame[1] << 8)))
      for (let i = 0; i < 10_000; i++) outbound.send(Uint8Array.of(i & 0xff, i >> 8))
      clock.runAll()
      return { got, stats: net.stats() }
    }
    const first = await run(12)
    const again = await run(12)
    const other = await run(13)
    expect(again.got).toEqual(first.got)
    expect(other.got).not.toEqual(first.got)
    // 2,000 expected; 4 standard deviations is 160.
    expect(first.stats.dropped.loss).toBeGreaterThan(1_840)
    expect(first.stats.dropped.loss).toBeLessThan(2_160)
    expect(first.stats.messagesDelivered + first.stats.dropped.loss).toBe(10_000)
    expect(first.stats.messagesInFlight).toBe(0)
    // What survives keeps its order.
    expect(first.got).toEqual([...first.got].sort((a, b) => a - b))
  })

  it('per-link settings: setLatency, one-way setLink, setLoss, linkFor, resetLink', async () => {
    const { clock, net, listener, connect } = setup({
      latencyMs: 10,
      linkFor: (from, to) => (from === 'memory://far' || to === 'memory://far' ? { latencyMs: 100 } : undefined),
    })
    const { accepted } = await listener('bob')
    await listener('far')
    const alice = net.createTransport('alice')
    const toBob = await connect(alice, 'bob')
    const arrival = async (connection: Connection, peer: Connection) => {
      let at = -1
      peer.onMessage(() => (at = clock.now()))
      const sentAt = clock.now()
      connection.send(Uint8Array.of(1))
      clock.runAll()
      return at - sentAt
    }
    expect(await arrival(toBob, accepted[0])).toBe(10)
    net.setLatency('alice', 'bob', 40)
    expect(await arrival(toBob, accepted[0])).toBe(40)
    expect(await arrival(accepted[0], toBob)).toBe(40)
    net.setLink('memory://alice', 'memory://bob', { latencyMs: 1 }, { oneWay: true })
    expect(await arrival(toBob, accepted[0])).toBe(1)
    expect(await arrival(accepted[0], toBob)).toBe(40)
    net.resetLink('alice', 'bob')
    expect(await arrival(toBob, accepted[0])).toBe(10)
    net.setLoss('alice', 'bob', 1)
    expect(await arrival(toBob, accepted[0])).toBeLessThan(0)
    const before = clock.now()
    await connect(alice, 'far')
    expect(clock.now() - before).toBe(200)
  })
})

describe('MemoryNetwork: cut, heal, partition, disconnect', () => {
  it('cut drops frames in flight and frames sent while cut, keeps connections open; heal restores delivery', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 10 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const inbound = collect(accepted[0])
    const back = collect(outbound)
    outbound.send(Uint8Array.of(1))
    accepted[0].send(Uint8Array.of(2))
    clock.advance(5)
    net.cut('alice', 'memory://bob')
    expect(net.isCut('bob', 'alice')).toBe(true)
    expect(clock.pending).toBe(0)
    outbound.send(Uint8Array.of(3))
    clock.advance(100)
    expect(inbound.frames).toEqual([])
    expect(back.frames).toEqual([])
    expect(outbound.isOpen && accepted[0].isOpen).toBe(true)
    expect(net.stats().dropped.cut).toBe(3)
    net.heal('bob', 'alice')
    expect(net.isCut('alice', 'bob')).toBe(false)
    outbound.send(Uint8Array.of(4))
    clock.advance(10)
    expect(inbound.frames).toEqual([[4]])
    expect(inbound.closes).toEqual([])
  })

  it('a close across a cut goes unnoticed by the other side, as in a real partition', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 10 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const inbound = collect(accepted[0])
    net.cut('alice', 'bob')
    outbound.close('bye')
    clock.runAll()
    expect(inbound.closes).toEqual([])
    expect(accepted[0].isOpen).toBe(true)
    net.heal('alice', 'bob')
    accepted[0].send(Uint8Array.of(1))
    clock.runAll()
    expect(net.stats().dropped.closed).toBe(1)
    accepted[0].close()
    clock.runAll()
    expect(clock.pending).toBe(0)
  })

  it('partition() splits islands (unlisted addresses together) in O(connections) and healPartition() joins them', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 1 })
    const names = ['a', 'b', 'c', 'd']
    const transports = new Map<string, MemoryTransport>()
    const received = new Map<string, number>()
    for (const name of names) {
      const { transport } = await listener(name)
      transports.set(name, transport)
    }
    // Full mesh: every ordered pair dials, each inbound end counts what it receives.
    const outbound: Connection[] = []
    for (const from of names) {
      for (const to of names) {
        if (from === to) continue
        const connection = await connect(transports.get(from)!, `memory://${to}`)
        outbound.push(connection)
      }
    }
    for (const name of names) {
      for (const connection of transports.get(name)!.connections) {
        connection.onMessage(() => received.set(`${connection.remoteAddress.slice(9)}>${name}`, (received.get(`${connection.remoteAddress.slice(9)}>${name}`) ?? 0) + 1))
      }
    }
    net.partition([['a', 'b'], ['c']])
    expect([net.isCut('a', 'b'), net.isCut('a', 'c'), net.isCut('c', 'd'), net.isCut('a', 'd'), net.isCut('memory://d', 'zzz')]).toEqual([false, true, true, true, false])
    for (const connection of outbound) connection.send(Uint8Array.of(1))
    clock.runAll()
    expect([...received.keys()].sort()).toEqual(['a>b', 'b>a'])
    net.healPartition()
    received.clear()
    for (const connection of outbound) connection.send(Uint8Array.of(1))
    clock.runAll()
    expect(received.size).toBe(12)
  })

  it('disconnect() closes both ends at once with initiator network and drops what was in flight', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 10 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const inbound = collect(accepted[0])
    const back = collect(outbound)
    outbound.send(Uint8Array.of(1))
    net.disconnect('alice', 'bob')
    expect(outbound.isOpen || accepted[0].isOpen).toBe(false)
    clock.advance(0)
    expect(inbound.closes).toEqual([{ initiator: 'network', reason: 'reset' }])
    expect(back.closes).toEqual([{ initiator: 'network', reason: 'reset' }])
    clock.runAll()
    expect(inbound.frames).toEqual([])
    expect(net.stats().dropped.closed).toBe(1)
    expect(net.stats().connections).toBe(0)
    expect(clock.pending).toBe(0)
  })
})

describe('MemoryNetwork: closing', () => {
  it('close() delivers what was sent, then tells the other side; later frames are dropped and sending throws', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 10 })
    const { accepted } = await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    const inbound = collect(accepted[0])
    const back = collect(outbound)
    const log: string[] = []
    accepted[0].onMessage((frame) => log.push(`frame ${frame[0]}`))
    accepted[0].onClose((info) => log.push(`close ${info.initiator} ${info.reason}`))
    outbound.send(Uint8Array.of(1))
    outbound.send(Uint8Array.of(2))
    outbound.close('done')
    outbound.close('again') // idempotent
    expect(outbound.isOpen).toBe(false)
    expect(syncCodeOf(() => outbound.send(Uint8Array.of(3)))).toBe('TRANSPORT_CLOSED')
    clock.advance(0)
    expect(back.closes).toEqual([{ initiator: 'local', reason: 'done' }])
    // Bob, not yet told, still sends: the frame reaches a closed end and is dropped.
    accepted[0].send(Uint8Array.of(9))
    clock.advance(10)
    expect(log).toEqual(['frame 1', 'frame 2', 'close remote done'])
    expect(accepted[0].isOpen).toBe(false)
    clock.runAll()
    expect(back.frames).toEqual([])
    expect(inbound.frames).toEqual([])
    expect(net.stats().dropped.closed).toBe(1)
    expect(net.stats().connections).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('a close handler set after the connection closed is still called, once', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 1 })
    await listener('bob')
    const outbound = await connect(net.createTransport('alice'), 'bob')
    outbound.close()
    clock.runAll()
    const closes: CloseInfo[] = []
    outbound.onClose((info) => closes.push(info))
    clock.runAll()
    outbound.onClose((info) => closes.push(info))
    clock.runAll()
    expect(closes).toEqual([{ initiator: 'local', reason: '' }])
  })

  it('closing a transport closes its connections and notifies the remote sides after the latency', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 7 })
    const { transport: bob, accepted } = await listener('bob')
    const peers = [net.createTransport('p1'), net.createTransport('p2'), net.createTransport('p3')]
    const outbound = await Promise.all(peers.map((peer) => connect(peer, 'bob')))
    const remote = outbound.map(collect)
    const local = accepted.map(collect)
    expect(bob.connections.length).toBe(3)
    expect(net.stats()).toMatchObject({ transports: 4, connections: 6 })
    const closedAt = clock.now()
    await bob.close()
    expect(bob.connections.length).toBe(0)
    expect(net.transport('bob')).toBeUndefined()
    clock.advance(0)
    expect(local.map((l) => l.closes)).toEqual(new Array(3).fill([{ initiator: 'local', reason: 'transport closed' }]))
    expect(remote.every((r) => r.closes.length === 0)).toBe(true)
    clock.advance(7)
    expect(remote.map((r) => r.closes)).toEqual(new Array(3).fill([{ initiator: 'remote', reason: 'transport closed' }]))
    expect(clock.now() - closedAt).toBe(7)
    const redial = codeOf(peers[0].dial('memory://bob'))
    clock.runAll()
    expect(await redial).toBe('TRANSPORT_UNREACHABLE')
    expect(clock.pending).toBe(0)
  })

  it('no timer is left once everything is closed, whatever was in flight', async () => {
    const { clock, net, listener, connect } = setup({ latencyMs: 20, jitterMs: 10, loss: 0.1, bandwidthBytesPerSec: 100_000 })
    const transports: MemoryTransport[] = []
    for (let i = 0; i < 10; i++) transports.push((await listener(`n${i}`)).transport)
    const connections: Connection[] = []
    for (let i = 0; i < 10; i++) {
      for (let j = i + 1; j < 10; j++) connections.push(await connect(transports[i], `n${j}`))
    }
    for (const transport of transports) for (const connection of transport.connections) connection.onMessage(() => {})
    for (let round = 0; round < 5; round++) {
      for (const connection of connections) connection.send(new Uint8Array(500))
      clock.advance(3)
    }
    const pendingDial = codeOf(transports[0].dial('memory://n9'))
    net.cut('n1', 'n2')
    await net.close()
    expect(await pendingDial).toBe('TRANSPORT_CLOSED')
    clock.runAll()
    expect(clock.pending).toBe(0)
    const stats = net.stats()
    expect(stats).toMatchObject({ transports: 0, connections: 0, messagesInFlight: 0 })
    expect(stats.messagesDelivered + stats.dropped.loss + stats.dropped.cut + stats.dropped.closed).toBe(stats.messagesSent)
  })
})

describe('MemoryNetwork at scale', () => {
  it('1,000 transports in a ring pass a token around ten times in virtual time, arming no real timer', async () => {
    const n = 1_000
    const { clock, net } = setup({ latencyMs: 5, jitterMs: 2 })
    const transports: MemoryTransport[] = []
    const hops: number[] = new Array(n).fill(0)
    const next: Connection[] = new Array(n)
    for (let i = 0; i < n; i++) {
      const transport = net.createTransport(`r${i}`)
      transports.push(transport)
      await transport.listen((connection) => {
        // The token arrives from the predecessor; forward it to the successor.
        connection.onMessage((frame) => {
          hops[i]++
          const left = frame[0] | (frame[1] << 8)
          if (left > 1) next[i].send(Uint8Array.of((left - 1) & 0xff, (left - 1) >> 8))
        })
      })
    }
    // On virtual time the run waits on no platform timer: one armed would be a path that
    // escaped the injected clock (and would make the minute of virtual time below a real one).
    const realTimers = [vi.spyOn(globalThis, 'setTimeout'), vi.spyOn(globalThis, 'setInterval'), vi.spyOn(globalThis, 'setImmediate')]
    const dials = transports.map((transport, i) => transport.dial(`memory://r${(i + 1) % n}`))
    clock.advance(20)
    const connections = await Promise.all(dials)
    connections.forEach((connection, i) => (next[i] = connection))
    const laps = 10
    const total = n * laps
    next[0].send(Uint8Array.of(total & 0xff, total >> 8))
    clock.runAll()
    const realTimersArmed = realTimers.reduce((sum, spy) => sum + spy.mock.calls.length, 0)
    for (const spy of realTimers) spy.mockRestore()
    expect(realTimersArmed).toBe(0)
    expect(hops.every((count) => count === laps)).toBe(true)
    expect(net.stats().messagesDelivered).toBe(total)
    // Each hop takes 5 to 7 virtual ms: the token travels for roughly a minute of virtual time.
    expect(clock.now()).toBeGreaterThan(20 + total * 5)
    await net.close()
    clock.runAll()
    expect(clock.pending).toBe(0)
  })
})
