// The mesh node facade over the full stack (connection manager, relay, DHT) on a
// MemoryNetwork in virtual time.

import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { createMeshNode, MeshNodeError, type MeshPeer } from '../../src/node.js'
import { Identity } from '../../src/peers/identity.js'
import type { RelayMessage } from '../../src/relay/index.js'
import { MemoryNetwork } from '../../src/transport/index.js'
import { ManualClock } from '../../src/util/clock.js'
import { seededRandom } from '../../src/util/random.js'
import { createMesh } from './harness.js'
import { RoutingError, type RoutedMessage } from '../../src/routing/index.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { SESSION_BOOKKEEPING_BYTES } from '../../src/node/stats.js'
import { HANDSHAKE_TAG } from '../../src/peers/handshake-transcript.js'
import { PUBLISH_TAG } from '../../src/relay/envelope.js'
import { DIRECT_ACK_TAG, DIRECT_TAG } from '../../src/routing/envelope.js'
import { MUTABLE_RECORD_TAG } from '../../src/dht/records.js'

// Virtual-time bounds here must not depend on how long real crypto takes on a loaded machine.
useDeterministicEd25519()

const bytes = (text: string) => new TextEncoder().encode(text)

describe('MeshNode: two nodes', () => {
  it('b joins through a.addresses; pub/sub, DHT put/get and stats work; stop leaves no timer', async () => {
    const mesh = createMesh()
    const a = await mesh.node()
    const b = await mesh.node({ bootstrap: [] })
    const connects: MeshPeer[] = []
    const disconnects: string[] = []
    a.addEventListener('peer:connect', (event) => connects.push(event.detail))
    a.addEventListener('peer:disconnect', (event) => disconnects.push(event.detail.reason))
    const inbox: RelayMessage[] = []
    a.subscribe('chat', (message) => inbox.push(message))
    b.subscribe('chat', () => undefined)

    await mesh.settle(a.start())
    expect(a.addresses).toEqual([`memory://${a.peerKey}`])
    const late = await mesh.node({ bootstrap: a.addresses })
    let bootstrap: unknown
    late.addEventListener('bootstrap', (event) => (bootstrap = event.detail))
    await mesh.settle(late.start())
    expect(bootstrap).toEqual({ connected: a.addresses, failed: [], isDhtJoined: true, fromKnownPeers: 0 })
    expect(late.peers().map((peer) => peer.peerKey)).toEqual([a.peerKey])
    expect(connects.map((peer) => peer.peerKey)).toEqual([late.peerKey])
    expect(late.id).toBeInstanceOf(Uint8Array)
    expect(late.id).toHaveLength(32)
    await b.stop() // never started: stop is still clean

    // Subscriptions travel after connect; then a publish from `late` reaches `a`.
    late.subscribe('chat', () => undefined)
    await mesh.runUntil(() => late.stats().layers.relay.peersWithTopics === 1)
    const sent = await mesh.settle(late.publish('chat', bytes('hello')))
    expect(sent.peers).toBe(1)
    await mesh.runUntil(() => inbox.length === 1)
    expect(inbox[0]!.data).toEqual(bytes('hello'))
    expect(inbox[0]!.origin).toEqual(late.id)

    const put = await mesh.settle(late.dht.put('profile', bytes('v1')))
    expect(put.storedAt).toBeGreaterThanOrEqual(1)
    expect(await mesh.settle(a.dht.get('profile', { owner: late.publicKey }))).toEqual(bytes('v1'))
    const key = await mesh.settle(a.dht.putImmutable(bytes('blob')))
    expect(await mesh.settle(late.dht.getImmutable(key))).toEqual(bytes('blob'))
    expect(await mesh.settle(late.dht.closestPeers(a.id))).toContainEqual(a.id)

    const sa = a.stats()
    const sl = late.stats()
    expect(sa.peers).toBe(1)
    expect(sa.messages.delivered).toBe(1)
    expect(sa.messages.received).toBe(1)
    expect(sa.messages.duplicateFactor).toBe(1)
    expect(sl.messages.published).toBe(1)
    expect(sl.messages.relayed).toBe(0)
    expect(sl.messages.out).toBeGreaterThan(0)
    expect(sl.bytes.out).toBeGreaterThan(0)
    expect(sa.bytes.in).toBeGreaterThan(0)
    expect(sa.dht.records).toBeGreaterThanOrEqual(1)
    expect(sa.dht.storedBytes).toBeGreaterThan(0)
    expect(sl.dht.operations.put).toMatchObject({ count: 1, failures: 0 })
    expect(sl.dht.operations.bootstrap.count).toBe(1)
    expect(sa.dht.operations.get.count).toBe(1)
    expect(sl.dht.lookups).toBeGreaterThanOrEqual(3)
    expect(sl.bootstrap.attempted).toBe(1)
    // The session's outgoing queue is made only when its link pushes back: this one never did.
    expect(sl.memory).toMatchObject({ isEstimate: true, queueBytesPerPeer: 0, bufferedBytesPerPeer: 0, bookkeepingBytesPerPeer: SESSION_BOOKKEEPING_BYTES })
    expect(sl.memory.rateLimiterBytesPerPeer).toBeGreaterThan(0)
    expect(sl.memory.perPeerBytes).toBe(sl.memory.rateLimiterBytesPerPeer + SESSION_BOOKKEEPING_BYTES)
    expect(sl.memory.totalBytes).toBe(sl.memory.perPeerBytes + sl.dht.storedBytes)

    let stopped = 0
    late.addEventListener('stopped', () => stopped++)
    await Promise.all([late.stop(), late.stop()])
    await late.stop()
    expect(stopped).toBe(1)
    await mesh.runUntil(() => disconnects.length === 1)
    expect(a.peers()).toEqual([])
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
    expect(a.isRunning).toBe(false)
  })

  it('counts bootstrap addresses nobody answers and says so in an event, and with keep-trying still runs', async () => {
    const mesh = createMesh()
    const alone = await mesh.node({ bootstrap: ['memory://nobody-here'], peers: { maxRetries: 1, retryBaseMs: 100 } })
    let failed: unknown
    alone.addEventListener('bootstrap:failed', (event) => (failed = event.detail))
    await mesh.settle(alone.start({ onBootstrapFailure: 'keep-trying' }))
    expect(alone.isRunning).toBe(true)
    expect(failed).toEqual({ connected: [], failed: [{ address: 'memory://nobody-here', code: 'PEER_UNREACHABLE', message: expect.stringContaining('nothing listens at memory://nobody-here') }], isDhtJoined: false, fromKnownPeers: 0 })
    expect(alone.stats().bootstrap).toMatchObject({ attempted: 1, connected: [] })
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })
})

