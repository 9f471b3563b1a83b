// Replays (issue 10, attacks 6 and 6b), over the public MemoryNetwork, by a raw peer that speaks
// the real handshake and wire (attacker.ts).
//
// 6: before, an attacker flushed the victim's per-origin replay table with 10,000 throwaway
// origins and re-sent a captured publish, which was delivered a second time; a captured direct
// message re-sent once the router's dedup set had forgotten it (2 minutes) was too. Now every
// publish and direct message carries its origin's signed timestamp, refused past
// maxMessageAgeMs, and an origin pushed out of the full table while young leaves a floor
// (src/util/replay-floor.ts).
//
// 6b: before, an old mutable record offered to a node after the newer one expired was stored
// afresh (its expiry counted from when it was stored) and served. Now its expiry is signed:
// signedAtMs + ttlMs, the same on every node.

import { describe, expect, it } from 'vitest'
import { mutableKeyOf } from '../../src/dht/records.js'
import { createMeshNode, type MeshNode } from '../../src/node.js'
import type { Clock } from '../../src/util/clock.js'
import { bytesEqual, Identity } from '../../src/peers/identity.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { signedBytes } from '../../src/relay/envelope.js'
import type { RelayMessage } from '../../src/relay/index.js'
import { seededRandom } from '../../src/util/random.js'
import { StoreRejectReason, type DecodedMessage, type DirectMessage, type MutableRecord, type PublishMessage } from '../../src/wire/index.js'
import { Attacker, type AttackerLink } from './attacker.js'
import { createMesh, type Mesh } from './harness.js'

useDeterministicEd25519()

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array | undefined) => (data === undefined ? undefined : new TextDecoder().decode(data))
const isPeer = (node: MeshNode, id: Uint8Array) => node.peers().some((peer) => bytesEqual(peer.id, id))

async function attach(mesh: Mesh, victim: MeshNode, attacker: Attacker): Promise<AttackerLink> {
  const link = await mesh.settle(attacker.dial(victim.addresses[0]!))
  await mesh.runUntil(() => isPeer(victim, attacker.id) && link.isRemoteAuthenticated)
  return link
}

/** The first message of `type` the link has received that `matches`. */
function received<T extends DecodedMessage['type']>(link: AttackerLink, type: T, matches: (message: Extract<DecodedMessage, { type: T }>) => boolean = () => true) {
  return link.received.find((message): message is Extract<DecodedMessage, { type: T }> => message.type === type && matches(message as Extract<DecodedMessage, { type: T }>))
}

/** A publish on 'news' by a fresh identity, signed now: what a throwaway origin costs is one key pair and one signature. */
async function throwawayPublish(mesh: Mesh, seed: number, via: Attacker): Promise<PublishMessage> {
  const origin = Identity.generate(seededRandom(seed))
  const timestampMs = Math.floor(mesh.clock.now())
  const data = bytes(`junk ${seed}`)
  const signature = await origin.sign(signedBytes('news', origin.peerId, 1n, timestampMs, data))
  return { type: 'publish', topic: 'news', origin: origin.peerId, originKey: origin.publicKey, seq: 1n, timestampMs, ttl: 7, path: [origin.peerId, via.id], data, signature }
}

