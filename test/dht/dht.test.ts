import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { commonPrefixBits, compareDistance, toHex } from '../../src/dht/ids.js'
import { buildMutableRecord, immutableKeyOf, mutableKeyOf, signMutableRecord, userKeyHashOf } from '../../src/dht/records.js'
import { DhtError } from '../../src/dht/errors.js'
import { Dht } from '../../src/dht/dht.js'
import { StoreRejectReason } from '../../src/wire/messages.js'
import type { DecodedMessage, MutableRecord } from '../../src/wire/messages.js'
import type { PeerSession } from '../../src/peers/session.js'
import { createTestnet, stopTestnet } from './testnet.js'
import type { Testnet } from './testnet.js'

const text = (s: string) => new TextEncoder().encode(s)
const str = (b: Uint8Array | undefined) => (b === undefined ? undefined : new TextDecoder().decode(b))
/** A mutable record's wire value: SHA-256(user key) ‖ value. */
const wireValue = (userKey: string, value: Uint8Array) => new Uint8Array([...userKeyHashOf(userKey), ...value])
const NODES = 200

describe(`Dht over a ${NODES}-node fake network (k = 20, alpha = 3)`, () => {
  let net: Testnet

  beforeAll(async () => {
    net = await createTestnet(NODES, { seed: 42 })
  }, 120_000)

  afterAll(async () => {
    expect(await stopTestnet(net)).toBe(0)
  })

  it('every node knows a good part of the network after its self-lookup', () => {
    const sizes = net.dhts.map((dht) => dht.stats().contacts)
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(20)
  })

  it('bucketPeers lists exactly the contacts of one bucket, those sharing that many leading bits with the node', () => {
    let listed = 0
    net.dhts.slice(0, 20).forEach((dht, i) => {
      const localId = net.nodes[i].identity.peerId
      const all = dht.localClosest(localId, 10_000)
      for (let bucket = 0; bucket < 4; bucket++) {
        const expected = all.filter((id) => commonPrefixBits(localId, id) === bucket).map(toHex).sort()
        const got = dht.bucketPeers(bucket, 10_000)
        expect(got.map((info) => toHex(info.id)).sort()).toEqual(expected)
        expect(dht.bucketPeers(bucket, 2).length).toBe(Math.min(2, expected.length))
        listed += got.length
      }
      expect(dht.bucketPeers(-1, 10)).toEqual([])
      expect(dht.bucketPeers(256, 10)).toEqual([])
    })
    // Buckets 0-3 hold 15/16 of the id space: most of what a node knows of a 200-node network.
    expect(listed).toBeGreaterThan(20 * 20)
  })

  it('a value put from one node is got from every other node', async () => {
    const { mesh, dhts } = net
    const put = await mesh.run(dhts[3].put('greeting', text('hello, mesh')))
    expect(put.storedAt).toBeGreaterThanOrEqual(15)
    expect(put.seq).toBe(0n)
    expect(put.key).toEqual(mutableKeyOf(net.nodes[3].identity.publicKey, 'greeting'))
    const missing: number[] = []
    for (let i = 0; i < dhts.length; i++) {
      if (str(await mesh.run(dhts[i].get('greeting', { owner: net.nodes[3].identity.publicKey }))) !== 'hello, mesh') missing.push(i)
    }
    expect(missing).toEqual([])
  }, 120_000)

  it('an immutable value is found by its hash from every node', async () => {
    const { mesh, dhts } = net
    const key = await mesh.run(dhts[10].putImmutable(text('content-addressed')))
    for (const dht of dhts) expect(str(await mesh.run(dht.getImmutable(key)))).toBe('content-addressed')
  }, 120_000)

  it('a mutable update (higher seq) wins everywhere', async () => {
    const { mesh, dhts, nodes } = net
    const owner = nodes[7].identity.publicKey
    const first = await mesh.run(dhts[7].put('profile', text('v1')))
    const second = await mesh.run(dhts[7].put('profile', text('v2')))
    expect(second.seq).toBe((first.seq as bigint) + 1n)
    expect(second.key).toEqual(first.key)
    for (const dht of dhts) expect(str(await mesh.run(dht.get('profile', { owner })))).toBe('v2')
    // Without an owner, get() reads the caller's own record under the user key: node 100 has none.
    expect(await mesh.run(dhts[100].get('profile'))).toBeUndefined()
    expect(str(await mesh.run(dhts[7].get('profile')))).toBe('v2')
  }, 120_000)

  it('another owner\'s put under the same user key does not clobber the first owner\'s record (both readable with their owner)', async () => {
    const { mesh, dhts, nodes } = net
    const [alice, bob] = [nodes[7].identity.publicKey, nodes[8].identity.publicKey]
    const theirs = await mesh.run(dhts[8].put('profile', text('bob\'s')))
    expect(theirs.storedAt).toBeGreaterThanOrEqual(15)
    expect(theirs.refused).toEqual({})
    expect(theirs.seq).toBe(0n)
    expect(theirs.key).toEqual(mutableKeyOf(bob, 'profile'))
    expect(theirs.key).not.toEqual(mutableKeyOf(alice, 'profile'))
    for (const reader of [dhts[0], dhts[100], dhts[199]]) {
      expect(str(await mesh.run(reader.get('profile', { owner: alice })))).toBe('v2')
      expect(str(await mesh.run(reader.get('profile', { owner: bob })))).toBe('bob\'s')
    }
  }, 120_000)

  it('a record stored under a key not derived from its public key is refused with KEY_MISMATCH (squatting attempt)', async () => {
    const { mesh, dhts, nodes } = net
    const [victim, squatter] = [nodes[40], nodes[41]]
    // The squatter computes the victim's key for a user key it has not used yet (both are public)
    // and offers its own, validly signed record under it to the k closest, before the victim.
    const victimKey = mutableKeyOf(victim.identity.publicKey, 'claimed')
    const squat = await signMutableRecord(squatter.identity, victimKey, wireValue('claimed', text('squatted')), 1_000n, 60_000, Math.floor(mesh.clock.now()))
    const holders = await mesh.run(dhts[41].closestPeers(victimKey))
    const replies = collect(squatter)
    for (const [i, id] of holders.entries()) {
      const holder = nodes.find((node) => toHex(node.id) === toHex(id))!
      squatter.link(holder).send({ type: 'store', requestId: 500 + i, record: squat }, 1)
    }
    await mesh.advance(100)
    const results = replies.filter((m) => m.type === 'storeResult' && m.requestId >= 500)
    expect(results.length).toBe(holders.length)
    for (const result of results) expect(result).toMatchObject({ ok: false, reason: StoreRejectReason.KEY_MISMATCH })
    // The victim's own put lands everywhere, with seq 0: nothing was held under its key.
    const put = await mesh.run(dhts[40].put('claimed', text('mine')))
    expect(put.key).toEqual(victimKey)
    expect(put.seq).toBe(0n)
    expect(put.storedAt).toBeGreaterThanOrEqual(15)
    expect(put.refused).toEqual({})
    expect(str(await mesh.run(dhts[150].get('claimed', { owner: victim.identity.publicKey })))).toBe('mine')
  }, 120_000)

  it('get() repairs a node that returned an older version', async () => {
    const { mesh, dhts, nodes } = net
    const owner = nodes[12]
    await mesh.run(dhts[12].put('repair', text('v1'), { republish: false }))
    const v1 = (await mesh.run(dhts[12].getRecord('repair'))) as MutableRecord
    const holders = await mesh.run(dhts[12].closestPeers(v1.key))
    // v2 reaches every holder but the first, as if that one had been away.
    const v2 = await buildMutableRecord(owner.identity, 'repair', text('v2'), v1.seq + 1n, 60_000, Math.floor(mesh.clock.now()))
    expect(v2.key).toEqual(v1.key)
    const stale = net.nodes.find((node) => toHex(node.id) === toHex(holders[0]))!
    for (const id of holders.slice(1)) {
      const holder = net.nodes.find((node) => toHex(node.id) === toHex(id))!
      owner.link(holder).send({ type: 'store', requestId: 1, record: v2 }, 1)
    }
    await mesh.advance(100)
    const reader = dhts.find((dht, i) => i !== 12 && nodes[i] !== stale)!
    expect(str(await mesh.run(reader.get('repair', { owner: owner.identity.publicKey })))).toBe('v2')
    expect(reader.stats().readRepairs).toBeGreaterThanOrEqual(1)
    await mesh.advance(100)
    const replies = collect(owner)
    owner.link(stale).send({ type: 'findValue', requestId: 9, key: v1.key }, 1)
    await mesh.advance(100)
    const reply = replies.find((m) => m.type === 'value')
    expect(reply?.type === 'value' && reply.record?.kind === 'mutable' ? reply.record.seq : undefined).toBe(v2.seq)
  }, 60_000)

  it('closestPeers finds the true k closest nodes, and reports its hops', async () => {
    const { mesh, dhts, nodes } = net
    const target = immutableKeyOf(text('somewhere'))
    const expected = nodes
      .filter((node) => node !== nodes[5])
      .map((node) => node.id)
      .sort((a, b) => compareDistance(target, a, b))
      .slice(0, 20)
      .map(toHex)
    const found = (await mesh.run(dhts[5].closestPeers(target))).map(toHex)
    const overlap = found.filter((key) => expected.includes(key)).length
    expect(overlap).toBeGreaterThanOrEqual(19)
    const result = await mesh.run(dhts[5].lookup(target))
    expect(result.hops).toBeGreaterThanOrEqual(1)
    expect(result.queried).toBeGreaterThanOrEqual(20)
  }, 60_000)

  it('lookups of random targets from random nodes take few hops', async () => {
    const { mesh, dhts } = net
    const histogram: number[] = []
    let queried = 0
    for (let i = 0; i < 50; i++) {
      const target = new Uint8Array(32)
      mesh.random.fill(target)
      const result = await mesh.run(dhts[mesh.random.nextInt(dhts.length)].lookup(target))
      histogram[result.hops] = (histogram[result.hops] ?? 0) + 1
      queried += result.queried
    }
    const filled = Array.from(histogram, (n) => n ?? 0)
    const mean = filled.reduce((sum, n, hops) => sum + n * hops, 0) / 50
    console.log(`50 random lookups: mean hops ${mean.toFixed(2)}, histogram ${JSON.stringify(filled)}, mean requests ${(queried / 50).toFixed(1)}`)
    expect(mean).toBeLessThan(4)
  }, 60_000)

  it('reports lookup hop counts', () => {
    let count = 0
    let total = 0
    let max = 0
    const histogram: number[] = []
    for (const dht of net.dhts) {
      const hops = dht.stats().hops
      count += hops.count
      total += hops.mean * hops.count
      max = Math.max(max, hops.max)
      hops.histogram.forEach((n, h) => (histogram[h] = (histogram[h] ?? 0) + n))
    }
    // Printed for the report: lookups, mean hops, max hops, and the histogram.
    console.log(`lookups ${count}, mean hops ${(total / count).toFixed(2)}, max ${max}, histogram ${JSON.stringify(histogram)}`)
    expect(count).toBeGreaterThan(NODES)
    expect(total / count).toBeLessThan(6)
  })

  it('a forged mutable record is refused by a storing node, and the sender penalized', async () => {
    const { mesh, nodes } = net
    const genuine = await buildMutableRecord(nodes[1].identity, 'forged', text('real'), 1n, 60_000, Math.floor(mesh.clock.now()))
    // Key binding intact (same owner, same user key hash), signature not.
    const forged: MutableRecord = { ...genuine, value: wireValue('forged', text('fake')), seq: 2n }
    const session = nodes[1].link(nodes[2])
    const replies = collect(nodes[1])
    session.send({ type: 'store', requestId: 77, record: forged }, 1)
    await mesh.advance(100)
    expect(replies.find((m) => m.type === 'storeResult')).toEqual({ type: 'storeResult', requestId: 77, ok: false, reason: StoreRejectReason.BAD_SIGNATURE })
    expect(nodes[2].penalties).toContainEqual({ peer: nodes[1].key, reason: 'bad-signature' })
  })

  it('a forged record in a FIND_VALUE reply is ignored by get()', async () => {
    const { mesh, dhts, nodes } = net
    // A user key whose DHT key lies next to node 20, which turns liar.
    const liar = nodes[20]
    const owner = nodes[30].identity.publicKey
    let userKey = ''
    for (let i = 0; ; i++) {
      userKey = `lie-${i}`
      const key = mutableKeyOf(owner, userKey)
      if (key[0] === liar.id[0] && (key[1] & 0xc0) === (liar.id[1] & 0xc0)) break
    }
    await mesh.run(dhts[30].put(userKey, text('truth')))
    const genuine = (await mesh.run(dhts[30].getRecord(userKey))) as MutableRecord
    dhts[20].stop()
    const forged: MutableRecord = { ...genuine, value: wireValue(userKey, text('lie')), seq: genuine.seq + 100n }
    const stopLying = liar.on('message', (session, message) => {
      if (message.type === 'findValue') session.send({ type: 'value', requestId: message.requestId, record: forged, peers: [] }, 1)
      if (message.type === 'findNode') session.send({ type: 'nodes', requestId: message.requestId, peers: [] }, 1)
    })
    try {
      const before = dhts[60].stats().invalidRecordsSeen
      expect(str(await mesh.run(dhts[60].get(userKey, { owner })))).toBe('truth')
      expect(dhts[60].stats().invalidRecordsSeen).toBeGreaterThan(before)
    } finally {
      stopLying()
    }
  }, 60_000)
})

