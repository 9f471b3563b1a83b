// The transport contract as tests: every Transport implementation registers this one suite
// with a harness that builds its transports, so the memory network, WebSocket and WebRTC are
// held to the same promises (src/transport/transport.ts). Real-network harnesses run on real
// time: the suite asserts behaviour only, never how long anything took.

import { afterEach, describe, expect, it } from 'vitest'
import { TransportError, type CloseInfo, type Connection, type Transport } from '../../src/transport/index.js'

export interface TransportHarness {
  /** A new transport that may listen; every call a different one (a new address). */
  create(): Transport | Promise<Transport>
  /** An address in this transport's scheme where nothing listens (dials are refused). */
  unreachableAddress(): string | Promise<string>
  /** An address that takes the dial from `dialer` and never answers, so only a timeout ends it. */
  silentAddress(dialer: Transport): string | Promise<string>
  /** Addresses the transport cannot parse or does not handle. */
  badAddresses: readonly string[]
  /**
   * Frame size that makes the transports' connections report backpressure within a few
   * hundred sends (their high-water mark is low enough), and the hard limit past which send()
   * throws TRANSPORT_BUFFER_FULL is reached within `maxFramesToFill` sends of it.
   */
  backpressure: { frameBytes: number; maxFramesToFill: number }
  /** Called after each test, once the suite closed every transport it made. */
  cleanup?(): Promise<void> | void
}

/** How long the suite waits for an event that must come; generous, for loaded machines. */
const WAIT_MS = 10_000