describe('hostile peers: replays', () => {
  it('6: a captured publish re-sent after 10,000 throwaway origins flushed the replay table is not delivered again: refused by the floor while young, by age after; the origin’s next publish still is', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 2 })
    // V's dedup set forgets after 5 s (a node short of memory may set it so): past that, only the
    // replay table and the age limit stand between a replay and V's application.
    const v = await mesh.node({ relay: { dedupTtlMs: 5_000 } })
    await mesh.settle(v.start())
    const h = await mesh.node({ bootstrap: v.addresses })
    await mesh.settle(h.start())
    const atV: RelayMessage[] = []
    v.subscribe('news', (message) => atV.push(message))
    const attacker = new Attacker(mesh.net, 'replayer', 601)
    const link = await attach(mesh, v, attacker)
    link.send([{ type: 'subscribe', topics: ['news'] }])
    await mesh.runUntil(() => v.stats().layers.relay.peersWithTopics === 1 && h.stats().layers.relay.peersWithTopics === 1)

    await mesh.settle(h.publish('news', bytes('pay 10')))
    await mesh.runUntil(() => received(link, 'publish') !== undefined)
    const captured = received(link, 'publish', (message) => bytesEqual(message.origin, h.id))!
    expect(text(captured.data)).toBe('pay 10')
    const signedAt = captured.timestampMs
    // As V sent it, its path ends at V, which would drop it as a loop; the path is not signed, so the attacker rewrites it.
    const replay = attacker.forward(captured, { path: [h.id, attacker.id] })

    // 10,000 fresh origins, one publish each, 10 every 10 ms: inside V's relay budget for the link (1,000/s).
    const origins = 10_000
    for (let sent = 0; sent < origins; sent += 10) {
      link.send(await mesh.settle(Promise.all(Array.from({ length: 10 }, (_, i) => throwawayPublish(mesh, 10_000 + sent + i, attacker)))))
      await mesh.runFor(10)
    }
    await mesh.runFor(1_000)
    const relay = () => v.stats().layers.relay
    expect(atV).toHaveLength(1 + origins) // every throwaway was genuine, and delivered
    expect(relay().replayOrigins).toBe(10_000) // the table is full (maxReplayOrigins)
    expect(relay().replayOriginsEvictedYoung).toBe(1) // H, pushed out 10 s after its publish
    await mesh.runFor(Math.max(0, signedAt + 6_000 - mesh.clock.now())) // the dedup set has forgotten it

    link.send([replay])
    await mesh.runFor(100)
    expect(atV.filter((message) => text(message.data) === 'pay 10')).toHaveLength(1)
    expect(relay().dropped['forgotten-origin']).toBe(1)

    // H's next publish is newer than the floor: delivered. The floor costs origins that keep publishing nothing.
    await mesh.settle(h.publish('news', bytes('pay 20')))
    await mesh.runFor(100)
    expect(atV.filter((message) => text(message.data) === 'pay 20')).toHaveLength(1)

    // Once the captured message is older than maxMessageAgeMs (120 s), it is refused before anything is looked up.
    await mesh.runFor(signedAt + 120_001 - mesh.clock.now())
    link.send([replay])
    await mesh.runFor(100)
    expect(atV.filter((message) => text(message.data) === 'pay 10')).toHaveLength(1)
    expect(relay().dropped.stale).toBe(1)
    // Nothing of this was the relaying peer's fault: the attacker's session stands, unpenalized.
    expect(isPeer(v, attacker.id)).toBe(true)
    expect(v.stats().layers.peers.bans).toBe(0)

    await attacker.close()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 300_000)

  it('6, direct: a captured direct message re-sent once the router’s dedup set forgot it (2 minutes) is refused by age, not delivered twice', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 2 })
    const v = await mesh.node()
    await mesh.settle(v.start())
    const atV: string[] = []
    v.onDirect((message) => atV.push(text(message.data)!))
    // H reaches V only through the attacker, which relays H's message once, honestly, and keeps a copy.
    const attacker = new Attacker(mesh.net, 'relay-replayer', 602)
    await attacker.listen()
    const toV = await attach(mesh, v, attacker)
    const h = await mesh.node({ bootstrap: [attacker.address] })
    await mesh.settle(h.start())
    const fromH = attacker.links.find((link) => link !== toV)!
    await mesh.runUntil(() => isPeer(h, attacker.id) && fromH.isRemoteAuthenticated)

    const sent = h.send(v.id, bytes('pay 10'))
    sent.catch(() => undefined)
    await mesh.runUntil(() => received(fromH, 'direct') !== undefined)
    const captured = received(fromH, 'direct') as DirectMessage
    toV.send([{ ...captured, ttl: captured.ttl - 1 }])
    await mesh.runUntil(() => received(toV, 'directAck') !== undefined)
    const ack = received(toV, 'directAck')!
    fromH.send([{ ...ack, ttl: ack.ttl - 1 }])
    expect((await mesh.settle(sent)).hops).toBe(2)
    expect(atV).toEqual(['pay 10'])

    // Within the dedup TTL a replay is a duplicate; past it (and past the 120 s age limit) it is stale.
    await mesh.runFor(60_000)
    toV.send([{ ...captured, ttl: captured.ttl - 1 }])
    await mesh.runFor(100)
    expect(v.stats().layers.routing.dropped.duplicate).toBe(1)
    await mesh.runFor(captured.timestampMs + 121_000 - mesh.clock.now())
    toV.send([{ ...captured, ttl: captured.ttl - 1 }])
    await mesh.runFor(100)
    expect(atV).toEqual(['pay 10'])
    expect(v.stats().layers.routing.dropped.stale).toBe(1)

    await attacker.close()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)

  it('6b: an old mutable record fed to a node that never held the key loses to the highest seq at every reader; fed after the newer one expired, it is refused everywhere', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 2 })
    const dht = { republishMs: 3_600_000, refreshMs: 3_600_000 }
    const owner = await mesh.node({ dht })
    await mesh.settle(owner.start())
    const holders: MeshNode[] = []
    for (let i = 0; i < 3; i++) {
      const node = await mesh.node({ bootstrap: owner.addresses, dht })
      await mesh.settle(node.start())
      holders.push(node)
    }
    const attacker = new Attacker(mesh.net, 'record-replayer', 603)
    const toHolder = await attach(mesh, holders[0], attacker)
    const key = mutableKeyOf(owner.publicKey, 'profile')
    const ttlMs = 10 * 60_000

    await mesh.settle(owner.dht.put('profile', bytes('v1'), { ttlMs, republish: false }))
    // The attacker keeps v1, fetched as any reader would.
    toHolder.send([{ type: 'findValue', requestId: 1, key }])
    await mesh.runUntil(() => received(toHolder, 'value', (m) => m.requestId === 1) !== undefined)
    const v1 = received(toHolder, 'value', (m) => m.requestId === 1)!.record as MutableRecord
    expect(v1.seq).toBe(0n)
    await mesh.runFor(60_000)
    const put = await mesh.settle(owner.dht.put('profile', bytes('v2'), { ttlMs, republish: false }))
    expect(put.seq).toBe(1n)

    // A node that joins later never held the key: it takes v1 (still inside its signed life).
    const fresh = await mesh.node({ bootstrap: owner.addresses, dht })
    await mesh.settle(fresh.start())
    const toFresh = await attach(mesh, fresh, attacker)
    toFresh.send([{ type: 'store', requestId: 2, record: v1 }])
    await mesh.runUntil(() => received(toFresh, 'storeResult', (m) => m.requestId === 2) !== undefined)
    expect(received(toFresh, 'storeResult', (m) => m.requestId === 2)).toMatchObject({ ok: true })
    // Every reader asks every holder it finds and takes the highest seq: v2, and the fresh node is repaired.
    const reader = await mesh.node({ bootstrap: [fresh.addresses[0]!], dht })
    await mesh.settle(reader.start())
    for (const node of [reader, fresh, ...holders]) expect(text(await mesh.settle(node.dht.get('profile', { owner: owner.publicKey })))).toBe('v2')
    toFresh.send([{ type: 'findValue', requestId: 3, key }])
    await mesh.runUntil(() => received(toFresh, 'value', (m) => m.requestId === 3) !== undefined)
    expect((received(toFresh, 'value', (m) => m.requestId === 3)!.record as MutableRecord).seq).toBe(1n)

    // Past v2's signed life (signed 60 s after v1, both for 10 minutes), v1 offered again is refused: its life ended first.
    await mesh.runFor(ttlMs + 1_000)
    for (const [i, link] of [toHolder, toFresh].entries()) link.send([{ type: 'store', requestId: 10 + i, record: v1 }])
    await mesh.runUntil(() => received(toHolder, 'storeResult', (m) => m.requestId === 10) !== undefined && received(toFresh, 'storeResult', (m) => m.requestId === 11) !== undefined)
    expect(received(toHolder, 'storeResult', (m) => m.requestId === 10)).toMatchObject({ ok: false, reason: StoreRejectReason.EXPIRED })
    expect(received(toFresh, 'storeResult', (m) => m.requestId === 11)).toMatchObject({ ok: false, reason: StoreRejectReason.EXPIRED })
    for (const node of [reader, fresh, ...holders]) expect(await mesh.settle(node.dht.get('profile', { owner: owner.publicKey }))).toBeUndefined()
    expect(holders[0].stats().layers.dht.storesRefused.expired).toBe(1)

    await attacker.close()
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)

  it('nodes whose clocks differ: publishes from an origin up to maxMessageAgeMs behind or maxClockSkewMs ahead of V are delivered, further off refused and counted', async () => {
    const mesh = createMesh({ latencyMs: 10, jitterMs: 2 })
    mesh.clock.advance(1_000_000) // every skewed clock below stays positive
    const v = await mesh.node()
    await mesh.settle(v.start())
    const atV: string[] = []
    v.subscribe('news', (message) => atV.push(text(message.data)!))
    // Each origin's clock is V's plus a fixed offset; timers run on the shared virtual clock.
    const offsets = [-110_000, -130_000, 25_000, 35_000]
    const origins: MeshNode[] = []
    for (const [i, offsetMs] of offsets.entries()) {
      const clock: Clock = {
        now: () => mesh.clock.now() + offsetMs,
        setTimeout: (fn, ms) => mesh.clock.setTimeout(fn, ms),
        clearTimeout: (handle) => mesh.clock.clearTimeout(handle),
      }
      const node = await createMeshNode({ seed: 700 + i, network: mesh.net, clock, bootstrap: v.addresses })
      mesh.nodes.push(node)
      await mesh.settle(node.start())
      origins.push(node)
    }
    await mesh.runUntil(() => origins.every((node) => node.stats().layers.relay.peersWithTopics === 1))
    for (const [i, node] of origins.entries()) await mesh.settle(node.publish('news', bytes(`offset ${offsets[i]}`)))
    await mesh.runFor(500)
    expect(atV.sort()).toEqual(['offset -110000', 'offset 25000'])
    const { dropped } = v.stats().layers.relay
    expect(dropped.stale).toBe(1) // 130 s behind: older than 120 s by V's clock
    expect(dropped.future).toBe(1) // 35 s ahead: past the 30 s allowance
    expect(v.stats().layers.peers.bans).toBe(0)
    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)
})
