// A flood of tiny messages (issue 10, attack 8): frames of 1,024 pings, as fast as the link
// takes them, from one authenticated identity. Before, the victim decoded 103 M messages in
// 8 s and banned nobody. Now a frame is charged by the message count its header claims before
// it is decoded (the peer's own and relay budgets together), and going far over the own rate
// costs more points the further over it goes: the flood costs the attacker its session within
// two seconds, and the victim decodes a bounded number of its messages meanwhile. And it
// does not even read the rest: a peer over its budget goes unread until the budget has room
// (Connection.pauseReading), so the flood waits in the attacker's own send buffer.

import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { bytesEqual } from '../../src/peers/identity.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { DEFAULT_RATE_LIMIT_PER_PEER, DEFAULT_RELAY_RATE_LIMIT_PER_PEER } from '../../src/peers/options.js'
import type { RelayMessage } from '../../src/relay/index.js'
import { encodeFrame, GoodbyeReason, MAX_MESSAGES_PER_FRAME, type DecodedMessage } from '../../src/wire/index.js'
import { Attacker } from './attacker.js'
import { createMesh } from './harness.js'

useDeterministicEd25519()

const isPeer = (node: MeshNode, id: Uint8Array) => node.peers().some((peer) => bytesEqual(peer.id, id))

describe('hostile peers: a flood of tiny messages', () => {
  it('frames of 1,024 pings every millisecond: banned within 2 s, at most the budget decoded, honest traffic still delivered', async () => {
    const mesh = createMesh({ latencyMs: 5, jitterMs: 0 })
    const victim = await mesh.node()
    await mesh.settle(victim.start())
    const honest = await mesh.node({ bootstrap: victim.addresses })
    await mesh.settle(honest.start())
    const atVictim: RelayMessage[] = []
    victim.subscribe('news', (message) => atVictim.push(message))
    await mesh.runUntil(() => honest.stats().layers.relay.peersWithTopics === 1)
    const attacker = new Attacker(mesh.net, 'flood', 301)
    const link = await mesh.settle(attacker.dial(victim.addresses[0]!))
    await mesh.runUntil(() => isPeer(victim, attacker.id) && link.isRemoteAuthenticated)

    const pings: DecodedMessage[] = Array.from({ length: MAX_MESSAGES_PER_FRAME }, (_, i) => ({ type: 'ping', requestId: i + 1 }))
    const frame = encodeFrame(pings)
    const inBefore = victim.stats().layers.peers.messagesIn
    const startedAt = mesh.clock.now()
    const framesInBefore = victim.stats().layers.peers.framesIn
    const honestFramesBefore = honest.stats().layers.peers.framesOut
    let framesSent = 0
    let turns = 0
    let heldBack = 0
    while (link.closed === undefined && mesh.clock.now() - startedAt < 5_000) {
      // As fast as the link takes them: up to 10 frames a millisecond while its buffer has room.
      for (let i = 0; i < 10 && link.connection.isOpen; i++) {
        if (link.connection.bufferedAmount > 256 * 1_024) {
          heldBack++
          break
        }
        link.sendBytes(frame)
        framesSent++
      }
      if (++turns % 50 === 0) void honest.publish('news', new TextEncoder().encode(`honest ${turns}`))
      await mesh.runFor(10)
    }
    const bannedAfter = mesh.clock.now() - startedAt
    const peers = victim.stats().layers.peers

    expect(link.goodbyes).toEqual([GoodbyeReason.RATE_LIMITED])
    expect(bannedAfter).toBeLessThanOrEqual(2_100)
    expect(peers.bans).toBe(1)
    // Decoded: at most one burst plus the budget's rate over the attack, whatever was sent.
    const budget = DEFAULT_RATE_LIMIT_PER_PEER + DEFAULT_RELAY_RATE_LIMIT_PER_PEER
    const decoded = peers.messagesIn + peers.dropped['rate-limit'] - inBefore
    expect(decoded).toBeLessThanOrEqual(budget + (budget * bannedAfter) / 1_000 + MAX_MESSAGES_PER_FRAME)
    // Not read either: after each frame over the budget the victim stopped reading the link,
    // so it received about two frames a pause (one it decoded, one over the budget) while
    // the attacker's own buffer filled and held it back.
    expect(peers.readPauses).toBeGreaterThan(0)
    expect(peers.dropped['over-budget']).toBeGreaterThan(0)
    // (The honest node has one peer, the victim: every frame it sent arrived there.)
    const attackerFramesIn = peers.framesIn - framesInBefore - (honest.stats().layers.peers.framesOut - honestFramesBefore)
    expect(attackerFramesIn).toBeLessThanOrEqual(2 * peers.readPauses + 2)
    expect(framesSent).toBeGreaterThan(4 * attackerFramesIn)
    expect(heldBack).toBeGreaterThan(0)
    // The honest neighbour was never charged and its publishes arrived.
    await mesh.runFor(500)
    expect(atVictim.length).toBeGreaterThan(0)
    expect(atVictim.every((message) => bytesEqual(message.origin, honest.id))).toBe(true)
    expect(isPeer(victim, honest.id)).toBe(true)
    expect(honest.stats().layers.peers.penalties['rate-limit']).toBe(0)

    await attacker.close()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)
})
