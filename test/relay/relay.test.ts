import { describe, expect, it } from 'vitest'
import { DEFAULT_FANOUT, Relay, RelayError, type RelayMessage } from '../../src/relay/index.js'
import type { PublishMessage } from '../../src/wire/messages.js'
import { FakeMesh } from './fake-network.js'
import { inject, line, memoVerifier, publishAndRun, publishesSent, signedByNode0, stopAll, testnet, type TestnetOptions } from './harness.js'

const bytes = (...values: number[]) => Uint8Array.from(values)


/** A genuine message node 0 signs. */
async function genuineFromNode0(data: Uint8Array, options: Omit<TestnetOptions, 'nodes'> = {}): Promise<PublishMessage> {
  return (await signedByNode0([data], options))[0]
}

describe('Relay on a 200-node random mesh', () => {
  // Flooding (fanout above every degree) reaches every subscriber of a connected mesh; the
  // default fanout pushes to a random subset and ihave/iwant repair reaches the rest (see
  // fanout.test.ts, gossip.test.ts). Either way no handler ever sees a message twice.
  it.each([
    ['flooding (fanout 100)', 100, 1],
    [`the default fanout (${DEFAULT_FANOUT}) and repair`, DEFAULT_FANOUT, 1],
  ])('with %s, delivers each message to subscribers exactly once, and reports the duplicate factor', async (label, fanout, minRatio) => {
    const net = testnet({ nodes: 200, seed: 42, dials: 3, relay: { fanout } })
    expect(net.mesh.isConnected()).toBe(true)
    const origins = [0, 17, 99, 150, 199, 3, 42, 77, 120, 188]
    for (const origin of origins) await publishAndRun(net, origin, 'news', bytes(origin))
    for (let i = 0; i < 200; i++) {
      const got = net.received[i].map((m) => m.data[0])
      expect(new Set(got).size).toBe(got.length)
      expect(got).not.toContain(i) // a node does not hear its own publishes
      if (minRatio === 1) expect(got).toEqual(origins.filter((origin) => origin !== i))
    }
    const copies = net.relays.reduce((sum, relay) => sum + relay.stats().received, 0)
    const deliveries = net.relays.reduce((sum, relay) => sum + relay.stats().delivered, 0)
    const maxHops = Math.max(...net.received.flat().map((m) => m.hops))
    console.log(`200 nodes, mean degree 6, ${label}, no loss: delivered ${((deliveries / (origins.length * 199)) * 100).toFixed(2)}%, ` +
      `duplicate factor ${(copies / deliveries).toFixed(2)} copies received per delivered message, max hops ${maxHops}`)
    expect(deliveries / (origins.length * 199)).toBeGreaterThanOrEqual(minRatio)
    stopAll(net)
  })

  it('delivers at least 99% with 5% link loss', async () => {
    const net = testnet({ nodes: 200, seed: 43, dials: 3, loss: 0.05 })
    const messages = 20
    for (let k = 0; k < messages; k++) await publishAndRun(net, (k * 37) % 200, 'news', bytes(k))
    const delivered = net.relays.reduce((sum, relay) => sum + relay.stats().delivered, 0)
    const ratio = delivered / (messages * 199)
    const copies = net.relays.reduce((sum, relay) => sum + relay.stats().received, 0)
    console.log(`200 nodes, 5% loss, fanout 6: delivered ${(ratio * 100).toFixed(2)}%, duplicate factor ${(copies / delivered).toFixed(2)}`)
    expect(ratio).toBeGreaterThanOrEqual(0.99)
    // Sequence numbers are per origin (nodes started together share them): (origin, seq) is the id.
    for (const list of net.received) expect(new Set(list.map((m) => `${Buffer.from(m.origin).toString('hex')}:${m.seq}`)).size).toBe(list.length)
    stopAll(net)
  })
})

