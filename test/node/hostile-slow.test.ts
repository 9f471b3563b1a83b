// Slow readers (issue 10, attack 7): a peer that completes the handshake and then reads at
// 1 KB/s, and one that reads nothing at all. Each session's outgoing queue is capped in bytes
// as well as in messages, a peer that keeps its link pushed back for slowPeerTimeoutMs is
// disconnected, and the memory transport pushes back as a real link would (its receive
// window): before, the victim queued 10,000 messages (+237 MiB) for one such session.

import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { bytesEqual } from '../../src/peers/identity.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { DEFAULT_MAX_QUEUE_BYTES, DEFAULT_SLOW_PEER_TIMEOUT_MS } from '../../src/peers/options.js'
import type { RelayMessage } from '../../src/relay/index.js'
import { Attacker } from './attacker.js'
import { createMesh } from './harness.js'

useDeterministicEd25519()

const isPeer = (node: MeshNode, id: Uint8Array) => node.peers().some((peer) => bytesEqual(peer.id, id))

describe('hostile peers: slow readers', () => {
  it('a neighbour reading at 1 KB/s: its queue stays under maxQueueBytes, it is cut after slowPeerTimeoutMs, and the honest neighbour gets every message', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 0 })
    const victim = await mesh.node()
    await mesh.settle(victim.start())
    const honest = await mesh.node({ bootstrap: victim.addresses })
    await mesh.settle(honest.start())
    const atHonest: RelayMessage[] = []
    honest.subscribe('news', (message) => atHonest.push(message))
    const reasons: string[] = []
    victim.addEventListener('peer:disconnect', (event) => reasons.push(event.detail.reason))
    const attacker = new Attacker(mesh.net, 'slow', 201)
    const link = await mesh.settle(attacker.dial(victim.addresses[0]!))
    await mesh.runUntil(() => isPeer(victim, attacker.id) && link.isRemoteAuthenticated)
    link.send([{ type: 'subscribe', topics: ['news'] }])
    await mesh.runUntil(() => victim.stats().layers.relay.peersWithTopics === 2)
    // From now on the victim's link to the attacker carries 1 KB/s.
    mesh.net.setLink(victim.addresses[0]!, attacker.address, { latencyMs: 10, bandwidthBytesPerSec: 1_000 }, { oneWay: true })

    const payload = new Uint8Array(16_384)
    let maxBuffered = 0
    let publishedAt = 0
    for (let i = 0; i < 400; i++) {
      payload[0] = i & 0xff
      payload[1] = i >> 8
      await mesh.settle(victim.publish('news', payload))
      const stats = victim.stats()
      maxBuffered = Math.max(maxBuffered, stats.layers.peers.bufferedBytes)
      // The memory estimate counts what is buffered: it is never below it.
      expect(stats.memory.totalBytes).toBeGreaterThanOrEqual(stats.layers.peers.bufferedBytes)
      // It keeps talking (so the keepalive sees a live link), it just reads slowly.
      if (i % 40 === 0) link.send([{ type: 'ping', requestId: i + 1 }])
      await mesh.runFor(50)
      if (i === 0) publishedAt = mesh.clock.now()
    }
    await mesh.runUntil(() => !isPeer(victim, attacker.id))
    const cutAfter = mesh.clock.now() - publishedAt

    expect(atHonest).toHaveLength(400)
    // Queue plus what the link holds: the queue cap, the link's high-water mark, one message.
    expect(maxBuffered).toBeLessThanOrEqual(DEFAULT_MAX_QUEUE_BYTES + 1_048_576 + 17_000)
    expect(maxBuffered).toBeGreaterThan(DEFAULT_MAX_QUEUE_BYTES)
    expect(victim.stats().layers.peers.dropped['queue-full']).toBeGreaterThan(0)
    expect(victim.stats().layers.peers.slowPeersCut).toBe(1)
    expect(reasons).toEqual([expect.stringMatching(/^slow consumer/)])
    expect(cutAfter).toBeGreaterThanOrEqual(DEFAULT_SLOW_PEER_TIMEOUT_MS - 1_000)
    expect(cutAfter).toBeLessThanOrEqual(DEFAULT_SLOW_PEER_TIMEOUT_MS + 20_000)
    // What the slow session held is released (a control message may be on its way to the honest peer).
    expect(victim.stats().layers.peers.bufferedBytes).toBeLessThan(1_024)
    expect(isPeer(victim, honest.id)).toBe(true)

    await attacker.close()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)
})
