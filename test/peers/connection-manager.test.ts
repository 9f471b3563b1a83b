import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { loadCoreSync } from '../../src/core/load-core.js'
import { ConnectionManager, type ConnectionManagerStats } from '../../src/peers/connection-manager.js'
import { HandshakeError, PeerError } from '../../src/peers/errors.js'
import { Handshake, type HandshakeMessage } from '../../src/peers/handshake.js'
import { Identity } from '../../src/peers/identity.js'
import { resolveOptions, type ConnectionManagerOptions } from '../../src/peers/options.js'
import { toHex } from '../../src/peers/peer-session.js'
import { PRIORITY_BULK, PRIORITY_DHT, PRIORITY_PUBLISH, type PeerSession } from '../../src/peers/session.js'
import { MemoryNetwork, TransportError, type MemoryNetworkOptions, type CloseInfo, type Connection, type DialOptions, type Transport } from '../../src/transport/index.js'
import { ManualClock } from '../../src/util/clock.js'
import { seededRandom } from '../../src/util/random.js'
import { decodeFrame, encodeFrame, GoodbyeReason, type DecodedMessage } from '../../src/wire/index.js'

const core = loadCoreSync()
/** One macrotask turn: promise callbacks and I/O completions (WebCrypto) get to run. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve))
const realMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface Received {
  from: string
  message: DecodedMessage
}

type NodeOptions = Partial<Omit<ConnectionManagerOptions, 'identity' | 'transport' | 'clock' | 'random'>>

/** A transport that records when each dial starts, and the type of every message sent after the handshake. */
function recordingTransport(inner: Transport, clock: ManualClock, dials: number[], sent: Map<string, number>): Transport {
  const recordSends = (connection: Connection): Connection =>
    new Proxy(connection, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target)
        if (property !== 'send') return typeof value === 'function' ? value.bind(target) : value
        return (frame: Uint8Array) => {
          // Handshake frames are not message frames; only those that decode count.
          try {
            for (const message of decodeFrame(frame)) sent.set(message.type, (sent.get(message.type) ?? 0) + 1)
          } catch {}
          return target.send(frame)
        }
      },
    })
  return {
    kind: inner.kind,
    localAddress: inner.localAddress,
    listen: (onConnection) => inner.listen((connection) => onConnection(recordSends(connection))),
    dial: async (address: string, options?: DialOptions) => {
      dials.push(clock.now())
      return recordSends(await inner.dial(address, options))
    },
    close: () => inner.close(),
  }
}

