// Acceptance: a mesh of full nodes (real Ed25519 handshakes and signatures, the whole
// stack) on a MemoryNetwork, each joining through 3 random earlier nodes.

import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { sample, seededRandom } from '../../src/util/random.js'
import { createMesh, type Mesh } from './harness.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { RoutingError, sendBoundMs } from '../../src/routing/index.js'
import { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_KEEPALIVE_INTERVAL_MS } from '../../src/peers/options.js'

useDeterministicEd25519()

// Signing and verifying go through noble (useDeterministicEd25519 above): with WebCrypto the
// results come back from a thread pool, and the virtual-time harness could stall on them.
// The 200 nodes build in about 20 s of wall time; WASMESH_MESH_NODES sets another size.
const NODES = Number(process.env.WASMESH_MESH_NODES ?? 200)
const BACKEND = process.env.WASMESH_MESH_BACKEND === 'js' ? 'js' : 'wasm'
const BOOTSTRAP_LINKS = 3
/** Per test; larger runs (WASMESH_MESH_NODES=1000) need more on a shared 2-core machine. */
const TEST_TIMEOUT_MS = Number(process.env.WASMESH_MESH_TIMEOUT_MS ?? 600_000)
const bytes = (text: string) => new TextEncoder().encode(text)

/** Starts `count` nodes, all subscribed to 'news', each bootstrapping to a few random earlier ones, 10 at a time. */
async function buildMesh(mesh: Mesh, count: number, seed: number): Promise<{ nodes: MeshNode[]; inboxes: string[][] }> {
  const random = seededRandom(seed)
  const nodes: MeshNode[] = []
  const inboxes: string[][] = []
  for (let i = 0; i < count; i++) {
    const earlier = sample(nodes, BOOTSTRAP_LINKS, random).flatMap((node) => node.addresses)
    const node = await mesh.node({ bootstrap: earlier })
    const inbox: string[] = []
    node.subscribe('news', (message) => inbox.push(new TextDecoder().decode(message.data)))
    nodes.push(node)
    inboxes.push(inbox)
  }
  for (let i = 0; i < count; i += 10) {
    await mesh.settle(Promise.all(nodes.slice(i, i + 10).map((node) => node.start())))
  }
  // Subscriptions travel to each neighbour after connect.
  await mesh.runUntil(() => nodes.every((node) => node.stats().layers.relay.peersWithTopics === node.stats().peers))
  return { nodes, inboxes }
}

