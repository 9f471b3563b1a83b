import { describe, expect, it } from 'vitest'
import { loadCore } from '../../src/core/load-core.js'
import { wasmInstance } from '../../src/core/wasm-instance.js'
import { CoreError } from '../../src/core/errors.js'
import type { RoutingTable } from '../../src/core/contracts.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError)
    return (error as CoreError).code
  }
  return undefined
}

/** An id of `bytes` bytes equal to `base` with bit `bit` flipped and `tail` in the last byte. */
function idNear(base: Uint8Array, bit: number, tail = 0): Uint8Array {
  const id = base.slice()
  id[bit >> 3]! ^= 0x80 >> (bit & 7)
  if (tail !== 0 && (id.length - 1) * 8 > bit) id[id.length - 1] = tail
  return id
}

function xorDistance(a: Uint8Array, b: Uint8Array): bigint {
  let d = 0n
  for (let i = 0; i < a.length; i++) d = (d << 8n) | BigInt(a[i]! ^ b[i]!)
  return d
}

let seed = 0x9e3779b9
function randomId(bytes: number): Uint8Array {
  const id = new Uint8Array(bytes)
  for (let i = 0; i < bytes; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
    id[i] = seed >>> 24
  }
  return id
}

describe.each(['wasm', 'js'] as const)('RoutingTable (%s backend)', (backend) => {
  const create = async (localId: Uint8Array, k?: number): Promise<RoutingTable> =>
    (await loadCore({ backend })).createRoutingTable(k === undefined ? { localId } : { localId, k })
  const local = new Uint8Array(32)

  it('puts an id in the bucket of its common prefix length with the local id', async () => {
    const table = await create(local)
    expect(table.bucketCount).toBe(256)
    expect(table.bucketOf(idNear(local, 0))).toBe(0)
    expect(table.bucketOf(idNear(local, 9))).toBe(9)
    expect(table.bucketOf(idNear(local, 255))).toBe(255)
    expect(table.bucketOf(local)).toBe(256)
    table.free()
  })

  it('adds, updates, gets and removes contacts', async () => {
    const table = await create(local)
    const a = idNear(local, 3, 1)
    const b = idNear(local, 3, 2)
    expect(table.add(a, 10)).toBe('added')
    expect(table.add(b, 11)).toBe('added')
    expect(table.size).toBe(2)
    expect(table.add(a, 12)).toBe('updated')
    expect(table.size).toBe(2)
    expect(table.get(a)).toBe(12)
    expect(table.has(b)).toBe(true)
    expect(Array.from(table.bucketPeers(3))).toEqual([11, 12])
    expect(table.bucketIds(3)).toEqual([b, a])
    expect(table.remove(b)).toBe(11)
    expect(table.remove(b)).toBe(-1)
    expect(table.has(b)).toBe(false)
    expect(table.get(b)).toBe(-1)
    expect(table.size).toBe(1)
    table.free()
  })

  it('reports a full bucket with its least-recently-seen contact and leaves it unchanged', async () => {
    const table = await create(local, 3)
    const ids = [1, 2, 3, 4].map((tail) => idNear(local, 5, tail))
    for (let i = 0; i < 3; i++) expect(table.add(ids[i]!, i)).toBe('added')
    expect(table.add(ids[0]!, 0)).toBe('updated') // 0 becomes the most recent; 1 the least
    expect(table.add(ids[3]!, 3)).toEqual({ full: true, bucket: 5, leastRecent: 1 })
    expect(table.has(ids[3]!)).toBe(false)
    expect(Array.from(table.bucketPeers(5))).toEqual([1, 2, 0])
    // The caller evicts the stale contact and retries.
    expect(table.remove(ids[1]!)).toBe(1)
    expect(table.add(ids[3]!, 3)).toBe('added')
    expect(Array.from(table.bucketPeers(5))).toEqual([2, 0, 3])
    table.free()
  })

  it('adds a batch of contacts, reporting each result and skipping the local id', async () => {
    const table = await create(local, 2)
    const ids = [idNear(local, 4, 1), idNear(local, 4, 2), idNear(local, 4, 3), local, idNear(local, 4, 1), idNear(local, 9)]
    const packed = new Uint8Array(ids.length * 32)
    ids.forEach((id, i) => packed.set(id, i * 32))
    const out = new Uint8Array(ids.length)
    expect(table.addBatch(packed, Uint32Array.of(1, 2, 3, 4, 5, 6), 10, out)).toBe(3)
    expect(Array.from(out)).toEqual([0, 0, 2, 3, 1, 0])
    expect(Array.from(table.bucketPeers(4))).toEqual([2, 5])
    expect(table.get(idNear(local, 9))).toBe(6)
    expect(table.staleBuckets(10, 0)).toEqual([4, 9])
    expect(table.addBatch(new Uint8Array(0), new Uint32Array(0))).toBe(0)
    expect(codeOf(() => table.addBatch(new Uint8Array(33), new Uint32Array(2)))).toBe('CORE_ID_LENGTH')
    expect(codeOf(() => table.addBatch(packed, new Uint32Array(2)))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => table.addBatch(packed, new Uint32Array(6), 0, new Uint8Array(1)))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => table.addBatch(packed, new Uint32Array(6), -1))).toBe('CORE_INVALID_ARGUMENT')
    // Without an out array the batch is added all the same.
    const quiet = await create(local, 2)
    expect(quiet.addBatch(packed, Uint32Array.of(1, 2, 3, 4, 5, 6), 10)).toBe(3)
    expect(Array.from(quiet.bucketPeers(4))).toEqual([2, 5])
    expect(quiet.staleBuckets(10, 0)).toEqual([4, 9])
    table.free()
    quiet.free()
  })

  it('adds batches larger than the scratch region, on ids of any width', async () => {
    for (const bytes of [32, 20, 3]) {
      const localId = randomId(bytes)
      const table = await create(localId, 256)
      const count = 5_000
      const ids = new Uint8Array(count * bytes)
      for (let i = 0; i < count; i++) ids.set(randomId(bytes), i * bytes)
      const peers = Uint32Array.from({ length: count }, (_, i) => i)
      const out = new Uint8Array(count)
      const added = table.addBatch(ids, peers, undefined, out)
      expect(added).toBe(table.size)
      // The same ids one by one on a fresh table give the same results.
      const single = await create(localId, 256)
      for (let i = 0; i < count; i++) {
        const result = single.add(ids.subarray(i * bytes, (i + 1) * bytes), i)
        const code = result === 'added' ? 0 : result === 'updated' ? 1 : 2
        expect(out[i]).toBe(code)
      }
      expect(Array.from(table.closest(localId, 50))).toEqual(Array.from(single.closest(localId, 50)))
      table.free()
      single.free()
    }
  })

  it('tells apart ids that share their first 8 bytes, in lookups and in closest', async () => {
    const table = await create(local, 40)
    const ids: Uint8Array[] = []
    for (let i = 0; i < 30; i++) {
      const id = idNear(local, 2)
      id[8 + (i % 24)] = 1 + i
      ids.push(id)
      expect(table.add(id, i)).toBe('added')
    }
    ids.forEach((id, i) => expect(table.get(id)).toBe(i))
    const target = ids[17]!.slice()
    target[31] ^= 0x55
    const expected = ids
      .map((id, peer) => ({ id, peer }))
      .sort((x, y) => (xorDistance(x.id, target) < xorDistance(y.id, target) ? -1 : 1))
      .map(({ peer }) => peer)
    expect(Array.from(table.closest(target, 30))).toEqual(expected)
    expect(Array.from(table.closest(target, 5))).toEqual(expected.slice(0, 5))
    expect(table.remove(ids[3]!)).toBe(3)
    expect(table.get(ids[3]!)).toBe(-1)
    expect(table.get(ids[4]!)).toBe(4)
    table.free()
  })

  it('answers closest in exact XOR order across every band', async () => {
    const localId = randomId(32)
    const table = await create(localId, 4)
    const ids: Uint8Array[] = []
    for (let bit = 0; bit < 40; bit++) {
      for (let tail = 1; tail <= 6; tail++) {
        const id = idNear(localId, bit, tail * 37)
        if (table.add(id, ids.length) === 'added') ids.push(id)
        else ids.push(new Uint8Array(0)) // keep handles aligned with the array index
      }
    }
    for (let round = 0; round < 50; round++) {
      const target = round % 5 === 0 ? localId : idNear(localId, round % 45, round)
      const expected = ids
        .map((id, peer) => ({ id, peer }))
        .filter(({ id }) => id.length === 32)
        .sort((x, y) => (xorDistance(x.id, target) < xorDistance(y.id, target) ? -1 : 1))
        .map(({ peer }) => peer)
      for (const n of [1, 5, 20, 1000]) {
        expect(Array.from(table.closest(target, n))).toEqual(expected.slice(0, n))
      }
    }
    table.free()
  })

  it('writes closest into a caller array and caps n at its length and the table size', async () => {
    const table = await create(local)
    for (let i = 1; i <= 5; i++) table.add(idNear(local, i), i)
    const out = new Uint32Array(3)
    const result = table.closest(local, 10, out)
    expect(result.buffer).toBe(out.buffer)
    expect(Array.from(result)).toEqual([5, 4, 3])
    expect(table.closest(local, Infinity).length).toBe(5)
    expect(table.closest(local, 0).length).toBe(0)
    table.free()
  })

  it('returns more closest results than the scratch region holds', async () => {
    const localId = randomId(16)
    const table = await create(localId, 256)
    // 256 contacts in each of the first 67 buckets: 17,152.
    let added = 0
    for (let bit = 0; bit < 67; bit++) {
      for (let i = 0; i < 256; i++) {
        const id = randomId(16)
        id.set(localId.subarray(0, 9))
        id[8] = (id[8]! & 0xf0) | (i >> 4)
        id[9] = (id[9]! & 0xf0) | (i & 15)
        const near = idNear(id, bit)
        for (let b = 0; b < bit; b++) near[b >> 3] = (near[b >> 3]! & ~(0x80 >> (b & 7))) | (localId[b >> 3]! & (0x80 >> (b & 7)))
        if (table.add(near, added) === 'added') added++
      }
    }
    expect(added).toBe(67 * 256)
    // byteLength counts a buffer for answers over 16,384 handles, of the largest answer so far.
    const grownBy = (n: number): number => {
      const before = table.byteLength
      expect(table.closest(localId, n).length).toBe(n)
      return table.byteLength - before
    }
    grownBy(16_384) // the candidate buffer grows here; no result buffer yet
    expect(grownBy(16_384)).toBe(0)
    expect(grownBy(16_385)).toBe(16_385 * 4)
    expect(grownBy(16_400)).toBe(15 * 4)
    expect(grownBy(16_385)).toBe(0)
    const all = table.closest(localId, Infinity)
    expect(all.length).toBe(added)
    expect(new Set(all).size).toBe(added)
    table.free()
  })

  it('handles ids whose length is not a multiple of 8 bytes', async () => {
    for (const bytes of [1, 3, 20, 31]) {
      const localId = randomId(bytes)
      const table = await create(localId)
      expect(table.bucketCount).toBe(bytes * 8)
      const last = idNear(localId, bytes * 8 - 1)
      expect(table.add(last, 1)).toBe('added')
      expect(table.bucketOf(last)).toBe(bytes * 8 - 1)
      expect(table.bucketIds(bytes * 8 - 1)).toEqual([last])
      expect(Array.from(table.closest(localId, 3))).toEqual([1])
      table.free()
    }
  })

  it('lists non-empty buckets not touched for a while', async () => {
    const table = await create(local)
    table.add(idNear(local, 1), 1, 1_000)
    table.add(idNear(local, 2), 2, 2_000)
    table.add(idNear(local, 3), 3) // never touched
    expect(table.staleBuckets(2_500, 1_000)).toEqual([1, 3])
    expect(table.staleBuckets(3_000, 1_000)).toEqual([1, 2, 3])
    table.touch(1, 3_000)
    expect(table.staleBuckets(3_000, 1_000)).toEqual([2, 3])
    // The clock never runs backwards: touching at an earlier time counts as the latest time.
    table.touch(3, 100)
    expect(table.staleBuckets(3_000, 50)).toEqual([2])
    table.touch(7, 3_000) // empty buckets are never stale
    expect(table.staleBuckets(10_000, 0)).toEqual([1, 2, 3])
    table.free()
  })

  it('clears every contact and touch time', async () => {
    const table = await create(local)
    for (let i = 0; i < 30; i++) table.add(idNear(local, i), i, 5)
    table.clear()
    expect(table.size).toBe(0)
    expect(table.closest(local, 5).length).toBe(0)
    expect(table.staleBuckets(5, 0)).toEqual([])
    expect(table.add(idNear(local, 0), 0)).toBe('added')
    table.free()
  })

  it('copies the local id so later changes to the caller array do not matter', async () => {
    const localId = randomId(32)
    const table = await create(localId)
    const original = localId.slice()
    localId[0]! ^= 0xff
    expect(table.localId).toEqual(original)
    expect(() => table.add(original, 1)).toThrow(CoreError)
    expect(table.add(localId, 1)).toBe('added')
  })

  it('refuses bad options with CORE_INVALID_OPTION', async () => {
    const core = await loadCore({ backend })
    const bad = [
      undefined, null, {}, { localId: new Uint8Array(0) }, { localId: new Uint8Array(33) }, { localId: [1, 2] },
      { localId: local, k: 0 }, { localId: local, k: -1 }, { localId: local, k: 257 }, { localId: local, k: 2.5 },
      { localId: local, k: Number.NaN },
    ]
    for (const options of bad) expect(codeOf(() => core.createRoutingTable(options as never))).toBe('CORE_INVALID_OPTION')
  })

  it('refuses bad arguments with typed errors', async () => {
    const table = await create(local)
    expect(codeOf(() => table.add(new Uint8Array(20), 1))).toBe('CORE_ID_LENGTH')
    expect(codeOf(() => table.get(new Uint8Array(33)))).toBe('CORE_ID_LENGTH')
    expect(codeOf(() => table.closest(new Uint8Array(31), 3))).toBe('CORE_ID_LENGTH')
    expect(codeOf(() => table.add('ab' as never, 1))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => table.add(local, 1))).toBe('CORE_SELF_ID')
    for (const peer of [-1, 2 ** 32, 1.5, Number.NaN, '1']) {
      expect(codeOf(() => table.add(idNear(local, 1), peer as never))).toBe('CORE_INVALID_ARGUMENT')
    }
    for (const now of [-1, Number.NaN, Infinity]) {
      expect(codeOf(() => table.add(idNear(local, 1), 1, now))).toBe('CORE_INVALID_ARGUMENT')
      expect(codeOf(() => table.touch(1, now))).toBe('CORE_INVALID_ARGUMENT')
      expect(codeOf(() => table.staleBuckets(now, 0))).toBe('CORE_INVALID_ARGUMENT')
    }
    for (const n of [-1, 1.5, Number.NaN]) expect(codeOf(() => table.closest(local, n))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => table.closest(local, 1, [] as never))).toBe('CORE_INVALID_ARGUMENT')
    for (const index of [-1, 256, 0.5]) {
      expect(codeOf(() => table.bucketPeers(index))).toBe('CORE_INVALID_ARGUMENT')
      expect(codeOf(() => table.touch(index, 0))).toBe('CORE_INVALID_ARGUMENT')
    }
    // Nothing was added by the refused calls; the local id is simply absent.
    expect(table.size).toBe(0)
    expect(table.remove(local)).toBe(-1)
    expect(table.has(local)).toBe(false)
    table.free()
  })

  it('names the refused argument in its error message', async () => {
    const table = await create(local)
    const short = new Uint8Array(20)
    const id = idNear(local, 1)
    const refusals: [() => unknown, RegExp][] = [
      [() => table.add(short, 1), /^id must be 32 bytes/],
      [() => table.remove(short), /^id must be 32 bytes/],
      [() => table.get(short), /^id must be 32 bytes/],
      [() => table.has(short), /^id must be 32 bytes/],
      [() => table.bucketOf(short), /^id must be 32 bytes/],
      [() => table.closest(short, 1), /^target must be 32 bytes/],
      [() => table.add(id, 1, -1), /^nowMs must be/],
      [() => table.addBatch(id, Uint32Array.of(1), -1), /^nowMs must be/],
      [() => table.touch(1, -1), /^nowMs must be/],
      [() => table.staleBuckets(-1, 0), /^nowMs must be/],
      [() => table.staleBuckets(0, -1), /^olderThanMs must be/],
    ]
    for (const [refused, message] of refusals) expect(refused).toThrow(message)
    expect(table.size).toBe(0)
    table.free()
  })

  it('counts closest()\'s candidate buffer in byteLength: 64 slots of 16 bytes, doubled until a band fits', async () => {
    const table = await create(local, 64)
    const near = idNear(local, 0, 1)
    table.add(near, 0)
    // 65 contacts deeper than near's bucket: bucket 5 full, one in bucket 6.
    for (let tail = 1; tail <= 64; tail++) table.add(idNear(local, 5, tail), tail)
    table.add(idNear(local, 6, 1), 65)
    const grownBy = (n: number): number => {
      const before = table.byteLength
      table.closest(near, n)
      return table.byteLength - before
    }
    expect(grownBy(0)).toBe(0) // nothing asked, nothing gathered
    // near's own bucket answers n = 1, so the deeper band is never gathered: a band of k = 64.
    expect(grownBy(1)).toBe(64 * 16)
    // n = 2 gathers the 65 deeper contacts as one band.
    expect(grownBy(2)).toBe((128 - 64) * 16)
    expect(grownBy(66)).toBe(0)
    for (let tail = 1; tail <= 64; tail++) table.add(idNear(local, 7, tail), 100 + tail)
    const before = table.byteLength
    expect(table.closest(near, Infinity).length).toBe(130)
    expect(table.byteLength - before).toBe((256 - 128) * 16)
    table.free()
  })

  it('throws CORE_FREED after free(), and free() twice is harmless', async () => {
    const table = await create(local)
    table.free()
    table.free()
    expect(codeOf(() => table.size)).toBe('CORE_FREED')
    expect(codeOf(() => table.add(idNear(local, 1), 1))).toBe('CORE_FREED')
    expect(codeOf(() => table.closest(local, 1))).toBe('CORE_FREED')
  })

  it('reports bytes per contact that grow with the buckets in use', async () => {
    const table = await create(randomId(32))
    const empty = table.byteLength
    for (let i = 0; i < 100_000; i++) table.add(randomId(32), i)
    expect(table.size).toBeGreaterThan(200)
    expect(table.size).toBeLessThan(400)
    const perContact = (table.byteLength - empty) / table.size
    expect(perContact).toBeGreaterThan(36)
    expect(perContact).toBeLessThan(80)
    table.free()
  })
})

describe('RoutingTable memory (wasm backend)', () => {
  it('reuses memory across create/free cycles', async () => {
    const core = await loadCore()
    const instance = await wasmInstance()
    const cycle = () => {
      const table = core.createRoutingTable({ localId: randomId(32) })
      for (let i = 0; i < 2_000; i++) table.add(randomId(32), i)
      table.closest(randomId(32), 20)
      table.free()
    }
    for (let i = 0; i < 5; i++) cycle()
    const before = instance.memoryBytes
    for (let i = 0; i < 200; i++) cycle()
    expect(instance.memoryBytes).toBe(before)
  })
})