/** Registers the contract tests for one implementation. */
export function describeTransportContract(name: string, makeHarness: () => TransportHarness): void {
  describe(`Transport contract: ${name}`, () => {
    const harness = makeHarness()
    const made: Transport[] = []
    /** Set while the test is inside a synchronous call on a transport or connection. */
    let inOwnerCall = false
    let syncCalls = 0

    afterEach(async () => {
      await Promise.all(made.splice(0).map((transport) => transport.close()))
      await harness.cleanup?.()
    })

    async function create(): Promise<Transport> {
      const transport = await harness.create()
      made.push(transport)
      return transport
    }

    /** Runs an owner's call, flagging any handler that runs inside it. */
    function call<T>(fn: () => T): T {
      inOwnerCall = true
      try {
        return fn()
      } finally {
        inOwnerCall = false
      }
    }

    function guard<A extends unknown[]>(handler: (...args: A) => void): (...args: A) => void {
      return (...args: A) => {
        if (inOwnerCall) syncCalls++
        handler(...args)
      }
    }

    /** Collects what a connection delivers, and resolves waiters when enough arrived. */
    function watch(connection: Connection) {
      const frames: Uint8Array[] = []
      const closes: CloseInfo[] = []
      const waiters: (() => void)[] = []
      const wake = () => waiters.splice(0).forEach((resolve) => resolve())
      call(() => connection.onMessage(guard((frame) => (frames.push(frame), wake()))))
      call(() => connection.onClose(guard((info) => (closes.push(info), wake()))))
      const until = (done: () => boolean, what: string) =>
        new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS)
          const check = () => {
            if (done()) {
              clearTimeout(timer)
              resolve()
            } else {
              waiters.push(check)
            }
          }
          check()
        })
      return {
        frames,
        closes,
        frameCount: (n: number) => until(() => frames.length >= n, `${n} frames`),
        closed: () => until(() => closes.length > 0, 'onClose'),
      }
    }

    /** A listening transport, a dialler, and both ends of one connection between them. */
    async function pair() {
      const server = await create()
      const accepted: Connection[] = []
      let wakeAccept: (() => void) | undefined
      await server.listen(guard((connection: Connection) => (accepted.push(connection), wakeAccept?.())))
      const client = await create()
      const outbound = await call(() => client.dial(server.localAddress, { timeoutMs: WAIT_MS }))
      if (accepted.length === 0) await new Promise<void>((resolve) => (wakeAccept = resolve))
      return { server, client, outbound, inbound: accepted[0], accepted }
    }

    async function codeOf(promise: Promise<unknown>): Promise<string> {
      try {
        await promise
      } catch (error) {
        expect(error).toBeInstanceOf(TransportError)
        return (error as TransportError).code
      }
      return 'resolved'
    }

    function syncCodeOf(fn: () => unknown): string {
      try {
        fn()
      } catch (error) {
        expect(error).toBeInstanceOf(TransportError)
        return (error as TransportError).code
      }
      return 'returned'
    }

    const bytes = (frame: Uint8Array) => [...frame]
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

    it('listen then dial hands each side one open end, outbound at the dialler, inbound at the listener', async () => {
      const { server, outbound, inbound } = await pair()
      expect(typeof server.kind).toBe('string')
      expect([outbound.direction, inbound.direction]).toEqual(['outbound', 'inbound'])
      expect(outbound.remoteAddress).toBe(server.localAddress)
      expect(inbound.localAddress).toBe(server.localAddress)
      expect(outbound.id).not.toBe(inbound.id)
      expect(outbound.isOpen && inbound.isOpen).toBe(true)
      expect(outbound.maxMessageBytes).toBeGreaterThan(0)
      expect(outbound.bufferedAmount).toBeGreaterThanOrEqual(0)
      expect(syncCalls).toBe(0)
    })

    it('listening twice rejects with TRANSPORT_INVALID_STATE, and after close() with TRANSPORT_CLOSED', async () => {
      const transport = await create()
      await transport.listen(() => {})
      expect(await codeOf(transport.listen(() => {}))).toBe('TRANSPORT_INVALID_STATE')
      await transport.close()
      expect(await codeOf(transport.listen(() => {}))).toBe('TRANSPORT_CLOSED')
      const fresh = await create()
      await fresh.close()
      expect(await codeOf(fresh.listen(() => {}))).toBe('TRANSPORT_CLOSED')
    })

    it('frames arrive whole and in order, each alone (none split, none merged), both ways', async () => {
      const { outbound, inbound } = await pair()
      const atServer = watch(inbound)
      const atClient = watch(outbound)
      const sizes = [0, 1, 2, 125, 126, 1000, 65_535, 65_536, outbound.maxMessageBytes, 3]
      for (let i = 0; i < 100; i++) sizes.push(1 + (i % 7))
      const sent = sizes.map((size, i) => new Uint8Array(size).map((_, j) => (i + j) & 255))
      for (const frame of sent) expect(call(() => outbound.send(frame))).toBeTypeOf('boolean')
      call(() => inbound.send(Uint8Array.of(42)))
      await atServer.frameCount(sent.length)
      await atClient.frameCount(1)
      expect(atServer.frames.map((frame) => frame.byteLength)).toEqual(sizes)
      expect(atServer.frames.map(bytes)).toEqual(sent.map(bytes))
      expect(atServer.frames.every((frame) => frame instanceof Uint8Array)).toBe(true)
      expect(atClient.frames.map(bytes)).toEqual([[42]])
      expect(syncCalls).toBe(0)
    })

    it('a sender may reuse its buffer once send() returned', async () => {
      const { outbound, inbound } = await pair()
      const got = watch(inbound)
      const buffer = Uint8Array.of(1, 2, 3)
      outbound.send(buffer)
      buffer.fill(9)
      outbound.send(buffer.subarray(1))
      await got.frameCount(2)
      expect(got.frames.map(bytes)).toEqual([[1, 2, 3], [9, 9]])
    })

    it('frames that arrive before a message handler is set wait for it, in order, and come from a later callback', async () => {
      const { outbound, inbound } = await pair()
      for (let i = 0; i < 5; i++) outbound.send(Uint8Array.of(i))
      await pause(50)
      const got = watch(inbound)
      expect(got.frames).toEqual([]) // not inside onMessage()
      await got.frameCount(5)
      expect(got.frames.map(bytes)).toEqual([[0], [1], [2], [3], [4]])
      expect(syncCalls).toBe(0)
    })

    it('send() above maxMessageBytes throws TRANSPORT_TOO_LARGE and the connection carries on', async () => {
      const { outbound, inbound } = await pair()
      const got = watch(inbound)
      expect(syncCodeOf(() => outbound.send(new Uint8Array(outbound.maxMessageBytes + 1)))).toBe('TRANSPORT_TOO_LARGE')
      expect(outbound.isOpen).toBe(true)
      outbound.send(Uint8Array.of(5))
      await got.frameCount(1)
      expect(got.frames.map(bytes)).toEqual([[5]])
    })

    it('close() delivers what was sent first, tells both sides once (local here, remote there) and is idempotent', async () => {
      const { outbound, inbound } = await pair()
      const here = watch(outbound)
      const there = watch(inbound)
      for (let i = 0; i < 20; i++) outbound.send(Uint8Array.of(i))
      call(() => outbound.close('done'))
      call(() => outbound.close('again'))
      expect(outbound.isOpen).toBe(false)
      expect(here.closes).toEqual([]) // never inside close()
      expect(syncCodeOf(() => outbound.send(Uint8Array.of(1)))).toBe('TRANSPORT_CLOSED')
      await here.closed()
      await there.closed()
      expect(there.frames.map(bytes)).toEqual(Array.from({ length: 20 }, (_, i) => [i]))
      expect(here.closes.map((info) => info.initiator)).toEqual(['local'])
      expect(there.closes.map((info) => info.initiator)).toEqual(['remote'])
      expect(there.closes[0].reason).toBe('done')
      expect(inbound.isOpen).toBe(false)
      expect(syncCodeOf(() => inbound.send(Uint8Array.of(1)))).toBe('TRANSPORT_CLOSED')
      await pause(50)
      expect([here.closes.length, there.closes.length]).toEqual([1, 1])
      expect(syncCalls).toBe(0)
    })

    it('after close() no frame reaches this side, even ones the far side sent before it knew', async () => {
      const { outbound, inbound } = await pair()
      const here = watch(outbound)
      for (let i = 0; i < 10; i++) inbound.send(Uint8Array.of(i))
      outbound.close()
      await here.closed()
      await pause(50)
      expect(here.frames).toEqual([])
    })

    it('a close handler set after the connection ended is still called, once, and not inside onClose()', async () => {
      const { outbound, inbound } = await pair()
      const there = watch(inbound)
      outbound.close()
      await there.closed()
      const late: CloseInfo[] = []
      call(() => outbound.onClose(guard((info) => late.push(info))))
      expect(late).toEqual([])
      const deadline = Date.now() + WAIT_MS
      while (late.length === 0 && Date.now() < deadline) await pause(5)
      await pause(20)
      expect(late.map((info) => info.initiator)).toEqual(['local'])
      expect(syncCalls).toBe(0)
    })

    it('pauseReading(), where the transport has it, holds arriving frames until resumeReading(); then every one arrives, in order', async () => {
      const { outbound, inbound } = await pair()
      // Optional together: a transport has both or neither.
      expect(typeof inbound.pauseReading).toBe(typeof inbound.resumeReading)
      if (inbound.pauseReading === undefined || inbound.resumeReading === undefined) return
      const got = watch(inbound)
      call(() => inbound.pauseReading!())
      for (let i = 0; i < 20; i++) call(() => outbound.send(Uint8Array.of(i)))
      // Nothing sent after the pause may be read while it lasts (a slow machine reads less, never more).
      await pause(200)
      expect(got.frames).toEqual([])
      call(() => inbound.resumeReading!())
      await got.frameCount(20)
      expect(got.frames.map((frame) => frame[0])).toEqual(Array.from({ length: 20 }, (_, i) => i))
      // Both are harmless twice (they do not count), and after the connection closed.
      call(() => (inbound.pauseReading!(), inbound.pauseReading!(), inbound.resumeReading!(), inbound.resumeReading!()))
      outbound.close()
      await got.closed()
      call(() => (inbound.pauseReading!(), inbound.resumeReading!()))
      expect(syncCalls).toBe(0)
    })

    it('send() returns false past the high-water mark with bytes buffered, and onDrain follows', async () => {
      const { outbound, inbound } = await pair()
      const got = watch(inbound)
      let drains = 0
      const drained = new Promise<void>((resolve) => outbound.onDrain(guard(() => (drains++, resolve()))))
      const frame = new Uint8Array(harness.backpressure.frameBytes)
      let sent = 0
      let accepted = true
      while (accepted && sent < harness.backpressure.maxFramesToFill) {
        accepted = call(() => outbound.send(frame))
        sent++
      }
      expect(accepted).toBe(false)
      expect(outbound.bufferedAmount).toBeGreaterThan(0)
      await drained
      expect(drains).toBe(1)
      await got.frameCount(sent)
      expect(got.frames.length).toBe(sent)
      expect(syncCalls).toBe(0)
    }, 30_000)

    it('send() past the buffer\'s hard limit throws TRANSPORT_BUFFER_FULL, queueing nothing of that frame', async () => {
      const { outbound, inbound } = await pair()
      const got = watch(inbound)
      const frame = new Uint8Array(harness.backpressure.frameBytes)
      let sent = 0
      let code = 'returned'
      while (code === 'returned' && sent < harness.backpressure.maxFramesToFill) {
        code = syncCodeOf(() => outbound.send(frame))
        if (code === 'returned') sent++
      }
      expect(code).toBe('TRANSPORT_BUFFER_FULL')
      expect(outbound.isOpen).toBe(true)
      outbound.send(Uint8Array.of(7))
      await got.frameCount(sent + 1)
      expect(got.frames.length).toBe(sent + 1)
      expect(bytes(got.frames[sent])).toEqual([7])
    }, 30_000)

    it('dial() rejects (never throws) with TRANSPORT_BAD_ADDRESS for addresses it cannot handle', async () => {
      const client = await create()
      for (const address of harness.badAddresses) {
        let promise: Promise<unknown> | undefined
        expect(() => (promise = client.dial(address))).not.toThrow()
        expect([address, await codeOf(promise!)]).toEqual([address, 'TRANSPORT_BAD_ADDRESS'])
      }
    })

    it('a dial where nothing listens rejects with TRANSPORT_UNREACHABLE, and one to a closed transport too', async () => {
      const client = await create()
      expect(await codeOf(client.dial(await harness.unreachableAddress(), { timeoutMs: WAIT_MS }))).toBe('TRANSPORT_UNREACHABLE')
      const server = await create()
      await server.listen(() => {})
      const address = server.localAddress
      await server.close()
      expect(await codeOf(client.dial(address, { timeoutMs: WAIT_MS }))).toBe('TRANSPORT_UNREACHABLE')
    })

    it('a dial that gets no answer rejects with TRANSPORT_TIMEOUT after timeoutMs', async () => {
      const client = await create()
      expect(await codeOf(client.dial(await harness.silentAddress(client), { timeoutMs: 100 }))).toBe('TRANSPORT_TIMEOUT')
    })

    it('an aborted dial rejects with an AbortError carrying TRANSPORT_ABORTED, before or during the dial', async () => {
      const client = await create()
      const silent = await harness.silentAddress(client)
      const early = new AbortController()
      early.abort(new Error('not needed'))
      const before = await client.dial(silent, { signal: early.signal }).catch((error: unknown) => error)
      expect(before).toBeInstanceOf(TransportError)
      expect([(before as TransportError).code, (before as Error).name]).toEqual(['TRANSPORT_ABORTED', 'AbortError'])
      const late = new AbortController()
      const during = client.dial(silent, { signal: late.signal, timeoutMs: WAIT_MS }).catch((error: unknown) => error)
      await pause(20)
      late.abort()
      const error = await during
      expect([(error as TransportError).code, (error as Error).name]).toEqual(['TRANSPORT_ABORTED', 'AbortError'])
    })

    it('close() rejects pending dials with TRANSPORT_CLOSED; dialling after close() rejects the same', async () => {
      const client = await create()
      const pending = client.dial(await harness.silentAddress(client), { timeoutMs: WAIT_MS })
      await pause(20)
      await client.close()
      expect(await codeOf(pending)).toBe('TRANSPORT_CLOSED')
      expect(await codeOf(client.dial(await harness.unreachableAddress()))).toBe('TRANSPORT_CLOSED')
    })

    it('transport.close() closes every connection of it (local here, remote there), is idempotent, and nothing is called after', async () => {
      const server = await create()
      const accepted: Connection[] = []
      await server.listen((connection) => accepted.push(connection))
      const clients = [await create(), await create()]
      const outbound = await Promise.all(clients.map((client) => client.dial(server.localAddress, { timeoutMs: WAIT_MS })))
      while (accepted.length < 2) await pause(5)
      const here = accepted.map(watch)
      const there = outbound.map(watch)
      call(() => void server.close())
      await server.close()
      await Promise.all([...here, ...there].map((side) => side.closed()))
      expect(here.map((side) => side.closes.map((info) => info.initiator))).toEqual([['local'], ['local']])
      expect(there.map((side) => side.closes.map((info) => info.initiator))).toEqual([['remote'], ['remote']])
      expect(accepted.every((connection) => !connection.isOpen)).toBe(true)
      const before = here.map((side) => side.frames.length)
      for (const connection of outbound) expect(syncCodeOf(() => connection.send(Uint8Array.of(1)))).toBe('TRANSPORT_CLOSED')
      await pause(50)
      expect(here.map((side) => side.frames.length)).toEqual(before)
      expect(here.map((side) => side.closes.length)).toEqual([1, 1])
      expect(syncCalls).toBe(0)
    })

    it('handlers may call send() and close() from inside themselves', async () => {
      const { outbound, inbound } = await pair()
      inbound.onMessage((frame) => {
        inbound.send(frame) // echo
        if (frame[0] === 2) inbound.close('bye')
      })
      const got = watch(outbound)
      outbound.send(Uint8Array.of(1))
      outbound.send(Uint8Array.of(2))
      await got.closed()
      expect(got.frames.map(bytes)).toEqual([[1], [2]])
      expect(got.closes[0]).toEqual({ initiator: 'remote', reason: 'bye' })
    })
  })
}