describe('Relay message checks', () => {
  it('drops a forged signature, penalizes the sender and forwards nothing', async () => {
    const genuine = await genuineFromNode0(bytes(1, 2, 3))
    const net = line(4)
    const forged: PublishMessage = { ...genuine, signature: new Uint8Array(64).fill(7) }
    inject(net, 1, 0, forged)
    expect(net.relays[1].stats().dropped['bad-signature']).toBe(1)
    expect(net.mesh.nodes[1].session(0).penalties).toEqual(['bad-signature'])
    expect(net.received.flat()).toEqual([])
    expect(net.relays[2].stats().received).toBe(0)
    stopAll(net)
  })

  it('drops an altered payload or topic, and an origin whose key does not match', async () => {
    const genuine = await genuineFromNode0(bytes(1, 2, 3))
    const net = line(3, { topic: null })
    net.relays.forEach((relay, i) => relay.subscribe('news', (m) => net.received[i].push(m)))
    net.relays.forEach((relay, i) => relay.subscribe('other', (m) => net.received[i].push(m)))
    net.mesh.run()
    const data = genuine.data.slice()
    data[data.length - 1] ^= 1
    inject(net, 1, 0, { ...genuine, data })
    inject(net, 1, 0, { ...genuine, topic: 'other' })
    // Another node's key: SHA-256(key) is not the origin.
    inject(net, 1, 0, { ...genuine, originKey: net.mesh.nodes[2].identity.publicKey })
    const stats = net.relays[1].stats()
    expect(stats.dropped['bad-signature']).toBe(2)
    expect(stats.dropped['invalid-message']).toBe(1)
    expect(net.mesh.nodes[1].session(0).penalties).toEqual(['bad-signature', 'bad-signature', 'invalid-message'])
    expect(net.received.flat()).toEqual([])
    expect(net.relays[2].stats().received).toBe(0)
    stopAll(net)
  })

  it('a forged copy arriving first does not shadow the genuine message', async () => {
    const genuine = await genuineFromNode0(bytes(9))
    const net = line(3)
    inject(net, 1, 0, { ...genuine, signature: new Uint8Array(64) })
    inject(net, 1, 0, genuine)
    expect(net.received[1].map((m) => m.data)).toEqual([bytes(9)])
    expect(net.received[2].map((m) => m.data)).toEqual([bytes(9)])
    stopAll(net)
  })

  it('refuses to publish data over maxMessageBytes, and drops oversized messages from peers', async () => {
    const genuine = await genuineFromNode0(new Uint8Array(200))
    const net = line(3, { relay: { maxMessageBytes: 100 } })
    await expect(net.relays[0].publish('news', new Uint8Array(101))).rejects.toMatchObject({ name: 'RelayError', code: 'RELAY_MESSAGE_TOO_LARGE' })
    await net.relays[0].publish('news', new Uint8Array(100))
    net.mesh.run()
    expect(net.received[2]).toHaveLength(1)
    inject(net, 1, 0, genuine)
    expect(net.relays[1].stats().dropped['too-large']).toBe(1)
    expect(net.received[1]).toHaveLength(1)
    expect(net.relays[2].stats().received).toBe(1)
    stopAll(net)
  })

  it("a validator's reject drops the message and penalizes the sender; ignore drops it quietly", async () => {
    const net = line(3)
    net.relays[1].setValidator('news', (m) => (m.data[0] === 0xff ? 'reject' : m.data[0] === 0xee ? 'ignore' : 'accept'))
    await publishAndRun(net, 0, 'news', bytes(0xff))
    await publishAndRun(net, 0, 'news', bytes(0xee))
    await publishAndRun(net, 0, 'news', bytes(1))
    const stats = net.relays[1].stats()
    expect(stats.dropped['validator-reject']).toBe(1)
    expect(stats.dropped['validator-ignore']).toBe(1)
    expect(net.mesh.nodes[1].session(0).penalties).toEqual(['unwanted'])
    expect(net.received[1].map((m) => m.data)).toEqual([bytes(1)])
    expect(net.received[2].map((m) => m.data)).toEqual([bytes(1)])
    // The same validator refuses this node's own publishes.
    await expect(net.relays[1].publish('news', bytes(0xff))).rejects.toMatchObject({ code: 'RELAY_VALIDATION_FAILED' })
    // A throwing validator ignores the message.
    net.relays[2].setValidator('news', () => {
      throw new Error('bug')
    })
    await publishAndRun(net, 0, 'news', bytes(2))
    expect(net.received[2]).toHaveLength(1)
    expect(net.relays[2].stats().dropped['validator-ignore']).toBe(1)
    stopAll(net)
  })

  it('stops forwarding when the TTL runs out, and drops a message that arrives with ttl 0', async () => {
    const net = line(6, { relay: { defaultTtl: 2 } })
    await publishAndRun(net, 0, 'news', bytes(5))
    expect(net.received.map((list) => list.length)).toEqual([0, 1, 1, 0, 0, 0])
    expect(net.received[2][0].hops).toBe(2)
    expect(net.relays[2].stats().ttlExhausted).toBe(1)
    expect(net.relays[3].stats().received).toBe(0)
    const genuine = await genuineFromNode0(bytes(6))
    inject(net, 1, 0, { ...genuine, ttl: 0 })
    expect(net.relays[1].stats().dropped['ttl-expired']).toBe(1)
    stopAll(net)
  })

  it('drops a message whose recent path holds this node, and never forwards to a peer on the path', async () => {
    const genuine = await genuineFromNode0(bytes(3))
    const net = line(4)
    net.mesh.link(1, 3)
    net.mesh.run()
    const id = (i: number) => net.mesh.nodes[i].identity.peerId
    // Loop: node 1 is on the path it receives.
    inject(net, 2, 1, { ...genuine, path: [id(0), id(2), id(1)] })
    expect(net.relays[2].stats().dropped.loop).toBe(1)
    expect(net.received[2]).toEqual([])
    // Node 1 hears it from node 2 with node 3 on the path: it forwards to neither.
    inject(net, 1, 2, { ...genuine, path: [id(0), id(3), id(2)] })
    expect(net.received[1]).toHaveLength(1)
    expect(publishesSent(net, 1, 3)).toEqual([])
    expect(publishesSent(net, 1, 0)).toEqual([])
    // A path that does not end with the sender is malformed.
    inject(net, 3, 1, { ...genuine, path: [id(0)] })
    expect(net.relays[3].stats().dropped['invalid-message']).toBe(1)
    expect(net.mesh.nodes[3].session(1).penalties).toEqual(['invalid-message'])
    stopAll(net)
  })

  it('a ring with a one-entry dedup set still stops: path and origin checks end the loop', async () => {
    const net = testnet({ nodes: 6, seed: 3, dials: 0, relay: { dedupCapacity: 1, fanout: 1, defaultTtl: 255 } })
    for (let i = 0; i < 6; i++) net.mesh.link(i, (i + 1) % 6)
    net.mesh.run()
    await publishAndRun(net, 0, 'news', bytes(1))
    expect(net.received.slice(1).every((list) => list.length === 1)).toBe(true)
    expect(net.mesh.clock.pending).toBe(0)
    stopAll(net)
  })

  it('with an asynchronous verifier: copies wait on one check, a failed check lets the next copy be checked, and checks in flight are bounded', async () => {
    const source = line(2)
    await publishAndRun(source, 0, 'news', bytes(1))
    await publishAndRun(source, 0, 'news', bytes(2))
    const [first, second] = publishesSent(source, 0, 1)
    stopAll(source)
    const memo = memoVerifier()
    const flush = async () => {
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0))
    }
    const net = line(3, { relay: { verify: (k, m, sig) => Promise.resolve(memo(k, m, sig)), maxPendingVerifications: 1 } })
    const node = net.mesh.nodes[1]
    const id = (i: number) => net.mesh.nodes[i].identity.peerId
    node.emit('message', node.session(0), { ...first, signature: new Uint8Array(64) }) // forged, checked first
    node.emit('message', node.session(0), first) // waits on the forged copy's check
    node.emit('message', node.session(2), { ...first, path: [id(0), id(2)] }) // waits too: node 2 has it
    node.emit('message', node.session(2), { ...first, path: [id(0), id(2)] }) // node 2 again: one waiting copy a neighbour
    node.emit('message', node.session(0), second) // a second check in flight: over the bound
    expect(net.relays[1].stats().pendingVerifications).toBe(1)
    expect(net.relays[1].sizes().pendingCopies).toBe(2)
    await flush()
    net.mesh.run()
    await flush()
    const stats = net.relays[1].stats()
    expect(stats.dropped['bad-signature']).toBe(1)
    expect(stats.dropped.overload).toBe(1)
    expect(stats.dropped.duplicate).toBe(2)
    expect(stats.received).toBe(5)
    expect(net.received[1].map((m) => m.data)).toEqual([bytes(1)])
    expect(node.session(0).penalties).toEqual(['bad-signature'])
    expect(publishesSent(net, 1, 2)).toEqual([]) // node 2 sent it: not forwarded back
    expect(stats.pendingVerifications).toBe(0)
    stopAll(net)
  })

  it('checks signatures asynchronously with the default verifier', async () => {
    const mesh = new FakeMesh({ nodes: 4, seed: 5 })
    const relays = mesh.nodes.map((network) => new Relay({ network }))
    const received: RelayMessage[][] = relays.map(() => [])
    relays.forEach((relay, i) => relay.subscribe('news', (m) => received[i].push(m)))
    for (let i = 0; i < 3; i++) mesh.link(i, i + 1)
    mesh.link(0, 2)
    mesh.run()
    await relays[0].publish('news', bytes(4))
    for (let round = 0; round < 200 && (mesh.clock.pending > 0 || relays.some((r) => r.stats().pendingVerifications > 0)); round++) {
      mesh.run()
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    expect(received.map((list) => list.length)).toEqual([0, 1, 1, 1])
    for (const relay of relays) relay.stop()
  })
})

