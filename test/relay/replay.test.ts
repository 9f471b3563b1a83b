// Replay protection: a signed message re-sent after the dedup set forgot it is still refused,
// by its origin's sequence window (src/relay/replay-window.ts), by the window's floor when its
// origin was pushed out, and by its signed timestamp once it is older than maxMessageAgeMs.

import { describe, expect, it } from 'vitest'
import { Relay } from '../../src/relay/index.js'
import { signedBytes } from '../../src/relay/envelope.js'
import { firstSeq, SEQ_COUNTER_BITS } from '../../src/relay/relay.js'
import type { PublishMessage } from '../../src/wire/messages.js'
import { inject, line, memoVerifier, publishAndRun, publishesSent, signedByNode0, stopAll, testnet } from './harness.js'

const bytes = (...values: number[]) => Uint8Array.from(values)


/** `count` genuine messages node 0 signs, in order. */
function genuineFromNode0(count: number): Promise<PublishMessage[]> {
  return signedByNode0(Array.from({ length: count }, (_, k) => bytes(k)))
}

describe('Relay replay protection', () => {
  it('refuses and counts a signed message replayed after the dedup set forgot it (TTL)', async () => {
    const net = line(3, { relay: { dedupTtlMs: 1_000 } })
    await publishAndRun(net, 0, 'news', bytes(1))
    const [genuine] = publishesSent(net, 0, 1)
    expect(net.received[1]).toHaveLength(1)
    net.mesh.clock.advance(5_000) // past the dedup TTL
    inject(net, 1, 0, genuine)
    const stats = net.relays[1].stats()
    expect(stats.dropped.replayed).toBe(1)
    expect(stats.dropped.duplicate).toBe(0) // the dedup set had forgotten it
    expect(net.received[1]).toHaveLength(1)
    expect(net.relays[2].stats().received).toBe(1) // not forwarded again
    expect(net.mesh.nodes[1].session(0).penalties).toEqual([]) // an honest late copy looks the same
    stopAll(net)
  })

  it('refuses a replay after the dedup set forgot it (capacity), and costs no signature check', async () => {
    let checks = 0
    const memo = memoVerifier()
    const verify = (key: Uint8Array, message: Uint8Array, signature: Uint8Array) => (checks++, memo(key, message, signature))
    const [first, second] = await genuineFromNode0(2)
    const net = line(2, { relay: { dedupCapacity: 1, verify } })
    inject(net, 1, 0, first)
    inject(net, 1, 0, second) // pushes `first` out of the one-entry dedup set
    expect(checks).toBe(2)
    inject(net, 1, 0, first)
    expect(checks).toBe(2)
    expect(net.relays[1].stats().dropped.replayed).toBe(1)
    expect(net.received[1].map((m) => m.data)).toEqual([bytes(0), bytes(1)])
    stopAll(net)
  })

  it('accepts messages out of order within the window, each exactly once', async () => {
    const messages = await genuineFromNode0(4)
    expect(messages.map((m) => m.seq - messages[0].seq)).toEqual([0n, 1n, 2n, 3n])
    const net = line(3, { relay: { dedupCapacity: 1 } }) // the window alone tells them apart
    for (const k of [3, 0, 2, 0, 3, 1, 2, 1]) inject(net, 1, 0, messages[k])
    expect(net.received[1].map((m) => m.data)).toEqual([bytes(3), bytes(0), bytes(2), bytes(1)])
    expect(net.received[2].map((m) => m.data)).toEqual([bytes(3), bytes(0), bytes(2), bytes(1)])
    const stats = net.relays[1].stats()
    expect(stats.dropped.replayed + stats.dropped.duplicate).toBe(4)
    expect(stats.dropped.replayed).toBeGreaterThan(0)
    stopAll(net)
  })

  it('a forged copy does not burn its sequence number nor move the window', async () => {
    const [genuine] = await genuineFromNode0(1)
    const net = line(3, { relay: { dedupCapacity: 1 } })
    inject(net, 1, 0, { ...genuine, signature: new Uint8Array(64).fill(3) }) // same seq, forged
    inject(net, 1, 0, { ...genuine, seq: genuine.seq + 100_000n }) // far ahead: its signature does not cover it
    expect(net.relays[1].stats().dropped['bad-signature']).toBe(2)
    expect(net.relays[1].stats().replayOrigins).toBe(0)
    inject(net, 1, 0, genuine)
    expect(net.received[1].map((m) => m.data)).toEqual([bytes(0)])
    expect(net.received[2].map((m) => m.data)).toEqual([bytes(0)])
    expect(net.relays[1].stats().dropped.replayed).toBe(0)
    stopAll(net)
  })

  it('keeps at most maxReplayOrigins origins; a replay of one pushed out young is refused by the floor, and by age once it is old', async () => {
    // A star: node 0 in the middle, nodes 1 to 4 publish through it to each other.
    const net = testnet({ seed: 9, nodes: 5, dials: 0, relay: { maxReplayOrigins: 2, dedupTtlMs: 1_000, maxMessageAgeMs: 10_000 } })
    for (let i = 1; i < 5; i++) net.mesh.link(0, i)
    net.mesh.run()
    for (let i = 1; i < 5; i++) {
      await publishAndRun(net, i, 'news', bytes(i))
      net.mesh.clock.advance(1)
    }
    expect(net.received[0].map((m) => m.data[0])).toEqual([1, 2, 3, 4])
    for (const relay of net.relays) expect(relay.stats().replayOrigins).toBeLessThanOrEqual(2)
    expect(net.relays[0].stats().replayOrigins).toBe(2)
    expect(net.relays[0].stats().replayOriginsEvictedYoung).toBe(2) // origins 1 and 2, well inside 10 s
    net.mesh.clock.advance(5_000) // past the dedup TTL
    // Origin 4 is remembered: its window refuses the replay. Origin 1 was pushed out young: the floor does.
    inject(net, 0, 4, publishesSent(net, 4, 0)[0])
    expect(net.relays[0].stats().dropped.replayed).toBe(1)
    inject(net, 0, 1, publishesSent(net, 1, 0)[0])
    expect(net.relays[0].stats().dropped['forgotten-origin']).toBe(1)
    net.mesh.clock.advance(10_000) // past the age limit: refused before anything is looked up
    inject(net, 0, 1, publishesSent(net, 1, 0)[0])
    expect(net.relays[0].stats().dropped.stale).toBe(1)
    expect(net.received[0].map((m) => m.data[0])).toEqual([1, 2, 3, 4])
    // A fresh message of the pushed-out origin is newer than the floor: delivered.
    await publishAndRun(net, 1, 'news', bytes(5))
    expect(net.received[0].map((m) => m.data[0])).toEqual([1, 2, 3, 4, 5])
    stopAll(net)
  })

  it('refuses a publish by its signed age: exactly maxMessageAgeMs old is taken, a millisecond older is stale; maxClockSkewMs ahead is taken, a millisecond more is future', async () => {
    const net = line(2, { relay: { maxMessageAgeMs: 60_000, maxClockSkewMs: 5_000 } })
    net.mesh.clock.advance(100_000)
    const now = net.mesh.clock.now()
    const origin = net.mesh.nodes[0].identity
    let seq = 1n
    const at = async (timestampMs: number): Promise<PublishMessage> => {
      const data = bytes(Number(seq))
      const signature = await origin.sign(signedBytes('news', origin.peerId, seq, timestampMs, data))
      return { type: 'publish', topic: 'news', origin: origin.peerId, originKey: origin.publicKey, seq: seq++, timestampMs, ttl: 8, path: [origin.peerId], data, signature }
    }
    for (const timestampMs of [now - 60_000, now - 60_001, now + 5_000, now + 5_001, now]) inject(net, 1, 0, await at(timestampMs))
    expect(net.received[1].map((m) => m.timestampMs)).toEqual([now - 60_000, now + 5_000, now])
    const { dropped } = net.relays[1].stats()
    expect(dropped.stale).toBe(1)
    expect(dropped.future).toBe(1)
    // Judged by the timestamp alone, not blamed on the neighbour: its clock may differ from ours.
    expect(net.mesh.nodes[1].session(0).penalties).toEqual([])
    // A timestamp the origin did not sign is a bad signature.
    const genuine = await at(now)
    inject(net, 1, 0, { ...genuine, timestampMs: now - 1 })
    expect(net.relays[1].stats().dropped['bad-signature']).toBe(1)
    stopAll(net)
  })

  it('stamps its own publishes with its clock, in whole milliseconds', async () => {
    const net = line(2)
    net.mesh.clock.advance(12_345.75 - net.mesh.clock.now())
    await publishAndRun(net, 0, 'news', bytes(1))
    expect(publishesSent(net, 0, 1)[0].timestampMs).toBe(12_345)
    expect(net.received[1][0].timestampMs).toBe(12_345)
    stopAll(net)
  })

  it('an origin restarted with the same identity keeps delivering', async () => {
    const net = line(3)
    await publishAndRun(net, 0, 'news', bytes(1))
    await publishAndRun(net, 0, 'news', bytes(2))
    const before = publishesSent(net, 0, 1).map((m) => m.seq)
    // Node 0 restarts a moment later: a new Relay on the same identity, reconnected.
    net.relays[0].stop()
    net.mesh.unlink(0, 1)
    net.mesh.clock.advance(1)
    net.relays[0] = new Relay({ network: net.mesh.nodes[0], verify: memoVerifier(), dedupCapacity: 8_192 })
    net.mesh.link(0, 1)
    net.mesh.run()
    const { seq } = await net.relays[0].publish('news', bytes(3))
    net.mesh.run()
    expect(seq).toBeGreaterThan(before[1])
    expect(net.received[1].map((m) => m.data[0])).toEqual([1, 2, 3])
    expect(net.received[2].map((m) => m.data[0])).toEqual([1, 2, 3])
    expect(net.relays[1].stats().dropped.replayed).toBe(0)
    stopAll(net)
  })

  it('starts sequence numbers at the clock in milliseconds times 2**16', () => {
    expect(SEQ_COUNTER_BITS).toBe(16n)
    expect(firstSeq(0)).toBe(0n)
    expect(firstSeq(1_000.7)).toBe(1_000n << 16n)
    expect(firstSeq(1_764_000_000_000)).toBe(1_764_000_000_000n * 65_536n)
    expect(firstSeq(1_764_000_000_001) - firstSeq(1_764_000_000_000)).toBe(65_536n) // 65,536 publishes per ms of uptime
    expect(firstSeq(2 ** 60)).toBeLessThan(2n ** 64n)
  })
})
