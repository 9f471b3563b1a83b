// Lazy-push repair (ihave / iwant): a message forwarded to a random subset still reaches every
// subscriber, each exactly once; the cache that answers iwants is bounded by age, count and
// bytes; malformed or oversized gossip is refused at decode or ignored and counted; and
// stop() leaves no timer behind.

import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_SERVED_PER_IWANT, Relay, type RelayStats } from '../../src/relay/index.js'
import { MessageCache } from '../../src/relay/message-cache.js'
import { decodeMessage } from '../../src/wire/codec.js'
import { WireError } from '../../src/wire/errors.js'
import { MAX_MESSAGE_REFS } from '../../src/wire/limits.js'
import type { DecodedMessage, IHaveMessage, IWantMessage, MessageRef, PublishMessage } from '../../src/wire/messages.js'
import { FakeMesh } from './fake-network.js'
import { memoVerifier, publishAndRun, stopAll, testnet, type Testnet, type TestnetOptions } from './harness.js'

const bytes = (...values: number[]) => Uint8Array.from(values)

function total(net: Testnet, key: keyof Omit<RelayStats, 'dropped'>): number {
  return net.relays.reduce((sum, relay) => sum + relay.stats()[key], 0)
}

interface Run {
  net: Testnet
  /** Deliveries over (messages x subscribers other than the origin). */
  ratio: number
  /** Every handler saw each (origin, seq) at most once. */
  isExactlyOnce: boolean
}

/** 120 nodes of mean degree ~40 (each dials 20), fanout 2: far below the degree. */
async function dense(options: Omit<TestnetOptions, 'nodes'>, messages = 20): Promise<Run> {
  const nodes = 120
  const net = testnet({ nodes, dials: 20, ...options })
  expect(net.mesh.isConnected()).toBe(true)
  for (let k = 0; k < messages; k++) await publishAndRun(net, (k * 37) % nodes, 'news', bytes(k))
  const ratio = total(net, 'delivered') / (messages * (nodes - 1))
  const isExactlyOnce = net.received.every((list) => new Set(list.map((m) => `${Buffer.from(m.origin).toString('hex')}:${m.seq}`)).size === list.length)
  return { net, ratio, isExactlyOnce }
}

function sent(net: Testnet, from: number, to: number): DecodedMessage[] {
  return net.mesh.nodes[from].session(to).sent
}

function inject(net: Testnet, to: number, from: number, message: DecodedMessage): void {
  tell(net, to, from, message)
  net.mesh.run()
}

/** Hands `message` to node `to` as if from `from`, without running the clock (wants stay pending). */
function tell(net: Testnet, to: number, from: number, message: DecodedMessage): void {
  net.mesh.nodes[to].emit('message', net.mesh.nodes[to].session(from), message)
}

/** Nodes 0 - 1 - 2 in a line, all subscribed. */
function line3(relay: TestnetOptions['relay'] = {}): Testnet {
  const net = testnet({ nodes: 3, seed: 9, dials: 0, relay })
  net.mesh.link(0, 1)
  net.mesh.link(1, 2)
  net.mesh.run()
  return net
}

const refsOf = (count: number, seed = 1): MessageRef[] =>
  Array.from({ length: count }, (_, i) => ({ origin: new Uint8Array(32).fill((i + seed) & 0xff), seq: BigInt(i) }))

