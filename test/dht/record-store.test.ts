import { describe, expect, it } from 'vitest'
import { Identity } from '../../src/peers/identity.js'
import { SeededRandom } from '../../src/util/random.js'
import { StoreRejectReason } from '../../src/wire/messages.js'
import type { DhtRecord } from '../../src/wire/messages.js'
import { LOCAL_STORER, RecordStore } from '../../src/dht/record-store.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  buildImmutableRecord,
  buildMutableRecord,
  checkRecord,
  MUTABLE_KEY_TAG,
  mutableKeyOf,
  mutableValueOf,
  recordCostBytes,
  signMutableRecord,
  userKeyHashOf,
} from '../../src/dht/records.js'

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill)
const identity = Identity.generate(new SeededRandom(7))
const other = Identity.generate(new SeededRandom(8))
/** An immutable record that costs exactly `cost` bytes of quota (its value, plus 64). */
const immutableOfCost = (cost: number, fill: number) => buildImmutableRecord(bytes(cost - 64, fill), 60_000)
/** A mutable record of `identity` under 'name' that costs exactly `cost` bytes (its value, the 32-byte user key hash, plus 176). */
const mutableOfCost = (cost: number, seq: bigint) => buildMutableRecord(identity, 'name', bytes(cost - 208, Number(seq)), seq, 60_000, 0)
/** Storers of one address prefix: none of them outranks another when the store is full. */
const onNet = { prefix: '45.2' }
const refused = (detail: 'quota' | 'peer-share' | 'prefix-share') => ({ ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail })

describe('RecordStore', () => {
  it('refuses a record that would pass the quota, with QUOTA_EXCEEDED', () => {
    const store = new RecordStore({ quotaBytes: 3_000, perPeerShareBytes: 3_000, maxTtlMs: 60_000 })
    const a = buildImmutableRecord(bytes(1_000, 1), 60_000)
    const b = buildImmutableRecord(bytes(1_000, 2), 60_000)
    const c = buildImmutableRecord(bytes(1_000, 3), 60_000)
    expect(store.put(a, 'p1', 0).ok).toBe(true)
    expect(store.put(b, 'p2', 0).ok).toBe(true)
    expect(store.put(c, 'p3', 0)).toEqual({ ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail: 'quota' })
    expect(store.bytes).toBe(recordCostBytes(a) + recordCostBytes(b))
  })

  it('one peer cannot take more than its share, while another peer still can store', () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 2_500, maxTtlMs: 60_000 })
    const records = [1, 2, 3].map((i) => buildImmutableRecord(bytes(1_000, i), 60_000))
    expect(store.put(records[0], 'greedy', 0).ok).toBe(true)
    expect(store.put(records[1], 'greedy', 0).ok).toBe(true)
    expect(store.put(records[2], 'greedy', 0)).toEqual({ ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail: 'peer-share' })
    expect(store.put(records[2], 'polite', 0).ok).toBe(true)
    // The node's own records are charged to the quota only.
    expect(store.put(buildImmutableRecord(bytes(5_000, 9), 60_000), LOCAL_STORER, 0).ok).toBe(true)
  })

  // The two limits differ in each test below, so the refusal's detail says which one fired.
  // Both storers share a prefix here, so neither is worth more than the other and nothing is evicted.
  it('stores up to exactly quotaBytes and refuses one byte more, naming the quota', () => {
    const store = new RecordStore({ quotaBytes: 3_000, perPeerShareBytes: 2_000, maxTtlMs: 60_000 })
    expect(store.put(immutableOfCost(2_000, 1), 'p1', 0, onNet).ok).toBe(true)
    // 1,001 bytes is within p2's share of 2,000 but one byte over the quota.
    expect(store.put(immutableOfCost(1_001, 2), 'p2', 0, onNet)).toEqual(refused('quota'))
    expect(store.put(immutableOfCost(1_000, 2), 'p2', 0, onNet)).toEqual({ ok: true, change: 'added' })
    expect(store.bytes).toBe(3_000)
    expect(store.evicted).toBe(0)
  })

  it('lets one peer fill exactly its share and refuses one byte more, naming the share', () => {
    const store = new RecordStore({ quotaBytes: 10_000, perPeerShareBytes: 2_500, maxTtlMs: 60_000 })
    expect(store.put(immutableOfCost(1_500, 1), 'greedy', 0).ok).toBe(true)
    // 1,001 bytes would bring greedy to 2,501 of its 2,500, with 8,500 of the quota free.
    expect(store.put(immutableOfCost(1_001, 2), 'greedy', 0)).toEqual(refused('peer-share'))
    expect(store.put(immutableOfCost(1_000, 2), 'greedy', 0)).toEqual({ ok: true, change: 'added' })
    expect(store.bytesOf('greedy')).toBe(2_500)
    expect(store.put(immutableOfCost(65, 3), 'greedy', 0)).toEqual(refused('peer-share'))
    expect(store.put(immutableOfCost(65, 3), 'polite', 0).ok).toBe(true)
  })

  it('a full store takes an update of a record it holds, crediting the old bytes, and a smaller update frees room', async () => {
    const store = new RecordStore({ quotaBytes: 3_000, perPeerShareBytes: 2_000, maxTtlMs: 60_000 })
    const held = immutableOfCost(2_000, 9)
    expect(store.put(await mutableOfCost(1_000, 1n), 'owner', 0, onNet).ok).toBe(true)
    expect(store.put(held, 'other', 0, onNet).ok).toBe(true)
    expect(store.bytes).toBe(3_000) // full
    expect(store.put(await mutableOfCost(1_000, 2n), 'owner', 0, onNet)).toEqual({ ok: true, change: 'replaced' })
    expect(store.put(held, 'other', 0, onNet)).toEqual({ ok: true, change: 'refreshed' })
    expect(store.bytes).toBe(3_000)
    // Shrinking to 600 bytes frees 400 of the quota, and exactly that much.
    expect(store.put(await mutableOfCost(600, 3n), 'owner', 0, onNet)).toEqual({ ok: true, change: 'replaced' })
    expect(store.bytes).toBe(2_600)
    expect(store.bytesOf('owner')).toBe(600)
    expect(store.put(await mutableOfCost(1_001, 4n), 'owner', 0, onNet)).toEqual(refused('quota')) // 2,000 + 1,001
    expect(store.put(immutableOfCost(400, 5), 'newcomer', 0, onNet).ok).toBe(true)
    expect(store.bytes).toBe(3_000)
  })

  it('a peer at exactly its share can update its own record in place, its old bytes credited to its share', async () => {
    const store = new RecordStore({ quotaBytes: 10_000, perPeerShareBytes: 1_000, maxTtlMs: 60_000 })
    expect(store.put(await mutableOfCost(1_000, 1n), 'owner', 0).ok).toBe(true)
    expect(store.put(await mutableOfCost(1_000, 2n), 'owner', 0)).toEqual({ ok: true, change: 'replaced' })
    expect(store.bytesOf('owner')).toBe(1_000)
    expect(store.put(await mutableOfCost(1_001, 3n), 'owner', 0)).toEqual(refused('peer-share'))
    // Another peer storing the update takes its bytes onto its own share, credited nothing of
    // the owner's: with 200 bytes of its own, 900 more are over its share and 800 are not.
    expect(store.put(immutableOfCost(200, 7), 'relay', 0).ok).toBe(true)
    expect(store.put(await mutableOfCost(900, 3n), 'relay', 0)).toEqual(refused('peer-share'))
    expect(store.put(await mutableOfCost(800, 3n), 'relay', 0)).toEqual({ ok: true, change: 'replaced' })
    expect(store.bytesOf('owner')).toBe(0)
    expect(store.bytesOf('relay')).toBe(1_000)
    expect(store.bytes).toBe(1_000)
  })

  it('a record expires ttlMs after it was stored, capped by maxTtlMs, and its bytes are released', () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 100_000, maxTtlMs: 10_000 })
    const short = buildImmutableRecord(bytes(10, 1), 5_000)
    const long = buildImmutableRecord(bytes(10, 2), 1_000_000)
    store.put(short, 'p', 0)
    store.put(long, 'p', 0)
    expect(store.get(short.key, 4_999)).toBeDefined()
    expect(store.get(short.key, 5_000)).toBeUndefined()
    expect(store.get(long.key, 9_999)).toBeDefined()
    expect(store.sweep(10_000)).toBe(1)
    expect(store.size).toBe(0)
    expect(store.bytes).toBe(0)
    expect(store.bytesOf('p')).toBe(0)
  })

  it('a mutable record expires at its signed time plus its ttl, however late it is stored: an old one never lives again', async () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 100_000, maxTtlMs: 60_000 })
    const record = await buildMutableRecord(identity, 'name', bytes(4), 1n, 10_000, 1_000) // lives until 11,000
    expect(store.expiryOf(record, 9_000)).toBe(11_000)
    expect(store.put(record, 'p', 9_000)).toEqual({ ok: true, change: 'added' })
    expect(store.get(record.key, 10_999)?.record).toBe(record)
    expect(store.get(record.key, 11_000)).toBeUndefined()
    // Offered again once its life is over: refused, not stored for another ttl.
    expect(store.put(record, 'p', 11_000)).toEqual({ ok: false, reason: StoreRejectReason.EXPIRED, detail: 'expired' })
    expect(store.size).toBe(0)
    // maxTtlMs caps the life from the signed time too.
    const long = await buildMutableRecord(identity, 'long', bytes(4), 1n, 600_000, 1_000)
    expect(store.expiryOf(long, 50_000)).toBe(61_000)
  })

  it('the same record re-signed later lives longer; a copy signed earlier, stored after it, cuts no life short', async () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 100_000, maxTtlMs: 60_000 })
    const first = await buildMutableRecord(identity, 'name', bytes(4), 1n, 10_000, 0)
    const republished = await buildMutableRecord(identity, 'name', bytes(4), 1n, 10_000, 5_000)
    expect(store.put(first, 'p', 0).ok).toBe(true)
    expect(store.put(republished, 'p', 5_000)).toEqual({ ok: true, change: 'refreshed' })
    expect(store.get(first.key, 5_000)?.expiresAtMs).toBe(15_000)
    expect(store.put(first, 'q', 6_000)).toEqual({ ok: true, change: 'refreshed' })
    expect(store.get(first.key, 6_000)?.expiresAtMs).toBe(15_000)
    expect(store.get(first.key, 6_000)?.record).toBe(republished)
  })

  it('checkRecord with a clock: expired from signedAtMs + ttlMs on, and refused when signed more than maxClockSkewMs ahead', async () => {
    const record = await buildMutableRecord(identity, 'profile', bytes(8, 5), 3n, 1_000, 50_000) // lives until 51,000
    const at = (nowMs: number) => checkRecord(record, undefined, undefined, { nowMs, maxClockSkewMs: 30_000 })
    expect(await at(50_999)).toBe(StoreRejectReason.NONE)
    expect(await at(51_000)).toBe(StoreRejectReason.EXPIRED)
    expect(await at(20_000)).toBe(StoreRejectReason.NONE) // signed exactly 30 s ahead of this clock
    expect(await at(19_999)).toBe(StoreRejectReason.FUTURE_TIMESTAMP)
    expect(await checkRecord(record)).toBe(StoreRejectReason.NONE) // without a clock, shape and signature only
    // The time checks come before the signature, and name what was wrong even for a forged copy.
    expect(await checkRecord({ ...record, seq: 4n }, undefined, undefined, { nowMs: 60_000, maxClockSkewMs: 0 })).toBe(StoreRejectReason.EXPIRED)
    expect(await checkRecord({ ...record, signedAtMs: -1 })).toBe(StoreRejectReason.BAD_SIGNATURE)
  })

  it('a mutable record is replaced by a higher seq only, and only by its owner', async () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 100_000, maxTtlMs: 60_000 })
    const key = mutableKeyOf(identity.publicKey, 'name')
    const v1 = await buildMutableRecord(identity, 'name', bytes(4, 1), 1n, 60_000, 0)
    const v2 = await buildMutableRecord(identity, 'name', bytes(4, 2), 2n, 60_000, 0)
    const forkedV2 = await buildMutableRecord(identity, 'name', bytes(4, 3), 2n, 60_000, 0)
    // checkRecord refuses such a record (its key is not derived from its public key); the store's owner check is the second line.
    const intruder = await signMutableRecord(other, key, v1.value, 99n, 60_000, 0)
    expect(store.put(v1, 'p', 0)).toEqual({ ok: true, change: 'added' })
    expect(store.put(v2, 'p', 0)).toEqual({ ok: true, change: 'replaced' })
    expect(store.put(v1, 'p', 0)).toMatchObject({ ok: false, reason: StoreRejectReason.STALE_SEQ })
    expect(store.put(forkedV2, 'p', 0)).toMatchObject({ ok: false, reason: StoreRejectReason.STALE_SEQ })
    expect(store.put(v2, 'q', 0)).toEqual({ ok: true, change: 'refreshed' })
    expect(store.put(intruder, 'p', 0)).toMatchObject({ ok: false, reason: StoreRejectReason.KEY_MISMATCH, detail: 'owner-mismatch' })
    expect(store.get(key, 0)?.record).toBe(v2)
    expect(store.bytesOf('p')).toBe(0)
    expect(store.bytesOf('q')).toBe(recordCostBytes(v2))
  })

  it('a record of the other kind under a held key is refused with KEY_MISMATCH, and the held record stays', async () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 100_000, maxTtlMs: 60_000 })
    const mutable = await mutableOfCost(300, 1n)
    const immutable = immutableOfCost(300, 4)
    // Only a forged record can share a key across kinds; the store refuses it before any seq or owner check.
    expect(store.put(mutable, 'p', 0).ok).toBe(true)
    expect(store.put({ ...immutable, key: mutable.key }, 'p', 0)).toEqual({ ok: false, reason: StoreRejectReason.KEY_MISMATCH, detail: 'kind-mismatch' })
    expect(store.put(immutable, 'p', 0).ok).toBe(true)
    expect(store.put({ ...mutable, key: immutable.key }, 'p', 0)).toEqual({ ok: false, reason: StoreRejectReason.KEY_MISMATCH, detail: 'kind-mismatch' })
    expect(store.get(mutable.key, 0)?.record).toBe(mutable)
    expect(store.get(immutable.key, 0)?.record).toBe(immutable)
    expect([store.size, store.bytes]).toEqual([2, 600])
  })

  it('a stale mutable record is refused with the stale-seq detail', async () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 100_000, maxTtlMs: 60_000 })
    expect(store.put(await mutableOfCost(300, 2n), 'p', 0).ok).toBe(true)
    expect(store.put(await mutableOfCost(300, 1n), 'p', 0)).toEqual({ ok: false, reason: StoreRejectReason.STALE_SEQ, detail: 'stale-seq' })
  })

  it('records put as LOCAL_STORER (\'local\') are exempt from the per-peer share but a peer named otherwise is not', () => {
    const store = new RecordStore({ quotaBytes: 10_000, perPeerShareBytes: 1_000, maxTtlMs: 60_000 })
    expect(LOCAL_STORER).toBe('local')
    expect(store.put(immutableOfCost(2_000, 1), 'local', 0)).toEqual({ ok: true, change: 'added' })
    expect(store.put(immutableOfCost(2_000, 2), '', 0)).toEqual(refused('peer-share'))
    expect(store.bytesOf('local')).toBe(2_000)
  })

  it('counts storers with bytes charged, and forgets a storer whose last record leaves', () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 100_000, maxTtlMs: 60_000 })
    const a = immutableOfCost(500, 1)
    const b = immutableOfCost(700, 2)
    const c = immutableOfCost(900, 3)
    store.put(a, 'p', 0)
    store.put(b, 'p', 0)
    store.put(c, 'q', 0)
    expect([store.size, store.storerCount, store.bytes]).toEqual([3, 2, 2_100])
    expect(store.delete(a.key)).toBe(true)
    expect([store.size, store.storerCount, store.bytesOf('p')]).toEqual([2, 2, 700])
    expect(store.delete(b.key)).toBe(true)
    expect([store.size, store.storerCount, store.bytesOf('p'), store.bytes]).toEqual([1, 1, 0, 900])
    expect(store.delete(b.key)).toBe(false) // not held any more
    expect([store.size, store.storerCount, store.bytes]).toEqual([1, 1, 900])
    expect(store.get(c.key, 0)?.record).toBe(c)
  })

  it('sweep() drops only the expired records and nextExpiryMs() is the earliest expiry left', () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 100_000, maxTtlMs: 60_000 })
    expect(store.nextExpiryMs()).toBeUndefined()
    const ttls = [30_000, 10_000, 50_000, 20_000]
    const records = ttls.map((ttlMs, i) => buildImmutableRecord(bytes(10, i), ttlMs))
    for (const record of records) store.put(record, 'p', 1_000)
    expect(store.nextExpiryMs()).toBe(11_000)
    expect(store.sweep(10_999)).toBe(0)
    expect(store.sweep(21_000)).toBe(2) // expired at 11,000 and at 21,000 exactly
    expect(store.nextExpiryMs()).toBe(31_000)
    expect([...store.values()].map((held) => held.record)).toEqual([records[0], records[2]])
    expect([...store.values()].map((held) => [held.storedAtMs, held.expiresAtMs])).toEqual([[1_000, 31_000], [1_000, 51_000]])
    expect(store.sweep(51_000)).toBe(2)
    expect(store.nextExpiryMs()).toBeUndefined()
  })

  it('nextExpiryMs() keeps the earliest of equal and later expiries, in any insertion order', () => {
    const store = new RecordStore({ quotaBytes: 100_000, perPeerShareBytes: 100_000, maxTtlMs: 60_000 })
    store.put(buildImmutableRecord(bytes(10, 1), 5_000), 'p', 0)
    store.put(buildImmutableRecord(bytes(10, 2), 9_000), 'p', 0)
    store.put(buildImmutableRecord(bytes(10, 3), 5_000), 'p', 0)
    store.put(buildImmutableRecord(bytes(10, 4), 7_000), 'p', 0)
    expect(store.nextExpiryMs()).toBe(5_000)
  })

  it('clear() drops every record and every storer\'s charge', () => {
    const store = new RecordStore({ quotaBytes: 1_000, perPeerShareBytes: 1_000, maxTtlMs: 60_000 })
    const record = immutableOfCost(1_000, 1)
    store.put(record, 'p', 0)
    store.clear()
    expect([store.size, store.bytes, store.storerCount, store.bytesOf('p'), [...store.values()].length]).toEqual([0, 0, 0, 0, 0])
    expect(store.get(record.key, 0)).toBeUndefined()
    expect(store.put(record, 'p', 0)).toEqual({ ok: true, change: 'added' }) // the whole quota is free again
  })
})