describe('backends and limits', () => {
  it('works the same on the TypeScript twin of the routing table, with a largest-size value', async () => {
    const net = await createTestnet(60, { seed: 8, backend: 'js' })
    const { mesh, dhts } = net
    const big = new Uint8Array(16_384).map((_, i) => i & 0xff)
    const key = await mesh.run(dhts[0].putImmutable(big))
    for (const dht of dhts) expect(await mesh.run(dht.getImmutable(key))).toEqual(big)
    expect(await stopTestnet(net)).toBe(0)
  }, 60_000)

  it('refuses bad arguments with DHT_INVALID_ARGUMENT', async () => {
    const net = await createTestnet(3, { seed: 2 })
    const dht = net.dhts[0]
    await expect(dht.put('k', new Uint8Array(16_385))).rejects.toMatchObject({ code: 'DHT_INVALID_ARGUMENT' })
    // A mutable value leaves 32 bytes of the 16 KiB record to the user key hash.
    await expect(dht.put('k', new Uint8Array(16_353))).rejects.toThrow(/at most 16352 bytes/)
    await expect(dht.get('k', { owner: new Uint8Array(31) })).rejects.toMatchObject({ code: 'DHT_INVALID_ARGUMENT' })
    await expect(dht.put('', text('v'))).rejects.toMatchObject({ code: 'DHT_INVALID_ARGUMENT' })
    await expect(dht.put(new Uint8Array(32), text('v'), { mutable: false })).rejects.toThrow(/SHA-256 of its value/)
    await expect(dht.get(new Uint8Array(5), { mutable: false })).rejects.toMatchObject({ code: 'DHT_INVALID_ARGUMENT' })
    await expect(dht.put('k', text('v'), { ttlMs: 0 })).rejects.toMatchObject({ code: 'DHT_INVALID_ARGUMENT' })
    const largest = new Uint8Array(16_352).fill(7)
    await net.mesh.run(dht.put('k', largest))
    expect(await net.mesh.run(net.dhts[2].get('k', { owner: net.nodes[0].identity.publicKey }))).toEqual(largest)
    expect(await stopTestnet(net)).toBe(0)
  })
})

