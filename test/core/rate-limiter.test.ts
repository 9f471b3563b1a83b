import { describe, expect, it } from 'vitest'
import { loadCore } from '../../src/core/load-core.js'
import { wasmInstance } from '../../src/core/wasm-instance.js'
import { CoreError } from '../../src/core/errors.js'
import type { RateLimiterOptions } from '../../src/core/contracts.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError)
    return (error as CoreError).code
  }
  return undefined
}

describe.each(['wasm', 'js'] as const)('RateLimiter (%s backend)', (backend) => {
  const create = async (options: RateLimiterOptions) => (await loadCore({ backend })).createRateLimiter(options)

  it('has the documented defaults', async () => {
    const limiter = await create({ ratePerSec: 100, burst: 100 })
    expect([limiter.ratePerSec, limiter.burst, limiter.peers]).toEqual([100, 100, 1_024])
    // 16 buckets at first; the table grows with the handles used.
    expect(limiter.byteLength).toBe(128 + 16 * 16)
  })

  it('holds buckets only up to the highest peer taken from, doubling, never past peers', async () => {
    const limiter = await create({ ratePerSec: 10, burst: 3, peers: 100 })
    expect(limiter.byteLength).toBe(128 + 16 * 16)
    // Reading and forgetting a peer beyond the table grows nothing: its bucket is full.
    expect(limiter.tokens(99, 0)).toBe(3)
    limiter.forget(70)
    expect(limiter.byteLength).toBe(128 + 16 * 16)
    expect(limiter.tryTake(16, 0)).toBe(true)
    expect(limiter.byteLength).toBe(128 + 16 * 32)
    expect(limiter.tryTakeBatch(Uint32Array.of(3, 40), 0)).toBe(2)
    expect(limiter.byteLength).toBe(128 + 16 * 64)
    expect(limiter.tryTake(99, 0)).toBe(true)
    expect(limiter.byteLength).toBe(128 + 16 * 100)
    // Growing kept every bucket: what was spent stays spent, the new ones are full.
    expect([limiter.tokens(16, 0), limiter.tokens(3, 0), limiter.tokens(40, 0), limiter.tokens(99, 0), limiter.tokens(98, 0)]).toEqual([2, 2, 2, 2, 3])
    limiter.free()
    expect(limiter.byteLength).toBe(0)
  })

  it('keeps a table of fewer than 16 peers at its size', async () => {
    const limiter = await create({ ratePerSec: 10, burst: 3, peers: 5 })
    expect(limiter.byteLength).toBe(128 + 16 * 5)
    expect(limiter.tryTake(4, 0)).toBe(true)
    expect(limiter.byteLength).toBe(128 + 16 * 5)
  })

  it('grows once for a batch, to its highest handle, and not at all for a refused one', async () => {
    const limiter = await create({ ratePerSec: 10, burst: 1, peers: 1_000 })
    expect(codeOf(() => limiter.tryTakeBatch(Uint32Array.of(500, 1_000), 0))).toBe('CORE_INVALID_ARGUMENT')
    expect(limiter.byteLength).toBe(128 + 16 * 16)
    expect(limiter.tryTakeBatch(Uint32Array.of(700, 2, 700), 0)).toBe(2)
    expect(limiter.byteLength).toBe(128 + 16 * 1_000)
    expect(limiter.tokens(700, 0)).toBe(0)
  })

  it('gives a fresh peer a full bucket, then refuses once it is spent', async () => {
    const limiter = await create({ ratePerSec: 10, burst: 3 })
    expect(limiter.tokens(5, 0)).toBe(3)
    expect([limiter.tryTake(5, 0), limiter.tryTake(5, 0), limiter.tryTake(5, 0), limiter.tryTake(5, 0)]).toEqual([true, true, true, false])
    expect(limiter.tokens(5, 0)).toBe(0)
  })

  it('refills at ratePerSec up to burst, exactly', async () => {
    const limiter = await create({ ratePerSec: 10, burst: 3 })
    for (let i = 0; i < 3; i++) limiter.tryTake(0, 0)
    expect(limiter.tokens(0, 100)).toBe(1)
    expect(limiter.tokens(0, 250)).toBe(2.5)
    expect(limiter.tokens(0, 60_000)).toBe(3)
  })

  it('a refused take takes nothing', async () => {
    const limiter = await create({ ratePerSec: 10, burst: 3 })
    expect(limiter.tryTake(0, 0, 2.5)).toBe(true)
    expect(limiter.tryTake(0, 10, 1)).toBe(false)
    expect(limiter.tokens(0, 10)).toBeCloseTo(0.6, 12)
    expect(limiter.tryTake(0, 50, 1)).toBe(true)
  })

  it('allows a sustained rate of ratePerSec after the burst', async () => {
    const limiter = await create({ ratePerSec: 100, burst: 5 })
    let taken = 0
    for (let t = 0; t < 10_000; t++) if (limiter.tryTake(1, t)) taken++
    // 5 from the burst, then one per 10 ms for the 9,999 ms that follow.
    expect(taken).toBe(5 + 999)
  })

  it('takes fractional costs; cost 0 always succeeds; a cost above burst never does', async () => {
    const limiter = await create({ ratePerSec: 1, burst: 2 })
    expect(limiter.tryTake(0, 0, 2.5)).toBe(false)
    expect(limiter.tokens(0, 0)).toBe(2)
    expect(limiter.tryTake(0, 0, 0.5)).toBe(true)
    expect(limiter.tryTake(0, 0, 1.5)).toBe(true)
    expect(limiter.tryTake(0, 0, 0.5)).toBe(false)
    expect(limiter.tryTake(0, 0, 0)).toBe(true)
    expect(limiter.tryTake(1, 0, 2)).toBe(true)
    expect(limiter.tryTake(2, 1e12, 2.0000001)).toBe(false)
  })

  it('keeps peers apart, and forget() gives a peer a full bucket again', async () => {
    const limiter = await create({ ratePerSec: 1, burst: 2, peers: 3 })
    limiter.tryTake(0, 0, 2)
    expect([limiter.tokens(0, 0), limiter.tokens(1, 0), limiter.tokens(2, 0)]).toEqual([0, 2, 2])
    limiter.forget(0)
    expect(limiter.tokens(0, 0)).toBe(2)
    expect(limiter.tryTake(0, 0, 2)).toBe(true)
  })

  it('has one clock for all peers that never runs backwards', async () => {
    const limiter = await create({ ratePerSec: 1, burst: 1 })
    expect(limiter.tryTake(1, 1_000)).toBe(true)
    expect(limiter.tryTake(2, 2_000)).toBe(true)
    // 1,500 counts as 2,000: peer 1 has had a full second to refill.
    expect(limiter.tokens(1, 1_500)).toBe(1)
    // Peer 2 cannot refill by going back in time either.
    expect(limiter.tryTake(2, 0)).toBe(false)
    expect(limiter.tokens(2, 2_500)).toBe(0.5)
  })

  it('handles the extremes of rate and burst', async () => {
    const limiter = await create({ ratePerSec: 1e9, burst: 1e9, peers: 1 })
    expect(limiter.tryTake(0, 0, 1e9)).toBe(true)
    expect(limiter.tokens(0, 0.5)).toBe(5e5)
    expect(limiter.tokens(0, 1e300)).toBe(1e9)
    const slow = await create({ ratePerSec: 1e-9, burst: 1, peers: 1 })
    expect(slow.tryTake(0, 0)).toBe(true)
    expect(slow.tryTake(0, 1e12)).toBe(true)
  })

  it('tryTakeBatch equals repeated tryTake, repeats included', async () => {
    const limiter = await create({ ratePerSec: 10, burst: 2, peers: 8 })
    const single = await create({ ratePerSec: 10, burst: 2, peers: 8 })
    limiter.tryTake(3, 0)
    single.tryTake(3, 0)
    const handles = new Uint32Array([1, 3, 1, 3, 1, 7, 0])
    const out = new Uint8Array(handles.length)
    expect(limiter.tryTakeBatch(handles, 0, out)).toBe(5)
    expect(Array.from(out)).toEqual([1, 1, 1, 0, 0, 1, 1])
    expect(Array.from(handles, (peer) => Number(single.tryTake(peer, 0)))).toEqual([1, 1, 1, 0, 0, 1, 1])
    expect(limiter.tryTakeBatch(new Uint32Array([7, 7]), 100, undefined, 1.5)).toBe(1)
    expect([single.tryTake(7, 100, 1.5), single.tryTake(7, 100, 1.5)]).toEqual([true, false])
    const tokens = (of: typeof limiter) => Array.from({ length: 8 }, (_, p) => of.tokens(p, 100))
    expect(tokens(limiter)).toEqual([2, 1, 2, 1, 2, 2, 2, 0.5])
    expect(tokens(single)).toEqual(tokens(limiter))
  })

  it('tryTakeBatch crosses the scratch region in chunks for large batches', async () => {
    const limiter = await create({ ratePerSec: 1, burst: 30, peers: 1_000 })
    const handles = new Uint32Array(40_000).map((_, i) => i % 1_000)
    const out = new Uint8Array(handles.length)
    // Every peer appears 40 times and can pay for the first 30.
    expect(limiter.tryTakeBatch(handles, 0, out)).toBe(30_000)
    expect(out.subarray(0, 30_000).every((flag) => flag === 1)).toBe(true)
    expect(out.subarray(30_000).every((flag) => flag === 0)).toBe(true)
  })

  it.each([[7], [40_000]])('a batch of %i with a bad handle throws and takes nothing, nor moves the clock', async (length) => {
    const limiter = await create({ ratePerSec: 1, burst: 1, peers: 10 })
    limiter.tryTake(0, 0)
    const handles = new Uint32Array(length).map((_, i) => i % 10)
    handles[length - 1] = 10
    expect(codeOf(() => limiter.tryTakeBatch(handles, 1_000))).toBe('CORE_INVALID_ARGUMENT')
    expect(() => limiter.tryTakeBatch(handles, 1_000)).toThrow(`peers[${length - 1}] must be a peer handle from 0 to 9, got 10`)
    expect(limiter.tokens(0, 500)).toBe(0.5)
    for (let p = 1; p < 10; p++) expect(limiter.tokens(p, 500)).toBe(1)
  })

  it('an empty batch takes nothing but moves the clock', async () => {
    const limiter = await create({ ratePerSec: 1, burst: 1 })
    limiter.tryTake(0, 0)
    expect(limiter.tryTakeBatch(new Uint32Array(0), 1_000, new Uint8Array(0))).toBe(0)
    expect(limiter.tokens(0, 500)).toBe(1)
  })

  it('refuses bad options with CORE_INVALID_OPTION', async () => {
    const core = await loadCore({ backend })
    for (const options of [{ ratePerSec: 0, burst: 1 }, { ratePerSec: -1, burst: 1 }, { ratePerSec: NaN, burst: 1 },
      { ratePerSec: 1e9 + 1, burst: 1 }, { ratePerSec: Infinity, burst: 1 }, { ratePerSec: 1, burst: 0.5 }, { ratePerSec: 1, burst: 1e10 },
      { ratePerSec: 1, burst: NaN }, { ratePerSec: 1 }, { burst: 1 }, { ratePerSec: '5', burst: 1 }, { ratePerSec: 1, burst: 1, peers: 0 },
      { ratePerSec: 1, burst: 1, peers: 2 ** 24 + 1 }, { ratePerSec: 1, burst: 1, peers: 1.5 }, null, undefined]) {
      expect(codeOf(() => core.createRateLimiter(options as never))).toBe('CORE_INVALID_OPTION')
    }
    expect(() => core.createRateLimiter({ ratePerSec: 0, burst: 1 })).toThrow('ratePerSec must be a number above 0 and at most 1000000000, got 0')
  })

  it('refuses bad peers, times and costs with CORE_INVALID_ARGUMENT, taking nothing', async () => {
    const limiter = await create({ ratePerSec: 1, burst: 1, peers: 4 })
    for (const [peer, now, cost] of [[-1, 0, 1], [4, 0, 1], [1.5, 0, 1], ['1', 0, 1], [0, -1, 1], [0, NaN, 1], [0, Infinity, 1],
      [0, '1', 1], [0, 0, -1], [0, 0, NaN], [0, 0, Infinity], [0, 0, '1'], [0, 0, null]]) {
      expect(codeOf(() => limiter.tryTake(peer as number, now as number, cost as number))).toBe('CORE_INVALID_ARGUMENT')
    }
    expect(() => limiter.tryTake(4, 0)).toThrow('peer must be an integer from 0 to 3, got 4')
    expect(() => limiter.tryTake(0, 0, -1)).toThrow('cost must be a finite number >= 0, got -1')
    expect(limiter.tokens(0, 0)).toBe(1)
    expect(codeOf(() => limiter.tokens(4, 0))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => limiter.tokens(0, -1))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => limiter.forget(-1))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => limiter.tryTakeBatch([0] as never, 0))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => limiter.tryTakeBatch(new Uint32Array(2), 0, new Uint8Array(1)))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => limiter.tryTakeBatch(new Uint32Array(2), 0, undefined, -1))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => limiter.tryTakeBatch(new Uint32Array(2), NaN))).toBe('CORE_INVALID_ARGUMENT')
    expect(limiter.tokens(0, 0)).toBe(1)
  })

  it('throws CORE_FREED after free(), and free() twice is harmless', async () => {
    const limiter = await create({ ratePerSec: 1, burst: 1 })
    limiter.free()
    limiter.free()
    expect(codeOf(() => limiter.tryTake(0, 0))).toBe('CORE_FREED')
    expect(codeOf(() => limiter.tryTakeBatch(new Uint32Array(1), 0))).toBe('CORE_FREED')
    expect(codeOf(() => limiter.tokens(0, 0))).toBe('CORE_FREED')
    expect(codeOf(() => limiter.forget(0))).toBe('CORE_FREED')
  })
})

describe('RateLimiter memory (wasm backend)', () => {
  it('creating, using and freeing limiters in a loop does not grow linear memory', async () => {
    const core = await loadCore()
    const instance = await wasmInstance()
    const round = () => {
      for (let i = 0; i < 200; i++) {
        const limiter = core.createRateLimiter({ ratePerSec: 100, burst: 10, peers: 10_000 })
        for (let p = 0; p < 100; p++) limiter.tryTake(p * 97, p)
        limiter.free()
      }
    }
    round()
    const before = instance.memoryBytes
    for (let i = 0; i < 20; i++) round()
    expect(instance.memoryBytes).toBe(before)
  })
})
