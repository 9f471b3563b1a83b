// A full RecordStore evicts by value (issue 10, attack 2): records this node is responsible
// for outrank the rest; a newcomer pushes out only records of a storer prefix more crowded
// than its own would be, the never-read, never-refreshed ones farthest from this node's id
// first; the node's own records are never evicted; each prefix has a share of its own; and
// a record nobody re-stores within maxIdleMs goes.

import { describe, expect, it } from 'vitest'
import { LOCAL_STORER, RecordStore } from '../../src/dht/record-store.js'
import type { RecordStoreOptions } from '../../src/dht/record-store.js'
import { buildImmutableRecord, recordCostBytes } from '../../src/dht/records.js'
import { StoreRejectReason } from '../../src/wire/messages.js'
import { toHex } from '../../src/dht/ids.js'

/** An immutable record that costs exactly `cost` bytes of quota (its value, plus 64). */
const ofCost = (cost: number, fill: number) => buildImmutableRecord(new Uint8Array(cost - 64).fill(fill), 60_000)
const quotaRefused = { ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail: 'quota' }
const heldKeys = (store: RecordStore) => new Set([...store.values()].map((held) => toHex(held.record.key)))
const make = (options: Partial<RecordStoreOptions> = {}) =>
  new RecordStore({ quotaBytes: 3_000, perPeerShareBytes: 3_000, maxTtlMs: 60_000, ...options })

