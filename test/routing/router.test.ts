import { describe, expect, it } from 'vitest'
import { Identity } from '../../src/peers/identity.js'
import { RoutingError, sendBoundMs } from '../../src/routing/index.js'
import { directSignedBytes, routedSignedBytes } from '../../src/routing/envelope.js'
import { composeMessageId } from '../../src/routing/message-id.js'
import { SeededRandom, sample } from '../../src/util/random.js'
import type { DirectMessage } from '../../src/wire/messages.js'
import { byDistanceTo, createRoutedNet, linkLine, stopNet } from './harness.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'

// Virtual-time bounds here must not depend on how long real crypto takes on a loaded machine.
useDeterministicEd25519()

const data = new TextEncoder().encode('hello, far node')

async function rejection(promise: Promise<unknown>): Promise<RoutingError> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(RoutingError)
    return error as RoutingError
  }
  throw new Error('expected a rejection')
}

describe('Router', () => {
  it('reaches a node 5 hops away along a greedy line, delivers once and reports the hops', async () => {
    const net = createRoutedNet(6)
    const target = net.nodes[5].id
    // Ordered farthest first: each node's only forward neighbour is closer to the target.
    const line = [...net.nodes].sort(byDistanceTo(target)).reverse()
    linkLine(line)
    const origin = net.nodes.indexOf(line[0])
    const result = await net.mesh.run(net.routers[origin].send(target, data))
    expect(result).toMatchObject({ path: 'dht', hops: 5, attempts: 1 })
    expect(result.rttMs).toBe(100) // 10 hops of 10 ms
    await net.mesh.advance(1_000)
    expect(net.inboxes[5]).toHaveLength(1)
    expect(net.inboxes[5][0]).toMatchObject({ data, hops: 5 })
    expect(net.inboxes[5][0].from).toEqual(line[0].id)
    expect(net.routers[5].stats()).toMatchObject({ delivered: 1, acksSent: 1 })
    expect(await stopNet(net)).toBe(0)
  })

  it('sends straight to a connected neighbour', async () => {
    const net = createRoutedNet(3)
    linkLine(net.nodes)
    const result = await net.mesh.run(net.routers[0].send(net.nodes[1].id, data))
    expect(result).toMatchObject({ path: 'direct', hops: 1, attempts: 1, rttMs: 20 })
    expect(net.inboxes[1]).toHaveLength(1)
    expect(await stopNet(net)).toBe(0)
  })

  it('floods at once when the origin has no peer closer to the target', async () => {
    const net = createRoutedNet(5, { closestPeers: () => [] })
    linkLine(net.nodes)
    const result = await net.mesh.run(net.routers[0].send(net.nodes[3].id, data))
    expect(result).toMatchObject({ path: 'flood', hops: 3, attempts: 1 })
    expect(net.inboxes[3]).toHaveLength(1)
    expect(net.inboxes[4]).toHaveLength(0)
    expect(await stopNet(net)).toBe(0)
  })

  it('falls back to flooding when a relay on the greedy path is stuck', async () => {
    // a -> b greedily (b is closer to the target than a), but b's closestPeers knows nobody, so
    // greedy stops at b ('no-route'); the retry floods a -> b -> d -> target.
    const net = createRoutedNet(4, (i) => (i === 1 ? { closestPeers: () => [] } : {}))
    const target = net.nodes[3]
    const others = net.nodes.slice(0, 3).sort(byDistanceTo(target.id)).reverse()
    const a = others[0]
    const b = net.nodes[1] === a ? others[1] : net.nodes[1]
    const d = others.find((n) => n !== a && n !== b)!
    a.link(b)
    b.link(d)
    d.link(target)
    const result = await net.mesh.run(net.routers[net.nodes.indexOf(a)].send(target.id, data))
    expect(result).toMatchObject({ path: 'flood', attempts: 2, hops: 3 })
    expect(net.routers[net.nodes.indexOf(b)].stats().dropped['no-route']).toBeGreaterThanOrEqual(1)
    await net.mesh.advance(1_000)
    expect(net.inboxes[3]).toHaveLength(1)
    expect(await stopNet(net)).toBe(0)
  })

  it('retries by flooding after a greedy dead end, and the retry is delivered once', async () => {
    const net = createRoutedNet(4)
    const target = net.nodes[3]
    // far (the origin) - near, a dead end that is the greedy choice; far - middle - target.
    const [near, middle, far] = net.nodes.slice(0, 3).sort(byDistanceTo(target.id))
    far.link(near)
    far.link(middle)
    middle.link(target)
    const result = await net.mesh.run(net.routers[net.nodes.indexOf(far)].send(target.id, data))
    expect(result).toMatchObject({ path: 'flood', attempts: 2, hops: 2 })
    expect(net.routers[net.nodes.indexOf(near)].stats().dropped['no-route']).toBe(1)
    await net.mesh.advance(1_000)
    expect(net.inboxes[3]).toHaveLength(1)
    expect(await stopNet(net)).toBe(0)
  })

  it('delivers once and acks across a random 40-node mesh', async () => {
    const net = createRoutedNet(40, { floodTtl: 8 }, 7)
    const random = new SeededRandom(9)
    for (let i = 1; i < net.nodes.length; i++) {
      for (const other of sample(net.nodes.slice(0, i), 2, random)) net.nodes[i].link(other)
    }
    const paths = new Map<string, number>()
    for (let k = 0; k < 10; k++) {
      const from = random.nextInt(40)
      let to = random.nextInt(40)
      if (to === from) to = (to + 1) % 40
      const before = net.inboxes[to].length
      // Flooding with the default TTL 3 may not reach; a deeper flood always does here.
      const result = await net.mesh.run(net.routers[from].send(net.nodes[to].id, data))
      await net.mesh.advance(500)
      expect(net.inboxes[to].length).toBe(before + 1)
      expect(result.hops).toBeGreaterThanOrEqual(1)
      paths.set(result.path, (paths.get(result.path) ?? 0) + 1)
    }
    expect([...paths.values()].reduce((a, b) => a + b)).toBe(10)
    expect(await stopNet(net)).toBe(0)
  }, 30_000)

  it('rejects an unknown id with ROUTING_UNREACHABLE exactly at the stated bound', async () => {
    const options = { ackTimeoutMs: 1_000, retryBaseMs: 500, maxRetries: 3 }
    const net = createRoutedNet(4, options)
    linkLine(net.nodes)
    const nobody = Identity.generate(new SeededRandom(99)).peerId
    const start = net.mesh.clock.now()
    const error = await rejection(net.mesh.run(net.routers[0].send(nobody, data)))
    expect(error.code).toBe('ROUTING_UNREACHABLE')
    const bound = sendBoundMs(options)
    expect(bound).toBe(4 * 1_000 + 500 * 7)
    expect(net.routers[0].sendBoundMs).toBe(bound)
    expect(net.mesh.clock.now() - start).toBe(bound)
    expect(net.routers[0].stats()).toMatchObject({ unreachable: 1, retries: 3, pendingSends: 0 })
    expect(await stopNet(net)).toBe(0)
  })

  it('drops a forged signature, altered data and a foreign key at the target, and counts them', async () => {
    const net = createRoutedNet(2)
    const [a, b] = net.nodes
    const session = a.link(b)
    const messageId = composeMessageId({ sendId: 1, isFlood: false, attempt: 0, low: 16 })
    const timestampMs = Math.floor(net.mesh.clock.now())
    const good = await a.identity.sign(directSignedBytes(messageId, a.id, b.id, timestampMs, data))
    const base: DirectMessage = { type: 'direct', messageId, origin: a.id, target: b.id, originKey: a.identity.publicKey, timestampMs, ttl: 16, data, signature: good }
    const mallory = Identity.generate(new SeededRandom(5))
    const forged = await mallory.sign(directSignedBytes(messageId, a.id, b.id, timestampMs, data))
    session.send({ ...base, signature: forged }, 1)
    session.send({ ...base, messageId: messageId + 256n, data: new TextEncoder().encode('altered') }, 1)
    session.send({ ...base, messageId: messageId + 512n, originKey: mallory.publicKey }, 1)
    await net.mesh.advance(100)
    expect(net.inboxes[1]).toHaveLength(0)
    const stats = net.routers[1].stats()
    expect(stats.dropped['bad-signature']).toBe(2)
    expect(stats.dropped['invalid-message']).toBe(1)
    expect(a.penalties.length + b.penalties.length).toBeGreaterThan(0)
    // The genuine message still gets through after the forged copy of the same id.
    session.send(base, 1)
    await net.mesh.advance(100)
    expect(net.inboxes[1]).toHaveLength(1)
    expect(net.routers[0].stats().dropped['unmatched-ack']).toBe(1) // a sent no such send
    expect(await stopNet(net)).toBe(0)
  })

  describe('meshSignal: the node\'s own routed messages', () => {
    it('reach the target\'s mesh signaling handler across hops, acknowledged, and never its application handlers; direct messages never reach the signaling', async () => {
      const net = createRoutedNet(5)
      const target = net.nodes[4].id
      const line = [...net.nodes].sort(byDistanceTo(target)).reverse()
      linkLine(line)
      const signals: { from: Uint8Array; data: Uint8Array; hops: number }[] = []
      net.routers[4].onMeshSignal((message) => signals.push(message))
      const origin = net.nodes.indexOf(line[0])
      const result = await net.mesh.run(net.routers[origin].sendMeshSignal(target, data))
      expect(result).toMatchObject({ path: 'dht', hops: 4, attempts: 1 })
      expect(signals).toHaveLength(1)
      expect(signals[0]).toMatchObject({ data, hops: 4 })
      expect(signals[0].from).toEqual(net.nodes[origin].id)
      expect(net.inboxes[4]).toHaveLength(0)
      await net.mesh.run(net.routers[origin].send(target, data))
      expect([signals.length, net.inboxes[4].length]).toEqual([1, 1])
      expect(net.routers[4].stats()).toMatchObject({ delivered: 1, meshSignalsDelivered: 1, acksSent: 2 })
      expect(await stopNet(net)).toBe(0)
    })

    it('a direct message relabelled as a meshSignal (or the reverse) fails its signature: each type is signed under its own tag', async () => {
      const net = createRoutedNet(2)
      const [a, b] = net.nodes
      const session = a.link(b)
      const signals: unknown[] = []
      net.routers[1].onMeshSignal((message) => signals.push(message))
      const timestampMs = Math.floor(net.mesh.clock.now())
      const directId = composeMessageId({ sendId: 1, isFlood: false, attempt: 0, low: 16 })
      const signalId = composeMessageId({ sendId: 2, isFlood: false, attempt: 0, low: 16 })
      const fields = { origin: a.id, target: b.id, originKey: a.identity.publicKey, timestampMs, ttl: 16, data }
      session.send({ type: 'meshSignal', messageId: directId, ...fields, signature: await a.identity.sign(routedSignedBytes('direct', directId, a.id, b.id, timestampMs, data)) }, 1)
      session.send({ type: 'direct', messageId: signalId, ...fields, signature: await a.identity.sign(routedSignedBytes('meshSignal', signalId, a.id, b.id, timestampMs, data)) }, 1)
      await net.mesh.advance(100)
      expect([signals.length, net.inboxes[1].length, net.routers[1].stats().dropped['bad-signature']]).toEqual([0, 0, 2])
      expect(await stopNet(net)).toBe(0)
    })
  })

  it('a greedy message stops where its TTL runs out', async () => {
    const net = createRoutedNet(6, { maxTtl: 3, floodTtl: 2, maxRetries: 0, ackTimeoutMs: 500 })
    const target = net.nodes[5].id
    const line = [...net.nodes].sort(byDistanceTo(target)).reverse()
    linkLine(line)
    const error = await rejection(net.mesh.run(net.routers[net.nodes.indexOf(line[0])].send(target, data)))
    expect(error.code).toBe('ROUTING_UNREACHABLE')
    expect(net.routers[net.nodes.indexOf(line[3])].stats().dropped['ttl-exhausted']).toBe(1)
    expect(net.inboxes[5]).toHaveLength(0)
    expect(await stopNet(net)).toBe(0)
  })

  it('stop() rejects pending sends with ROUTING_STOPPED and leaves no timer', async () => {
    const net = createRoutedNet(3)
    linkLine(net.nodes)
    const nobody = Identity.generate(new SeededRandom(98)).peerId
    const first = net.routers[0].send(nobody, data)
    const second = net.routers[0].send(net.nodes[2].id, data)
    await net.mesh.advance(5)
    net.routers[0].stop()
    expect((await rejection(first)).code).toBe('ROUTING_STOPPED')
    expect((await rejection(second)).code).toBe('ROUTING_STOPPED')
    expect(net.routers[0].stats().pendingSends).toBe(0)
    expect(net.nodes[0].listenerCount()).toBe(0)
    expect((await rejection(net.routers[0].send(nobody, data))).code).toBe('ROUTING_STOPPED')
    expect(await stopNet(net)).toBe(0)
  })

  it('an aborted send rejects with an AbortError and clears its timer', async () => {
    const net = createRoutedNet(2)
    linkLine(net.nodes)
    const controller = new AbortController()
    const nobody = Identity.generate(new SeededRandom(97)).peerId
    const promise = net.routers[0].send(nobody, data, { signal: controller.signal })
    await net.mesh.advance(50)
    controller.abort()
    const error = await rejection(promise)
    expect(error.code).toBe('ROUTING_ABORTED')
    expect(error.name).toBe('AbortError')
    expect(await stopNet(net)).toBe(0)
  })

  it('refuses bad arguments and options with typed errors', async () => {
    const net = createRoutedNet(1, { maxMessageBytes: 4 })
    const router = net.routers[0]
    expect((await rejection(router.send(new Uint8Array(31), data))).code).toBe('ROUTING_INVALID_ARGUMENT')
    expect((await rejection(router.send(net.nodes[0].id, data))).code).toBe('ROUTING_INVALID_ARGUMENT')
    expect((await rejection(router.send(new Uint8Array(32), 'x' as unknown as Uint8Array))).code).toBe('ROUTING_INVALID_ARGUMENT')
    expect((await rejection(router.send(new Uint8Array(32), data))).code).toBe('ROUTING_MESSAGE_TOO_LARGE')
    expect(() => router.onMessage(1 as unknown as () => void)).toThrow(RoutingError)
    expect(() => createRoutedNet(1, { floodTtl: 0 })).toThrow(/floodTtl must be an integer from 1 to 255, got 0/)
    expect(() => createRoutedNet(1, { ackTimeoutMs: -1 })).toThrow(RoutingError)
    expect(await stopNet(net)).toBe(0)
  })
})
