// A restarted node rejoins through the peers it knew (a KnownPeersStore) before it asks a
// bootstrap address: the stored peers are dialled first, and the bootstrap list only when
// none of them answers. A store that fails or holds junk never stops the node from joining.

import { describe, expect, it } from 'vitest'
import { MemoryKnownPeers, type KnownPeer, type KnownPeersStore } from '../../src/discovery/index.js'
import type { MeshNode } from '../../src/node.js'
import { KNOWN_PEERS_SAVE_INTERVAL_MS } from '../../src/node/known-peers.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { toHex } from '../../src/util/hex.js'
import { createMesh, type Mesh } from './harness.js'

useDeterministicEd25519()

/** A seed S and two members A and B that joined through it. */
async function meshWithMembers(): Promise<{ mesh: Mesh; seed: MeshNode; members: MeshNode[] }> {
  const mesh = createMesh({ latencyMs: 5, jitterMs: 0 })
  const seed = await mesh.node()
  await mesh.settle(seed.start())
  const members: MeshNode[] = []
  for (let i = 0; i < 2; i++) {
    const member = await mesh.node({ bootstrap: seed.addresses })
    await mesh.settle(member.start())
    members.push(member)
  }
  await mesh.runFor(2_000)
  return { mesh, seed, members }
}

/** Counts what a store was asked to do. */
class CountingStore implements KnownPeersStore {
  readonly inner = new MemoryKnownPeers()
  loads = 0
  saved: KnownPeer[][] = []
  load() {
    this.loads++
    return this.inner.load()
  }
  save(peers: readonly KnownPeer[]) {
    this.saved.push([...peers])
    this.inner.save(peers)
  }
}

describe('MeshNode knownPeers', () => {
  it('a restarted node rejoins through the peers it knew, without dialling its bootstrap address', async () => {
    const { mesh, seed, members } = await meshWithMembers()
    const store = new CountingStore()
    const first = await mesh.node({ bootstrap: seed.addresses, knownPeers: store })
    await mesh.settle(first.start())
    await mesh.runUntil(() => first.peers().length >= 3)
    expect(first.stats().bootstrap.fromKnownPeers).toBe(0)
    expect(first.stats().bootstrap.connected).toEqual(seed.addresses)
    await mesh.settle(first.stop())
    // Saved on stop: its sessions, each with where it listens.
    const saved = store.inner.load()
    expect(saved.map((peer) => peer.id).sort()).toEqual([seed, ...members].map((node) => toHex(node.id)).sort())
    expect(saved.find((peer) => peer.id === toHex(members[0].id))?.addresses).toEqual(members[0].addresses)

    // The seed goes away; the node comes back with the same identity and store.
    await mesh.settle(seed.stop())
    const again = await mesh.node({ identity: first.identity, bootstrap: seed.addresses, knownPeers: store })
    await mesh.settle(again.start())
    const outcome = again.stats().bootstrap
    expect(outcome.fromKnownPeers).toBe(2)
    expect(outcome.connected).toEqual([])
    expect(outcome.failed).toEqual([])
    expect(outcome.isDhtJoined).toBe(true)
    expect(again.peers().map((peer) => toHex(peer.id)).sort()).toEqual(members.map((node) => toHex(node.id)).sort())
    expect(again.stats().join.knownPeersStore).toMatchObject({ loaded: 3, invalid: 0, connectedAtStart: 2, failures: 0 })

    // And it still delivers.
    const got: string[] = []
    members[0].subscribe('news', (message) => got.push(new TextDecoder().decode(message.data)))
    await mesh.runUntil(() => again.stats().layers.relay.peersWithTopics >= 1)
    await mesh.settle(again.publish('news', new TextEncoder().encode('back')))
    await mesh.runUntil(() => got.length === 1)
    expect(got).toEqual(['back'])
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)

  it('falls back to the bootstrap addresses when no stored peer answers', async () => {
    const { mesh, seed } = await meshWithMembers()
    const store = new MemoryKnownPeers()
    // Peers that left long ago: valid entries, nobody there.
    store.save([1, 2].map((i) => ({ id: String(i).repeat(64), addresses: [`memory://gone-${i}`] })))
    const node = await mesh.node({ bootstrap: seed.addresses, knownPeers: store })
    await mesh.settle(node.start())
    const outcome = node.stats().bootstrap
    expect(outcome.fromKnownPeers).toBe(0)
    expect(outcome.connected).toEqual(seed.addresses)
    expect(node.stats().join.knownPeersStore).toMatchObject({ loaded: 2, connectedAtStart: 0 })
    expect(node.peers().length).toBeGreaterThan(0)
    await mesh.stopAll()
  }, 60_000)

  it('a store that throws, rejects or holds junk is counted and the node joins through its bootstrap addresses', async () => {
    const { mesh, seed } = await meshWithMembers()
    const failing: KnownPeersStore = {
      load: () => Promise.reject(new Error('disk on fire')),
      save: () => {
        throw new Error('read-only')
      },
    }
    const junk: KnownPeersStore = {
      load: () => [{ id: 'not hex', addresses: ['memory://x'] }, { id: 'a'.repeat(64), addresses: [] }, 42, { id: toHex(seed.id), addresses: seed.addresses }] as unknown as KnownPeer[],
      save: () => undefined,
    }
    const a = await mesh.node({ bootstrap: seed.addresses, knownPeers: failing })
    await mesh.settle(a.start())
    expect(a.peers().length).toBeGreaterThan(0)
    expect(a.stats().join.knownPeersStore).toMatchObject({ loaded: 0, failures: 2, lastError: 'read-only' })
    const b = await mesh.node({ bootstrap: [], knownPeers: junk })
    await mesh.settle(b.start())
    // The one good entry (the seed) is dialled; the three bad ones are skipped and counted.
    expect(b.stats().join.knownPeersStore).toMatchObject({ loaded: 1, invalid: 3, connectedAtStart: 1 })
    expect(b.stats().bootstrap.fromKnownPeers).toBe(1)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 60_000)

  it('saves every minute while its peers change, and not when they do not', async () => {
    const { mesh, members } = await meshWithMembers()
    const store = new CountingStore()
    const node = await mesh.node({ bootstrap: [members[0].addresses[0]!], knownPeers: store })
    await mesh.settle(node.start())
    await mesh.runFor(1_000)
    const afterStart = store.saved.length
    expect(afterStart).toBeGreaterThanOrEqual(1)
    // A newcomer joins through it: the list changed, so the next minute saves it.
    const newcomer = await mesh.node({ bootstrap: node.addresses })
    await mesh.settle(newcomer.start())
    await mesh.runFor(KNOWN_PEERS_SAVE_INTERVAL_MS + 1_000)
    const changed = store.saved.length
    expect(changed).toBeGreaterThan(afterStart)
    expect(store.saved.at(-1)!.map((peer) => peer.id)).toContain(toHex(newcomer.id))
    await mesh.runFor(3 * KNOWN_PEERS_SAVE_INTERVAL_MS)
    expect(store.saved.length).toBe(changed)
    expect(node.stats().join.knownPeersStore?.saves).toBe(changed)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)

  it('refuses a knownPeers option that is no store', async () => {
    const mesh = createMesh()
    for (const bad of [{}, { load: () => [] }, 'file.json', null]) {
      await expect(mesh.node({ knownPeers: bad as unknown as KnownPeersStore })).rejects.toMatchObject({ code: 'NODE_INVALID_OPTION' })
    }
  })
})
