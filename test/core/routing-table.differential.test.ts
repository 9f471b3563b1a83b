// Random operation sequences on both backends and on a plain reference model of Kademlia
// buckets (arrays of contacts, distances as bigints): every answer must agree at every step.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { loadCore } from '../../src/core/load-core.js'
import type { RoutingAddResult, RoutingTable } from '../../src/core/contracts.js'

type Op =
  | { kind: 'add'; id: number; peer: number; now: number | undefined }
  | { kind: 'batch'; ids: number[]; now: number | undefined }
  | { kind: 'remove'; id: number }
  | { kind: 'get'; id: number }
  | { kind: 'closest'; target: number; n: number; outLength: number | undefined }
  | { kind: 'bucket'; index: number }
  | { kind: 'touch'; index: number; now: number }
  | { kind: 'stale'; now: number; olderThan: number }
  | { kind: 'clear' }

/** What a caller's out array holds where closest() must not write: no handle in these tests. */
const UNTOUCHED = 0xffffffff

const toBig = (id: Uint8Array) => id.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n)

class ReferenceTable {
  private readonly buckets: { id: bigint; peer: number }[][]
  private readonly touched: number[]
  private now = 0
  constructor(private readonly local: bigint, private readonly bits: number, private readonly k: number) {
    this.buckets = Array.from({ length: bits }, () => [])
    this.touched = new Array<number>(bits).fill(-Infinity)
  }
  bucketOf(id: bigint): number {
    const x = id ^ this.local
    return x === 0n ? this.bits : this.bits - x.toString(2).length
  }
  private clamp(now: number) { return (this.now = Math.max(this.now, now)) }
  add(id: bigint, peer: number, now?: number): RoutingAddResult | 'self' {
    const b = this.bucketOf(id)
    if (b === this.bits) return 'self'
    if (now !== undefined) this.touched[b] = this.clamp(now)
    const bucket = this.buckets[b]!
    const at = bucket.findIndex((c) => c.id === id)
    if (at >= 0) {
      bucket.splice(at, 1)
      bucket.push({ id, peer })
      return 'updated'
    }
    if (bucket.length === this.k) return { full: true, bucket: b, leastRecent: bucket[0]!.peer }
    bucket.push({ id, peer })
    return 'added'
  }
  remove(id: bigint): number {
    const b = this.bucketOf(id)
    if (b === this.bits) return -1
    const at = this.buckets[b]!.findIndex((c) => c.id === id)
    return at < 0 ? -1 : this.buckets[b]!.splice(at, 1)[0]!.peer
  }
  get(id: bigint): number {
    const b = this.bucketOf(id)
    return b === this.bits ? -1 : (this.buckets[b]!.find((c) => c.id === id)?.peer ?? -1)
  }
  closest(target: bigint, n: number): number[] {
    return this.buckets.flat().sort((x, y) => ((x.id ^ target) < (y.id ^ target) ? -1 : 1)).slice(0, n).map((c) => c.peer)
  }
  bucketPeers(index: number) { return this.buckets[index]!.map((c) => c.peer) }
  touch(index: number, now: number) { this.touched[index] = this.clamp(now) }
  stale(now: number, olderThan: number): number[] {
    const limit = this.clamp(now) - olderThan
    return this.buckets.flatMap((bucket, i) => (bucket.length > 0 && this.touched[i]! <= limit ? [i] : []))
  }
  clear() {
    for (const bucket of this.buckets) bucket.length = 0
    this.touched.fill(-Infinity)
  }
  get size() { return this.buckets.reduce((sum, bucket) => sum + bucket.length, 0) }
}

function run(table: RoutingTable, op: Op, ids: Uint8Array[]): unknown {
  switch (op.kind) {
    case 'add':
      try {
        return table.add(ids[op.id]!, op.peer, op.now)
      } catch (error) {
        return (error as { code?: string }).code === 'CORE_SELF_ID' ? 'self' : error
      }
    case 'batch': {
      const bytes = ids[0]!.length
      const packed = new Uint8Array(op.ids.length * bytes)
      op.ids.forEach((id, i) => packed.set(ids[id]!, i * bytes))
      const out = new Uint8Array(op.ids.length)
      const added = table.addBatch(packed, Uint32Array.from(op.ids, (id) => id + 2000), op.now, out)
      return [added, Array.from(out)]
    }
    case 'remove': return table.remove(ids[op.id]!)
    case 'get': return table.get(ids[op.id]!)
    case 'closest': {
      if (op.outLength === undefined) return Array.from(table.closest(ids[op.target]!, op.n))
      // A caller's out array: the answer is its head, and the rest of it is left as it was.
      const out = new Uint32Array(op.outLength).fill(UNTOUCHED)
      const result = table.closest(ids[op.target]!, op.n, out)
      return { inOut: result.buffer === out.buffer && result.byteOffset === 0, peers: Array.from(result), rest: Array.from(out.subarray(result.length)) }
    }
    case 'bucket': return Array.from(table.bucketPeers(op.index))
    case 'touch': return table.touch(op.index, op.now)
    case 'stale': return table.staleBuckets(op.now, op.olderThan)
    case 'clear': return table.clear()
  }
}

