// Replays of direct messages: each attempt carries its origin's signed timestamp, every hop
// refuses one older than maxMessageAgeMs, and the target remembers the sends it delivered
// for that long (src/routing/delivered-sends.ts), so a captured message is never delivered twice.

import { describe, expect, it } from 'vitest'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { Router, RoutingError } from '../../src/routing/index.js'
import { DeliveredSends } from '../../src/routing/delivered-sends.js'
import { directSignedBytes } from '../../src/routing/envelope.js'
import { composeMessageId } from '../../src/routing/message-id.js'
import type { DecodedMessage, DirectMessage } from '../../src/wire/messages.js'
import type { FakeNode } from '../dht/fake-network.js'
import { createRoutedNet, stopNet } from './harness.js'

useDeterministicEd25519()

const bytes = (text: string) => new TextEncoder().encode(text)

/** Every direct message `node` receives. */
function captureDirect(node: FakeNode): DirectMessage[] {
  const seen: DirectMessage[] = []
  node.on('message', (_peer, message: DecodedMessage) => {
    if (message.type === 'direct') seen.push(message)
  })
  return seen
}

/** A direct message `from` signs to `to` at `timestampMs`, send id `sendId`. */
async function signedDirect(from: FakeNode, to: FakeNode, sendId: number, timestampMs: number, data: Uint8Array): Promise<DirectMessage> {
  const messageId = composeMessageId({ sendId, isFlood: false, attempt: 0, low: 16 })
  const signature = await from.identity.sign(directSignedBytes(messageId, from.id, to.id, timestampMs, data))
  return { type: 'direct', messageId, origin: from.id, target: to.id, originKey: from.identity.publicKey, timestampMs, ttl: 16, data, signature }
}

describe('direct message replay', () => {
  it('a captured message replayed after the dedup set forgot it is not delivered again: inside the age window by the delivered sends, past it by age', async () => {
    const net = createRoutedNet(2, { dedupTtlMs: 1_000, maxMessageAgeMs: 60_000 })
    const [a, b] = net.nodes
    const session = a.link(b)
    const captured = captureDirect(b)
    await net.mesh.advance(10)
    await net.mesh.run(net.routers[0].send(b.id, bytes('pay 10')))
    expect(net.inboxes[1].map((m) => new TextDecoder().decode(m.data))).toEqual(['pay 10'])
    const [genuine] = captured
    // Before: the dedup set was all that told a replay apart; 1 s later it had forgotten.
    await net.mesh.advance(5_000)
    session.send(genuine, 1)
    await net.mesh.advance(100)
    expect(net.inboxes[1]).toHaveLength(1)
    expect(net.routers[1].stats().redelivered).toBe(1) // recognised, acked again, not delivered
    await net.mesh.advance(60_000)
    session.send(genuine, 1)
    await net.mesh.advance(100)
    expect(net.inboxes[1]).toHaveLength(1)
    expect(net.routers[1].stats().dropped.stale).toBe(1)
    expect(await stopNet(net)).toBe(0)
  })

  it('refuses by signed age at the boundaries: exactly maxMessageAgeMs old and maxClockSkewMs ahead are taken, a millisecond more is not', async () => {
    const net = createRoutedNet(2, { maxMessageAgeMs: 60_000, maxClockSkewMs: 5_000 })
    const [a, b] = net.nodes
    const session = a.link(b)
    await net.mesh.advance(100_000)
    // Judged when they arrive, one link latency (10 ms) after they are sent.
    const arrival = net.mesh.clock.now() + net.mesh.latencyMs
    const stamps = [arrival - 60_000, arrival - 60_001, arrival + 5_000, arrival + 5_001]
    for (const [i, timestampMs] of stamps.entries()) session.send(await signedDirect(a, b, i + 1, timestampMs, bytes(`${timestampMs - arrival}`)), 1)
    await net.mesh.advance(100)
    expect(net.inboxes[1].map((m) => new TextDecoder().decode(m.data))).toEqual(['-60000', '5000'])
    const { dropped } = net.routers[1].stats()
    expect(dropped.stale).toBe(1)
    expect(dropped.future).toBe(1)
    expect([...a.penalties, ...b.penalties]).toEqual([]) // a clock apart is nobody's offence
    expect(await stopNet(net)).toBe(0)
  })
})

describe('the replay options', () => {
  it.each([
    [{ maxMessageAgeMs: 999 }, 'maxMessageAgeMs must be an integer from 1000 to 86400000, got 999'],
    [{ maxClockSkewMs: 86_400_001 }, 'maxClockSkewMs must be an integer from 0 to 86400000, got 86400001'],
    [{ maxDeliveredSends: 0 }, 'maxDeliveredSends must be an integer from 1 to 1000000, got 0'],
  ])('refuses %o with ROUTING_INVALID_OPTION', (options, message) => {
    const net = createRoutedNet(1)
    expect(() => new Router({ network: net.nodes[0], ...options })).toThrow(message)
    expect(() => new Router({ network: net.nodes[0], ...options })).toThrow(RoutingError)
    expect(() => new Router({ network: net.nodes[0], ...options })).toThrow(expect.objectContaining({ code: 'ROUTING_INVALID_OPTION' }))
    net.routers[0].stop()
  })
})

describe('DeliveredSends', () => {
  const AGE = 60_000

  it('tells a new send from another attempt of one delivered, and forgets it once its newest attempt is past the age limit', () => {
    const sends = new DeliveredSends(10, AGE)
    expect(sends.record(1n, 1_000, 1_000)).toBe('new')
    expect(sends.record(1n, 900, 1_000)).toBe('again')
    expect(sends.record(1n, 5_000, 5_000)).toBe('again') // newest is now 5,000
    expect(sends.record(2n, 5_000 + AGE, 5_000 + AGE)).toBe('new') // 1 is exactly AGE old: kept
    expect(sends.size).toBe(2)
    expect(sends.record(3n, 5_001 + AGE, 5_001 + AGE)).toBe('new') // 1 is AGE + 1 old: dropped
    expect(sends.size).toBe(2)
    expect(sends.floor.evictedYoung).toBe(0)
    expect(sends.floor.floorMs).toBe(-Infinity)
  })

  it('when full of young sends pushes out the oldest and raises the floor: a send not remembered, signed at or before it, is forgotten', () => {
    const sends = new DeliveredSends(2, AGE)
    expect(sends.record(1n, 100, 100)).toBe('new')
    expect(sends.record(2n, 200, 200)).toBe('new')
    expect(sends.record(3n, 300, 300)).toBe('new') // pushes out 1, young
    expect(sends.floor.evictedYoung).toBe(1)
    expect(sends.floor.floorMs).toBe(100)
    expect(sends.record(1n, 100, 400)).toBe('forgotten') // the replay of send 1
    expect(sends.record(9n, 100, 400)).toBe('forgotten')
    expect(sends.record(9n, 101, 400)).toBe('new') // signed after the floor
    expect(sends.record(3n, 50, 400)).toBe('again') // remembered: the floor does not apply
    sends.clear()
    expect(sends.floor.floorMs).toBe(-Infinity)
    expect(sends.size).toBe(0)
  })
})