describe('churn', () => {
  it('values survive a fifth of the nodes dying, and lookups route around the dead', async () => {
    const net = await createTestnet(100, { seed: 21 })
    const { mesh, dhts, nodes } = net
    const keys = Array.from({ length: 10 }, (_, i) => `churn-${i}`)
    for (const key of keys) await mesh.run(dhts[0].put(key, text(key)))
    for (let i = 80; i < 100; i++) {
      dhts[i].stop()
      nodes[i].kill()
    }
    for (const reader of [dhts[1], dhts[40], dhts[79]]) {
      for (const key of keys) expect(str(await mesh.run(reader.get(key, { owner: nodes[0].identity.publicKey })))).toBe(key)
    }
    expect(dhts[40].stats().requestTimeouts + dhts[40].stats().connectFailures).toBeGreaterThan(0)
    expect(await stopTestnet(net)).toBe(0)
  }, 120_000)
})

describe('record lifetime', () => {
  // Run twice: the second time each signature takes 100 ms of real time, as on a busy machine,
  // which must not change what happens in virtual time (it did while signing was not waited for).
  it.each([0, 100])('a record not republished disappears after its TTL; a republished one stays (signing %i ms slower)', async (slowSignMs) => {
    const net = await createTestnet(40, { seed: 5, slowSignMs, dht: { republishMs: 20_000, sweepMs: 5_000, refreshMs: 3_600_000 } })
    const { mesh, dhts, nodes } = net
    const [ephemeralOwner, keptOwner] = [nodes[0].identity.publicKey, nodes[1].identity.publicKey]
    await mesh.run(dhts[0].put('ephemeral', text('soon gone'), { ttlMs: 30_000, republish: false }))
    await mesh.run(dhts[1].put('kept', text('still here'), { ttlMs: 30_000 }))
    expect(str(await mesh.run(dhts[25].get('ephemeral', { owner: ephemeralOwner })))).toBe('soon gone')
    await mesh.advance(31_000)
    for (const dht of dhts) {
      expect(await mesh.run(dht.get('ephemeral', { owner: ephemeralOwner }))).toBeUndefined()
      expect(str(await mesh.run(dht.get('kept', { owner: keptOwner })))).toBe('still here')
    }
    // The sweep released the storage of the expired record everywhere.
    await mesh.advance(100_000)
    const held = dhts.reduce((n, dht) => n + dht.stats().records, 0)
    expect(held).toBeGreaterThan(0) // only 'kept' copies remain
    expect(held).toBeLessThanOrEqual(21)
    expect(await stopTestnet(net)).toBe(0)
  }, 120_000)
})