function runReference(table: ReferenceTable, op: Op, ids: bigint[]): unknown {
  switch (op.kind) {
    case 'add': return table.add(ids[op.id]!, op.peer, op.now)
    case 'batch': {
      const codes = op.ids.map((id) => {
        const result = table.add(ids[id]!, id + 2000, op.now)
        return result === 'self' ? 3 : result === 'added' ? 0 : result === 'updated' ? 1 : 2
      })
      return [codes.filter((code) => code === 0).length, codes]
    }
    case 'remove': return table.remove(ids[op.id]!)
    case 'get': return table.get(ids[op.id]!)
    case 'closest': {
      if (op.outLength === undefined) return table.closest(ids[op.target]!, op.n)
      const peers = table.closest(ids[op.target]!, Math.min(op.n, op.outLength))
      return { inOut: true, peers, rest: new Array<number>(op.outLength - peers.length).fill(UNTOUCHED) }
    }
    case 'bucket': return table.bucketPeers(op.index)
    case 'touch': return table.touch(op.index, op.now)
    case 'stale': return table.stale(op.now, op.olderThan)
    case 'clear': return table.clear()
  }
}

/**
 * A pool of ids clustered around the local id so buckets fill, split across bands and
 * collide: each id shares a random prefix with the local id, then a few random bits.
 */
function idPool(bytes: number): fc.Arbitrary<{ local: Uint8Array; ids: Uint8Array[] }> {
  return fc.record({
    local: fc.uint8Array({ minLength: bytes, maxLength: bytes }),
    shapes: fc.array(fc.record({ prefix: fc.nat(Math.min(bytes * 8, 24)), noise: fc.uint8Array({ minLength: bytes, maxLength: bytes }) }), { minLength: 1, maxLength: 40, size: 'max' }),
  }).map(({ local, shapes }) => {
    const ids = shapes.map(({ prefix, noise }) => {
      const id = noise.slice()
      for (let bit = 0; bit < prefix; bit++) {
        const mask = 0x80 >> (bit & 7)
        id[bit >> 3] = (id[bit >> 3]! & ~mask) | (local[bit >> 3]! & mask)
      }
      return id
    })
    ids.push(local.slice()) // the local id itself is in the pool, to be refused
    return { local, ids }
  })
}

/**
 * A pool of 30 to 120 ids in one to three buckets: each id keeps the local id's first
 * `prefix` bits (one of a few lengths chosen for the pool), has the next bit flipped, so it
 * lands in bucket `prefix` exactly, and random bits after it.
 */
function crowdedPool(bytes: number): fc.Arbitrary<Pool> {
  const bits = bytes * 8
  return fc.record({
    local: fc.uint8Array({ minLength: bytes, maxLength: bytes }),
    prefixes: fc.uniqueArray(fc.nat(Math.min(bits - 8, 24)), { minLength: 1, maxLength: 3 }),
    shapes: fc.array(fc.record({ which: fc.nat(2), noise: fc.uint8Array({ minLength: bytes, maxLength: bytes }) }), { minLength: 30, maxLength: 120, size: 'max' }),
  }).map(({ local, prefixes, shapes }) => {
    const ids = shapes.map(({ which, noise }) => {
      const prefix = prefixes[which % prefixes.length]!
      const id = noise.slice()
      for (let bit = 0; bit <= prefix; bit++) {
        const mask = 0x80 >> (bit & 7)
        const want = bit < prefix ? local[bit >> 3]! & mask : ~local[bit >> 3]! & mask
        id[bit >> 3] = (id[bit >> 3]! & ~mask) | want
      }
      return id
    })
    ids.push(local.slice())
    return { local, ids }
  })
}

