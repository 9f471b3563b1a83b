// Sybil identities filling a node (issue 10, attack 5): fresh identities connect until the
// victim is full. Its own dials have reserved slots: while it has fewer than targetPeers
// sessions it dialled, one of them always gets in, an inbound session making room even
// within its grace period. Before, a victim full of fresh Sybils refused its own dials
// (0 of 5) for as long as the flood kept it full.

import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { bytesEqual } from '../../src/peers/identity.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { Attacker } from './attacker.js'
import { createMesh } from './harness.js'

useDeterministicEd25519()

const isPeer = (node: MeshNode, id: Uint8Array) => node.peers().some((peer) => bytesEqual(peer.id, id))

describe('hostile peers: Sybil identities', () => {
  it('a victim full of fresh Sybil sessions still makes its own dials: 5 of 5, each pushing out a Sybil', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 0 })
    const victim = await mesh.node({ maxPeers: 20 })
    await mesh.settle(victim.start())
    const honest: MeshNode[] = []
    for (let i = 0; i < 5; i++) {
      const node = await mesh.node()
      await mesh.settle(node.start())
      honest.push(node)
    }
    const sybils = Array.from({ length: 30 }, (_, i) => new Attacker(mesh.net, `sybil-${i}`, 400 + i))
    for (const sybil of sybils) void sybil.dial(victim.addresses[0]!)
    await mesh.runFor(500)
    expect(victim.peers()).toHaveLength(20)
    expect(victim.peers().every((peer) => sybils.some((sybil) => bytesEqual(sybil.id, peer.id)))).toBe(true)

    // Within the Sybils' 30 s grace period: every one of the victim's own dials gets in.
    const outcomes = []
    for (const node of honest) outcomes.push(await mesh.settle(victim.connect(node.addresses[0]!).then(() => 'ok', (error: { code?: string; message?: string }) => `${error.code}: ${error.message}`)))
    expect(outcomes).toEqual(['ok', 'ok', 'ok', 'ok', 'ok'])
    for (const node of honest) expect(isPeer(victim, node.id)).toBe(true)
    expect(victim.peers()).toHaveLength(20)
    expect(victim.stats().layers.peers.pruned).toBeGreaterThanOrEqual(5)

    for (const sybil of sybils) await sybil.close()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 60_000)
})