describe('repair on a dense mesh with a small fanout', () => {
  it('without loss every subscriber gets every message exactly once with repair; without it some miss', async () => {
    const withRepair = await dense({ seed: 5, relay: { fanout: 2 } })
    const without = await dense({ seed: 5, relay: { fanout: 2, gossip: false } })
    const repaired = total(withRepair.net, 'repaired')
    console.log(`120 nodes, mean degree ~40, fanout 2, no loss: delivered ${(without.ratio * 100).toFixed(2)}% without repair, ` +
      `${(withRepair.ratio * 100).toFixed(2)}% with it (${repaired} repaired; ihave ${total(withRepair.net, 'ihaveSent')}, ` +
      `iwant ${total(withRepair.net, 'iwantSent')}, served ${total(withRepair.net, 'servedByIwant')}, ` +
      `publish copies per delivery ${(total(withRepair.net, 'received') / total(withRepair.net, 'delivered')).toFixed(2)})`)
    expect(without.ratio).toBeLessThan(1) // the test can fail: random fanout alone misses some
    expect(total(without.net, 'ihaveSent') + total(without.net, 'iwantSent')).toBe(0)
    expect(withRepair.ratio).toBe(1)
    expect(withRepair.isExactlyOnce && without.isExactlyOnce).toBe(true)
    expect(repaired).toBeGreaterThan(0)
    // Every repair was answered by a cached copy; some answers arrive after a pushed copy.
    expect(total(withRepair.net, 'servedByIwant')).toBeGreaterThanOrEqual(repaired)
    for (const relay of withRepair.net.relays) {
      expect(relay.stats().cachedMessages).toBeLessThanOrEqual(20)
      expect(relay.sizes().gossipQueues).toBe(0) // every batch went out
    }
    stopAll(withRepair.net)
    stopAll(without.net)
  }, 60_000)

  it('with 5% link loss delivers at least 99.9%, each message once', async () => {
    const run = await dense({ seed: 6, loss: 0.05, relay: { fanout: 2 } })
    const without = await dense({ seed: 6, loss: 0.05, relay: { fanout: 2, gossip: false } })
    console.log(`120 nodes, mean degree ~40, fanout 2, 5% loss: delivered ${(without.ratio * 100).toFixed(2)}% without repair, ` +
      `${(run.ratio * 100).toFixed(2)}% with it (${total(run.net, 'repaired')} repaired)`)
    expect(run.ratio).toBeGreaterThanOrEqual(0.999)
    expect(run.isExactlyOnce).toBe(true)
    stopAll(run.net)
    stopAll(without.net)
  }, 60_000)

  it('with the default fanout on a mean-degree-6 mesh and 5% loss, delivers at least 99.9%', async () => {
    const net = testnet({ nodes: 200, seed: 43, dials: 3, loss: 0.05 })
    for (let k = 0; k < 20; k++) await publishAndRun(net, (k * 37) % 200, 'news', bytes(k))
    const ratio = total(net, 'delivered') / (20 * 199)
    console.log(`200 nodes, mean degree 6, fanout 6, 5% loss, with repair: delivered ${(ratio * 100).toFixed(2)}%`)
    expect(ratio).toBeGreaterThanOrEqual(0.999)
    stopAll(net)
  })
})

