// Random operation sequences on both backends and on a plain reference model of the
// semantics (an insertion-ordered list with times): every answer must agree at every step.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { loadCore } from '../../src/core/load-core.js'

type Op =
  | { kind: 'add'; key: bigint; dt: number }
  | { kind: 'has'; key: bigint; dt: number }
  | { kind: 'batch'; keys: bigint[]; dt: number }
  | { kind: 'expire'; dt: number }
  | { kind: 'clear' }

class ReferenceDedupSet {
  private entries: { key: bigint; time: number }[] = []
  private now = 0
  constructor(private readonly capacity: number, private readonly ttlMs: number) {}
  private advance(nowMs: number) {
    this.now = Math.max(this.now, Math.floor(nowMs))
    this.entries = this.entries.filter((entry) => this.now - entry.time < this.ttlMs)
  }
  add(key: bigint, nowMs: number) {
    this.advance(nowMs)
    if (this.entries.some((entry) => entry.key === key)) return false
    if (this.entries.length === this.capacity) this.entries.shift()
    this.entries.push({ key, time: this.now })
    return true
  }
  has(key: bigint, nowMs: number) {
    this.advance(nowMs)
    return this.entries.some((entry) => entry.key === key)
  }
  expire(nowMs: number) { this.advance(nowMs) }
  clear() { this.entries = [] }
  get size() { return this.entries.length }
}

// Few distinct keys so repeats are common; time steps include zero, small and >65,535 ms gaps.
const key = fc.oneof(fc.bigInt({ min: 0n, max: 12n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
const dt = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 60_000, max: 200_000 }), fc.double({ min: 0, max: 5, noNaN: true }))
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('add' as const), key, dt }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('has' as const), key, dt }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), keys: fc.array(key, { maxLength: 20 }), dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), dt }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
)

// Mostly new keys close together in time, so hundreds stay live and the tables must grow;
// now and then a long gap (overflowed deltas), an expiry sweep or a clear.
const smallDt = fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 60_000, max: 90_000 }) })
const freshKey = fc.oneof({ weight: 9, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }, { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 12n }) })
const growthOps: fc.Arbitrary<Op> = fc.oneof(
  { weight: 200, arbitrary: fc.record({ kind: fc.constant('add' as const), key: freshKey, dt: smallDt }) },
  { weight: 150, arbitrary: fc.record({ kind: fc.constant('batch' as const), keys: fc.array(freshKey, { maxLength: 40 }), dt: smallDt }) },
  { weight: 100, arbitrary: fc.record({ kind: fc.constant('has' as const), key: freshKey, dt: smallDt }) },
  { weight: 10, arbitrary: fc.record({ kind: fc.constant('expire' as const), dt: fc.integer({ min: 0, max: 20_000 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
)

// Keys that all land on one index slot of a backend, so displacements run past the 255 an
// entry can hold. White-box: these invert each backend's hash (assembly/dedup.ts mixes a key
// with the murmur3 64-bit finalizer and takes the home from the high word; the twin hashes
// the two halves with the 32-bit one and takes the home from that hash).
const MASK64 = 2n ** 64n - 1n
const inverse64 = (a: bigint) => {
  let x = a
  for (let i = 0; i < 6; i++) x = (x * (2n - a * x)) & MASK64
  return x
}
const inverse32 = (a: number) => Number(inverse64(BigInt(a)) & 0xffff_ffffn)

/** The key whose murmur3 64-bit finalizer is `h`; a high word of 0 puts it in slot 0. */
function unmix64(h: bigint): bigint {
  let k = h
  k ^= k >> 33n
  k = (k * inverse64(0xc4ceb9fe1a85ec53n)) & MASK64
  k ^= k >> 33n
  k = (k * inverse64(0xff51afd7ed558ccdn)) & MASK64
  return k ^ (k >> 33n)
}

const fmix32 = (value: number) => {
  let h = value
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function unfmix32(value: number): number {
  let h = value
  h ^= h >>> 16
  h = Math.imul(h, inverse32(0xc2b2ae35))
  h ^= (h >>> 13) ^ (h >>> 26)
  h = Math.imul(h, inverse32(0x85ebca6b))
  return (h ^ (h >>> 16)) >>> 0
}

/** A key the twin hashes to `h` (its home is h * indexSize / 2**32), for any high word. */
function twinKeyWithHash(h: number, hi: number): bigint {
  const lo = (unfmix32(h) ^ fmix32((hi ^ 0x9e3779b9) >>> 0)) >>> 0
  return (BigInt(hi) << 32n) | BigInt(lo)
}

/** Key `j` (0 to 255) of those a backend puts in `slot` of an index of `size` slots. */
function keyWithHome(backend: 'wasm' | 'js', slot: number, size: number, j: number): bigint {
  const h = Math.floor(((slot + 0.5) * 2 ** 32) / size) + j
  return backend === 'wasm' ? unmix64((BigInt(h) << 32n) | BigInt(j)) : twinKeyWithHash(h, 0x2000 + j)
}

// Per backend: 500 keys in slot 0 and 300 in the last slot (whose runs wrap into slot 0).
const wasmCollidingKeys: bigint[] = []
const twinCollidingKeys: bigint[] = []
for (let i = 0; i < 500; i++) {
  wasmCollidingKeys.push(unmix64(BigInt(i * 7_919 + 1)))
  twinCollidingKeys.push(twinKeyWithHash(i, 0x1000 + i))
}
for (let i = 0; i < 300; i++) {
  wasmCollidingKeys.push(unmix64((0xffff_ffffn << 32n) | BigInt(i * 104_729 + 5)))
  twinCollidingKeys.push(twinKeyWithHash(0xffff_ffff - i, 0x9000 + i))
}

function collidingOps(keys: bigint[]): fc.Arbitrary<Op> {
  const colliding = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: key })
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), key: colliding, dt: fc.constant(0) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('has' as const), key: colliding, dt: fc.constant(0) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), keys: fc.array(colliding, { maxLength: 40 }), dt: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), dt: fc.integer({ min: 0, max: 3 }) }) },
  )
}