describe('RecordStore eviction', () => {
  it('a newcomer from a sparser prefix evicts from the prefix holding the most bytes, only as much as it needs', () => {
    const store = make()
    const crowded = [1, 2].map((i) => ofCost(1_000, i))
    const sparse = ofCost(1_000, 3)
    store.put(crowded[0]!, 's1', 0, { prefix: '45.1' })
    store.put(crowded[1]!, 's2', 1, { prefix: '45.1' })
    store.put(sparse, 's3', 2, { prefix: '45.2' })
    expect(store.bytes).toBe(3_000)
    const honest = ofCost(100, 4)
    expect(store.put(honest, 'h', 3, { prefix: '62.0' })).toEqual({ ok: true, change: 'added' })
    // One 1,000-byte record of 45.1 goes (the older of two equal ones), 45.2's stays.
    expect(store.evicted).toBe(1)
    expect(heldKeys(store)).toEqual(new Set([crowded[1]!, sparse, honest].map((r) => toHex(r.key))))
    expect(store.bytesOfGroup('45.1')).toBe(1_000)
  })

  it('a newcomer whose prefix would then hold as much as the crowdest is refused; one byte less crowded gets in', () => {
    const store = make()
    store.put(ofCost(1_500, 1), 'a', 0, { prefix: '45.1' })
    store.put(ofCost(1_400, 2), 'b', 0, { prefix: '45.2' })
    store.put(ofCost(100, 3), 'c', 0, { prefix: '45.3' })
    // 45.3 would hold 100 + 1,400 = 1,500: not fewer than 45.1's 1,500, so nothing is worth less.
    expect(store.put(ofCost(1_400, 4), 'c', 1, { prefix: '45.3' })).toEqual(quotaRefused)
    expect(store.put(ofCost(1_399, 5), 'c', 1, { prefix: '45.3' })).toMatchObject({ ok: true })
    expect(store.bytesOfGroup('45.1')).toBe(0)
    expect(store.evicted).toBe(1)
  })

  it('storers of an exempt prefix are a group each, so one of them alone is never the crowdest for long', () => {
    const store = make()
    store.put(ofCost(1_500, 1), 'a', 0)
    store.put(ofCost(1_500, 2), 'b', 0)
    expect(store.put(ofCost(1_000, 3), 'c', 1)).toMatchObject({ ok: true })
    expect(store.bytesOfGroup('a') + store.bytesOfGroup('b')).toBe(1_500)
  })

  it('a record this node is responsible for evicts one it is not, whatever the prefixes; never the reverse', () => {
    const store = make()
    const far = ofCost(1_500, 1)
    const near = ofCost(1_500, 2)
    store.put(far, 'sybil', 0, { prefix: '45.1' })
    store.put(near, 'sybil2', 0, { prefix: '45.1', isResponsible: true })
    // Responsible, from the same crowded prefix: the far record goes, not the near one.
    expect(store.put(ofCost(1_000, 3), 'sybil3', 1, { prefix: '45.1', isResponsible: true })).toMatchObject({ ok: true })
    expect(heldKeys(store).has(toHex(near.key))).toBe(true)
    expect(heldKeys(store).has(toHex(far.key))).toBe(false)
    // Not responsible, from an empty prefix: it may not push out responsible records.
    expect(store.put(ofCost(1_000, 4), 'honest', 2, { prefix: '62.0' })).toEqual(quotaRefused)
    // Responsible, from an empty prefix: the responsible record of the crowded prefix gives way.
    expect(store.put(ofCost(1_000, 5), 'honest', 2, { prefix: '62.0', isResponsible: true })).toMatchObject({ ok: true })
    expect(store.bytesOfGroup('62.0')).toBe(1_000)
  })

  it('within a prefix, a record read lately outlasts one never read, and one refreshed outlasts one stored once', () => {
    const store = make({ maxIdleMs: 10_000 })
    const [read, refreshed, plain] = [1, 2, 3].map((i) => ofCost(1_000, i)) as [ReturnType<typeof ofCost>, ReturnType<typeof ofCost>, ReturnType<typeof ofCost>]
    store.put(read, 's', 0, { prefix: '45.1' })
    store.put(refreshed, 's', 1, { prefix: '45.1' })
    store.put(plain, 's', 2, { prefix: '45.1' })
    store.noteRead(read.key, 3)
    expect(store.put(refreshed, 's', 4, { prefix: '45.1' })).toEqual({ ok: true, change: 'refreshed' })
    const order = () => store.evictionOrder(5).map(([keyHex]) => keyHex)
    expect(order()).toEqual([plain, refreshed, read].map((r) => toHex(r.key)))
    // A read counts for maxIdleMs: exactly 10,000 ms after it still, 1 ms later no more, and
    // `read` is then a record stored once, older than `plain`.
    expect(store.evictionOrder(10_003).map(([keyHex]) => keyHex)).toEqual([plain, refreshed, read].map((r) => toHex(r.key)))
    expect(store.evictionOrder(10_004).map(([keyHex]) => keyHex)).toEqual([read, plain, refreshed].map((r) => toHex(r.key)))
  })

  it('of records otherwise equal, the one farthest from this node\'s id goes first', () => {
    const records = [1, 2, 3, 4].map((i) => ofCost(500, i))
    const localId = records[2]!.key
    const store = make({ localId })
    for (const record of records) store.put(record, 's', 0, { prefix: '45.1' })
    const order = store.evictionOrder(0).map(([keyHex]) => keyHex)
    expect(order[order.length - 1]).toBe(toHex(localId)) // distance 0: last
    const distances = store.evictionOrder(0).map(([, held]) => held.record.key.map((b, i) => b ^ localId[i]!))
    for (let i = 1; i < distances.length; i++) expect(Buffer.compare(distances[i - 1]!, distances[i]!)).toBeGreaterThan(0)
  })

  it('the node\'s own records are never evicted, and may make room for themselves', () => {
    const store = make()
    const own = ofCost(2_000, 1)
    store.put(own, LOCAL_STORER, 0)
    store.put(ofCost(1_000, 2), 'a', 0, { prefix: '45.1' })
    expect(store.evictionOrder(0).map(([, held]) => held.storedBy)).toEqual(['a'])
    expect(store.put(ofCost(1_000, 3), 'b', 1, { prefix: '45.2' })).toEqual(quotaRefused) // 45.2 would hold as much as 45.1
    // The Dht keeps its own copy only where it is among the closest: responsible, so it outranks a's.
    expect(store.put(ofCost(1_000, 4), LOCAL_STORER, 1, { isResponsible: true })).toMatchObject({ ok: true })
    expect(store.bytesOf(LOCAL_STORER)).toBe(3_000)
    expect(store.put(ofCost(100, 5), 'c', 2, { prefix: '45.3', isResponsible: true })).toEqual(quotaRefused)
  })

  it('a prefix takes exactly perPrefixShareBytes and is refused one byte more, naming the prefix share', () => {
    const store = make({ quotaBytes: 10_000, perPeerShareBytes: 1_000, perPrefixShareBytes: 2_500 })
    store.put(ofCost(1_000, 1), 'a', 0, { prefix: '45.1' })
    store.put(ofCost(1_000, 2), 'b', 0, { prefix: '45.1' })
    expect(store.put(ofCost(501, 3), 'c', 0, { prefix: '45.1' })).toEqual({ ok: false, reason: StoreRejectReason.QUOTA_EXCEEDED, detail: 'prefix-share' })
    expect(store.put(ofCost(500, 3), 'c', 0, { prefix: '45.1' })).toMatchObject({ ok: true })
    expect(store.bytesOfGroup('45.1')).toBe(2_500)
    // Exempt storers are bound by their own share only.
    for (let i = 0; i < 4; i++) expect(store.put(ofCost(1_000, 10 + i), `lan${i}`, 0).ok).toBe(true)
  })

  it('a record nobody re-stores within maxIdleMs goes, whatever its ttl; a refresh restarts the wait', () => {
    const store = make({ maxIdleMs: 1_500 })
    const a = ofCost(1_000, 1)
    const b = ofCost(1_000, 2)
    store.put(a, 's', 0)
    store.put(b, 's', 0)
    expect(store.put(b, 's', 1_000)).toEqual({ ok: true, change: 'refreshed' })
    expect(store.get(a.key, 1_499)).toBeDefined()
    expect(store.sweep(1_500)).toBe(1)
    expect(store.get(a.key, 1_500)).toBeUndefined()
    expect(store.get(b.key, 2_499)?.expiresAtMs).toBe(2_500)
    expect(store.sweep(2_500)).toBe(1)
    expect(store.bytes).toBe(0)
    expect(recordCostBytes(a)).toBe(1_000)
  })
})