/** Nodes on one MemoryNetwork driven by a ManualClock. */
function setup(latencyMs = 5, networkOptions: Omit<MemoryNetworkOptions, 'clock' | 'latencyMs'> = {}) {
  const clock = new ManualClock()
  const net = new MemoryNetwork({ clock, latencyMs, ...networkOptions })
  let seed = 1
  const managers: ConnectionManager[] = []
  let rawHandshakes = 0
  /** Handshakes in progress wait on real-time crypto: virtual time must not jump past their timeouts meanwhile. */
  const isHandshaking = () => rawHandshakes > 0 || managers.some((manager) => manager.stats().handshaking > 0)

  /**
   * Lets the system run until `isDone()`: promise callbacks and crypto first, then virtual time
   * jumps to the next timer. Before a long jump it waits a little real time, so a signature
   * still being computed is not overtaken by a timeout.
   */
  async function runUntil(isDone: () => boolean, maxMs = 600_000): Promise<void> {
    const deadline = clock.now() + maxMs
    for (;;) {
      for (let i = 0; i < 4; i++) await turn()
      if (isDone()) return
      const next = clock.nextTimerAt
      if (next === undefined) {
        await realMs(2)
        if (isDone()) return
        if (clock.nextTimerAt === undefined) throw new Error('nothing left to run and the condition does not hold')
        continue
      }
      if (next > deadline) throw new Error(`not done within ${maxMs} virtual ms`)
      if (next - clock.now() > 20) {
        for (let waited = 0; waited < 200 && isHandshaking() && clock.nextTimerAt === next; waited++) await realMs(1)
        for (let i = 0; i < 4; i++) await turn()
        if (isDone()) return
        if (clock.nextTimerAt !== next) continue
      }
      clock.advanceTo(Math.max(clock.now(), clock.nextTimerAt ?? next))
    }
  }

  /** What a promise settles to, without driving the clock (for promises other code drives). */
  function watch<T>(promise: Promise<T>): { readonly outcome: { value?: T; error?: unknown } | undefined } {
    const watched: { outcome: { value?: T; error?: unknown } | undefined } = { outcome: undefined }
    promise.then((value) => (watched.outcome = { value }), (error: unknown) => (watched.outcome = { error }))
    return watched
  }

  /** Settles a promise by running the system; returns what it resolved to or rejected with. */
  async function settle<T>(promise: Promise<T>, maxMs?: number): Promise<{ value?: T; error?: unknown }> {
    let outcome: { value?: T; error?: unknown } | undefined
    promise.then((value) => (outcome = { value }), (error: unknown) => (outcome = { error }))
    await runUntil(() => outcome !== undefined, maxMs)
    return outcome!
  }

  async function resolved<T>(promise: Promise<T>, maxMs?: number): Promise<T> {
    const outcome = await settle(promise, maxMs)
    if ('error' in outcome) throw outcome.error
    return outcome.value as T
  }

  /** Runs `ms` of virtual time, with promise callbacks between timers. */
  async function runFor(ms: number): Promise<void> {
    const until = clock.now() + ms
    for (;;) {
      for (let i = 0; i < 4; i++) await turn()
      const soon = clock.nextTimerAt
      if (soon === undefined || soon - clock.now() > 20) {
        for (let waited = 0; waited < 200 && isHandshaking() && clock.nextTimerAt === soon; waited++) await realMs(1)
        for (let i = 0; i < 4; i++) await turn()
      }
      const next = clock.nextTimerAt
      if (next === undefined || next > until) break
      clock.advanceTo(Math.max(clock.now(), next))
    }
    clock.advanceTo(until)
    for (let i = 0; i < 4; i++) await turn()
  }

  async function node(name: string, options: NodeOptions = {}) {
    const identity = Identity.generate(seededRandom(seed++ * 7_919))
    const memory = net.createTransport(name)
    const dials: number[] = []
    const sent = new Map<string, number>()
    const manager = new ConnectionManager({ identity, transport: recordingTransport(memory, clock, dials, sent), clock, random: seededRandom(seed++), core, ...options })
    managers.push(manager)
    await manager.start()
    const received: Received[] = []
    const disconnects: string[] = []
    manager.on('message', (peer, message) => received.push({ from: peer.peerKey, message }))
    manager.on('peer:disconnect', (_peer, reason) => disconnects.push(reason))
    return { name, address: memory.localAddress, identity, key: toHex(identity.peerId), manager, received, disconnects, dials, sent }
  }

  /**
   * A peer that speaks the handshake by hand over a raw connection, then sends whatever the
   * test wants, malformed frames included.
   */
  async function rawPeer(name: string, target: string, identity = Identity.generate(seededRandom(seed++ * 104_729))) {
    const transport = net.createTransport(name)
    const connection: Connection = await resolved(transport.dial(target))
    const handshake = new Handshake({ identity, protocolVersion: 1, clock, random: seededRandom(seed++) })
    const received: DecodedMessage[] = []
    const closes: CloseInfo[] = []
    connection.onClose((info) => {
      closes.push(info)
      handshake.abort(info)
    })
    connection.onMessage((frame) => {
      for (const message of decodeFrame(frame, { unknownTypes: 'return' })) {
        let step: HandshakeMessage | undefined
        if (message.type === 'hello') step = { ...message, capabilities: [...message.capabilities], listenAddresses: [...message.listenAddresses] }
        else if (message.type === 'auth') step = { type: 'auth', signature: message.signature }
        if (step === undefined) {
          received.push(message)
          continue
        }
        void handshake.receive(step).then((reply) => {
          if (reply !== null && connection.isOpen) connection.send(encodeFrame([reply]))
        })
      }
    })
    connection.send(encodeFrame([handshake.start()]))
    rawHandshakes++
    const outcome = await settle(handshake.result)
    rawHandshakes--
    return { identity, transport, connection, received, closes, outcome }
  }

  return { clock, net, node, rawPeer, settle, watch, resolved, runUntil, runFor, track: (manager: ConnectionManager) => managers.push(manager) }
}

function codeOf(outcome: { error?: unknown }): string | undefined {
  const error = outcome.error
  return error instanceof PeerError || error instanceof HandshakeError || error instanceof TransportError ? error.code : undefined
}

const subscribe = (topic: string): DecodedMessage => ({ type: 'subscribe', topics: [topic] })
const topicsOf = (received: Received[]) => received.map(({ message }) => (message.type === 'subscribe' ? message.topics[0] : message.type))