describe('records', () => {
  it('a mutable key is SHA-256(tag ‖ owner public key ‖ SHA-256(user key)), so owners never share one', () => {
    const userKeyHash = sha256(new TextEncoder().encode('profile'))
    expect(userKeyHashOf('profile')).toEqual(userKeyHash)
    expect(new TextDecoder().decode(MUTABLE_KEY_TAG)).toBe('wasmesh/dht/mutable/v1\0')
    const preimage = new Uint8Array([...MUTABLE_KEY_TAG, ...identity.publicKey, ...userKeyHash])
    expect(mutableKeyOf(identity.publicKey, 'profile')).toEqual(sha256(preimage))
    expect(mutableKeyOf(identity.publicKey, new TextEncoder().encode('profile'))).toEqual(sha256(preimage))
    expect(mutableKeyOf(other.publicKey, 'profile')).not.toEqual(mutableKeyOf(identity.publicKey, 'profile'))
    expect(mutableKeyOf(identity.publicKey, 'profile2')).not.toEqual(mutableKeyOf(identity.publicKey, 'profile'))
  })

  it('a mutable record carries SHA-256(user key) before its value, under its owner\'s derived key', async () => {
    const record = await buildMutableRecord(identity, 'profile', bytes(8, 5), 3n, 1_000, 0)
    expect(record.key).toEqual(mutableKeyOf(identity.publicKey, 'profile'))
    expect(record.value.subarray(0, 32)).toEqual(userKeyHashOf('profile'))
    expect(mutableValueOf(record)).toEqual(bytes(8, 5))
  })

  it('a mutable record verifies, and any change to value, seq, ttl or signed time breaks its signature', async () => {
    const record = await buildMutableRecord(identity, 'profile', bytes(8, 5), 3n, 1_000, 0)
    expect(await checkRecord(record)).toBe(StoreRejectReason.NONE)
    const changedValue = record.value.slice()
    changedValue[35] ^= 1 // an application byte, after the user key hash
    const tampered: DhtRecord[] = [
      { ...record, value: changedValue },
      { ...record, seq: 4n },
      { ...record, ttlMs: 2_000 },
      { ...record, signedAtMs: 1 },
    ]
    for (const forged of tampered) expect(await checkRecord(forged)).toBe(StoreRejectReason.BAD_SIGNATURE)
    expect(await checkRecord(record, undefined, mutableKeyOf(identity.publicKey, 'other'))).toBe(StoreRejectReason.KEY_MISMATCH)
  })

  it('a mutable record whose key is not derived from its public key and user key hash is refused with KEY_MISMATCH', async () => {
    const record = await buildMutableRecord(identity, 'profile', bytes(8, 5), 3n, 1_000, 0)
    const otherHash = new Uint8Array([...userKeyHashOf('other'), ...bytes(8, 5)])
    const mismatched: DhtRecord[] = [
      { ...record, key: mutableKeyOf(identity.publicKey, 'other') },
      { ...record, publicKey: other.publicKey },
      { ...record, value: otherHash },
      { ...record, value: bytes(31, 0) }, // too short to hold the user key hash
    ]
    for (const forged of mismatched) expect(await checkRecord(forged)).toBe(StoreRejectReason.KEY_MISMATCH)
    // Squatting: a validly signed record of `other` under the key of `identity`.
    const squat = await signMutableRecord(other, record.key, record.value, 1n, 1_000, 0)
    expect(await checkRecord(squat)).toBe(StoreRejectReason.KEY_MISMATCH)
    // Re-signing with its own key under a key it chose freely does not help either.
    const chosen = await signMutableRecord(other, sha256(bytes(4, 9)), record.value, 1n, 1_000, 0)
    expect(await checkRecord(chosen)).toBe(StoreRejectReason.KEY_MISMATCH)
  })

  it('an immutable record must sit under the SHA-256 of its value', async () => {
    const record = buildImmutableRecord(bytes(8, 1), 1_000)
    expect(await checkRecord(record)).toBe(StoreRejectReason.NONE)
    expect(await checkRecord({ ...record, value: bytes(8, 2) })).toBe(StoreRejectReason.KEY_MISMATCH)
    expect(await checkRecord({ ...record, value: bytes(16_385), key: record.key })).toBe(StoreRejectReason.TOO_LARGE)
  })
})