describe('ihave and iwant between two neighbours', () => {
  it('a message not pushed is offered in one ihave per interval, fetched once, delivered once and counted as repaired', async () => {
    // Node 0 with three subscribed neighbours and fanout 1: two of them are offered the id.
    const net = testnet({ nodes: 4, seed: 3, dials: 0, relay: { fanout: 1 } })
    for (const peer of [1, 2, 3]) net.mesh.link(0, peer)
    net.mesh.run()
    await net.relays[0].publish('news', bytes(1))
    await net.relays[0].publish('news', bytes(2))
    net.mesh.run()
    const ihaves = [1, 2, 3].flatMap((peer) => sent(net, 0, peer).filter((m): m is IHaveMessage => m.type === 'ihave'))
    // Two messages, each offered to the two neighbours it was not pushed to, batched per neighbour.
    expect(ihaves.reduce((sum, m) => sum + m.refs.length, 0)).toBe(4)
    expect(ihaves.length).toBeLessThanOrEqual(3)
    expect(net.relays[0].stats().ihaveSent).toBe(ihaves.length)
    for (const i of [1, 2, 3]) expect(net.received[i].map((m) => m.data[0]).sort()).toEqual([1, 2])
    expect(total(net, 'repaired')).toBe(4)
    expect(net.relays[0].stats().servedByIwant).toBe(4)
    stopAll(net)
  })

  it('a fetched message passes the same checks as a pushed one: a forged answer is dropped and penalized', async () => {
    const net = line3({ fanout: 1 })
    await publishAndRun(net, 0, 'news', bytes(7))
    const genuine = sent(net, 0, 1).find((m): m is PublishMessage => m.type === 'publish') as PublishMessage
    // Node 2 asks node 1 for an id it was offered; node 1 answers with an altered copy.
    const before = net.relays[2].stats()
    const fresh = { ...genuine, seq: genuine.seq + 1n, path: [genuine.origin, net.mesh.nodes[1].identity.peerId] }
    inject(net, 2, 1, { type: 'ihave', refs: [{ origin: fresh.origin, seq: fresh.seq }] })
    expect(sent(net, 2, 1).at(-1)).toEqual({ type: 'iwant', refs: [{ origin: fresh.origin, seq: fresh.seq }] })
    inject(net, 2, 1, fresh) // signed over the old seq: does not verify
    const after = net.relays[2].stats()
    expect(after.dropped['bad-signature']).toBe(before.dropped['bad-signature'] + 1)
    expect(after.repaired).toBe(before.repaired)
    expect(net.mesh.nodes[2].session(1).penalties).toContain('bad-signature')
    expect(net.received[2]).toHaveLength(1)
    stopAll(net)
  })

  it('asks only for ids it has not seen, once per iwantTimeoutMs, and at most maxServedPerIwant per ihave', async () => {
    const net = line3({ iwantTimeoutMs: 1_000, maxServedPerIwant: 8 })
    await publishAndRun(net, 0, 'news', bytes(1))
    const seen = net.received[2][0]
    const iwantsOf = () => sent(net, 2, 1).filter((m): m is IWantMessage => m.type === 'iwant')
    tell(net, 2, 1, { type: 'ihave', refs: [{ origin: seen.origin, seq: seen.seq }, { origin: net.mesh.nodes[2].identity.peerId, seq: 1n }] })
    expect(iwantsOf()).toHaveLength(0) // one seen, one its own
    tell(net, 2, 1, { type: 'ihave', refs: refsOf(MAX_MESSAGE_REFS) })
    expect(iwantsOf()).toHaveLength(1)
    expect(iwantsOf()[0].refs).toEqual(refsOf(MAX_MESSAGE_REFS).slice(0, 8))
    expect(net.relays[2].sizes().pendingWants).toBe(8)
    tell(net, 2, 1, { type: 'ihave', refs: refsOf(8) })
    expect(iwantsOf()).toHaveLength(1) // asked already, within the timeout
    net.mesh.clock.advance(1_000) // unanswered, and nobody else offered them: forgotten
    expect(net.relays[2].sizes().pendingWants).toBe(0)
    tell(net, 2, 1, { type: 'ihave', refs: refsOf(8) })
    expect(iwantsOf()).toHaveLength(2)
    net.mesh.run()
    stopAll(net)
  })

  it('an unanswered iwant is asked again of another neighbour that offered the id', async () => {
    // Node 1 between 0 and 2; both offer the same unknown id. Node 0 is asked first and is silent.
    const net = line3({ iwantTimeoutMs: 300 })
    const asked = (to: number) => sent(net, 1, to).filter((m): m is IWantMessage => m.type === 'iwant')
    tell(net, 1, 0, { type: 'ihave', refs: refsOf(1) })
    tell(net, 1, 2, { type: 'ihave', refs: refsOf(1) })
    expect([asked(0).length, asked(2).length]).toEqual([1, 0])
    net.mesh.clock.advance(400)
    expect([asked(0).length, asked(2).length]).toEqual([1, 1])
    net.mesh.run()
    expect(net.relays[1].sizes().pendingWants).toBe(0)
    stopAll(net)
  })

  it('bounds the ids asked for at maxPendingWants, counting the refused ones', () => {
    const net = line3({ maxPendingWants: 5 })
    tell(net, 2, 1, { type: 'ihave', refs: refsOf(20) })
    const iwants = sent(net, 2, 1).filter((m): m is IWantMessage => m.type === 'iwant')
    expect(iwants[0].refs).toHaveLength(5)
    expect(net.relays[2].stats().wantsRefused).toBe(15)
    expect(net.relays[2].sizes().pendingWants).toBe(5)
    net.mesh.run()
    expect(net.relays[2].sizes().pendingWants).toBe(0) // expired
    stopAll(net)
  })

  it('answers an iwant only with cached messages, at most maxServedPerIwant, each at most once to an asker, and ignores the rest', async () => {
    // Node 0 between 1 and 2 with fanout 1: each of 5 messages is pushed to one of them at
    // random and offered to the other, which fetches it. The asker is whichever neighbour got
    // at least 3 pushes (one of them did), so whatever the seed picked, more of the messages
    // it asks for are cached and not yet served to it than the cap of 2.
    for (const seed of [11, 12, 13, 14]) {
      const net = testnet({ nodes: 3, seed, dials: 0, relay: { fanout: 1, maxServedPerIwant: 2 } })
      net.mesh.link(0, 1)
      net.mesh.link(0, 2)
      net.mesh.run()
      const seqs: bigint[] = []
      for (let k = 0; k < 5; k++) seqs.push(await publishAndRun(net, 0, 'news', bytes(k)))
      const origin = net.mesh.nodes[0].identity.peerId
      const asker = net.relays[1].stats().repaired <= 2 ? 1 : 2
      const fetched = new Set(sent(net, asker, 0).flatMap((m) => (m.type === 'iwant' ? m.refs.map((ref) => ref.seq) : [])))
      expect(fetched.size).toBe(net.relays[asker].stats().repaired)
      const before = net.relays[0].stats()
      const publishesTo = () => sent(net, 0, asker).filter((m): m is PublishMessage => m.type === 'publish')
      const sentBefore = publishesTo().length
      inject(net, 0, asker, { type: 'iwant', refs: [...refsOf(4), ...seqs.map((seq) => ({ origin, seq }))] })
      // The first two pushed ones are served; the fetched ones were served to it already.
      const served = publishesTo().slice(sentBefore).map((m) => m.seq)
      expect(served).toEqual(seqs.filter((seq) => !fetched.has(seq)).slice(0, 2))
      const after = net.relays[0].stats()
      expect(after.servedByIwant).toBe(before.servedByIwant + 2)
      expect(after.iwantUnserved).toBe(before.iwantUnserved + 4 + 3) // 4 unknown, 3 fetched before or over the cap
      // The asker had them all already: the served copies are duplicates, delivered once.
      expect(net.received[asker]).toHaveLength(5)
      // The same iwant again: each message goes to an asker once, so a repeated small request
      // cannot make node 0 send the same messages over and over.
      inject(net, 0, asker, { type: 'iwant', refs: served.map((seq) => ({ origin, seq })) })
      expect(publishesTo().length).toBe(sentBefore + 2)
      expect(net.relays[0].stats().servedByIwant).toBe(after.servedByIwant)
      expect(net.relays[0].stats().iwantUnserved).toBe(after.iwantUnserved + 2)
      stopAll(net)
    }
  })

  it('with gossip: false neither offers, asks nor answers', async () => {
    const net = testnet({ nodes: 4, seed: 3, dials: 0, relay: { fanout: 1, gossip: false } })
    for (const peer of [1, 2, 3]) net.mesh.link(0, peer)
    net.mesh.run()
    const seq = await publishAndRun(net, 0, 'news', bytes(1))
    inject(net, 0, 1, { type: 'iwant', refs: [{ origin: net.mesh.nodes[0].identity.peerId, seq }] })
    inject(net, 1, 0, { type: 'ihave', refs: refsOf(3) })
    expect(total(net, 'ihaveSent') + total(net, 'iwantSent') + total(net, 'servedByIwant')).toBe(0)
    expect(net.relays[0].stats().cachedMessages).toBe(0)
    stopAll(net)
  })
})