describe('ConnectionManager: sessions', () => {
  it('two nodes connect, authenticate each other and exchange messages both ways', async () => {
    const { node, resolved, runFor } = setup()
    const a = await node('a')
    const b = await node('b')
    const connectedOnB: PeerSession[] = []
    b.manager.on('peer:connect', (peer) => connectedOnB.push(peer))
    const session = await resolved(a.manager.connect(b.address, { expectedPeerId: b.identity.peerId }))
    expect(session.peerKey).toBe(b.key)
    expect(session.direction).toBe('outbound')
    expect(session.listenAddresses).toEqual([b.address])
    await runFor(50)
    expect(connectedOnB.map((peer) => [peer.peerKey, peer.direction])).toEqual([[a.key, 'inbound']])
    expect(session.send(subscribe('hello-b'), PRIORITY_DHT)).toBe(true)
    expect(session.send(subscribe('again'), PRIORITY_DHT)).toBe(true)
    await runFor(50)
    expect(b.received.map(({ from }) => from)).toEqual([a.key, a.key])
    expect(topicsOf(b.received)).toEqual(['hello-b', 'again'])
    b.manager.peer(a.identity.peerId)!.send(subscribe('hello-a'), PRIORITY_PUBLISH)
    await runFor(50)
    expect(topicsOf(a.received)).toEqual(['hello-a'])
    const stats = b.manager.stats()
    expect([stats.peers, stats.inbound, stats.outbound]).toEqual([1, 1, 0])
    expect(stats.messagesIn).toBe(2)
    expect(stats.messagesOut).toBe(1)
    expect(stats.bytesIn).toBeGreaterThan(0)
    // Two messages sent within the flush delay travel in one frame.
    expect(stats.framesIn).toBe(1)
  })

  it('three nodes form a triangle and each hears the other two', async () => {
    const { node, resolved, runFor } = setup()
    const [a, b, c] = [await node('a'), await node('b'), await node('c')]
    await resolved(a.manager.connect(b.address))
    await resolved(a.manager.connect(c.address))
    await resolved(b.manager.connect(c.address))
    await runFor(50)
    for (const n of [a, b, c]) {
      expect(n.manager.peers().length).toBe(2)
      for (const peer of n.manager.peers()) peer.send(subscribe(`from-${n.name}`), PRIORITY_PUBLISH)
    }
    await runFor(50)
    expect(topicsOf(a.received).sort()).toEqual(['from-b', 'from-c'])
    expect(topicsOf(b.received).sort()).toEqual(['from-a', 'from-c'])
    expect(topicsOf(c.received).sort()).toEqual(['from-a', 'from-b'])
  })

  it('connecting again reuses the open session; concurrent connects share one dial', async () => {
    const { node, resolved } = setup()
    const a = await node('a')
    const b = await node('b')
    const [first, second] = await resolved(Promise.all([a.manager.connect(b.address), a.manager.connect(b.address)]))
    expect(second).toBe(first)
    expect(a.dials.length).toBe(1)
    expect(await resolved(a.manager.connect(b.address))).toBe(first)
    expect(await resolved(a.manager.connect(b.address, { expectedPeerId: b.identity.peerId }))).toBe(first)
    expect(a.manager.peers().length).toBe(1)
    expect(b.manager.peers().length).toBe(1)
  })

  it('a simultaneous dial leaves one session each, over the connection dialled by the lower peer id', async () => {
    const { node, settle, runFor } = setup()
    const a = await node('a')
    const b = await node('b')
    const both = await settle(Promise.all([a.manager.connect(b.address), b.manager.connect(a.address)]))
    expect(both.error).toBeUndefined()
    await runFor(100)
    expect(a.manager.peers().length).toBe(1)
    expect(b.manager.peers().length).toBe(1)
    const aIsLower = a.key < b.key
    expect(a.manager.peers()[0].direction).toBe(aIsLower ? 'outbound' : 'inbound')
    expect(b.manager.peers()[0].direction).toBe(aIsLower ? 'inbound' : 'outbound')
    a.manager.peers()[0].send(subscribe('after-dedup'), PRIORITY_DHT)
    b.manager.peers()[0].send(subscribe('after-dedup'), PRIORITY_DHT)
    await runFor(50)
    expect(topicsOf(a.received)).toEqual(['after-dedup'])
    expect(topicsOf(b.received)).toEqual(['after-dedup'])
  })

  it('refuses peers beyond maxPeers, on either side, with a typed error and a goodbye', async () => {
    const { node, resolved, settle } = setup()
    // targetPeers 0: no slot is reserved for its own dials (see the Sybil test in test/node for those).
    const full = await node('full', { maxPeers: 1, targetPeers: 0 })
    const a = await node('a')
    const b = await node('b')
    await resolved(a.manager.connect(full.address))
    const refused = await settle(b.manager.connect(full.address))
    expect(codeOf(refused)).toBe('PEER_TOO_MANY_PEERS')
    expect(b.dials.length).toBe(1) // a refusal is an answer: not retried
    expect(full.manager.stats().peers).toBe(1)
    expect(b.manager.stats().peers).toBe(0)
    // Dialling out from a full node is refused locally as well.
    expect(codeOf(await settle(full.manager.connect(b.address)))).toBe('PEER_TOO_MANY_PEERS')
    expect(full.manager.peers().map((peer) => peer.peerKey)).toEqual([a.key])
  })

  it('inbound sessions from one address prefix stop at maxInboundPerPrefix: the next is refused at its hello, another prefix still gets in', async () => {
    const { node, resolved, settle, runUntil } = setup()
    const victim = await node('victim', { maxPeers: 10, maxInboundPerPrefix: 2 })
    // A dial resolves once the dialler has verified the victim's auth; the victim admits the
    // session once it has verified the dialler's, which may come a moment later.
    const victimHolds = (peers: number) => runUntil(() => victim.manager.stats().peers === peers)
    // MemoryNetwork names written as IPv4 addresses are grouped by their /16.
    const [a, b, c] = await Promise.all(['45.1.0.1', '45.1.7.1', '45.1.9.1'].map((name) => node(name)))
    await resolved(a.manager.connect(victim.address))
    await resolved(b.manager.connect(victim.address))
    await victimHolds(2)
    const refused = await settle(c.manager.connect(victim.address))
    expect(codeOf(refused)).toBe('PEER_TOO_MANY_PEERS')
    const other = await node('81.0.0.1')
    await resolved(other.manager.connect(victim.address))
    await victimHolds(3)
    expect(victim.manager.stats().prefixShareRefusals).toBe(1)
    // A session of the prefix that closes frees its share.
    await a.manager.stop()
    await victimHolds(2)
    await resolved(c.manager.connect(victim.address))
    await victimHolds(3)
    expect(victim.manager.peers().map((peer) => peer.peerKey).sort()).toEqual([b.key, c.key, other.key].sort())
  })

  it('a wrong expectedPeerId fails the handshake with HANDSHAKE_ID_MISMATCH, without retries', async () => {
    const { node, settle } = setup()
    const a = await node('a')
    const b = await node('b')
    const c = await node('c')
    const outcome = await settle(a.manager.connect(b.address, { expectedPeerId: c.identity.peerId }))
    expect(codeOf(outcome)).toBe('HANDSHAKE_ID_MISMATCH')
    expect(a.dials.length).toBe(1)
    expect(a.manager.peers().length).toBe(0)
    expect(b.manager.peers().length).toBe(0)
  })

  it('checks every handshake with its verify: a peer signing with the matching stand-in gets in, an Ed25519 one is refused with HANDSHAKE_BAD_SIGNATURE', async () => {
    // A toy scheme: SHA-256 of key and message, padded to 64 bytes.
    const toySign = (publicKey: Uint8Array, message: Uint8Array) => {
      const signature = new Uint8Array(64)
      signature.set(sha256(new Uint8Array([...publicKey, ...message])))
      return signature
    }
    const checked: string[] = []
    const verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
      checked.push(toHex(publicKey))
      return toHex(signature) === toHex(toySign(publicKey, message))
    }
    const { node, rawPeer, runFor } = setup()
    const a = await node('a', { verify })
    const standIn = await rawPeer('stand-in', a.address, Identity.generate(seededRandom(77), { signer: toySign }))
    expect(standIn.outcome.error).toBeUndefined()
    expect(checked).toEqual([toHex(standIn.identity.publicKey)])
    const ed25519 = await rawPeer('ed25519', a.address, Identity.generate(seededRandom(78)))
    // The raw peer checked a's Ed25519 auth and is done; a refuses it and closes the connection.
    await runFor(50)
    expect(ed25519.closes).toHaveLength(1)
    expect(checked).toHaveLength(2)
    expect(a.manager.stats().handshakeFailuresByCode).toEqual({ HANDSHAKE_BAD_SIGNATURE: 1 })
    expect(a.manager.peers().map((peer) => peer.peerKey)).toEqual([toHex(standIn.identity.peerId)])
  })

  it('refuses to connect to itself, and before start()', async () => {
    const { node, settle, clock, net } = setup()
    const a = await node('a')
    expect(codeOf(await settle(a.manager.connect(a.address)))).toBe('PEER_SELF')
    expect(codeOf(await settle(a.manager.connect('memory://x', { expectedPeerId: a.identity.peerId })))).toBe('PEER_SELF')
    const idle = new ConnectionManager({ identity: Identity.generate(seededRandom(5)), transport: net.createTransport('idle'), clock, random: seededRandom(6), core })
    expect(codeOf(await settle(idle.connect(a.address)))).toBe('PEER_INVALID_STATE')
  })

  it('validates its options with typed errors that say what was expected', () => {
    const { clock, net } = setup()
    const base = { identity: Identity.generate(seededRandom(9)), transport: net.createTransport('v'), clock, random: seededRandom(10) }
    const optionError = (options: NodeOptions) => {
      try {
        new ConnectionManager({ ...base, ...options })
      } catch (error) {
        expect(error).toBeInstanceOf(PeerError)
        expect((error as PeerError).code).toBe('PEER_INVALID_OPTION')
        return (error as PeerError).message
      }
      return undefined
    }
    expect(optionError({ maxPeers: -3 })).toBe('maxPeers must be an integer from 1 to 10000, got -3')
    expect(optionError({ retryJitter: 2 })).toMatch(/retryJitter/)
    expect(optionError({ minVersion: 3, protocolVersion: 2 })).toMatch(/minVersion/)
    expect(optionError({ capabilities: ['ok', 'ok'] })).toBeDefined()
    expect(optionError({ rateLimitPerPeer: 0 })).toMatch(/rateLimitPerPeer/)
    expect(optionError({ maxPeers: 10, targetPeers: 11 })).toBe('targetPeers must be an integer from 0 to 10, got 11')
    expect(optionError({ idleTimeoutMs: -1 })).toMatch(/idleTimeoutMs/)
    expect(optionError({ maxPeers: 10, maxInboundPerPrefix: 11 })).toBe('maxInboundPerPrefix must be an integer from 1 to 10, got 11')
    expect(optionError({ maxInboundPerPrefix: 0 })).toMatch(/maxInboundPerPrefix/)
    // Each prefix's share defaults to 10% of maxPeers, at least 2.
    for (const [maxPeers, share] of [[100, 10], [30, 3], [20, 2], [5, 2], [1, 1]]) expect(resolveOptions({ ...base, maxPeers }).maxInboundPerPrefix).toBe(share)
    expect(optionError({ verify: 'ed25519' as never })).toBe('verify must be a function, got "ed25519"')
    expect(optionError({ maxPeers: 10 })).toBeUndefined() // targetPeers follows maxPeers down
    expect(optionError({})).toBeUndefined()
  })

  it('starts and carries messages with both rate limits at their largest, a billion a second each', async () => {
    const { node, resolved, runFor } = setup()
    const a = await node('a', { rateLimitPerPeer: 1e9, relayRateLimitPerPeer: 1e9 })
    const b = await node('b', { rateLimitPerPeer: 1e9, relayRateLimitPerPeer: 1e9 })
    const session = await resolved(a.manager.connect(b.address))
    for (let i = 0; i < 500; i++) session.send(subscribe(`t${i}`), PRIORITY_PUBLISH)
    await runFor(100)
    expect(b.received.filter((entry) => entry.message.type === 'subscribe')).toHaveLength(500)
  })
})