// Generous timeouts: about 20 s to build (once per test), 50 s for the DHT test on the 2-core
// dev machine; CI machines may be several times slower.
describe('MeshNode: a mesh of full nodes', () => {
  // Each test gets a mesh of its own, built the same way from the same seeds, so none depends
  // on what another left behind (records, virtual time passed, lossy links) or on their order.
  let mesh: Mesh
  let nodes: MeshNode[] = []
  let inboxes: string[][] = []
  let buildMs = 0
  beforeEach(async () => {
    const startedAt = performance.now()
    mesh = createMesh({ seed: 11 }, BACKEND)
    ;({ nodes, inboxes } = await buildMesh(mesh, NODES, 5))
    buildMs = performance.now() - startedAt
  }, TEST_TIMEOUT_MS)
  afterEach(async () => {
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 60_000)

  it(`${NODES} nodes, DHT: a put from one node is got from every other; a mutable update wins everywhere; a short-lived record expires everywhere`, async () => {
    const writer = nodes[7]!
    const first = await mesh.settle(writer.dht.put('status', bytes('v1')))
    expect(first.storedAt).toBeGreaterThanOrEqual(10)
    // 10 readers at a time, as an app's users would read: far fewer virtual-time steps than one by one.
    const readAll = async () => {
      const seen = new Map<string, number>()
      const readers = nodes.filter((node) => node !== writer)
      for (let i = 0; i < readers.length; i += 10) {
        const values = await mesh.settle(Promise.all(readers.slice(i, i + 10).map((node) => node.dht.get('status', { owner: writer.publicKey }))))
        for (const value of values) {
          const text = value === undefined ? '(none)' : new TextDecoder().decode(value)
          seen.set(text, (seen.get(text) ?? 0) + 1)
        }
      }
      return Object.fromEntries(seen)
    }
    expect(await readAll()).toEqual({ v1: NODES - 1 })
    const second = await mesh.settle(writer.dht.put('status', bytes('v2')))
    expect(second.seq).toBeGreaterThan(first.seq!)
    expect(await readAll()).toEqual({ v2: NODES - 1 })

    const key = await mesh.settle(nodes[3]!.dht.putImmutable(bytes('short-lived'), { ttlMs: 60_000, republish: false }))
    const holders = () => nodes.filter((node) => node.stats().dht.records > 0 && node !== nodes[3]).length
    expect(await mesh.settle(nodes[150 % NODES]!.dht.getImmutable(key))).toEqual(bytes('short-lived'))
    await mesh.runFor(180_000) // past the TTL and a sweep
    expect(await mesh.settle(nodes[150 % NODES]!.dht.getImmutable(key))).toBeUndefined()
    expect(holders()).toBeGreaterThan(0) // the republished mutable record is still held
    const lookups = nodes.reduce((sum, node) => sum + node.stats().dht.hops.count, 0)
    const meanHops = nodes.reduce((sum, node) => sum + node.stats().dht.hops.mean * node.stats().dht.hops.count, 0) / lookups
    console.log(`mesh of ${NODES} full nodes, DHT: ${lookups} lookups, mean ${meanHops.toFixed(2)} hops`)
  }, TEST_TIMEOUT_MS)

  it(`${NODES} nodes, send: reaches a node that is not a neighbour and is acknowledged; an unknown id rejects with ROUTING_UNREACHABLE within the bound`, async () => {
    const from = nodes[1]!
    const neighbours = new Set(from.peers().map((peer) => peer.peerKey))
    const target = nodes.find((node) => node !== from && !neighbours.has(node.peerKey))!
    expect(target).toBeDefined()
    const received: string[] = []
    const off = target.onDirect((message) => received.push(new TextDecoder().decode(message.data)))
    const result = await mesh.settle(from.send(target.id, bytes('hello, far node')))
    off()
    expect(received).toEqual(['hello, far node'])
    expect(result.hops).toBeGreaterThanOrEqual(2)

    const unknown = new Uint8Array(32).fill(0xab)
    const sentAt = mesh.clock.now()
    const failure = await mesh.settle(from.send(unknown, bytes('anyone?')).then(() => undefined, (error: unknown) => error))
    expect(failure).toBeInstanceOf(RoutingError)
    expect((failure as RoutingError).code).toBe('ROUTING_UNREACHABLE')
    // The router's defaults: 27,000 ms; the settle loop steps at most 10 ms past it.
    expect(mesh.clock.now() - sentAt).toBeLessThanOrEqual(sendBoundMs({ maxRetries: 3, ackTimeoutMs: 5_000, retryBaseMs: 1_000 }) + 10)
  }, TEST_TIMEOUT_MS)

  it(`${NODES} nodes: one publish reaches every subscriber exactly once; with 5% link loss delivery stays >= 99%`, async () => {
    const startedAt = performance.now()
    // Idle past idleTimeoutMs and a keepalive tick or two: trimming keeps every node's own
    // links (each dialled at least its 3 bootstrap peers) and pulls the mean degree back from
    // about 35 right after the joins (70 without trimming).
    await mesh.runFor(DEFAULT_IDLE_TIMEOUT_MS + 2 * DEFAULT_KEEPALIVE_INTERVAL_MS)
    const degrees = nodes.map((node) => node.stats().peers)
    expect(Math.min(...degrees)).toBeGreaterThanOrEqual(BOOTSTRAP_LINKS)
    expect(degrees.reduce((a, b) => a + b, 0) / NODES).toBeLessThan(30)

    await mesh.settle(nodes[0]!.publish('news', bytes('first')))
    await mesh.runFor(5_000)
    const missed = nodes.slice(1).filter((_, i) => inboxes[i + 1]!.length === 0)
      .map((node) => `${node.peerKey.slice(0, 8)} (peers ${node.stats().peers}, subscribed ${node.stats().layers.relay.peersWithTopics})`)
    expect(missed).toEqual([])
    expect(inboxes[0]).toEqual([])
    for (const inbox of inboxes.slice(1)) expect(inbox).toEqual(['first'])
    const copies = nodes.slice(1).reduce((sum, node) => sum + node.stats().messages.received, 0) / (NODES - 1)
    expect(copies).toBeGreaterThanOrEqual(1)

    // 5% loss on every link from now on (handshakes are done, so only data frames are lost).
    for (const node of nodes) {
      for (const peer of node.peers()) mesh.net.setLoss(node.addresses[0]!, peer.addresses[0]!, 0.05)
    }
    const random = seededRandom(99)
    const messages = 20
    for (let m = 0; m < messages; m++) {
      await mesh.settle(nodes[random.nextInt(NODES)]!.publish('news', bytes(`lossy-${m}`)))
      await mesh.runFor(100)
    }
    await mesh.runFor(3_000)
    let delivered = 0
    let extra = 0
    for (const inbox of inboxes) {
      const lossy = inbox.filter((text) => text.startsWith('lossy-'))
      delivered += new Set(lossy).size
      extra += lossy.length - new Set(lossy).size
    }
    // Every message reaches every node but its origin.
    const expected = messages * (NODES - 1)
    const ratio = delivered / expected
    expect(extra).toBe(0) // never twice at the application
    expect(ratio).toBeGreaterThanOrEqual(0.99)
    const lossyCopies = nodes.reduce((sum, node) => sum + node.stats().messages.received, 0) / nodes.reduce((sum, node) => sum + node.stats().messages.delivered, 0)

    const mean = degrees.reduce((a, b) => a + b, 0) / NODES
    console.log(
      `mesh of ${NODES} full nodes: degree mean ${mean.toFixed(1)} (min ${Math.min(...degrees)}, max ${Math.max(...degrees)}); ` +
        `no loss: delivered ${NODES - 1}/${NODES - 1} exactly once, ${copies.toFixed(2)} copies received per node; ` +
        `5% link loss: delivered ${(ratio * 100).toFixed(2)}% of ${expected}, ${lossyCopies.toFixed(2)} copies per delivery; ` +
        `wall time: build ${(buildMs / 1000).toFixed(1)} s, test ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
    )
  }, TEST_TIMEOUT_MS)
})