describe('old mutable records (issue 10, attack 6b)', () => {
  it('an old version offered after the newer one expired is refused everywhere as expired, and offered while live it loses to the highest seq', async () => {
    const net = await createTestnet(40, { seed: 6, dht: { sweepMs: 5_000, refreshMs: 3_600_000 } })
    const { mesh, dhts, nodes } = net
    const owner = nodes[3].identity.publicKey
    const keyOf = () => mutableKeyOf(owner, 'old')
    await mesh.run(dhts[3].put('old', text('v1'), { ttlMs: 30_000, republish: false }))
    const v1 = (await mesh.run(dhts[3].getRecord('old'))) as MutableRecord
    await mesh.advance(10_000)
    await mesh.run(dhts[3].put('old', text('v2'), { ttlMs: 30_000, republish: false }))
    const holders = await mesh.run(dhts[30].closestPeers(keyOf()))
    const attacker = nodes[30]
    const replies = collect(attacker)
    const offer = (base: number) => {
      for (const [i, id] of holders.entries()) {
        const holder = nodes.find((node) => toHex(node.id) === toHex(id))!
        attacker.link(holder).send({ type: 'store', requestId: base + i, record: v1 }, 1)
      }
    }
    // While v1 still lives by its signature: holders of v2 refuse it as stale, and a reader takes v2 whoever holds v1.
    offer(900)
    await mesh.advance(100)
    const early = replies.filter((m) => m.type === 'storeResult' && m.requestId >= 900 && m.requestId < 950)
    expect(early.length).toBe(holders.length)
    for (const result of early) expect(result).toMatchObject({ ok: false, reason: StoreRejectReason.STALE_SEQ })
    expect(str(await mesh.run(dhts[25].get('old', { owner })))).toBe('v2')
    // 31 s after v2 was signed, both are past their signed lifetime: v1 offered again is refused by every holder.
    await mesh.advance(31_000)
    expect(await mesh.run(dhts[25].get('old', { owner }))).toBeUndefined()
    offer(950)
    await mesh.advance(100)
    const late = replies.filter((m) => m.type === 'storeResult' && m.requestId >= 950)
    expect(late.length).toBe(holders.length)
    for (const result of late) expect(result).toMatchObject({ ok: false, reason: StoreRejectReason.EXPIRED })
    for (const dht of dhts) expect(await mesh.run(dht.get('old', { owner }))).toBeUndefined()
    expect(await stopTestnet(net)).toBe(0)
  }, 120_000)
})