describe('Relay subscriptions', () => {
  it('does not send a topic to peers that do not subscribe to it', async () => {
    const net = testnet({ nodes: 4, seed: 7, dials: 0, topic: null })
    for (let i = 0; i < 3; i++) net.relays[i].subscribe('news', (m) => net.received[i].push(m))
    net.relays[3].subscribe('other', (m) => net.received[3].push(m))
    net.mesh.link(0, 1)
    net.mesh.link(1, 2)
    net.mesh.link(1, 3) // node 3 hangs off node 1 but follows another topic
    net.mesh.run()
    await publishAndRun(net, 0, 'news', bytes(1))
    expect(net.received[2]).toHaveLength(1)
    expect(publishesSent(net, 1, 3)).toEqual([])
    expect(net.relays[3].stats().received).toBe(0)
    expect(net.received[3]).toEqual([])
    stopAll(net)
  })

  it('unsubscribing stops delivery and tells the neighbours', async () => {
    const net = line(3, { topic: null })
    const received: RelayMessage[] = []
    net.relays[1].subscribe('news', () => {})
    const unsubscribe = net.relays[2].subscribe('news', (m) => received.push(m))
    net.mesh.run()
    await publishAndRun(net, 0, 'news', bytes(1))
    expect(received).toHaveLength(1)
    unsubscribe()
    unsubscribe() // idempotent
    net.mesh.run()
    expect(net.mesh.nodes[2].session(1).sent.at(-1)).toEqual({ type: 'unsubscribe', topics: ['news'] })
    await publishAndRun(net, 0, 'news', bytes(2))
    expect(received).toHaveLength(1)
    expect(publishesSent(net, 1, 2)).toHaveLength(1)
    expect(net.relays[2].stats().subscriptions).toBe(0)
    stopAll(net)
  })

  it('announces subscriptions to new peers and forgets a peer that disconnects', () => {
    const net = line(2)
    expect(net.mesh.nodes[0].session(1).sent).toContainEqual({ type: 'subscribe', topics: ['news'] })
    expect(net.relays[0].stats().peersWithTopics).toBe(1)
    net.mesh.unlink(0, 1)
    expect(net.relays[0].stats().peersWithTopics).toBe(0)
    stopAll(net)
  })

  it('caps the topics remembered per peer', () => {
    const net = line(2, { relay: { maxTopicsPerPeer: 10 } })
    const topics = Array.from({ length: 15 }, (_, i) => `t${i}`)
    net.mesh.nodes[0].emit('message', net.mesh.nodes[0].session(1), { type: 'subscribe', topics })
    expect(net.relays[0].stats().topicsRefused).toBe(6) // 'news' and 9 more fit
    stopAll(net)
  })

  it('a node may publish to a topic it does not subscribe to', async () => {
    const net = line(3, { topic: null })
    const got: RelayMessage[] = []
    net.relays[1].subscribe('news', () => {})
    net.relays[2].subscribe('news', (m) => got.push(m))
    net.mesh.run()
    const result = await net.relays[0].publish('news', bytes(8))
    net.mesh.run()
    expect(result.peers).toBe(1)
    expect(got.map((m) => m.data)).toEqual([bytes(8)])
    expect(got[0].origin).toEqual(net.mesh.nodes[0].identity.peerId)
    stopAll(net)
  })
})

