// Sybil identities filling a node (issue 10, attack 5): fresh identities connect until the
// victim is full. Its own dials have reserved slots: while it has fewer than targetPeers
// sessions it dialled, one of them always gets in, an inbound session making room even
// within its grace period. Before, a victim full of fresh Sybils refused its own dials
// (0 of 5) for as long as the flood kept it full.

import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import type { MeshPeersOptions } from '../../src/node/options.js'
import { bytesEqual } from '../../src/peers/identity.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import type { TimerHandle } from '../../src/util/clock.js'
import { Attacker, type AttackerLink } from './attacker.js'
import { createMesh, type Mesh } from './harness.js'

useDeterministicEd25519()

const isPeer = (node: MeshNode, id: Uint8Array) => node.peers().some((peer) => bytesEqual(peer.id, id))
const bytes = (text: string) => new TextEncoder().encode(text)

/**
 * `prefixes` x `perPrefix` Sybils (each a host of its own, '45.<prefix>.<host>.1'), every one
 * re-dialling `target` 1 s after its connection ends, for as long as the attack runs. Samples
 * how many sessions they hold at `victim` every 250 ms.
 */
function sybilFlood(mesh: Mesh, victim: MeshNode, prefixes: number, perPrefix: number) {
  const sybils: Attacker[] = []
  for (let p = 0; p < prefixes; p++) for (let h = 0; h < perPrefix; h++) sybils.push(new Attacker(mesh.net, `45.${p}.${h}.1`, 1_000 + p * perPrefix + h))
  const keys = new Set(sybils.map((sybil) => sybil.identity.peerId.join(',')))
  const last = new Map<Attacker, { link: AttackerLink | undefined; closedAt: number | undefined }>()
  const target = victim.addresses[0]!
  let maxHeld = 0
  let timer: TimerHandle | undefined
  const held = () => victim.peers().filter((peer) => keys.has(peer.id.join(','))).length
  const dial = (sybil: Attacker) => {
    const entry = { link: undefined as AttackerLink | undefined, closedAt: undefined as number | undefined }
    last.set(sybil, entry)
    sybil.dial(target).then((link) => (entry.link = link), () => (entry.closedAt = mesh.clock.now()))
  }
  const tick = () => {
    maxHeld = Math.max(maxHeld, held())
    const now = mesh.clock.now()
    for (const sybil of sybils) {
      const entry = last.get(sybil)!
      if (entry.closedAt === undefined && entry.link?.closed !== undefined) entry.closedAt = now
      if (entry.closedAt !== undefined && now - entry.closedAt >= 1_000) dial(sybil)
    }
    timer = mesh.clock.setTimeout(tick, 250)
  }
  for (const sybil of sybils) dial(sybil)
  timer = mesh.clock.setTimeout(tick, 250)
  return {
    held,
    get maxHeld() {
      return maxHeld
    },
    get dials() {
      return sybils.reduce((sum, sybil) => sum + sybil.links.length, 0)
    },
    async stop() {
      if (timer !== undefined) mesh.clock.clearTimeout(timer)
      await Promise.all(sybils.map((sybil) => sybil.close()))
    },
  }
}

/** What must hold whatever the Sybils do: 5 of 5 own dials and 5 of 5 honest newcomers get in and stay, and so do the 6 established peers. */
function expectHonestPeersServed(run: EclipseRun): void {
  expect(run).toMatchObject({ ownDials: 5, ownDialsKept: 5, newcomersIn: 5, newcomersKept: 5, establishedKept: 6 })
}

interface EclipseRun {
  /** Of the victim's own 5 dials during the attack, how many got a session. */
  readonly ownDials: number
  /** Of those, still connected when the attack ends. */
  readonly ownDialsKept: number
  /** Of 5 honest newcomers (one every 10 s), how many got a session with the victim. */
  readonly newcomersIn: number
  /** Of those, still connected when the attack ends. */
  readonly newcomersKept: number
  /** Of the 6 honest peers connected (and publishing) before the attack, still connected when it ends. */
  readonly establishedKept: number
  readonly sybilsMaxHeld: number
  readonly sybilsHeldAtEnd: number
  readonly sybilDials: number
  readonly peersAtEnd: number
  readonly inboundEvictions: number
  readonly prefixShareRefusals: number
}

/**
 * A victim (maxPeers 30, so at most 3 inbound sessions per prefix) with 6 honest inbound peers
 * that publish every 5 s; 120 Sybils from `prefixes` prefixes flood it for 60 s while it dials
 * 5 peers of its own and 5 honest newcomers dial it.
 */
