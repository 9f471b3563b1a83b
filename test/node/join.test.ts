// Joining through full bootstrap peers, as every user of an app does: all nodes are given the
// same 3 seed addresses. Full seeds redirect newcomers to their peers and prune towards their
// low watermark; a node with too few peers dials more, and a node left with none keeps
// trying what it knows until it has peers again. Virtual time, the public API.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { PeerError } from '../../src/peers/errors.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { Attacker } from './attacker.js'
import { createMesh, type Mesh } from './harness.js'

useDeterministicEd25519()

const NODES = Number(process.env.WASMESH_JOIN_NODES ?? 500)
const SEEDS = 3
const TARGET_PEERS = 8
const MAX_PEERS = 100
/** Per test of the large mesh; WASMESH_JOIN_NODES=2000 needs more on a shared 2-core machine. */
const LARGE_TIMEOUT_MS = Number(process.env.WASMESH_JOIN_TIMEOUT_MS ?? 900_000)
const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

describe(`joining: ${NODES} nodes, every one given the same ${SEEDS} seed addresses`, () => {
  const startedAt = performance.now()
  const mesh = createMesh({ seed: 21 })
  const nodes: MeshNode[] = []
  const inboxes: string[][] = []
  let builtAt = 0
  beforeAll(async () => {
    // The seeds know each other; everyone else knows only the seeds.
    const seeds: MeshNode[] = []
    for (let i = 0; i < SEEDS; i++) seeds.push(await mesh.node({ address: `seed-${i}`, bootstrap: seeds.flatMap((seed) => seed.addresses) }))
    for (const seed of seeds) await mesh.settle(seed.start())
    const seedAddresses = seeds.flatMap((seed) => seed.addresses)
    nodes.push(...seeds)
    for (let i = SEEDS; i < NODES; i++) nodes.push(await mesh.node({ bootstrap: seedAddresses }))
    for (const node of nodes) {
      const inbox: string[] = []
      node.subscribe('news', (message) => inbox.push(text(message.data)))
      inboxes.push(inbox)
    }
    for (let i = SEEDS; i < NODES; i += 10) await mesh.settle(Promise.all(nodes.slice(i, i + 10).map((node) => node.start())))
    await mesh.runUntil(() => nodes.every((node) => node.stats().peers >= TARGET_PEERS && node.stats().layers.relay.peersWithTopics === node.stats().peers))
    builtAt = performance.now()
  }, LARGE_TIMEOUT_MS)
  afterAll(async () => {
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 60_000)

  it(`every node ends with at least targetPeers (${TARGET_PEERS}) peers, no seed above maxPeers, and the full seeds redirected and pruned`, () => {
    const degrees = nodes.map((node) => node.stats().peers)
    expect(Math.min(...degrees)).toBeGreaterThanOrEqual(TARGET_PEERS)
    expect(Math.max(...degrees)).toBeLessThanOrEqual(MAX_PEERS)
    const seedStats = nodes.slice(0, SEEDS).map((seed) => seed.stats().join)
    // With NODES far above maxPeers, the seeds could not have taken everyone.
    if (NODES > 2 * MAX_PEERS) {
      expect(seedStats.reduce((sum, join) => sum + join.redirectsSent, 0)).toBeGreaterThan(0)
      expect(seedStats.reduce((sum, join) => sum + join.pruned, 0)).toBeGreaterThan(0)
    }
    for (const node of nodes) expect(node.stats().join.isIsolated).toBe(false)
    const redirected = nodes.filter((node) => node.stats().join.redirectsReceived > 0).length
    const mean = degrees.reduce((a, b) => a + b, 0) / NODES
    console.log(
      `join of ${NODES} nodes through ${SEEDS} seeds: degree mean ${mean.toFixed(1)} (min ${Math.min(...degrees)}, max ${Math.max(...degrees)}); ` +
        `seeds ${degrees.slice(0, SEEDS).join('/')} peers, redirects sent ${seedStats.map((join) => join.redirectsSent).join('/')}, pruned ${seedStats.map((join) => join.pruned).join('/')}; ` +
        `${redirected} nodes got a redirect; virtual ${(mesh.clock.now() / 1000).toFixed(0)} s, wall ${((builtAt - startedAt) / 1000).toFixed(1)} s`,
    )
  })

  it('a publish reaches every node exactly once', async () => {
    const origin = nodes[NODES - 1]!
    await mesh.settle(origin.publish('news', bytes('to everyone')))
    await mesh.runFor(5_000)
    const missed = nodes.filter((node, i) => node !== origin && inboxes[i]!.length === 0).length
    expect(missed).toBe(0)
    nodes.forEach((node, i) => expect(inboxes[i]).toEqual(node === origin ? [] : ['to everyone']))
  }, LARGE_TIMEOUT_MS)

  it('a DHT value put from one node is got from every other', async () => {
    const writer = nodes[Math.floor(NODES / 2)]!
    const put = await mesh.settle(writer.dht.put('greeting', bytes('hello, mesh')))
    expect(put.storedAt).toBeGreaterThanOrEqual(10)
    const readers = nodes.filter((node) => node !== writer)
    const values = new Map<string, number>()
    const misses: string[] = []
    // What a reader that found nothing saw: its peers, its DHT's failures, who refused it.
    const describeMiss = (node: MeshNode) => {
      const stats = node.stats()
      return `  ${node.peerKey.slice(0, 8)}: ${stats.peers} peers, dht drops ${JSON.stringify(stats.drops.dht)}, refusals ${JSON.stringify(stats.layers.peers.handshakeFailuresByCode)}, lookups ${stats.dht.lookups}`
    }
    // 25 gets at a time: concurrent readers, as an app's users are.
    for (let i = 0; i < readers.length; i += 25) {
      const batch = readers.slice(i, i + 25)
      const got = await mesh.settle(Promise.all(batch.map((node) => node.dht.get('greeting', { owner: writer.publicKey }))))
      got.forEach((value, j) => {
        const seen = value === undefined ? '(none)' : text(value)
        values.set(seen, (values.get(seen) ?? 0) + 1)
        if (value === undefined) misses.push(describeMiss(batch[j]!))
      })
    }
    if (misses.length > 0) console.log(`missed gets:\n${misses.join('\n')}`)
    expect(Object.fromEntries(values)).toEqual({ 'hello, mesh': NODES - 1 })
  }, LARGE_TIMEOUT_MS)
})

describe('a failed join heals', () => {
  it('a node whose only bootstrap address is down at start joins once it comes back', async () => {
    const mesh = createMesh({ seed: 3 })
    const lonely = await mesh.node({ bootstrap: ['memory://seed'] })
    const events: string[] = []
    lonely.addEventListener('bootstrap:failed', () => events.push('bootstrap:failed'))
    lonely.addEventListener('isolated', () => events.push('isolated'))
    lonely.addEventListener('rejoined', (event) => events.push(`rejoined after ${event.detail.rounds} rounds`))
    await mesh.settle(lonely.start({ onBootstrapFailure: 'keep-trying' }))
    expect(lonely.stats().peers).toBe(0)
    expect(lonely.stats().bootstrap.failed.map((failure) => failure.code)).toEqual(['PEER_UNREACHABLE'])
    expect(events).toEqual(['isolated', 'bootstrap:failed'])
    expect(lonely.stats().join.isIsolated).toBe(true)
    expect(lonely.stats().join.nextRoundInMs).toBeGreaterThan(0)

    // Ten virtual minutes later, the seed comes up at the address the node was given.
    await mesh.runFor(600_000)
    const roundsWhileDown = lonely.stats().join.rounds
    expect(roundsWhileDown).toBeGreaterThan(1)
    const seed = await mesh.node({ address: 'seed' })
    await mesh.settle(seed.start())
    await mesh.runUntil(() => lonely.stats().peers === 1)
    expect(events.at(-1)).toMatch(/^rejoined after \d+ rounds$/)
    expect(lonely.stats().join.isIsolated).toBe(false)
    expect(lonely.stats().join.rejoins).toBe(1)
    // Rejoined for real: the DHT works through the seed.
    await mesh.settle(seed.dht.put('k', bytes('v')))
    expect(await mesh.settle(lonely.dht.get('k', { owner: seed.publicKey }))).toEqual(bytes('v'))
    // Backed off: one round a minute at most once the backoff has grown, not one a second.
    expect(roundsWhileDown).toBeLessThan(30)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)

  it('a node whose last peer goes keeps trying the addresses it knows and rejoins when one answers', async () => {
    const mesh = createMesh({ seed: 4 })
    const first = await mesh.node({ address: 'first' })
    await mesh.settle(first.start())
    const node = await mesh.node({ bootstrap: first.addresses })
    await mesh.settle(node.start())
    expect(node.stats().peers).toBe(1)
    const isolated: number[] = []
    node.addEventListener('isolated', (event) => isolated.push(event.detail.knownPeers))
    await mesh.settle(first.stop())
    await mesh.runUntil(() => isolated.length === 1)
    expect(isolated).toEqual([1])
    expect(node.stats().join.isIsolated).toBe(true)
    await mesh.runFor(120_000)
    // The same address comes back (a restart with a new identity): the bootstrap address still leads there.
    const restarted = await mesh.node({ address: 'first' })
    await mesh.settle(restarted.start())
    await mesh.runUntil(() => node.stats().peers === 1, 20_000)
    expect(node.peers()[0]!.peerKey).toBe(restarted.peerKey)
    expect(node.stats().join.rejoins).toBe(1)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)

  it('a node with no bootstrap address and no former peer is alone by choice: no rounds, no timers of the upkeep', async () => {
    const mesh = createMesh({ seed: 5 })
    const node = await mesh.node()
    await mesh.settle(node.start())
    await mesh.runFor(300_000)
    expect(node.stats().join).toMatchObject({ isIsolated: false, isBelowTarget: false, rounds: 0, nextRoundInMs: undefined })
    await mesh.stopAll()
  })
})

describe('a full node redirects instead of only refusing', () => {
  let mesh: Mesh
  beforeAll(() => {
    mesh = createMesh({ seed: 6 })
  })
  afterAll(async () => {
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })

  it('connect() to a full node rejects with PEER_TOO_MANY_PEERS and its redirect names the full node’s peers; a newcomer joins through them', async () => {
    const full = await mesh.node({ maxPeers: 3 })
    await mesh.settle(full.start())
    const members: MeshNode[] = []
    for (let i = 0; i < 3; i++) {
      const member = await mesh.node({ bootstrap: full.addresses })
      await mesh.settle(member.start())
      members.push(member)
    }
    expect(full.stats().peers).toBe(3)
    const memberKeys = members.map((member) => member.peerKey).sort()

    const probe = await mesh.node()
    await mesh.settle(probe.start())
    const refusal = await mesh.settle(probe.connect(full.addresses[0]!).then(() => undefined, (error: unknown) => error))
    expect(refusal).toBeInstanceOf(PeerError)
    expect((refusal as PeerError).code).toBe('PEER_TOO_MANY_PEERS')
    const offered = (refusal as PeerError).redirect
    expect(offered.map((peer) => Buffer.from(peer.id).toString('hex')).sort()).toEqual(memberKeys)
    for (const peer of offered) expect(peer.addresses.length).toBeGreaterThan(0)

    const newcomer = await mesh.node({ bootstrap: full.addresses })
    await mesh.settle(newcomer.start())
    expect(newcomer.stats().bootstrap.failed.map((failure) => failure.code)).toEqual(['PEER_TOO_MANY_PEERS'])
    expect(newcomer.stats().peers).toBeGreaterThanOrEqual(1)
    expect(newcomer.stats().join.redirectsReceived).toBeGreaterThanOrEqual(1)
    expect(newcomer.peers().every((peer) => memberKeys.includes(peer.peerKey) || peer.peerKey === probe.peerKey)).toBe(true)
  })

  it('a newcomer whose bootstrap node and the peers it offers are all full follows their redirects on and joins the peers those took', async () => {
    // Nobody prunes within the test: room is found only by following redirects.
    const noPruning = { pruneGraceMs: 86_400_000 }
    const full = await mesh.node({ maxPeers: 3, peers: noPruning })
    await mesh.settle(full.start())
    const members: MeshNode[] = []
    for (let i = 0; i < 3; i++) {
      const member = await mesh.node({ maxPeers: 2, bootstrap: full.addresses, peers: { ...noPruning, targetPeers: 1 } })
      await mesh.settle(member.start())
      members.push(member)
    }
    // Each member takes one leaf and is full with it and the full node.
    const leaves: MeshNode[] = []
    for (const member of members) {
      const leaf = await mesh.node({ bootstrap: member.addresses })
      await mesh.settle(leaf.start())
      leaves.push(leaf)
    }
    for (const node of [full, ...members]) expect(node.stats().peers).toBe(node === full ? 3 : 2)
    const leafKeys = leaves.map((leaf) => leaf.peerKey)

    const newcomer = await mesh.node({ bootstrap: full.addresses })
    await mesh.settle(newcomer.start())
    expect(newcomer.isRunning).toBe(true)
    expect(newcomer.stats().bootstrap.failed.map((failure) => failure.code)).toEqual(['PEER_TOO_MANY_PEERS'])
    // The full node's redirect, then at least one member's.
    expect(newcomer.stats().join.redirectsReceived).toBeGreaterThanOrEqual(2)
    expect(newcomer.peers().length).toBeGreaterThanOrEqual(1)
    expect(newcomer.peers().some((peer) => leafKeys.includes(peer.peerKey))).toBe(true)
  })

  it('above its high watermark a node prunes to its low one, past the grace period, keeping its own links; each pruned peer gets a redirect', async () => {
    const hub = await mesh.node({ maxPeers: 12, peers: { targetPeers: 1, highWatermark: 8, lowWatermark: 5, pruneGraceMs: 10_000 } })
    await mesh.settle(hub.start())
    const anchor = await mesh.node()
    await mesh.settle(anchor.start())
    await mesh.settle(hub.connect(anchor.addresses[0]!)) // the hub's own link
    const spokes: MeshNode[] = []
    for (let i = 0; i < 7; i++) {
      const spoke = await mesh.node({ bootstrap: hub.addresses, peers: { targetPeers: 1 } })
      await mesh.settle(spoke.start())
      spokes.push(spoke)
    }
    expect(hub.stats().peers).toBe(8)
    expect(hub.stats().join.pruned).toBe(0)
    await mesh.runFor(20_000) // every session is past the grace period
    const late = await mesh.node({ bootstrap: hub.addresses, peers: { targetPeers: 1 } })
    await mesh.settle(late.start())
    // 9 > 8: pruned towards 5; the newcomer (in its grace period) and the hub's own link stay,
    // and so does the oldest session of each XOR-distance bucket.
    await mesh.runFor(1_000)
    const kept = new Set(hub.peers().map((peer) => peer.peerKey))
    const pruned = hub.stats().join.pruned
    expect(pruned).toBeGreaterThanOrEqual(1)
    expect(hub.stats().peers).toBe(9 - pruned)
    expect(hub.stats().peers).toBeGreaterThanOrEqual(5)
    expect(kept.has(late.peerKey)).toBe(true)
    expect(kept.has(anchor.peerKey)).toBe(true)
    const prunedSpokes = spokes.filter((spoke) => !kept.has(spoke.peerKey))
    expect(prunedSpokes.length).toBe(pruned)
    for (const spoke of prunedSpokes) expect(spoke.stats().join.redirectsReceived).toBeGreaterThanOrEqual(1)
    // A pruned spoke is not left alone: it dials one of the peers the redirect offered.
    await mesh.runFor(5_000)
    for (const spoke of prunedSpokes) expect(spoke.stats().peers).toBeGreaterThanOrEqual(1)
  })
})

describe('sessions a DHT lookup dials are transient', () => {
  it('a get through nodes that are not neighbours opens sessions that close once idle for transientIdleMs; the node keeps its own links', async () => {
    const mesh = createMesh({ seed: 8 })
    // A chain of joins: each node knows only the one before it, so most nodes are far apart.
    const nodes: MeshNode[] = []
    for (let i = 0; i < 30; i++) {
      const node = await mesh.node({ bootstrap: nodes.length === 0 ? [] : nodes[nodes.length - 1]!.addresses, peers: { targetPeers: 2 } })
      await mesh.settle(node.start())
      nodes.push(node)
    }
    await mesh.runFor(120_000) // the joins' lookups are over: their sessions have closed
    const reader = nodes[0]!
    const kept = new Set(reader.peers().map((peer) => peer.peerKey))
    const writer = nodes[29]!
    await mesh.settle(writer.dht.put('far', bytes('away')))
    expect(await mesh.settle(reader.dht.get('far', { owner: writer.publicKey }))).toEqual(bytes('away'))
    const opened = reader.peers().filter((peer) => !kept.has(peer.peerKey) && peer.direction === 'outbound').map((peer) => peer.peerKey)
    expect(opened.length).toBeGreaterThan(0)
    const ownLinks = reader.peers().filter((peer) => kept.has(peer.peerKey) && peer.direction === 'outbound').map((peer) => peer.peerKey)
    await mesh.runFor(30_000) // past transientIdleMs (10 s) and the keepalive tick that checks it
    const now = new Set(reader.peers().map((peer) => peer.peerKey))
    expect(opened.filter((key) => now.has(key))).toEqual([])
    expect(ownLinks.filter((key) => !now.has(key))).toEqual([])
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)
})

describe('redirects from a hostile peer', () => {
  it('a peer sending redirect after redirect fills the address book with at most one redirect’s 20 peers, and the node keeps serving', async () => {
    const mesh = createMesh({ seed: 9 })
    const victim = await mesh.node()
    await mesh.settle(victim.start())
    const honest = await mesh.node({ bootstrap: victim.addresses })
    await mesh.settle(honest.start())
    const attacker = new Attacker(mesh.net, 'mallory', 777)
    const link = await mesh.settle(attacker.dial(victim.addresses[0]!))
    await mesh.runUntil(() => victim.peers().some((peer) => peer.peerKey === Buffer.from(attacker.id).toString('hex')) && link.isRemoteAuthenticated)
    const knownBefore = victim.stats().join.knownPeers
    for (let round = 0; round < 10; round++) {
      const bogus = Array.from({ length: 20 }, (_, i) => ({ id: new Uint8Array(32).fill(round * 20 + i + 1), addresses: [`memory://bogus-${round}-${i}`] }))
      link.send([{ type: 'redirect', peers: bogus }])
      await mesh.runFor(50)
    }
    expect(victim.stats().join.knownPeers - knownBefore).toBeLessThanOrEqual(20)
    expect(victim.stats().join.redirectsReceived).toBe(1)
    // Still serving: a publish from the honest peer reaches the victim.
    const inbox: string[] = []
    victim.subscribe('news', (message) => inbox.push(text(message.data)))
    await mesh.runFor(1_000)
    await mesh.settle(honest.publish('news', bytes('still here')))
    await mesh.runFor(1_000)
    expect(inbox).toEqual(['still here'])
    await attacker.close()
    await mesh.stopAll()
  })
})