describe('quotas over the network', () => {
  it('a full store refuses with a reason and put() reports it', async () => {
    const net = await createTestnet(25, { seed: 9, dht: { quotaBytes: 1_024, perPeerShareBytes: 1_024 } })
    const { mesh, dhts } = net
    await mesh.run(dhts[0].put('small', text('fits')))
    const error = await mesh.run(dhts[0].put('big', new Uint8Array(2_000))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DhtError)
    expect((error as DhtError).code).toBe('DHT_STORE_FAILED')
    expect((error as DhtError).message).toMatch(/quota-exceeded/)
    const refused = dhts.reduce((n, dht) => n + (dht.stats().storesRefused['quota-exceeded'] ?? 0), 0)
    expect(refused).toBeGreaterThan(0)
    expect(await stopTestnet(net)).toBe(0)
  }, 60_000)

  it('one peer cannot fill a node: its share runs out while others still store', async () => {
    const net = await createTestnet(4, { seed: 11, dht: { quotaBytes: 20_000, perPeerShareBytes: 3_000 } })
    const { mesh, dhts } = net
    const results: boolean[] = []
    for (let i = 0; i < 6; i++) {
      const put = await mesh.run(dhts[0].put(`k${i}`, new Uint8Array(1_000).fill(i)))
      results.push(put.storedAt === 3 && put.storedLocally) // 3 peers, and its own copy
    }
    // Node 0's share on each of the 3 others holds two records of ~1 KB.
    expect(results).toEqual([true, true, false, false, false, false])
    const other = await mesh.run(dhts[1].put('other', new Uint8Array(1_000)))
    expect(other).toMatchObject({ storedAt: 3, storedLocally: true })
    expect(await stopTestnet(net)).toBe(0)
  }, 60_000)

  it('a node whose quota is full still takes an update of a record it holds, nothing new from the storer holding the most, and a sparser storer\'s record by eviction', async () => {
    // A 3,000-byte quota with a 2,000-byte share: each of the 4 nodes holds every record.
    const net = await createTestnet(4, { seed: 13, dht: { quotaBytes: 3_000, perPeerShareBytes: 2_000 } })
    const { mesh, dhts, nodes } = net
    const owner = nodes[0].identity.publicKey
    expect((await mesh.run(dhts[0].put('profile', new Uint8Array(1_000).fill(1)))).storedAt).toBe(3) // 1,200 bytes
    await mesh.run(dhts[1].putImmutable(new Uint8Array(1_700).fill(2))) // 1,764 bytes: 2,964 held everywhere
    // Node 1 holds the most bytes everywhere (its own copy on itself): nothing of its own is worth less.
    const extra = await mesh.run(dhts[1].put('extra', text('no room'))).catch((e: unknown) => e)
    expect((extra as DhtError).code).toBe('DHT_STORE_FAILED')
    expect((extra as DhtError).message).toMatch(/quota-exceeded/)
    const update = await mesh.run(dhts[0].put('profile', new Uint8Array(1_000).fill(3)))
    expect(update.storedAt).toBe(3)
    for (const dht of dhts) expect((await mesh.run(dht.get('profile', { owner })))?.[0]).toBe(3)
    // Node 2 holds nothing anywhere: its record pushes out one of the storer holding the most.
    const sparse = await mesh.run(dhts[2].put('sparse', text('room by eviction')))
    expect(sparse).toMatchObject({ storedAt: 3, storedLocally: true })
    expect(dhts.map((dht) => dht.stats().recordsEvicted)).toEqual([1, 1, 1, 1])
    expect(await stopTestnet(net)).toBe(0)
  }, 60_000)
})