describe('MeshNode: another signature scheme, through identity and verify', () => {
  it('every signature the node checks goes through its verify: handshake, publish, direct message and ack, DHT record', async () => {
    // A toy scheme: SHA-256 of key and message, padded to 64 bytes. Ed25519 would refuse all of it.
    const sign = (publicKey: Uint8Array, message: Uint8Array) => {
      const signature = new Uint8Array(64)
      signature.set(sha256(new Uint8Array([...publicKey, ...message])))
      return signature
    }
    const tags = new Set<string>()
    const verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
      // Each signed payload opens with its purpose's domain tag, NUL-terminated.
      tags.add(new TextDecoder().decode(message.subarray(0, message.indexOf(0))))
      return signature.every((byte, i) => byte === sign(publicKey, message)[i])
    }
    const mesh = createMesh()
    const a = await mesh.node({ identity: Identity.generate(seededRandom(1), { signer: sign }), verify })
    a.subscribe('chat', () => undefined)
    await mesh.settle(a.start())
    const b = await mesh.node({ identity: Identity.generate(seededRandom(2), { signer: sign }), verify, bootstrap: a.addresses })
    const inbox: RelayMessage[] = []
    b.subscribe('chat', (message) => inbox.push(message))
    await mesh.settle(b.start())
    expect(b.peers().map((peer) => peer.peerKey)).toEqual([a.peerKey])
    await mesh.runUntil(() => a.stats().layers.relay.peersWithTopics === 1)
    await mesh.settle(a.publish('chat', bytes('hi')))
    await mesh.runUntil(() => inbox.length === 1)
    const direct: RoutedMessage[] = []
    b.onDirect((message) => direct.push(message))
    await mesh.settle(a.send(b.id, bytes('to b')))
    expect(direct.map((message) => new TextDecoder().decode(message.data))).toEqual(['to b'])
    await mesh.settle(a.dht.put('k', bytes('v')))
    expect(await mesh.settle(b.dht.get('k', { owner: a.publicKey }))).toEqual(bytes('v'))
    const tagOf = (tag: Uint8Array) => new TextDecoder().decode(tag.subarray(0, -1))
    expect([...tags].sort()).toEqual([HANDSHAKE_TAG, PUBLISH_TAG, DIRECT_TAG, DIRECT_ACK_TAG, MUTABLE_RECORD_TAG].map(tagOf).sort())
    await mesh.stopAll()
  })
})