describe('ConnectionManager: sending under backpressure', () => {
  it('queues while the link pushes back, sends the urgent first on drain, and refuses past queueCapacity', async () => {
    const { node, resolved, runFor } = setup(5, { bandwidthBytesPerSec: 100_000, highWaterMarkBytes: 2_000, lowWaterMarkBytes: 500 })
    const a = await node('a', { queueCapacity: 150 })
    const b = await node('b', { rateLimitPerPeer: 10_000 })
    const session = await resolved(a.manager.connect(b.address))
    await runFor(20)
    const bulk = (i: number) => subscribe(`bulk-${i}-`.padEnd(200, '.'))
    // The first 200 go straight into one coalesced frame, which takes the buffer past its high-water mark.
    for (let i = 0; i < 200; i++) expect(session.send(bulk(i), PRIORITY_BULK)).toBe(true)
    await runFor(3)
    for (let i = 200; i < 349; i++) expect(session.send(bulk(i), PRIORITY_BULK)).toBe(true)
    expect(session.send(subscribe('urgent'), PRIORITY_DHT)).toBe(true)
    expect(a.manager.stats().queueDepth).toBe(150)
    for (let i = 0; i < 5; i++) expect(session.send(bulk(1_000 + i), PRIORITY_BULK)).toBe(false)
    expect(a.manager.stats().dropped['queue-full']).toBe(5)
    await runFor(2_000)
    const topics = topicsOf(b.received)
    expect(topics.length).toBe(350)
    expect(topics.indexOf('urgent')).toBe(200)
    expect(topics.slice(201).every((topic, i) => topic.startsWith(`bulk-${200 + i}-`))).toBe(true)
    expect(a.manager.stats().queueDepth).toBe(0)
  })
})

