import { describe, expect, it } from 'vitest'
import { loadCore } from '../../src/core/load-core.js'
import { WasmInstance, wasmInstance } from '../../src/core/wasm-instance.js'
import { CoreError } from '../../src/core/errors.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError)
    return (error as CoreError).code
  }
  return undefined
}

describe.each(['wasm', 'js'] as const)('DedupSet (%s backend)', (backend) => {
  const create = async (capacity: number, ttlMs: number) => (await loadCore({ backend })).createDedupSet({ capacity, ttlMs })

  it('answers true for a new key and false for a repeated one', async () => {
    const set = await create(16, 1_000)
    expect(set.add(42n, 0)).toBe(true)
    expect(set.add(42n, 1)).toBe(false)
    expect(set.has(42n, 2)).toBe(true)
    expect(set.has(43n, 2)).toBe(false)
    expect(set.size).toBe(1)
  })

  it('holds the full u64 range, zero and 2**64 - 1 included', async () => {
    const set = await create(16, 1_000)
    for (const key of [0n, 1n, 2n ** 63n, 2n ** 64n - 1n]) expect(set.add(key, 0)).toBe(true)
    for (const key of [0n, 1n, 2n ** 63n, 2n ** 64n - 1n]) expect(set.has(key, 0)).toBe(true)
    expect(set.size).toBe(4)
  })

  it('forgets a key exactly ttlMs after it was added', async () => {
    const set = await create(16, 100)
    set.add(7n, 1_000)
    expect(set.has(7n, 1_099)).toBe(true)
    expect(set.has(7n, 1_100)).toBe(false)
    expect(set.size).toBe(0)
    expect(set.add(7n, 1_100)).toBe(true)
  })

  it('expires keys one by one in insertion order', async () => {
    const set = await create(16, 100)
    for (let i = 0; i < 10; i++) set.add(BigInt(i), i * 10)
    set.expire(150)
    // Keys added at 0..50 have expired (150 - t >= 100), those at 60..90 remain.
    expect(set.size).toBe(4)
    expect(set.has(5n, 150)).toBe(false)
    expect(set.has(6n, 150)).toBe(true)
  })

  it('evicts the oldest key first when full', async () => {
    const set = await create(4, 1_000_000)
    for (let i = 0; i < 6; i++) set.add(BigInt(i), i)
    expect(set.size).toBe(4)
    expect(set.has(0n, 6)).toBe(false)
    expect(set.has(1n, 6)).toBe(false)
    for (let i = 2; i < 6; i++) expect(set.has(BigInt(i), 6)).toBe(true)
  })

  it('keeps exact expiry across gaps longer than 65,535 ms between adds', async () => {
    const set = await create(64, 300_000)
    set.add(1n, 0)
    set.add(2n, 70_000)
    set.add(3n, 70_001)
    set.add(4n, 200_000)
    expect(set.has(1n, 299_999)).toBe(true)
    expect(set.has(1n, 300_000)).toBe(false)
    expect(set.has(2n, 369_999)).toBe(true)
    expect(set.has(2n, 370_000)).toBe(false)
    expect(set.has(3n, 370_000)).toBe(true)
    expect(set.has(4n, 499_999)).toBe(true)
    expect(set.has(4n, 500_000)).toBe(false)
  })

  it('keeps exact expiry for a gap of exactly 65,535 ms, the first one a 16-bit delta cannot hold', async () => {
    const ttlMs = 1_000_000
    const set = await create(16, ttlMs)
    // A longer gap follows the 65,535 ms one: its value queues behind it.
    const times = [0, 65_535, 135_535, 135_536]
    for (const [i, time] of times.entries()) expect(set.add(BigInt(i + 1), time)).toBe(true)
    for (const [i, time] of times.entries()) {
      expect(set.has(BigInt(i + 1), time + ttlMs - 1)).toBe(true)
      expect(set.has(BigInt(i + 1), time + ttlMs)).toBe(false)
    }
    expect(set.size).toBe(0)
  })

  it('keeps every key\'s time when the tables grow while the list of long gaps has wrapped', async () => {
    // ttlMs 300,000 holds at most 5 gaps over 65,535 ms. Seven keys 70-75 s apart expire one
    // by one, so that list's start moves on (to its third value) and its newest value wraps
    // round to its front; then 251 keys 1 ms apart fill the first tables (256 keys) and one
    // more grows them.
    const ttlMs = 300_000
    const set = await create(1_000, ttlMs)
    const times: number[] = []
    let now = 0
    for (let i = 0; i < 7; i++) {
      now += i === 0 ? 0 : 69_000 + i * 1_000
      times.push(now)
      expect(set.add(BigInt(i + 1), now)).toBe(true)
    }
    expect(set.size).toBe(5)
    for (let i = 7; i < 259; i++) {
      now += 1
      times.push(now)
      expect(set.add(BigInt(i + 1), now)).toBe(true)
    }
    expect(set.size).toBe(257)
    // Each key leaves exactly ttlMs after it came, in order.
    for (const i of [2, 3, 4, 5, 6, 7, 257, 258]) {
      expect(set.has(BigInt(i + 1), times[i]! + ttlMs - 1)).toBe(true)
      expect(set.has(BigInt(i + 1), times[i]! + ttlMs)).toBe(false)
    }
    expect(set.size).toBe(0)
  })

  it('never runs its clock backwards: an earlier time counts as the latest seen', async () => {
    const set = await create(8, 100)
    set.add(1n, 1_000)
    set.expire(1_200)
    expect(set.add(1n, 1_050)).toBe(true)
    // Added at the clamped time 1,200, so alive until 1,299.
    expect(set.has(1n, 1_299)).toBe(true)
    expect(set.has(1n, 1_300)).toBe(false)
  })

  it('truncates fractional times to whole milliseconds', async () => {
    const set = await create(8, 10)
    set.add(1n, 5.9)
    expect(set.has(1n, 14.99)).toBe(true)
    expect(set.has(1n, 15)).toBe(false)
  })

  it('addBatch equals repeated add, duplicates inside the batch included', async () => {
    const set = await create(32, 1_000)
    set.add(3n, 0)
    const keys = new BigUint64Array([1n, 2n, 3n, 1n, 4n])
    const out = new Uint8Array(5)
    expect(set.addBatch(keys, 1, out)).toBe(3)
    expect([...out]).toEqual([1, 1, 0, 0, 1])
    expect(set.size).toBe(4)
  })

  it('addBatch crosses the scratch region in chunks for large batches', async () => {
    const set = await create(50_000, 1_000)
    const keys = new BigUint64Array(20_000)
    for (let i = 0; i < keys.length; i++) keys[i] = BigInt(i % 15_000) * 0x9e3779b97f4a7c15n % 2n ** 64n
    const out = new Uint8Array(keys.length)
    expect(set.addBatch(keys, 0, out)).toBe(15_000)
    expect(out.subarray(0, 15_000).every((flag) => flag === 1)).toBe(true)
    expect(out.subarray(15_000).every((flag) => flag === 0)).toBe(true)
  })

  it('stays exact through many wraps of a small ring', async () => {
    const set = await create(5, 1_000_000)
    for (let i = 0; i < 1_000; i++) {
      expect(set.add(BigInt(i + 5), i)).toBe(true)
      expect(set.has(BigInt(i), i)).toBe(false)
      expect(set.has(BigInt(i + 1), i)).toBe(i >= 4)
    }
  })

  it('reuses the room of a fully expired set', async () => {
    const set = await create(1_000, 10)
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 1_000; i++) expect(set.add(BigInt(i), round * 100)).toBe(true)
      expect(set.size).toBe(1_000)
    }
  })

  it('clear() empties the set', async () => {
    const set = await create(8, 1_000)
    set.add(1n, 0)
    set.clear()
    expect(set.size).toBe(0)
    expect(set.add(1n, 0)).toBe(true)
  })

  it('holds a million keys in at most 16 bytes a key; an idle set holds a few KB whatever its capacity', async () => {
    const set = await create(1_000_000, 120_000)
    expect(set.byteLength).toBeLessThan(5_000)
    const keys = new BigUint64Array(1_000_000)
    for (let i = 0; i < keys.length; i++) keys[i] = BigInt(i) * 0x9e3779b97f4a7c15n & 0xffff_ffff_ffff_ffffn
    expect(set.addBatch(keys, 0)).toBe(1_000_000)
    expect(set.byteLength / 1_000_000).toBeLessThanOrEqual(16)
  })

  it('grows its tables as keys arrive, keeping every key, its time and its order across each growth', async () => {
    // Gaps of 70 s (over the 16-bit delta) for the first keys put values in the overflow FIFO too.
    const ttlMs = 10 * 86_400_000
    const set = await create(2_000, ttlMs)
    const times: number[] = []
    let now = 0
    const sizes = new Set<number>()
    for (let i = 0; i < 1_800; i++) {
      now += i < 20 ? 70_000 : 3
      times.push(now)
      expect(set.add(BigInt(i + 1) * 1_000_003n, now)).toBe(true)
      sizes.add(set.byteLength)
    }
    expect(sizes.size).toBe(4) // 256, 512, 1,024, 2,000 keys
    for (let i = 0; i < 1_800; i++) expect(set.has(BigInt(i + 1) * 1_000_003n, now)).toBe(true)
    // Expiry walks the keys in insertion order with their own times: the growths kept both.
    for (const k of [0, 5, 19, 20, 900, 1_799]) {
      expect(set.has(BigInt(k + 1) * 1_000_003n, times[k]! + ttlMs - 1)).toBe(true)
      expect(set.has(BigInt(k + 1) * 1_000_003n, times[k]! + ttlMs)).toBe(false)
      expect(set.size).toBe(1_800 - k - 1)
    }
    // Full at its capacity, it evicts the oldest instead of growing.
    const full = await create(300, 1_000)
    for (let i = 0; i < 400; i++) full.add(BigInt(i), 0)
    expect(full.size).toBe(300)
    expect(full.has(99n, 0)).toBe(false)
    expect(full.has(100n, 0)).toBe(true)
  })

  it('refuses bad options with CORE_INVALID_OPTION', async () => {
    const core = await loadCore({ backend })
    for (const options of [{ capacity: 0, ttlMs: 1 }, { capacity: -3, ttlMs: 1 }, { capacity: 1.5, ttlMs: 1 },
      { capacity: 2 ** 24, ttlMs: 1 }, { capacity: 1, ttlMs: 0 }, { capacity: 1, ttlMs: NaN }, { capacity: 1, ttlMs: 2 ** 31 }]) {
      expect(codeOf(() => core.createDedupSet(options))).toBe('CORE_INVALID_OPTION')
    }
    expect(codeOf(() => core.createDedupSet(null as never))).toBe('CORE_INVALID_OPTION')
    expect(() => core.createDedupSet({ capacity: -3, ttlMs: 1 })).toThrow('capacity must be an integer from 1 to 16777215, got -3')
  })

  it('refuses bad keys and times with CORE_INVALID_ARGUMENT', async () => {
    const set = await create(8, 100)
    expect(codeOf(() => set.add(-1n, 0))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => set.add(2n ** 64n, 0))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => set.add(1 as never, 0))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => set.add(1n, NaN))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => set.add(1n, -1))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => set.has(1n, Infinity))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => set.addBatch([1n] as never, 0))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => set.addBatch(new BigUint64Array(4), 0, new Uint8Array(3)))).toBe('CORE_INVALID_ARGUMENT')
    expect(set.size).toBe(0)
  })

  it('throws CORE_FREED after free(), and free() twice is harmless', async () => {
    const set = await create(8, 100)
    set.free()
    set.free()
    expect(codeOf(() => set.add(1n, 0))).toBe('CORE_FREED')
    expect(codeOf(() => set.size)).toBe('CORE_FREED')
    expect(codeOf(() => set.clear())).toBe('CORE_FREED')
  })
})