describe('Relay publish results', () => {
  it('says where a publish went: sent to subscribed neighbours, or not sent and why', async () => {
    const net = line(2, { topic: null })
    const [relay0, relay1] = net.relays
    const announced: string[][] = []
    const stopListening = relay0.onAnnounce((topics) => announced.push([...topics]))
    // Neighbour 1 has not announced the topic yet.
    expect(await relay0.publish('news', bytes(1))).toMatchObject({ peers: 0, subscribers: 0, isSent: false, notSentReason: 'no-subscribers' })
    relay1.subscribe('news', () => {})
    net.mesh.run()
    expect(announced).toEqual([['news']])
    expect(relay0.subscriberCount('news')).toBe(1)
    expect(relay0.subscriberCount('other')).toBe(0)
    expect(await relay0.publish('news', bytes(2))).toMatchObject({ peers: 1, subscribers: 1, isSent: true, notSentReason: undefined })
    // Every subscribed neighbour's queue refuses it.
    const session = net.mesh.nodes[0].session(1)
    session.send = () => false
    expect(await relay0.publish('news', bytes(3))).toMatchObject({ peers: 0, subscribers: 1, isSent: false, notSentReason: 'send-refused' })
    stopListening()
    stopAll(net)
  })

  it("a relay with no neighbour at all says 'no-peers'", async () => {
    const net = line(1, { topic: null })
    expect(await net.relays[0].publish('news', bytes(1))).toMatchObject({ peers: 0, isSent: false, notSentReason: 'no-peers' })
    stopAll(net)
  })
})

