// The WebRTC transport over real node-datachannel peer connections in this process, signaling
// through the in-process hub: the transport contract, then what is particular to WebRTC
// (addresses, options, signals from strangers, ICE restarts, teardown).

import { afterEach, describe, expect, it } from 'vitest'
import { TransportError, type Connection } from '../../src/transport/index.js'
import { MemorySignaling, WebRtcTransport, type WebRtcTransportOptions } from '../../src/transport/webrtc/index.js'
import { GLARE_REASON } from '../../src/transport/webrtc/transport.js'
import { describeTransportContract } from './contract.js'
import { RATION_BASE_MS, RATION_MAX_MS } from '../../src/transport/webrtc/budget.js'
import { ManualClock } from '../../src/util/clock.js'

const contractChannel = { highWaterMarkBytes: 262_144, lowWaterMarkBytes: 65_536, maxBufferedBytes: 4 * 1_048_576 }

describeTransportContract('WebRtcTransport (node-datachannel, in-process signaling)', () => {
  let hub = new MemorySignaling()
  let count = 0
  return {
    create: () => new WebRtcTransport({ signaling: hub.connect(`t${++count}`), channel: contractChannel }),
    unreachableAddress: () => `webrtc://nobody-${++count}`,
    silentAddress: () => {
      const id = `silent-${++count}`
      hub.connect(id) // holds the id and never answers
      return `webrtc://${id}`
    },
    badAddresses: ['', 'webrtc://', 'webrtc:/x', 'ws://127.0.0.1:1', 'memory://x', 'webrtc://a b', `webrtc://${'a'.repeat(129)}`, 'webrtc://x/y'],
    backpressure: { frameBytes: 65_536, maxFramesToFill: 4_000 },
    cleanup: () => {
      hub.close()
      hub = new MemorySignaling()
    },
  }
})