async function eclipseAttempt(prefixes: number, peers: MeshPeersOptions = {}): Promise<EclipseRun> {
  const mesh = createMesh({ latencyMs: 10, jitterMs: 0 })
  const victim = await mesh.node({ maxPeers: 30, address: '198.18.0.1', peers })
  await mesh.settle(victim.start())
  victim.subscribe('chat', () => {})
  const established: MeshNode[] = []
  for (let i = 0; i < 6; i++) {
    const node = await mesh.node({ address: `62.${i}.0.1` })
    await mesh.settle(node.start())
    node.subscribe('chat', () => {})
    await mesh.settle(node.connect(victim.addresses[0]!))
    established.push(node)
  }
  const chatter = () => {
    for (const node of established) void node.publish('chat', bytes(`${node.addresses[0]} at ${mesh.clock.now()}`))
  }
  chatter()
  await mesh.runFor(40_000)

  const flood = sybilFlood(mesh, victim, prefixes, 120 / prefixes)
  await mesh.runFor(1_000)
  const dialled: MeshNode[] = []
  for (let i = 0; i < 5; i++) {
    const node = await mesh.node({ address: `91.${i}.0.1` })
    await mesh.settle(node.start())
    if (await mesh.settle(victim.connect(node.addresses[0]!).then(() => true, () => false))) dialled.push(node)
  }
  const newcomers: MeshNode[] = []
  let newcomersIn = 0
  for (let i = 0; i < 5; i++) {
    chatter()
    await mesh.runFor(5_000)
    chatter()
    const node = await mesh.node({ address: `81.${i}.0.1`, peers: { maxRetries: 0 } })
    await mesh.settle(node.start())
    node.subscribe('chat', () => {})
    const isIn = await mesh.settle(node.connect(victim.addresses[0]!).then(() => isPeer(victim, node.id), () => false))
    if (isIn) {
      newcomersIn++
      newcomers.push(node)
    }
    await mesh.runFor(5_000)
  }
  for (let i = 0; i < 2; i++) {
    chatter()
    await mesh.runFor(5_000)
  }
  const stats = victim.stats().layers.peers
  const run: EclipseRun = {
    ownDials: dialled.length,
    ownDialsKept: dialled.filter((node) => isPeer(victim, node.id)).length,
    newcomersIn,
    newcomersKept: newcomers.filter((node) => isPeer(victim, node.id)).length,
    establishedKept: established.filter((node) => isPeer(victim, node.id)).length,
    sybilsMaxHeld: flood.maxHeld,
    sybilsHeldAtEnd: flood.held(),
    sybilDials: flood.dials,
    peersAtEnd: victim.peers().length,
    inboundEvictions: stats.inboundEvictions,
    prefixShareRefusals: stats.prefixShareRefusals,
  }
  await flood.stop()
  await mesh.stopAll()
  expect(mesh.clock.pending).toBe(0)
  return run
}

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

  it('120 Sybils from 4 prefixes keep re-dialling for 60 s: they never hold more than 12 of 30 sessions (3 a prefix); 5 of 5 honest newcomers and 5 of 5 own dials get in, and every honest peer stays', async () => {
    const run = await eclipseAttempt(4)
    expect(run.sybilsMaxHeld).toBeLessThanOrEqual(12)
    expectHonestPeersServed(run)
    expect(run.prefixShareRefusals).toBeGreaterThan(1_000)
  }, 120_000)

  it('120 Sybils from 12 prefixes (more than the free slots at 3 a prefix): colocated ones get no grace period, so pruning trims them first; they never hold more than 20 of 30, and every honest peer gets in and stays', async () => {
    const run = await eclipseAttempt(12)
    expect(run.sybilsMaxHeld).toBeLessThanOrEqual(20)
    expectHonestPeersServed(run)
  }, 120_000)

  it('the same with no pruning below maxPeers (highWatermark 30): the Sybils fill every free slot, and each honest newcomer evicts the youngest of the most crowded prefix: 5 of 5 get in and stay, 5 of 5 own dials, every honest peer stays', async () => {
    const run = await eclipseAttempt(12, { highWatermark: 30 })
    expect(run.sybilsMaxHeld).toBeLessThanOrEqual(30 - 6)
    expectHonestPeersServed(run)
    expect(run.inboundEvictions).toBeGreaterThanOrEqual(5)
  }, 120_000)
})