// FC_NUM_RUNS sets the number of runs of every property here.
const runs = (numRuns: number) => Number(process.env.FC_NUM_RUNS) || numRuns

interface Sequences {
  readonly capacity: fc.Arbitrary<number>
  readonly ttlMs?: fc.Arbitrary<number>
  readonly ops?: fc.Arbitrary<Op>
  readonly minOps?: number
  readonly maxOps: number
  readonly numRuns: number
}

describe('DedupSet: wasm, twin and reference model agree', () => {
  it('(test helper) the colliding keys below hash to the slots they are built for', () => {
    let h = unmix64(0x0000_0000_1234_5678n)
    h ^= h >> 33n
    h = (h * 0xff51afd7ed558ccdn) & MASK64
    h ^= h >> 33n
    h = (h * 0xc4ceb9fe1a85ec53n) & MASK64
    expect(h ^ (h >> 33n)).toBe(0x0000_0000_1234_5678n)
    const twinKey = twinKeyWithHash(77, 0xabcd)
    expect(fmix32(Number(twinKey & 0xffff_ffffn) ^ fmix32(0xabcd ^ 0x9e3779b9))).toBe(77)
  })
  it('tells apart keys with the same low word that share a home slot and fingerprint in the twin index', async () => {
    // A set of 16 keys has a 23-slot index and keeps 19 fingerprint bits; among keys with one
    // low word, a pair that agrees on both is found within a few thousand high words.
    const lo = 0x1234_5678
    const seen = new Map<number, number>()
    let pair: [number, number] | undefined
    for (let hi = 0; pair === undefined; hi++) {
      const h = fmix32(lo ^ fmix32(hi ^ 0x9e3779b9))
      const slotAndFingerprint = Math.floor((h * 23) / 2 ** 32) * 2 ** 19 + (fmix32(h ^ hi) >>> 13)
      const other = seen.get(slotAndFingerprint)
      if (other === undefined) seen.set(slotAndFingerprint, hi)
      else pair = [other, hi]
    }
    const [first, second] = pair.map((hi) => (BigInt(hi) << 32n) | BigInt(lo))
    for (const backend of ['wasm', 'js'] as const) {
      const set = (await loadCore({ backend })).createDedupSet({ capacity: 16, ttlMs: 1_000 })
      expect(set.add(first!, 0)).toBe(true)
      expect(set.has(second!, 0)).toBe(false)
      expect(set.add(second!, 0)).toBe(true)
      expect(set.has(first!, 0) && set.has(second!, 0)).toBe(true)
      expect(set.size).toBe(2)
      set.free()
    }
  })
  it('unindexes an evicted key that a later one pushed past the end of the index', async () => {
    // A set of 4 keys has 6 index slots. The oldest key sits at its home, the last slot, until
    // the third of three keys homed two slots earlier takes that slot and pushes it round to
    // slot 0; evicting it then means finding it there.
    for (const backend of ['wasm', 'js'] as const) {
      const set = (await loadCore({ backend })).createDedupSet({ capacity: 4, ttlMs: 1_000 })
      const oldest = keyWithHome(backend, 5, 6, 0)
      const pushers = [0, 1, 2].map((j) => keyWithHome(backend, 3, 6, j))
      const others = [0, 1, 2, 3].map((j) => keyWithHome(backend, 0, 6, j))
      for (const k of [oldest, ...pushers]) expect(set.add(k, 0)).toBe(true)
      expect(set.add(others[0]!, 1)).toBe(true)
      expect(set.has(oldest, 1)).toBe(false)
      for (const k of [...pushers, others[0]!]) expect(set.has(k, 1)).toBe(true)
      // The rest of the run moved back with it: the pushers go one by one, oldest first.
      for (let i = 1; i < 4; i++) {
        expect(set.add(others[i]!, 2)).toBe(true)
        for (const [j, k] of pushers.entries()) expect(set.has(k, 2)).toBe(j >= i)
      }
      expect(set.size).toBe(4)
      set.free()
    }
  })
  it('on random operation sequences', () => runSequences({ capacity: fc.integer({ min: 1, max: 40 }), maxOps: 150, numRuns: runs(1_000) }))
  it('on long sequences that wrap larger rings many times', () =>
    runSequences({ capacity: fc.integer({ min: 1, max: 300 }), minOps: 500, maxOps: 3_000, numRuns: runs(25) }))
  it('while the tables grow (from 256 keys, doubling up to capacity) under expiry, eviction and clear', () =>
    runSequences({
      capacity: fc.integer({ min: 257, max: 1_500 }), ttlMs: fc.integer({ min: 100_000, max: 400_000 }),
      ops: growthOps, minOps: 1_500, maxOps: 5_000, numRuns: runs(10),
    }))
  for (const [backend, keys] of [['wasm', wasmCollidingKeys], ['twin', twinCollidingKeys]] as const) {
    it(`when hundreds of keys share a home slot of the ${backend} index, displacements past 255 included`, () =>
      runSequences({
        capacity: fc.integer({ min: 450, max: 700 }), ttlMs: fc.integer({ min: 200, max: 2_000 }),
        ops: collidingOps(keys), minOps: 800, maxOps: 2_500, numRuns: runs(10),
      }))
  }
})

