// Attacks through an honest relay (issue 10, attack 1): peers that publish inside the rate
// limit, through a victim V, to V's honest neighbour H. A neighbour is charged for what it
// originates or asks for; what it relays for others is limited per origin at every hop
// (src/peers/origin-limits.ts), after the signature verifies, and never costs the relay its
// score. Before, H rate-limited, penalized and banned V: V's own publishes reached H 9 of 400.

import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { bytesEqual } from '../../src/peers/identity.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { DEFAULT_ORIGIN_RATE_LIMIT } from '../../src/peers/origin-limits.js'
import type { RelayMessage } from '../../src/relay/index.js'
import type { PublishMessage } from '../../src/wire/index.js'
import { Attacker, type AttackerLink } from './attacker.js'
import { createMesh, type Mesh } from './harness.js'

useDeterministicEd25519()

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)
const isPeer = (node: MeshNode, id: Uint8Array) => node.peers().some((peer) => bytesEqual(peer.id, id))

async function attach(mesh: Mesh, victim: MeshNode, attacker: Attacker): Promise<AttackerLink> {
  const link = await mesh.settle(attacker.dial(victim.addresses[0]!))
  await mesh.runUntil(() => isPeer(victim, attacker.id) && link.isRemoteAuthenticated)
  link.send([{ type: 'subscribe', topics: ['news'] }])
  return link
}

/** `count` publishes genuinely signed by `attacker`, made ahead so sending them costs no signing time. */
async function signed(mesh: Mesh, attacker: Attacker, count: number): Promise<PublishMessage[]> {
  const messages: PublishMessage[] = []
  for (let i = 0; i < count; i++) messages.push(await mesh.settle(attacker.publish('news', bytes(`${attacker.address} ${i}`))))
  return messages
}

/** V and its honest neighbour H, both subscribed to 'news'; what H delivers is collected. */
async function relayPair(mesh: Mesh, vOptions: Parameters<Mesh['node']>[0] = {}) {
  const v = await mesh.node(vOptions)
  await mesh.settle(v.start())
  const h = await mesh.node({ bootstrap: v.addresses })
  await mesh.settle(h.start())
  const atH: RelayMessage[] = []
  v.subscribe('news', () => {})
  h.subscribe('news', (message) => atH.push(message))
  await mesh.runUntil(() => v.stats().layers.relay.peersWithTopics === 1 && h.stats().layers.relay.peersWithTopics === 1)
  return { v, h, atH }
}

describe('hostile peers: traffic relayed for others', () => {
  it('two peers each publishing at exactly 100 msg/s through V: H receives all of V’s own 400 publishes and everything relayed, and never penalizes V', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 2 })
    const { v, h, atH } = await relayPair(mesh)

    const attackers = [new Attacker(mesh.net, 'flood-1', 101), new Attacker(mesh.net, 'flood-2', 102)]
    const links: AttackerLink[] = []
    for (const attacker of attackers) links.push(await attach(mesh, v, attacker))
    await mesh.runUntil(() => v.stats().layers.relay.peersWithTopics === 3)
    const seconds = 8
    const rate = DEFAULT_ORIGIN_RATE_LIMIT
    const floods = await Promise.all(attackers.map((attacker) => signed(mesh, attacker, rate * seconds)))

    // Every 10 ms each attacker sends one publish (100 msg/s each); every 20 ms V publishes one of its own (400 in all).
    let own = 0
    for (let tick = 0; tick < rate * seconds; tick++) {
      floods.forEach((flood, i) => links[i]!.send([flood[tick]!]))
      if (tick % 2 === 0) void v.publish('news', bytes(`v ${own++}`))
      await mesh.runFor(1_000 / rate)
    }
    await mesh.runFor(1_000)

    const fromV = atH.filter((message) => bytesEqual(message.origin, v.id))
    expect(fromV.map((message) => text(message.data))).toEqual(Array.from({ length: 400 }, (_, i) => `v ${i}`))
    for (const attacker of attackers) {
      expect(atH.filter((message) => bytesEqual(message.origin, attacker.id))).toHaveLength(rate * seconds)
    }
    // H charged V nothing: no rate-limit drop, no penalty, no ban; V is still H's peer.
    const peersAtH = h.stats().layers.peers
    expect(peersAtH.dropped['rate-limit']).toBe(0)
    expect(peersAtH.dropped['relay-rate-limit']).toBe(0)
    expect(peersAtH.penalties['rate-limit']).toBe(0)
    expect(peersAtH.bans).toBe(0)
    expect(isPeer(h, v.id)).toBe(true)
    // The attackers stayed inside their own limit at V, so nobody was charged anything.
    expect(v.stats().layers.peers.penalties['rate-limit']).toBe(0)

    for (const attacker of attackers) await attacker.close()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)

  it('an origin over its rate is cut at every hop, after its signature verifies; the relay that passed it on is not charged', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 2 })
    // V lets a burst of 300 through (its limits are raised); H, at the defaults, does not.
    const { v, h, atH } = await relayPair(mesh, { peers: { rateLimitPerPeer: 1_000 }, relay: { originRateLimit: 1_000 } })
    const attacker = new Attacker(mesh.net, 'flood', 103)
    const link = await attach(mesh, v, attacker)
    await mesh.runUntil(() => v.stats().layers.relay.peersWithTopics === 2)
    const burst = await signed(mesh, attacker, 300)
    link.send(burst.slice(0, 150))
    link.send(burst.slice(150))
    await mesh.runFor(1_000)

    // V passed on all 300; H delivered one origin's burst (100) and dropped the rest, charging V nothing.
    expect(v.stats().layers.relay.dropped['origin-rate-limit']).toBe(0)
    const delivered = atH.filter((message) => bytesEqual(message.origin, attacker.id)).length
    expect(delivered).toBeGreaterThanOrEqual(DEFAULT_ORIGIN_RATE_LIMIT)
    expect(delivered).toBeLessThanOrEqual(DEFAULT_ORIGIN_RATE_LIMIT + 2)
    expect(h.stats().layers.relay.dropped['origin-rate-limit']).toBe(300 - delivered)
    expect(h.stats().layers.peers.dropped['rate-limit']).toBe(0)
    expect(h.stats().layers.peers.penalties['rate-limit']).toBe(0)
    expect(h.stats().layers.peers.bans).toBe(0)
    expect(isPeer(h, v.id)).toBe(true)
    await attacker.close()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  })
})