describe('ConnectionManager: retries', () => {
  it('re-dials an unreachable address after 5 s, 10 s and 20 s, then rejects with PEER_UNREACHABLE', async () => {
    const { node, settle } = setup(5)
    const a = await node('a', { retryJitter: 0 })
    const outcome = await settle(a.manager.connect('memory://nobody'))
    expect(codeOf(outcome)).toBe('PEER_UNREACHABLE')
    expect((outcome.error as PeerError).cause).toBeInstanceOf(TransportError)
    // Each refused dial takes one round trip (10 ms) before the backoff starts.
    expect(a.dials).toEqual([0, 5_010, 15_020, 35_030])
    expect(a.manager.stats().dialAttempts).toBe(4)
  })

  it('jitters each backoff delay within ±20 %, reproducibly from the seed', async () => {
    const gaps = async () => {
      const { node, settle } = setup(5)
      const a = await node('a', { maxRetries: 2 })
      await settle(a.manager.connect('memory://nobody'))
      return a.dials.slice(1).map((at, i) => at - a.dials[i] - 10)
    }
    const first = await gaps()
    expect(first.length).toBe(2)
    expect(first[0]).toBeGreaterThanOrEqual(4_000)
    expect(first[0]).toBeLessThan(6_000)
    expect(first[1]).toBeGreaterThanOrEqual(8_000)
    expect(first[1]).toBeLessThan(12_000)
    expect(first).not.toEqual([5_000, 10_000])
    expect(await gaps()).toEqual(first)
  })

  it('an aborted signal rejects a connect waiting in its backoff with an AbortError, and clears its timer', async () => {
    const { node, watch, runFor, clock } = setup(5)
    const a = await node('a', { retryJitter: 0 })
    const controller = new AbortController()
    const pending = watch(a.manager.connect('memory://nobody', { signal: controller.signal }))
    await runFor(100)
    const timersBefore = clock.pending
    controller.abort()
    await runFor(0)
    const outcome = pending.outcome!
    expect(codeOf(outcome)).toBe('PEER_ABORTED')
    expect((outcome.error as Error).name).toBe('AbortError')
    expect(timersBefore).toBeGreaterThan(0)
    expect(clock.pending).toBe(0) // the backoff timer is gone; nothing else runs on an idle node
    expect(a.dials.length).toBe(1)
  })

  it('succeeds on a later attempt once the peer starts listening', async () => {
    const { node, net, watch, runFor, runUntil, clock, track } = setup(5)
    const a = await node('a', { retryJitter: 0 })
    const pending = watch(a.manager.connect('memory://late'))
    await runFor(6_000)
    const late = new ConnectionManager({ identity: Identity.generate(seededRandom(77)), transport: net.createTransport('late'), clock, random: seededRandom(78), core })
    track(late)
    await late.start()
    await runUntil(() => pending.outcome !== undefined)
    expect(pending.outcome!.error).toBeUndefined()
    expect(a.dials).toEqual([0, 5_010, 15_020])
  })
})