describe('malformed and oversized gossip', () => {
  it('an ihave or iwant over MAX_MESSAGE_REFS is a WireError at decode, from its count', () => {
    for (const type of [0x13, 0x14]) {
      const body = [0x01, 0x01, ...new Uint8Array(40 * 257)] // 257 refs, all present
      const encoded = Uint8Array.of(type, 0, 0, body.length >> 8, body.length & 0xff, ...body)
      expect(() => decodeMessage(encoded)).toThrow(WireError)
      expect(() => decodeMessage(encoded)).toThrow(expect.objectContaining({ code: 'WIRE_COUNT_EXCEEDED' }))
      const short = Uint8Array.of(type, 0, 0, 0, 5, 0, 1, 0, 0, 0) // one ref declared, 3 bytes of it
      expect(() => decodeMessage(short)).toThrow(expect.objectContaining({ code: 'WIRE_TRUNCATED' }))
    }
  })

  it('a full iwant of unknown ids costs nothing but counting; a full ihave of unknown ids asks for at most the default cap', () => {
    const net = line3()
    inject(net, 1, 0, { type: 'iwant', refs: refsOf(MAX_MESSAGE_REFS) })
    expect(sent(net, 1, 0).filter((m) => m.type === 'publish')).toHaveLength(0)
    expect(net.relays[1].stats().iwantUnserved).toBe(MAX_MESSAGE_REFS)
    inject(net, 1, 0, { type: 'ihave', refs: refsOf(MAX_MESSAGE_REFS) })
    const iwants = sent(net, 1, 0).filter((m): m is IWantMessage => m.type === 'iwant')
    expect(iwants).toHaveLength(1)
    expect(iwants[0].refs).toHaveLength(DEFAULT_MAX_SERVED_PER_IWANT)
    stopAll(net)
  })
})