describe('DedupSet memory (wasm backend)', () => {
  it('creating and freeing sets in a loop does not grow linear memory', async () => {
    const core = await loadCore()
    const instance: WasmInstance = await wasmInstance()
    const round = () => {
      for (let i = 0; i < 200; i++) core.createDedupSet({ capacity: 10_000, ttlMs: 1_000 }).free()
    }
    round()
    const before = instance.memoryBytes
    for (let i = 0; i < 20; i++) round()
    expect(instance.memoryBytes).toBe(before)
  })
})

describe('DedupSet garbage collection (wasm backend)', () => {
  it('a set dropped without free() gives its memory back once collected', async () => {
    const { setFlagsFromString } = await import('node:v8')
    const { runInNewContext } = await import('node:vm')
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const core = await loadCore()
    const instance = await wasmInstance()
    const churn = async () => {
      for (let i = 0; i < 50; i++) core.createDedupSet({ capacity: 100_000, ttlMs: 1_000 })
      gc()
      await new Promise((resolve) => setTimeout(resolve, 0))
      gc()
    }
    // 50 sets of ~1.5 MB each; without finalization every round would add ~75 MB.
    await churn()
    await churn()
    const before = instance.memoryBytes
    for (let i = 0; i < 5; i++) await churn()
    expect(instance.memoryBytes - before).toBeLessThan(80 * 1024 * 1024)
  })
})