describe('MeshNode: options and state', () => {
  const clock = new ManualClock()
  const codeOf = async (run: () => Promise<unknown>) => {
    try {
      await run()
    } catch (error) {
      return error instanceof MeshNodeError ? `${error.code}: ${error.message}` : `other: ${String(error)}`
    }
    return 'no error'
  }

  it('validates options with NODE_INVALID_OPTION errors that say what was expected', async () => {
    const net = new MemoryNetwork({ clock })
    expect(await codeOf(() => createMeshNode({ clock }))).toMatch(/^NODE_INVALID_OPTION: .*network .* or a transport/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, transport: net.createTransport('x') }))).toMatch(/not both/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, seed: 1.5 }))).toMatch(/seed must be a safe integer/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, bootstrap: 'memory://a' as unknown as string[] }))).toMatch(/bootstrap must be an array/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, maxPeers: -3 }))).toMatch(/^NODE_INVALID_OPTION: peers: maxPeers must be an integer from 1 to 10000, got -3/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, relay: { fanout: 0 } }))).toMatch(/^NODE_INVALID_OPTION: relay: fanout/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, dht: { k: 99 } }))).toMatch(/^NODE_INVALID_OPTION: dht: k/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, routing: { originRateLimit: 0 } }))).toMatch(/^NODE_INVALID_OPTION: router: originRateLimit/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, routing: { closestPeers: () => [] } as never }))).toMatch(/routing\.closestPeers is set by the node/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, identity: { version: 2 } as never }))).toMatch(/identity must be/)
    expect(await codeOf(() => createMeshNode({ network: net, clock, colour: 'red' } as never))).toMatch(/unknown option "colour"/)
    // A failed creation frees the memory address for a corrected retry.
    const identity = Identity.generate(seededRandom(3))
    await codeOf(() => createMeshNode({ network: net, clock, identity, relay: { fanout: 0 } }))
    const node = await createMeshNode({ network: net, clock, identity: identity.export() })
    expect(node.id).toEqual(identity.peerId)
    await node.stop()
  })

  it('the same seed gives the same identity; start twice or after stop is NODE_INVALID_STATE; unknown events are refused', async () => {
    const net = new MemoryNetwork({ clock })
    const a = await createMeshNode({ network: net, clock, seed: 42, address: 'one' })
    const b = await createMeshNode({ network: net, clock, seed: 42, address: 'two' })
    expect(a.id).toEqual(b.id)
    expect(b.addresses).toEqual(['memory://two'])
    await a.start()
    expect(await codeOf(() => a.start())).toMatch(/^NODE_INVALID_STATE/)
    await a.stop()
    expect(await codeOf(() => a.start())).toMatch(/^NODE_INVALID_STATE/)
    expect(await codeOf(async () => a.addEventListener('peer:conect' as 'peer:connect', () => undefined))).toMatch(/^NODE_INVALID_ARGUMENT: unknown event/)
    await b.stop()
    expect(clock.pending).toBe(0)
  })

  it('send reaches another node and is acknowledged; an unknown id is a typed error in bounded time', async () => {
    const mesh = createMesh()
    const a = await mesh.node()
    await mesh.settle(a.start())
    const b = await mesh.node({ bootstrap: a.addresses })
    await mesh.settle(b.start())
    const c = await mesh.node({ bootstrap: b.addresses })
    await mesh.settle(c.start())
    const inbox: RoutedMessage[] = []
    c.onDirect((message) => inbox.push(message))
    const result = await mesh.settle(a.send(c.id, bytes('to c')))
    expect(result.hops).toBeGreaterThanOrEqual(1)
    expect(inbox).toHaveLength(1)
    expect(inbox[0]!.data).toEqual(bytes('to c'))
    expect(inbox[0]!.from).toEqual(a.id)

    const started = mesh.clock.now()
    const error = await mesh.settle(a.send(new Uint8Array(32).fill(9), bytes('nobody'))).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RoutingError)
    expect((error as RoutingError).code).toBe('ROUTING_UNREACHABLE')
    expect(mesh.clock.now() - started).toBeLessThanOrEqual(30_000)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('the memory network takes node ids for its link controls: cut(a.id, b.id) silences the link until heal', async () => {
    const mesh = createMesh()
    const a = await mesh.node()
    await mesh.settle(a.start())
    const b = await mesh.node({ bootstrap: a.addresses })
    await mesh.settle(b.start())
    const inbox: string[] = []
    b.subscribe('news', (message) => inbox.push(new TextDecoder().decode(message.data)))
    await mesh.runUntil(() => a.stats().layers.relay.peersWithTopics === 1)
    mesh.net.cut(a.id, b.id)
    expect(mesh.net.isCut(a.addresses[0]!, b.addresses[0]!)).toBe(true)
    await mesh.settle(a.publish('news', bytes('lost')))
    await mesh.runFor(1_000)
    expect(inbox).toEqual([])
    mesh.net.heal(a.id, b.id)
    expect(mesh.net.isCut(a.id, b.id)).toBe(false)
    await mesh.settle(a.publish('news', bytes('through')))
    await mesh.runUntil(() => inbox.length === 1)
    expect(inbox).toEqual(['through'])
    expect(() => mesh.net.cut(new Uint8Array(0), b.id)).toThrow(expect.objectContaining({ code: 'TRANSPORT_BAD_ADDRESS' }))
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })
})