describe('the message cache', () => {
  const message = (size: number): PublishMessage => ({
    type: 'publish', topic: 't', origin: new Uint8Array(32), originKey: new Uint8Array(32), seq: 0n, timestampMs: 0, ttl: 1, path: [], data: new Uint8Array(size), signature: new Uint8Array(64),
  })

  it('evicts by age, count and bytes, oldest first', () => {
    const cache = new MessageCache({ ttlMs: 1_000, maxMessages: 3, maxBytes: 100 })
    for (let k = 0; k < 5; k++) cache.add(BigInt(k), message(10), 0)
    expect(cache.size).toBe(3) // count: 0 and 1 evicted
    expect(cache.get(1n, 0)).toBeUndefined()
    expect(cache.get(2n, 0)).toBeDefined()
    cache.add(5n, message(90), 500) // bytes: 2 and 3 go to fit 90 beside 4 in 100
    expect(cache.size).toBe(2)
    expect(cache.sizeBytes).toBe(100)
    expect(cache.get(3n, 500)).toBeUndefined()
    cache.add(6n, message(101), 500) // larger than the whole cache: not kept
    expect(cache.get(6n, 500)).toBeUndefined()
    expect(cache.get(5n, 1_499)).toBeDefined()
    expect(cache.get(4n, 1_499)).toBeUndefined() // added at 0: expired at 1,000
    expect(cache.get(5n, 1_500)).toBeUndefined() // age
    expect(cache.size).toBe(0)
    expect(cache.sizeBytes).toBe(0)
  })

  it("a relay's cache stays within maxCachedMessages and messageCacheMs (60 s here); an expired id is not served", async () => {
    const net = testnet({ nodes: 3, seed: 11, dials: 0, relay: { fanout: 1, maxCachedMessages: 10, messageCacheMs: 60_000 } })
    net.mesh.link(0, 1)
    net.mesh.link(0, 2)
    net.mesh.run()
    const seqs: bigint[] = []
    for (let k = 0; k < 30; k++) {
      seqs.push(await publishAndRun(net, 0, 'news', bytes(k)))
      expect(net.relays[0].sizes().messageCache).toBeLessThanOrEqual(10)
    }
    expect(net.relays[0].stats().cachedMessages).toBe(10)
    net.mesh.clock.advance(60_000)
    expect(net.relays[0].sizes().messageCache).toBe(0)
    const before = net.relays[0].stats().servedByIwant
    inject(net, 0, 1, { type: 'iwant', refs: [{ origin: net.mesh.nodes[0].identity.peerId, seq: seqs[29] }] })
    expect(net.relays[0].stats().servedByIwant).toBe(before)
    stopAll(net)
  })
})

describe('gossip options and lifecycle', () => {
  const mesh = new FakeMesh({ nodes: 1 })
  const network = mesh.nodes[0]

  it.each([
    [{ gossip: 'yes' }, 'gossip must be a boolean'],
    [{ gossipIntervalMs: 0 }, 'gossipIntervalMs must be an integer from 1 to 60000, got 0'],
    [{ messageCacheMs: 1.5 }, 'messageCacheMs must be an integer'],
    [{ maxCachedMessages: 0 }, 'maxCachedMessages must be an integer from 1 to 100000, got 0'],
    [{ maxCacheBytes: 2 ** 30 + 1 }, 'maxCacheBytes must be an integer'],
    [{ iwantTimeoutMs: -1 }, 'iwantTimeoutMs must be an integer'],
    [{ maxPendingWants: 0 }, 'maxPendingWants must be an integer'],
    [{ maxServedPerIwant: MAX_MESSAGE_REFS + 1 }, `maxServedPerIwant must be an integer from 1 to ${MAX_MESSAGE_REFS}, got ${MAX_MESSAGE_REFS + 1}`],
  ])('refuses %o with RELAY_INVALID_OPTION', (options, message) => {
    expect(() => new Relay({ network, ...(options as object) })).toThrow(message)
    expect(() => new Relay({ network, ...(options as object) })).toThrow(expect.objectContaining({ code: 'RELAY_INVALID_OPTION' }))
  })

  it('holds one gossip timer only while ids are queued, and stop() clears it', async () => {
    const net = testnet({ nodes: 4, seed: 3, dials: 0, relay: { fanout: 1, verify: memoVerifier() } })
    for (const peer of [1, 2, 3]) net.mesh.link(0, peer)
    net.mesh.run()
    expect(net.mesh.clock.pending).toBe(0) // idle: no timer
    await net.relays[0].publish('news', bytes(1))
    await net.relays[0].publish('news', bytes(2))
    const inFlight = 2 // the pushed copy of each
    expect(net.mesh.clock.pending).toBe(inFlight + 1) // one gossip timer for both messages and both lazy peers
    expect(net.relays[0].sizes().gossipQueues).toBeGreaterThanOrEqual(2)
    net.relays[0].stop()
    expect(net.mesh.clock.pending).toBe(inFlight)
    expect(net.relays[0].sizes()).toMatchObject({ messageCache: 0, pendingWants: 0, gossipQueues: 0 })
    net.mesh.run()
    expect(net.relays[0].stats().ihaveSent).toBe(0)
    stopAll(net)
    expect(net.mesh.clock.pending).toBe(0)
  })
})