async function runSequences({ capacity: capacities, ttlMs: ttls, ops: operation = op, minOps = 0, maxOps, numRuns }: Sequences) {
  const wasm = await loadCore({ backend: 'wasm' })
  const twin = await loadCore({ backend: 'js' })
  fc.assert(
      fc.property(
        capacities,
        ttls ?? fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 100_000, max: 400_000 })),
        fc.array(operation, { minLength: minOps, maxLength: maxOps, size: 'max' }),
        (capacity, ttlMs, ops) => {
          const a = wasm.createDedupSet({ capacity, ttlMs })
          const b = twin.createDedupSet({ capacity, ttlMs })
          const model = new ReferenceDedupSet(capacity, ttlMs)
          let now = 0
          try {
            for (const step of ops) {
              if (step.kind !== 'clear') now += step.dt
              switch (step.kind) {
                case 'add': {
                  const expected = model.add(step.key, now)
                  expect(a.add(step.key, now)).toBe(expected)
                  expect(b.add(step.key, now)).toBe(expected)
                  break
                }
                case 'has': {
                  const expected = model.has(step.key, now)
                  expect(a.has(step.key, now)).toBe(expected)
                  expect(b.has(step.key, now)).toBe(expected)
                  break
                }
                case 'batch': {
                  model.expire(now)
                  const keys = BigUint64Array.from(step.keys)
                  const expected = step.keys.map((k) => (model.add(k, now) ? 1 : 0))
                  const outA = new Uint8Array(keys.length)
                  const outB = new Uint8Array(keys.length)
                  const count = expected.reduce((sum: number, flag) => sum + flag, 0)
                  expect(a.addBatch(keys, now, outA)).toBe(count)
                  expect(b.addBatch(keys, now, outB)).toBe(count)
                  expect([...outA]).toEqual(expected)
                  expect([...outB]).toEqual(expected)
                  break
                }
                case 'expire':
                  model.expire(now); a.expire(now); b.expire(now)
                  break
                case 'clear':
                  model.clear(); a.clear(); b.clear()
                  break
              }
              expect(a.size).toBe(model.size)
              expect(b.size).toBe(model.size)
              expect(a.byteLength).toBe(b.byteLength) // the tables grow alike
            }
          } finally {
            a.free()
            b.free()
          }
        },
      ),
      { numRuns },
    )
}