function ops(poolSize: number, bits: number): fc.Arbitrary<Op[]> {
  const id = fc.nat(poolSize - 1)
  const index = fc.nat(bits - 1)
  const now = fc.oneof(fc.nat(100), fc.double({ min: 0, max: 100, noNaN: true }))
  return fc.array(fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant('add' as const), id, peer: fc.nat(1000), now: fc.option(now, { nil: undefined }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), ids: fc.array(id, { maxLength: 12 }), now: fc.option(now, { nil: undefined }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), id }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('get' as const), id }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('closest' as const), target: id, n: fc.oneof(fc.nat(25), fc.constant(Infinity)), outLength: fc.option(fc.nat(poolSize + 4), { nil: undefined }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('bucket' as const), index }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('touch' as const), index, now }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('stale' as const), now, olderThan: fc.nat(50) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  ), { maxLength: 120, size: "max" })
}

type Pool = { local: Uint8Array; ids: Uint8Array[] }

/**
 * Runs the sequence on a wasm table, a twin table and the reference; every answer must agree,
 * and the two backends must report the same byteLength after every step.
 */
async function agree(pool: Pool, k: number, sequence: Op[]): Promise<void> {
  const bytes = pool.local.length
  const a = (await loadCore()).createRoutingTable({ localId: pool.local, k })
  const b = (await loadCore({ backend: 'js' })).createRoutingTable({ localId: pool.local, k })
  const reference = new ReferenceTable(toBig(pool.local), bytes * 8, k)
  const bigIds = pool.ids.map(toBig)
  try {
    for (const op of sequence) {
      const expected = runReference(reference, op, bigIds)
      expect(run(a, op, pool.ids)).toEqual(expected)
      expect(run(b, op, pool.ids)).toEqual(expected)
      expect(a.size).toBe(reference.size)
      expect(b.size).toBe(reference.size)
      expect(b.byteLength).toBe(a.byteLength)
    }
  } finally {
    a.free()
    b.free()
  }
}

describe('RoutingTable: wasm, twin and reference model agree', () => {
  for (const bytes of [2, 5, 32]) {
    it(`on ${bytes}-byte ids`, async () => {
      await fc.assert(
        fc.asyncProperty(idPool(bytes).chain((pool) => fc.tuple(fc.constant(pool), fc.integer({ min: 1, max: 4 }), ops(pool.ids.length, bytes * 8))), ([pool, k, sequence]) => agree(pool, k, sequence)),
        { numRuns: 300 },
      )
    })
  }

  // closest sorts a band (the target's bucket, all deeper buckets together, or one shallower
  // bucket) of at most 24 candidates by insertion, a longer one through a partial heap. Here
  // k is over 24 and the ids crowd into a few buckets, every one added before the random
  // operations, so bands of 25 to a hundred candidates are common.
  for (const bytes of [2, 32]) {
    it(`on ${bytes}-byte ids crowded into a few buckets, with k over 24 (bands long enough for the heap)`, async () => {
      await fc.assert(
        fc.asyncProperty(crowdedPool(bytes).chain((pool) => fc.tuple(fc.constant(pool), fc.integer({ min: 25, max: 48 }), ops(pool.ids.length, bytes * 8))), ([pool, k, sequence]) => {
          const addAll: Op = { kind: 'batch', ids: pool.ids.map((_, i) => i), now: undefined }
          return agree(pool, k, [addAll, ...sequence])
        }),
        { numRuns: 100 },
      )
    })
  }
})

describe('RoutingTable: both backends report the same byteLength', () => {
  it('after the same operations', async () => {
    const wasm = (await loadCore()).createRoutingTable({ localId: new Uint8Array(20).fill(7), k: 13 })
    const twin = (await loadCore({ backend: 'js' })).createRoutingTable({ localId: new Uint8Array(20).fill(7), k: 13 })
    expect(wasm.byteLength).toBe(twin.byteLength)
    for (let i = 0; i < 3_000; i++) {
      const id = new Uint8Array(20)
      for (let j = 0; j < 20; j++) id[j] = (Math.imul(i + 1, 2654435761) >>> (j % 24)) & 0xff
      wasm.add(id, i)
      twin.add(id, i)
      if (i % 500 === 0) {
        wasm.closest(id, Infinity)
        twin.closest(id, Infinity)
      }
    }
    expect(wasm.size).toBe(twin.size)
    expect(wasm.byteLength).toBe(twin.byteLength)
    wasm.free()
    twin.free()
  })
})