describe('Relay options and lifecycle', () => {
  const mesh = new FakeMesh({ nodes: 1 })
  const network = mesh.nodes[0]

  it.each([
    [{ fanout: 0 }, 'fanout must be an integer from 1 to 100, got 0'],
    [{ defaultTtl: 256 }, 'defaultTtl must be an integer from 1 to 255, got 256'],
    [{ maxMessageBytes: -1 }, 'maxMessageBytes must be an integer'],
    [{ dedupTtlMs: 1.5 }, 'dedupTtlMs must be an integer'],
    [{ maxReplayOrigins: 0 }, 'maxReplayOrigins must be an integer from 1 to 1000000, got 0'],
    [{ maxMessageAgeMs: 999 }, 'maxMessageAgeMs must be an integer from 1000 to 86400000, got 999'],
    [{ maxMessageAgeMs: 86_400_001 }, 'maxMessageAgeMs must be an integer from 1000 to 86400000, got 86400001'],
    [{ maxClockSkewMs: -1 }, 'maxClockSkewMs must be an integer from 0 to 86400000, got -1'],
    [{ maxClockSkewMs: 0.5 }, 'maxClockSkewMs must be an integer'],
  ])('refuses %o', (options, message) => {
    expect(() => new Relay({ network, ...options })).toThrow(message)
    try {
      new Relay({ network, ...options })
    } catch (error) {
      expect(error).toBeInstanceOf(RelayError)
      expect((error as RelayError).code).toBe('RELAY_INVALID_OPTION')
    }
  })

  it('refuses a missing network', () => {
    expect(() => new Relay({} as never)).toThrow(expect.objectContaining({ code: 'RELAY_INVALID_OPTION' }))
  })

  it('validates topics, handlers and data', async () => {
    const relay = new Relay({ network })
    expect(() => relay.subscribe('', () => {})).toThrow(expect.objectContaining({ code: 'RELAY_INVALID_ARGUMENT' }))
    expect(() => relay.subscribe('x'.repeat(257), () => {})).toThrow(/1 to 256 bytes/)
    expect(() => relay.subscribe('t', 'nope' as never)).toThrow(expect.objectContaining({ code: 'RELAY_INVALID_ARGUMENT' }))
    await expect(relay.publish('t', 'text' as never)).rejects.toMatchObject({ code: 'RELAY_INVALID_ARGUMENT' })
    relay.stop()
  })

  it('caps local subscriptions and validators', () => {
    const relay = new Relay({ network, maxSubscriptions: 2 })
    relay.subscribe('a', () => {})
    relay.subscribe('b', () => {})
    relay.subscribe('a', () => {}) // a second handler on a topic is no new subscription
    expect(() => relay.subscribe('c', () => {})).toThrow(expect.objectContaining({ code: 'RELAY_TOO_MANY_SUBSCRIPTIONS' }))
    // Validators too: at most maxSubscriptions topics have one; replacing one is always allowed.
    relay.setValidator('x', () => 'accept')
    relay.setValidator('y', () => 'accept')
    relay.setValidator('x', () => 'ignore')
    expect(() => relay.setValidator('z', () => 'accept')).toThrow(expect.objectContaining({ code: 'RELAY_TOO_MANY_SUBSCRIPTIONS' }))
    relay.setValidator('y', undefined)
    relay.setValidator('z', () => 'accept')
    relay.stop()
  })

  it('stop() removes its listeners and refuses further use', async () => {
    const before = network.listenerCount
    const relay = new Relay({ network })
    expect(network.listenerCount).toBe(before + 3)
    relay.stop()
    relay.stop()
    expect(network.listenerCount).toBe(before)
    expect(() => relay.subscribe('t', () => {})).toThrow(expect.objectContaining({ code: 'RELAY_STOPPED' }))
    await expect(relay.publish('t', bytes(1))).rejects.toMatchObject({ code: 'RELAY_STOPPED' })
  })
})