describe('routing table maintenance', () => {
  it('ping-before-evict: a dead least-recent contact is replaced, a live one is kept', async () => {
    for (const isDead of [true, false]) {
      const net = await createTestnet(0)
      const { mesh } = net
      const a = mesh.addNode()
      // Three nodes in a's bucket 0 (their first bit differs from a's).
      const same: typeof a[] = []
      while (same.length < 3) {
        const node = mesh.addNode()
        if ((node.id[0] & 0x80) !== (a.id[0] & 0x80)) same.push(node)
      }
      const dhtA = new Dht({ network: a, k: 2, requestTimeoutMs: 500, verify: mesh.verify })
      const others = same.map((node) => new Dht({ network: node, requestTimeoutMs: 500, verify: mesh.verify }))
      dhtA.start()
      for (const dht of others) dht.start()
      const [b, c, d] = same
      a.link(b)
      a.link(c)
      if (isDead) b.kill()
      a.link(d) // bucket 0 is full: b, the least recent, is probed
      await mesh.advance(2_000)
      const contacts = dhtA.localClosest(a.id, 10).map(toHex)
      if (isDead) {
        expect(contacts.sort()).toEqual([c.key, d.key].sort())
        expect(dhtA.stats().evicted).toBe(1)
      } else {
        expect(contacts.sort()).toEqual([b.key, c.key].sort())
        expect(dhtA.stats().probesKept).toBe(1)
      }
      dhtA.stop()
      for (const dht of others) dht.stop()
      mesh.clock.runAll()
      expect(mesh.clock.pending).toBe(0)
    }
  })
})