describe('ConnectionManager: misbehaving peers', () => {
  it('counts and penalizes malformed frames, bans the sender, refuses it while banned and keeps serving others', async () => {
    const { node, rawPeer, resolved, runFor, clock } = setup()
    const b = await node('b', { banMs: 60_000 })
    const a = await node('a')
    const honest = await resolved(a.manager.connect(b.address))
    const mallory = await rawPeer('mallory', b.address)
    expect(mallory.outcome.error).toBeUndefined()
    await runFor(20)
    expect(b.manager.peers().length).toBe(2)

    // Each undecodable frame costs 20 of the 100 points; the sixth takes the score below 0.
    for (let i = 0; i < 5; i++) mallory.connection.send(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, i))
    await runFor(20)
    let stats: ConnectionManagerStats = b.manager.stats()
    expect(stats.dropped['invalid-frame']).toBe(5)
    expect(stats.penalties['invalid-frame']).toBe(5)
    expect(stats.peers).toBe(2)
    mallory.connection.send(encodeFrame([subscribe('x')]).subarray(0, 9))
    await runFor(20)
    stats = b.manager.stats()
    expect(stats.dropped['invalid-frame']).toBe(6)
    expect(stats.peers).toBe(1)
    expect(b.manager.isBanned(mallory.identity.peerId)).toBe(true)
    expect(mallory.received).toContainEqual({ type: 'goodbye', reason: GoodbyeReason.PROTOCOL_ERROR })
    expect(mallory.closes.length).toBe(1)
    expect(b.disconnects.some((reason) => reason.startsWith('banned'))).toBe(true)

    // The honest peer is still served.
    honest.send(subscribe('still-here'), PRIORITY_DHT)
    await runFor(20)
    expect(topicsOf(b.received)).toEqual(['still-here'])

    // While banned, mallory is turned away at its hello; once the ban ends it is accepted again.
    const refused = await rawPeer('mallory-2', b.address, mallory.identity)
    expect((refused.outcome.error as HandshakeError).code).toBe('HANDSHAKE_ABORTED')
    expect(refused.received).toEqual([{ type: 'goodbye', reason: GoodbyeReason.PROTOCOL_ERROR }])
    expect(b.manager.peers().length).toBe(1)
    await runFor(60_000)
    expect(b.manager.isBanned(mallory.identity.peerId)).toBe(false)
    const forgiven = await rawPeer('mallory-3', b.address, mallory.identity)
    expect(forgiven.outcome.error).toBeUndefined()
    await runFor(20)
    expect(b.manager.peers().length).toBe(2)
    expect(clock.now()).toBeGreaterThan(60_000)
  })

  it('drops what a peer sends over its rate, counts it, and keeps serving another peer', async () => {
    const { node, resolved, runFor } = setup()
    const b = await node('b', { rateLimitPerPeer: 100 })
    const flooder = await node('flooder')
    const calm = await node('calm')
    const toB = await resolved(flooder.manager.connect(b.address))
    const calmToB = await resolved(calm.manager.connect(b.address))
    await runFor(20)
    // 1,000 messages in one second: ten times the rate.
    for (let tick = 0; tick < 100; tick++) {
      for (let i = 0; i < 10; i++) toB.send(subscribe(`flood-${tick}-${i}`), PRIORITY_PUBLISH)
      if (tick % 10 === 0) calmToB.send(subscribe(`calm-${tick}`), PRIORITY_DHT)
      await runFor(10)
    }
    await runFor(50)
    const stats = b.manager.stats()
    const fromFlooder = b.received.filter(({ from }) => from === flooder.key).length
    // A full bucket of 100, plus 100 tokens a second refilled over the second.
    expect(fromFlooder).toBeGreaterThanOrEqual(180)
    expect(fromFlooder).toBeLessThanOrEqual(220)
    expect(stats.dropped['rate-limit']).toBe(1_000 - fromFlooder)
    expect(stats.penalties['rate-limit']).toBeGreaterThanOrEqual(1)
    expect(b.received.filter(({ from }) => from === calm.key).length).toBe(10)
    // Charged at most once a second, one second of flooding does not get it banned.
    expect(b.manager.peers().length).toBe(2)
  })
})

