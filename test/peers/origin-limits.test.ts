import { describe, expect, it } from 'vitest'
import { loadCoreSync } from '../../src/core/load-core.js'
import { OriginRateLimits } from '../../src/peers/origin-limits.js'

describe.each(['wasm', 'js'] as const)('OriginRateLimits (%s core)', (backend) => {
  const core = loadCoreSync({ backend })

  it('gives each origin its own bucket of ratePerSec, refilled over time', () => {
    const limits = new OriginRateLimits<string>(core, { ratePerSec: 3, maxOrigins: 8 })
    const takes = (origin: string, count: number, now: number) => Array.from({ length: count }, () => limits.tryTake(origin, now)).filter(Boolean).length
    expect(takes('a', 5, 0)).toBe(3)
    expect(takes('b', 5, 0)).toBe(3)
    expect(takes('a', 5, 1_000)).toBe(3)
    expect(limits.size).toBe(2)
    limits.free()
  })

  it('past maxOrigins forgets the least recently heard from, which comes back with a full bucket', () => {
    const limits = new OriginRateLimits<bigint>(core, { ratePerSec: 1, maxOrigins: 2 })
    expect(limits.tryTake(1n, 0)).toBe(true)
    expect(limits.tryTake(2n, 0)).toBe(true)
    expect(limits.tryTake(1n, 0)).toBe(false) // 1 is now the most recent
    expect(limits.tryTake(3n, 0)).toBe(true) // pushes out 2
    expect(limits.forgotten).toBe(1)
    expect(limits.size).toBe(2)
    expect(limits.tryTake(1n, 0)).toBe(false) // 1 kept its empty bucket
    expect(limits.tryTake(2n, 0)).toBe(true) // 2 was forgotten: full again (and pushes out 3)
    expect(limits.tryTake(3n, 0)).toBe(true)
    expect(limits.forgotten).toBe(3)
    limits.free()
  })
})