describe('lifecycle', () => {
  it('stop() rejects a get in flight with DHT_NOT_RUNNING and leaves no timer or listener', async () => {
    const net = await createTestnet(20, { seed: 3 })
    const { mesh, dhts, nodes } = net
    const pending = dhts[0].get('anything')
    await mesh.advance(15) // requests are in flight
    expect(dhts[0].stats().pendingRequests).toBeGreaterThan(0)
    dhts[0].stop()
    await expect(pending).rejects.toMatchObject({ code: 'DHT_NOT_RUNNING' })
    expect(nodes[0].listenerCount()).toBe(0)
    expect(dhts[0].stats().pendingRequests).toBe(0)
    await expect(dhts[0].get('x')).rejects.toMatchObject({ code: 'DHT_NOT_RUNNING' })
    expect(await stopTestnet(net)).toBe(0)
  })

  it('a joining node bootstraps from addresses, and an aborted get rejects at once', async () => {
    const net = await createTestnet(20, { seed: 6 })
    const { mesh, dhts, nodes } = net
    await mesh.run(dhts[3].put('hello', text('world')))
    const late = mesh.addNode()
    const dht = new Dht({ network: late, verify: mesh.verify, requestTimeoutMs: 1_000 })
    dht.start()
    net.dhts.push(dht)
    const joined = await mesh.run(dht.bootstrap([nodes[0].address, 'memory://nobody']))
    expect(joined.closest.length).toBe(20)
    expect(str(await mesh.run(dht.get('hello', { owner: nodes[3].identity.publicKey })))).toBe('world')
    const controller = new AbortController()
    const pending = dht.get('hello', { owner: nodes[3].identity.publicKey, signal: controller.signal })
    await mesh.advance(5)
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' })
    expect(await stopTestnet(net)).toBe(0)
  })

  it('refreshes a bucket with no lookup for refreshMs', async () => {
    const net = await createTestnet(20, { seed: 4, dht: { refreshMs: 60_000 } })
    const { mesh, dhts } = net
    const lookups = () => dhts.map((dht) => dht.stats().lookups)
    const before = lookups()
    await mesh.advance(59_000)
    expect(lookups()).toEqual(before) // nothing is stale yet
    // Staleness is checked every refreshMs / 4, each wait jittered by ±25%: a bucket is
    // refreshed within 1 + 1.25 / 4 refreshMs, and the nodes do not all refresh at once.
    const firstRefreshAt = new Map<number, number>()
    for (let second = 60; second <= 100; second++) {
      await mesh.advance(1_000)
      lookups().forEach((count, node) => {
        if (count > before[node] && !firstRefreshAt.has(node)) firstRefreshAt.set(node, second)
      })
    }
    // Node 0's buckets went stale at 60 s. (Some others' never do: lookups by the rest keep them fresh.)
    expect(firstRefreshAt.get(0)).toBeLessThanOrEqual(79)
    expect(firstRefreshAt.size).toBeGreaterThan(dhts.length / 2)
    expect(new Set(firstRefreshAt.values()).size).toBeGreaterThan(3)
    expect(await stopTestnet(net)).toBe(0)
  })

  it('validates its options with a clear error', () => {
    const net = { network: createFakeNetworkStub() }
    expect(() => new Dht({ ...net, k: 0 })).toThrow(/k must be an integer from 1 to 20, got 0/)
    expect(() => new Dht({ ...net, alpha: 1.5 })).toThrow(DhtError)
    expect(() => new Dht({ ...net, quotaBytes: 10_000, perPeerShareBytes: 20_000 })).toThrow(/perPeerShareBytes/)
    expect(() => new Dht({ ...net, quotaBytes: 10_000, perPrefixShareBytes: 10_001 })).toThrow(/perPrefixShareBytes must be an integer from 1 to 10000, got 10001/)
    expect(() => new Dht({ ...net, perPrefixShareBytes: 0 })).toThrow(expect.objectContaining({ code: 'DHT_INVALID_OPTION' }))
    expect(new Dht({ ...net, quotaBytes: 10_000 }).options.perPrefixShareBytes).toBe(2_000)
    expect(new Dht({ ...net, quotaBytes: 10_000, perPrefixShareBytes: 10_000 }).options.perPrefixShareBytes).toBe(10_000)
    expect(() => new Dht({ ...net, maxClockSkewMs: -1 })).toThrow(/maxClockSkewMs must be an integer from 0 to 86400000, got -1/)
    expect(() => new Dht({ ...net, maxClockSkewMs: 86_400_001 })).toThrow(expect.objectContaining({ code: 'DHT_INVALID_OPTION' }))
    expect(new Dht({ ...net, maxClockSkewMs: 0 }).options.maxClockSkewMs).toBe(0)
  })
})

function collect(node: { on: Testnet['nodes'][number]['on'] }): DecodedMessage[] {
  const messages: DecodedMessage[] = []
  node.on('message', (_session: PeerSession, message: DecodedMessage) => messages.push(message))
  return messages
}

function createFakeNetworkStub() {
  return new FakeMeshStub().node
}

import { FakeMesh } from './fake-network.js'
class FakeMeshStub {
  readonly node = new FakeMesh().addNode()
}