/** Polls until `isDone`, on real time: the peer connections run on it. */
async function waitFor(isDone: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** The code a promise rejects with ('resolved' if it does not); anything but a TransportError fails the test. */
const codeOf = (promise: Promise<unknown>): Promise<string> =>
  promise.then(() => 'resolved', (error: unknown) => (error instanceof TransportError ? error.code : `not a TransportError: ${String(error)}`))

/** node-datachannel's RTCPeerConnection with an ICE state a test can force, and restartIce() recorded. */
async function flakyClass() {
  const { RTCPeerConnection } = await import('node-datachannel/polyfill')
  const made: Flaky[] = []
  class Flaky extends RTCPeerConnection {
    forcedIceState: RTCIceConnectionState | undefined
    restarts = 0
    /** What restartIce() does besides counting: 'nothing' leaves ICE down, 'recover' brings it back. */
    onRestart: 'nothing' | 'recover' = 'nothing'

    constructor(configuration: RTCConfiguration) {
      super(configuration)
      made.push(this)
    }

    override get iceConnectionState(): RTCIceConnectionState {
      return this.forcedIceState ?? super.iceConnectionState
    }

    force(state: RTCIceConnectionState | undefined): void {
      this.forcedIceState = state
      this.dispatchEvent(new Event('iceconnectionstatechange'))
    }

    override restartIce(): Promise<void> {
      this.restarts++
      if (this.onRestart === 'recover') setTimeout(() => this.force(undefined), 1)
      return Promise.resolve()
    }
  }
  return { Flaky, made }
}

describe('WebRtcTransport', () => {
  let hub = new MemorySignaling()
  let count = 0
  const made: WebRtcTransport[] = []
  const create = (options: Partial<WebRtcTransportOptions> = {}) => {
    const transport = new WebRtcTransport({ signaling: hub.connect(`p${++count}`), ...options })
    made.push(transport)
    return transport
  }

  afterEach(async () => {
    await Promise.all(made.splice(0).map((transport) => transport.close()))
    hub.close()
    hub = new MemorySignaling()
  })

  async function connected(server: WebRtcTransport, client: WebRtcTransport) {
    const accepted: Connection[] = []
    await server.listen((connection) => accepted.push(connection))
    const outbound = await client.dial(server.localAddress, { timeoutMs: 20_000 })
    await waitFor(() => accepted.length === 1, 'the inbound connection')
    return { outbound, inbound: accepted[0] }
  }

  it('its address is webrtc://<signaling id>, and MemorySignaling refuses bad and taken ids', () => {
    expect(create().localAddress).toBe(`webrtc://p${count}`)
    expect(() => hub.connect(`p${count}`)).toThrow(expect.objectContaining({ code: 'TRANSPORT_ADDRESS_IN_USE' }))
    for (const id of ['', 'a b', 'x/y', 'é', 'a'.repeat(129)]) expect(() => hub.connect(id)).toThrow(expect.objectContaining({ code: 'TRANSPORT_BAD_ADDRESS' }))
  })

  it('a dial to its own address is TRANSPORT_BAD_ADDRESS at once, and leaves nothing behind', async () => {
    const transport = create()
    await expect(transport.dial(transport.localAddress)).rejects.toMatchObject({ code: 'TRANSPORT_BAD_ADDRESS', message: expect.stringMatching(/own address/) })
    expect(transport.stats().peerConnectionsCreated).toBe(0)
  })

  it('refuses bad options with TRANSPORT_INVALID_OPTION, naming the option', () => {
    const signaling = hub.connect('options')
    const bad: [unknown, RegExp][] = [
      [undefined, /options must be an object/],
      [{}, /signaling must be a Signaling/],
      [{ signaling: { localId: 'x', send() {}, onMessage() {} } }, /signaling must be a Signaling/],
      [{ signaling: { localId: 'a b', send() {}, onMessage() {}, close() {} } }, /signaling\.localId/],
      [{ signaling, iceTransportPolicy: 'none' }, /iceTransportPolicy must be 'all' or 'relay'/],
      [{ signaling, iceServers: 'stun:x' }, /iceServers must be an array/],
      [{ signaling, iceServers: [{ urls: 'http://x' }] }, /iceServers\[0\]\.urls must be 'stun:'/],
      [{ signaling, iceServers: [{ urls: [] }] }, /iceServers\[0\]\.urls must be a URL or 1 to 8/],
      [{ signaling, iceServers: [{ urls: 'turn:127.0.0.1:3478' }] }, /TURN server: it needs a username and a credential/],
      [{ signaling, connectTimeoutMs: -1 }, /connectTimeoutMs/],
      [{ signaling, maxIceRestarts: 11 }, /maxIceRestarts must be an integer from 0 to 10/],
      [{ signaling, iceRestartTimeoutMs: Infinity }, /iceRestartTimeoutMs/],
      [{ signaling, maxPendingAccepts: 0 }, /maxPendingAccepts/],
      [{ signaling, maxSdpLength: 10 }, /maxSdpLength/],
      [{ signaling, channel: { chunkBytes: 10 } }, /chunkBytes/],
      [{ signaling, RTCPeerConnection: 'wrtc' }, /RTCPeerConnection must be an RTCPeerConnection class/],
    ]
    for (const [options, message] of bad) {
      let error: unknown
      try {
        new WebRtcTransport(options as WebRtcTransportOptions)
      } catch (caught) {
        error = caught
      }
      expect(error, String(message)).toBeInstanceOf(TransportError)
      expect([(error as TransportError).code, (error as Error).message]).toEqual(['TRANSPORT_INVALID_OPTION', expect.stringMatching(message)])
    }
    const ok = new WebRtcTransport({ signaling, iceServers: [{ urls: ['stun:127.0.0.1:3478'] }, { urls: 'turn:127.0.0.1:3478', username: 'u', credential: 'p' }], iceTransportPolicy: 'relay' })
    made.push(ok)
    expect(ok.kind).toBe('webrtc')
  })

  it('drops and counts signals from strangers that are malformed, oversized or for no connection, and still connects', async () => {
    const server = create({ maxSdpLength: 1_000 })
    await server.listen(() => {})
    const stranger = hub.connect('stranger')
    const heard: unknown[] = []
    stranger.onMessage((_from, message) => heard.push(message))
    const to = server.localAddress.slice('webrtc://'.length)
    const send = (message: unknown) => stranger.send(to, message as never)
    const id = 'abcdefgh12345678'
    const malformed = [null, 42, 'offer', [], {}, { type: 'offer' }, { type: 'offer', connectionId: 'short', sdp: 'v=0' }, { type: 'offer', connectionId: id, sdp: 7 },
      { type: 'warp', connectionId: id }, { type: 'candidate', connectionId: id, candidate: 'x', sdpMid: null, sdpMLineIndex: null },
      { type: 'candidate', connectionId: id, candidate: 'x', sdpMid: '0', sdpMLineIndex: -1 }, { type: 'bye', connectionId: id }]
    const oversized = [{ type: 'offer', connectionId: id, sdp: 'v'.repeat(1_001) }, { type: 'candidate', connectionId: id, candidate: 'c'.repeat(1_025), sdpMid: '0', sdpMLineIndex: 0 },
      { type: 'bye', connectionId: id, reason: 'r'.repeat(257) }]
    const unknown = [{ type: 'answer', connectionId: id, sdp: 'v=0' }, { type: 'candidate', connectionId: id, candidate: 'candidate:1 1 UDP 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 },
      { type: 'bye', connectionId: id, reason: 'bye' }]
    for (const message of [...malformed, ...oversized, ...unknown]) send(message)
    // An offer no knock announced is refused before any peer connection is made for it.
    send({ type: 'offer', connectionId: 'unannounced-0001', sdp: 'v=0' })
    await waitFor(() => heard.length === 1, "the unannounced offer's bye")
    expect(heard).toEqual([{ type: 'bye', connectionId: 'unannounced-0001', reason: 'no knock announced this offer' }])
    expect(server.stats().peerConnectionsCreated).toBe(0)
    // Announced, then well-formed but refused by the peer connection.
    send({ type: 'knock', connectionId: 'garbage-sdp-0001' })
    await waitFor(() => heard.length === 2, 'the ready')
    send({ type: 'offer', connectionId: 'garbage-sdp-0001', sdp: 'this is not an SDP' })
    const total = malformed.length + oversized.length + unknown.length + 3
    await waitFor(() => server.stats().signalsReceived === total, 'every signal to arrive')
    await waitFor(() => heard.length === 3, "the refused offer's bye")
    const stats = server.stats()
    expect([stats.signalsMalformed, stats.signalsOversized, stats.signalsUnknown]).toEqual([malformed.length, oversized.length, unknown.length])
    expect(stats.signalsRejected).toBeGreaterThanOrEqual(1)
    expect(heard.slice(1)).toEqual([{ type: 'ready', connectionId: 'garbage-sdp-0001' }, { type: 'bye', connectionId: 'garbage-sdp-0001', reason: expect.any(String) }])
    expect([stats.offersRefused, stats.peerConnectionsCreated, stats.negotiating, stats.peerConnectionsUsed]).toEqual([1, 1, 0, 1])
    const client = create()
    const connection = await client.dial(server.localAddress, { timeoutMs: 20_000 })
    expect(connection.isOpen).toBe(true)
  })

  it('a knock to a transport that is not listening is refused with a bye: the dial is unreachable and no peer connection is made on either side', async () => {
    const server = create()
    const client = create()
    expect(await codeOf(client.dial(server.localAddress, { timeoutMs: 20_000 }))).toBe('TRANSPORT_UNREACHABLE')
    expect([server.stats().knocksRefused, client.stats().knocksSent]).toEqual([1, 1])
    expect([server.stats().peerConnectionsCreated, client.stats().peerConnectionsCreated]).toEqual([0, 0])
    expect(client.stats().negotiating).toBe(0)
    // Nobody at all on the signaling: the same, and still no peer connection.
    expect(await codeOf(client.dial('webrtc://nobody-here', { timeoutMs: 20_000 }))).toBe('TRANSPORT_UNREACHABLE')
    expect(client.stats().peerConnectionsCreated).toBe(0)
  })

  describe('glare', () => {
    /** Two listening transports, `low` the one whose signaling id sorts first. */
    async function pair() {
      const [low, high] = [create(), create()].sort((x, y) => (x.localAddress < y.localAddress ? -1 : 1))
      const accepted = new Map<WebRtcTransport, Connection[]>([[low, []], [high, []]])
      await Promise.all([low, high].map((transport) => transport.listen((connection) => accepted.get(transport)!.push(connection))))
      return { low, high, acceptedBy: (transport: WebRtcTransport) => accepted.get(transport)! }
    }

    it('two transports dialling each other at once make one peer connection each, not two: the smaller id keeps its dial, the other gets TRANSPORT_GLARE once that connection reached its listener', async () => {
      const { low, high, acceptedBy } = await pair()
      const [fromLow, fromHigh] = await Promise.allSettled([low.dial(high.localAddress, { timeoutMs: 20_000 }), high.dial(low.localAddress, { timeoutMs: 20_000 })])
      expect(fromHigh).toMatchObject({ status: 'rejected', reason: { code: 'TRANSPORT_GLARE' } })
      expect(fromLow.status).toBe('fulfilled')
      // The connection the high side made way for is already with its listener when its dial rejects.
      expect([acceptedBy(low).length, acceptedBy(high).length]).toEqual([0, 1])
      expect([low.stats().glareRefusals, high.stats().glareRefusals, low.stats().glareYields, high.stats().glareYields]).toEqual([1, 0, 0, 1])
      expect([low.stats().peerConnectionsCreated, high.stats().peerConnectionsCreated]).toEqual([1, 1])
      const outbound = (fromLow as PromiseFulfilledResult<Connection>).value
      const received: Uint8Array[] = []
      acceptedBy(high)[0].onMessage((frame) => received.push(frame))
      outbound.send(new Uint8Array([7, 7]))
      await waitFor(() => received.length === 1, 'a frame over the one connection')
      expect([...received[0]]).toEqual([7, 7])
    })

    it("a dial to a peer whose own connection to us is negotiating makes no peer connection: it waits for that one and rejects with TRANSPORT_GLARE when it opens", async () => {
      const { low, high, acceptedBy } = await pair()
      const fromLow = low.dial(high.localAddress, { timeoutMs: 20_000 })
      await waitFor(() => high.stats().signalsSent >= 1, "high's ready to low's knock")
      await expect(high.dial(low.localAddress, { timeoutMs: 20_000 })).rejects.toMatchObject({ code: 'TRANSPORT_GLARE' })
      await fromLow
      expect(acceptedBy(high)).toHaveLength(1)
      expect([high.stats().peerConnectionsCreated, high.stats().glareYields, high.stats().knocksSent]).toEqual([1, 1, 0])
    })

    it('the dial that made way fails with TRANSPORT_UNREACHABLE when the connection it waits for never comes (the other side gave up)', async () => {
      const { low, high } = await pair()
      const controller = new AbortController()
      const fromLow = codeOf(low.dial(high.localAddress, { timeoutMs: 20_000, signal: controller.signal }))
      await waitFor(() => high.stats().signalsSent >= 1, "high's ready to low's knock")
      const fromHigh = codeOf(high.dial(low.localAddress, { timeoutMs: 20_000 }))
      controller.abort()
      expect(await fromLow).toBe('TRANSPORT_ABORTED')
      expect(await fromHigh).toBe('TRANSPORT_UNREACHABLE')
      // It never knocked: the only peer connection high may have made is for low's offer, if it came before the abort.
      expect([high.stats().knocksSent, high.stats().glareYields]).toEqual([0, 1])
      await waitFor(() => high.stats().negotiating === 0, "the inbound attempt's teardown")
    })

    it("a stranger's false glare bye only makes the dial wait until its deadline: TRANSPORT_TIMEOUT, and no peer connection", async () => {
      const transport = create()
      const stranger = hub.connect('false-glare')
      stranger.onMessage((from, message) => {
        const { type, connectionId } = message as { type: string; connectionId: string }
        if (type === 'knock') stranger.send(from, { type: 'bye', connectionId, reason: GLARE_REASON })
      })
      expect(await codeOf(transport.dial('webrtc://false-glare', { timeoutMs: 300 }))).toBe('TRANSPORT_TIMEOUT')
      expect([transport.stats().glareYields, transport.stats().peerConnectionsCreated]).toEqual([1, 0])
    })

    it('close() rejects a dial that made way with TRANSPORT_CLOSED', async () => {
      const { low, high } = await pair()
      const fromLow = codeOf(low.dial(high.localAddress, { timeoutMs: 20_000 }))
      await waitFor(() => high.stats().signalsSent >= 1, "high's ready to low's knock")
      const fromHigh = codeOf(high.dial(low.localAddress, { timeoutMs: 20_000 }))
      await high.close()
      expect(await fromHigh).toBe('TRANSPORT_CLOSED')
      expect(await fromLow).not.toBe('resolved')
    })
  })

  it('offers past maxPendingAccepts are refused with a bye while the others negotiate', async () => {
    const server = create({ maxPendingAccepts: 2 })
    await server.listen(() => {})
    const { RTCPeerConnection } = await import('node-datachannel/polyfill')
    const offerer = new RTCPeerConnection({ iceServers: [] })
    offerer.createDataChannel('x')
    const offer = await offerer.createOffer()
    offerer.close()
    const stranger = hub.connect('many-offers')
    const heard: { type: string; connectionId: string; reason: string }[] = []
    stranger.onMessage((_from, message) => heard.push(message as never))
    const to = server.localAddress.slice('webrtc://'.length)
    // Knocks past the limit are refused; real offers whose sender never sends a candidate each stay negotiating until connectTimeoutMs.
    const ids = ['offer-000000001', 'offer-000000002', 'offer-000000003']
    for (const id of ids) stranger.send(to, { type: 'knock', connectionId: id })
    await waitFor(() => heard.length === 3, 'the answers to the knocks')
    expect(heard).toEqual([
      { type: 'ready', connectionId: ids[0] }, { type: 'ready', connectionId: ids[1] }, { type: 'bye', connectionId: ids[2], reason: 'too many connections negotiating' },
    ])
    for (const id of ids.slice(0, 2)) stranger.send(to, { type: 'offer', connectionId: id, sdp: offer.sdp as string })
    await waitFor(() => server.stats().peerConnectionsCreated === 2, 'the two announced offers to be taken')
    expect([server.stats().knocksRefused, server.stats().negotiating, server.stats().peerConnectionsCreated]).toEqual([1, 2, 2])
  })

  it('rations the last quarter and refuses dials past maxPeerConnections with TRANSPORT_OVER_BUDGET, making none for them', async () => {
    const clock = new ManualClock()
    const server = create()
    await server.listen(() => {})
    const client = create({ maxPeerConnections: 4, clock })
    for (let i = 0; i < 3; i++) expect((await client.dial(server.localAddress, { timeoutMs: 20_000 })).isOpen).toBe(true)
    // The 3rd was the first of the last quarter: the 4th waits out the spacing.
    expect(await codeOf(client.dial(server.localAddress, { timeoutMs: 20_000 }))).toBe('TRANSPORT_OVER_BUDGET')
    expect(client.stats().peerConnectionsCreated).toBe(3)
    clock.advance(RATION_BASE_MS)
    expect((await client.dial(server.localAddress, { timeoutMs: 20_000 })).isOpen).toBe(true)
    clock.advance(RATION_MAX_MS)
    expect(await codeOf(client.dial(server.localAddress, { timeoutMs: 20_000 }))).toBe('TRANSPORT_OVER_BUDGET')
    expect(client.stats()).toMatchObject({ peerConnectionsCreated: 4, peerConnectionBudget: 4, peerConnectionsUsed: 4, overBudget: 2, knocksSent: 4 })
    expect(server.stats().peerConnectionsCreated).toBe(4)
  })

  it('a listener past its budget refuses the knock: the dial is unreachable, and neither side makes a peer connection for it', async () => {
    const server = create({ maxPeerConnections: 1 })
    const accepted: unknown[] = []
    await server.listen((connection) => accepted.push(connection))
    const client = create()
    expect((await client.dial(server.localAddress, { timeoutMs: 20_000 })).isOpen).toBe(true)
    const refused = client.dial(server.localAddress, { timeoutMs: 20_000 })
    expect(await codeOf(refused)).toBe('TRANSPORT_UNREACHABLE')
    await expect(refused).rejects.toThrow(/over budget: its budget of 1 RTCPeerConnections is spent/)
    expect([client.stats().peerConnectionsCreated, server.stats().peerConnectionsCreated]).toEqual([1, 1])
    expect([server.stats().knocksRefused, server.stats().overBudget]).toEqual([1, 1])
  })

  it('a knock that gets no answer times out and makes no peer connection', async () => {
    hub.connect('silent-one') // known to the hub, never answers
    const client = create()
    expect(await codeOf(client.dial('webrtc://silent-one', { timeoutMs: 200 }))).toBe('TRANSPORT_TIMEOUT')
    expect([client.stats().peerConnectionsCreated, client.stats().knocksSent, client.stats().negotiating]).toEqual([0, 1, 0])
  })

  it('refuses a maxPeerConnections that is not a positive integer or Infinity', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, '4', Number.NEGATIVE_INFINITY]) {
      expect(() => create({ maxPeerConnections: bad as never }), String(bad)).toThrow(expect.objectContaining({ code: 'TRANSPORT_INVALID_OPTION' }))
    }
    expect(create({ maxPeerConnections: Number.POSITIVE_INFINITY }).stats().peerConnectionBudget).toBe(Number.POSITIVE_INFINITY)
    expect(create().stats().peerConnectionBudget).toBe(Number.POSITIVE_INFINITY) // no cap in Node
  })

  it('a dial that times out tells the listener, which frees its half-open peer connection', async () => {
    const clock = new ManualClock()
    const server = create()
    await server.listen(() => {})
    const client = create({ clock })
    const dial = client.dial(server.localAddress, { timeoutMs: 1_000 })
    await waitFor(() => server.stats().peerConnectionsCreated === 1, 'the offer to reach the listener')
    clock.advance(1_000) // before the channel can open: the connect takes real time, the clock does not move
    expect(await codeOf(dial)).toBe('TRANSPORT_TIMEOUT')
    await waitFor(() => server.stats().negotiating === 0, 'the listener to drop the connection')
    expect(client.stats().negotiating).toBe(0)
  })

  it('ICE going disconnected on an open connection makes the dialler restart ICE, and a restart that brings it back keeps the connection', async () => {
    const { Flaky, made: pcs } = await flakyClass()
    const clock = new ManualClock()
    const server = create({ RTCPeerConnection: Flaky as never, clock })
    const client = create({ RTCPeerConnection: Flaky as never, clock, maxIceRestarts: 2, iceRestartTimeoutMs: 1_000 })
    const { outbound, inbound } = await connected(server, client)
    const dialler = pcs.find((pc) => pc.restarts === 0 && pcs.indexOf(pc) === 0) as InstanceType<typeof Flaky>
    dialler.onRestart = 'recover'
    dialler.force('disconnected')
    await waitFor(() => dialler.restarts === 1 && dialler.iceConnectionState !== 'disconnected', 'the restart')
    expect(client.stats().iceRestarts).toBe(1)
    clock.advance(10_000)
    expect(client.stats().iceRestarts).toBe(1) // ICE came back: no second attempt, no give-up
    const got: number[] = []
    inbound.onMessage((frame) => got.push(frame[0]))
    outbound.send(Uint8Array.of(9))
    await waitFor(() => got.length === 1, 'a frame after the restart')
    expect([outbound.isOpen, client.stats().iceGaveUp]).toEqual([true, 0])
    const closing = Promise.all([client.close(), server.close()])
    clock.advance(1_000) // the close lingers on this clock
    await closing
  })

  it('when ICE stays down through maxIceRestarts restarts, the connection closes with initiator network', async () => {
    const { Flaky, made: pcs } = await flakyClass()
    const clock = new ManualClock()
    const server = create({ RTCPeerConnection: Flaky as never })
    const client = create({ RTCPeerConnection: Flaky as never, clock, maxIceRestarts: 2, iceRestartTimeoutMs: 1_000 })
    const { outbound } = await connected(server, client)
    const closes: { initiator: string; reason: string }[] = []
    outbound.onClose((info) => closes.push(info))
    const dialler = pcs[0]
    dialler.force('disconnected')
    await waitFor(() => dialler.restarts === 1, 'the first restart')
    clock.advance(1_000)
    await waitFor(() => dialler.restarts === 2, 'the second restart')
    expect(closes).toEqual([])
    clock.advance(1_000)
    await waitFor(() => closes.length === 1, 'the close')
    expect(closes[0]).toEqual({ initiator: 'network', reason: 'ICE did not reconnect after 2 restarts' })
    expect([client.stats().iceRestarts, client.stats().iceGaveUp, dialler.restarts]).toEqual([2, 1, 2])
    await waitFor(() => client.stats().connections === 0, 'the peer connection to be released')
    const closing = Promise.all([client.close(), server.close()])
    clock.advance(1_000)
    await closing
  })

  it('close() leaves no timer, socket or handle of its own behind', async () => {
    const before = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap')
    const server = create()
    const client = create()
    const { outbound, inbound } = await connected(server, client)
    const got: number[] = []
    inbound.onMessage((frame) => got.push(frame.length))
    outbound.send(new Uint8Array(100_000))
    await waitFor(() => got.length === 1, 'a frame')
    const pending = client.dial('webrtc://nobody-here', { timeoutMs: 60_000 }).catch((error: unknown) => error)
    await Promise.all([server.close(), client.close()])
    expect(await codeOf(pending.then((error) => { throw error }))).toMatch(/TRANSPORT_CLOSED|TRANSPORT_UNREACHABLE/)
    hub.close()
    const count = (list: string[]) => list.reduce<Record<string, number>>((counts, kind) => ({ ...counts, [kind]: (counts[kind] ?? 0) + 1 }), {})
    await waitFor(() => {
      const now = count(process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap'))
      const then = count(before)
      return Object.entries(now).every(([kind, n]) => n <= (then[kind] ?? 0))
    }, 'every handle to go')
    expect([server.stats().connections, client.stats().connections, client.stats().negotiating]).toEqual([0, 0, 0])
  })
})
