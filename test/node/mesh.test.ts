// Acceptance: a mesh of full nodes (real Ed25519 handshakes and signatures, the whole
// stack) on a MemoryNetwork, each joining through 3 random earlier nodes.

import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { sample, seededRandom } from '../../src/util/random.js'
import { createMesh, type Mesh } from './harness.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'

useDeterministicEd25519()

// Signing and verifying go through noble (useDeterministicEd25519 above): with WebCrypto the
// results come back from a thread pool, and the virtual-time harness could stall on them.
// The 200 nodes build in about 20 s of wall time; WASMESH_MESH_NODES sets another size.
const NODES = Number(process.env.WASMESH_MESH_NODES ?? 200)
const BACKEND = process.env.WASMESH_MESH_BACKEND === 'js' ? 'js' : 'wasm'
const BOOTSTRAP_LINKS = 3
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

describe('MeshNode: a mesh of full nodes', () => {
  it(`${NODES} nodes: one publish reaches every subscriber exactly once; with 5% link loss delivery stays >= 99%`, async () => {
    const startedAt = performance.now()
    const mesh = createMesh({ seed: 11 }, BACKEND)
    const { nodes, inboxes } = await buildMesh(mesh, NODES, 5)
    const builtAt = performance.now()
    const degrees = nodes.map((node) => node.stats().peers)
    expect(Math.min(...degrees)).toBeGreaterThanOrEqual(1)

    await mesh.settle(nodes[0]!.publish('news', bytes('first')))
    await mesh.runUntil(() => inboxes.slice(1).every((inbox) => inbox.length > 0))
    await mesh.runFor(2_000)
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

    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
    const mean = degrees.reduce((a, b) => a + b, 0) / NODES
    console.log(
      `mesh of ${NODES} full nodes: degree mean ${mean.toFixed(1)} (min ${Math.min(...degrees)}, max ${Math.max(...degrees)}); ` +
        `no loss: delivered ${NODES - 1}/${NODES - 1} exactly once, ${copies.toFixed(2)} copies received per node; ` +
        `5% link loss: delivered ${(ratio * 100).toFixed(2)}% of ${expected}, ${lossyCopies.toFixed(2)} copies per delivery; ` +
        `wall time: build ${((builtAt - startedAt) / 1000).toFixed(1)} s, total ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
    )
  }, Number(process.env.WASMESH_MESH_TIMEOUT_MS ?? 120_000))
})