describe('ConnectionManager: liveness and shutdown', () => {
  it('keepalive closes a session whose link was cut', async () => {
    const { node, resolved, runFor, net } = setup()
    const a = await node('a', { keepaliveIntervalMs: 15_000, keepaliveTimeoutMs: 10_000 })
    const b = await node('b', { keepaliveIntervalMs: 15_000, keepaliveTimeoutMs: 10_000 })
    await resolved(a.manager.connect(b.address))
    await runFor(20)
    // An idle but healthy link stays up: pings are answered.
    await runFor(60_000)
    expect(a.manager.peers().length).toBe(1)
    expect(b.manager.peers().length).toBe(1)
    net.cut(a.address, b.address)
    await runFor(26_000)
    expect(a.manager.peers().length).toBe(0)
    expect(b.manager.peers().length).toBe(0)
    expect(a.disconnects[0]).toMatch(/keepalive/)
    expect(b.disconnects[0]).toMatch(/keepalive/)
  })

  it('on an idle link only the dialler pings and the other side answers; a side whose peer pings too rarely pings itself', async () => {
    const { node, resolved, runFor } = setup()
    const a = await node('a')
    const b = await node('b')
    await resolved(a.manager.connect(b.address))
    await runFor(150_000)
    // A ping every 15 s of silence, from a alone: b's own tick is put off by each ping it gets.
    expect(a.sent.get('ping')).toBeGreaterThanOrEqual(9)
    expect(b.sent.get('ping') ?? 0).toBe(0)
    expect(b.sent.get('pong')).toBe(a.sent.get('ping'))
    expect(a.manager.peers()).toHaveLength(1)
    // A dialler that pings once a minute: the accepting side (15 s) pings after 20 s of silence and keeps the link.
    const lazy = await node('lazy', { keepaliveIntervalMs: 60_000 })
    const c = await node('c')
    await resolved(lazy.manager.connect(c.address))
    await runFor(150_000)
    expect(c.sent.get('ping')).toBeGreaterThanOrEqual(6)
    expect(lazy.manager.peers()).toHaveLength(1)
    expect(c.manager.peers()).toHaveLength(1)
    expect([...lazy.disconnects, ...c.disconnects]).toEqual([])
  })

  it('above targetPeers, a session idle (keepalives aside) for idleTimeoutMs is closed; busy ones and those within the target stay', async () => {
    const { node, resolved, runFor } = setup()
    const hub = await node('hub', { targetPeers: 2, idleTimeoutMs: 60_000 })
    const spokes = [await node('s1'), await node('s2'), await node('s3'), await node('s4')]
    for (const spoke of spokes) await resolved(hub.manager.connect(spoke.address))
    await runFor(20)
    expect(hub.manager.peers()).toHaveLength(4)
    const spokeSession = (spoke: (typeof spokes)[number]) => hub.manager.peers().find((peer) => peer.peerKey === spoke.key)
    // s1 keeps talking (a message every 20 s); the others only answer keepalives.
    for (let t = 0; t < 200_000; t += 20_000) {
      spokes[0]!.manager.peer(hub.identity.peerId)!.send(subscribe(`t${t}`), PRIORITY_PUBLISH)
      await runFor(20_000)
    }
    // Two idle ones were closed (the target is 2), the busy one is still open.
    expect(hub.manager.peers()).toHaveLength(2)
    expect(spokeSession(spokes[0]!)).toBeDefined()
    expect(hub.disconnects.filter((reason) => /idle/.test(reason))).toHaveLength(2)
    // Within the target, idleness closes nothing more.
    await runFor(300_000)
    expect(hub.manager.peers()).toHaveLength(2)
    // Sessions others dialled are theirs to trim: a popular node with target 0 keeps them.
    const popular = await node('popular', { targetPeers: 0, idleTimeoutMs: 60_000 })
    for (const spoke of spokes.slice(1)) await resolved(spoke.manager.connect(popular.address))
    await runFor(300_000)
    expect(popular.manager.peers()).toHaveLength(3)
    // A node with idleTimeoutMs 0 never trims.
    const keeper = await node('keeper', { targetPeers: 0, idleTimeoutMs: 0 })
    await resolved(keeper.manager.connect(spokes[3]!.address))
    await runFor(300_000)
    expect(keeper.manager.peers()).toHaveLength(1)
  })

  it('stop() says goodbye, rejects pending connects and leaves no timer behind', async () => {
    const { node, resolved, settle, watch, runFor, clock } = setup()
    const a = await node('a')
    const b = await node('b')
    const c = await node('c')
    await resolved(a.manager.connect(b.address))
    await resolved(c.manager.connect(a.address))
    await runFor(20)
    const goodbyes: string[] = []
    b.manager.on('peer:disconnect', (_peer, reason) => goodbyes.push(reason))
    a.manager.peers()[0].send(subscribe('in-flight'), PRIORITY_DHT)
    const pending = watch(a.manager.connect('memory://nobody'))
    await runFor(100) // the first dial failed; the connect waits in its backoff
    await a.manager.stop()
    await runFor(0)
    expect(codeOf(pending.outcome!)).toBe('PEER_STOPPED')
    await runFor(50)
    expect(goodbyes).toEqual(['the peer said goodbye (SHUTDOWN)'])
    expect(topicsOf(b.received)).toEqual(['in-flight'])
    expect(a.manager.peers().length).toBe(0)
    expect(codeOf(await settle(a.manager.connect(b.address)))).toBe('PEER_INVALID_STATE')
    await b.manager.stop()
    await c.manager.stop()
    clock.runAll()
    expect(clock.pending).toBe(0)
  })
})
