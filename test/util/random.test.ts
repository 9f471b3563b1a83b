import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { cryptoRandom, pick, RandomError, sample, SeededRandom, seededRandom, shuffle, type RandomSource } from '../../src/util/random.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(RandomError)
    return (error as RandomError).code
  }
  return undefined
}

function draws(random: RandomSource, n: number): number[] {
  return Array.from({ length: n }, () => random.nextU32())
}

/** Pearson's chi-square statistic of observed counts against a uniform expectation. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0)
  const expected = total / counts.length
  return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0)
}

describe('SeededRandom', () => {
  it('is xoshiro128**: the reference outputs from state [1, 2, 3, 4]', () => {
    // From the reference C implementation (xoshiro128starstar.c) seeded with s = {1, 2, 3, 4}.
    const random = SeededRandom.fromState([1, 2, 3, 4])
    expect(draws(random, 10)).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804])
  })

  it('seeding is frozen: seed 1 and a byte seed give these sequences forever (simulations replay across versions)', () => {
    expect(draws(seededRandom(1), 4)).toEqual(draws(new SeededRandom(1), 4))
    // If this changes, every recorded simulation run changes with it.
    expect(draws(seededRandom(1), 4)).toEqual([3215509397, 3074838079, 3012845719, 666228303])
    expect(draws(seededRandom(new Uint8Array([1, 2, 3])), 4)).toEqual([2321129429, 2725133928, 702241996, 248772446])
  })

  it('the same seed gives the same stream; nearby seeds give unrelated ones', () => {
    expect(draws(seededRandom(42), 100)).toEqual(draws(seededRandom(42), 100))
    const streams = [0, 1, 2, -1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1)].map((seed) => draws(seededRandom(seed), 8).join())
    expect(new Set(streams).size).toBe(streams.length)
    // Byte seeds differing in one bit, or only in length, start apart too.
    const bytes = [new Uint8Array(32), new Uint8Array(31), Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 0x80 : 0))].map((seed) => draws(seededRandom(seed), 8).join())
    expect(new Set(bytes).size).toBe(3)
  })

  it('refuses seeds that are not safe integers or bytes', () => {
    expect(codeOf(() => seededRandom(1.5))).toBe('RANDOM_INVALID_ARGUMENT')
    expect(codeOf(() => seededRandom(Number.NaN))).toBe('RANDOM_INVALID_ARGUMENT')
    expect(codeOf(() => seededRandom(2 ** 53))).toBe('RANDOM_INVALID_ARGUMENT')
    expect(codeOf(() => seededRandom('7' as unknown as number))).toBe('RANDOM_INVALID_ARGUMENT')
    expect(codeOf(() => SeededRandom.fromState([0, 0, 0, 0]))).toBe('RANDOM_INVALID_ARGUMENT')
  })

  it('fork() gives a reproducible child stream unlike its parent', () => {
    const a = seededRandom(7)
    const b = seededRandom(7)
    const childA = a.fork()
    const childB = b.fork()
    expect(draws(childA, 20)).toEqual(draws(childB, 20))
    expect(draws(a, 20)).toEqual(draws(b, 20))
    expect(draws(seededRandom(7).fork(), 20)).not.toEqual(draws(seededRandom(7), 20))
  })

  it('nextU32 bytes are uniform (chi-square over 256 byte values, fixed seed)', () => {
    const random = seededRandom(2024)
    const counts = new Array<number>(256).fill(0)
    const bytes = new Uint8Array(1 << 20)
    random.fill(bytes)
    for (const byte of bytes) counts[byte]++
    // df = 255: the 0.1% critical value is 330.5.
    expect(chiSquare(counts)).toBeLessThan(330.5)
  })

  it('nextFloat lies in [0, 1) and is uniform over 100 buckets (fixed seed)', () => {
    const random = seededRandom(3)
    const counts = new Array<number>(100).fill(0)
    let min = 1
    let max = 0
    for (let i = 0; i < 500_000; i++) {
      const x = random.nextFloat()
      min = Math.min(min, x)
      max = Math.max(max, x)
      counts[Math.floor(x * 100)]++
    }
    expect(min).toBeGreaterThanOrEqual(0)
    expect(max).toBeLessThan(1)
    // df = 99: the 0.1% critical value is 148.2.
    expect(chiSquare(counts)).toBeLessThan(148.2)
  })

  it('nextInt(n) stays in [0, n) and is uniform for small n (fixed seed)', () => {
    const random = seededRandom(11)
    for (const n of [1, 2, 3, 7, 10, 1_000]) {
      const counts = new Array<number>(n).fill(0)
      let outOfRange = 0
      for (let i = 0; i < 200 * n; i++) {
        const x = random.nextInt(n)
        if (!Number.isInteger(x) || x < 0 || x >= n) outOfRange++
        else counts[x]++
      }
      expect(outOfRange).toBe(0)
      // Critical values at 0.1% for df = n - 1 (df 0 means nothing to test).
      const critical: Record<number, number> = { 2: 10.83, 3: 13.82, 7: 22.46, 10: 27.88, 1_000: 1_106.97 }
      if (n > 1) expect(chiSquare(counts)).toBeLessThan(critical[n])
    }
  })

  it('nextInt has no modulo bias: for n = 3 * 2**30, results below 2**30 are a third, not a half', () => {
    const random = seededRandom(5)
    const n = 3 * 2 ** 30
    let low = 0
    const total = 60_000
    for (let i = 0; i < total; i++) if (random.nextInt(n) < 2 ** 30) low++
    // Plain `u32 % n` would put half of the results there.
    expect(low / total).toBeGreaterThan(0.32)
    expect(low / total).toBeLessThan(0.347)
  })

  it('nextInt covers the full 2**32 bound and refuses bounds out of range', () => {
    const random = seededRandom(9)
    for (let i = 0; i < 1_000; i++) {
      const x = random.nextInt(2 ** 32)
      expect(x >= 0 && x < 2 ** 32 && Number.isInteger(x)).toBe(true)
    }
    for (const bad of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN, Infinity]) {
      expect(codeOf(() => random.nextInt(bad))).toBe('RANDOM_INVALID_ARGUMENT')
    }
  })

  it('property: nextInt(n) is always an integer in [0, n)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 1, max: 2 ** 32 }), (seed, n) => {
        const random = seededRandom(seed)
        for (let i = 0; i < 20; i++) {
          const x = random.nextInt(n)
          if (!Number.isInteger(x) || x < 0 || x >= n) return false
        }
        return true
      }),
    )
  })

  it('fill() writes every byte, for lengths not a multiple of 4 too', () => {
    for (const length of [0, 1, 3, 4, 5, 33]) {
      const bytes = new Uint8Array(length)
      seededRandom(length + 100).fill(bytes)
      const again = new Uint8Array(length)
      seededRandom(length + 100).fill(again)
      expect(again).toEqual(bytes)
    }
    const big = new Uint8Array(4_096)
    seededRandom(1).fill(big)
    expect(big.filter((byte) => byte === 0).length).toBeLessThan(60)
  })
})

describe('cryptoRandom', () => {
  it('draws from the platform CSPRNG through the same interface', () => {
    const random = cryptoRandom()
    const values = draws(random, 1_000)
    expect(values.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true)
    expect(new Set(values).size).toBeGreaterThan(990)
    const x = random.nextFloat()
    expect(x >= 0 && x < 1).toBe(true)
    expect(random.nextInt(6)).toBeLessThan(6)
    // More than getRandomValues' 65,536-byte limit, filled in chunks.
    const bytes = new Uint8Array(200_000)
    random.fill(bytes)
    expect(bytes.subarray(150_000).some((byte) => byte !== 0)).toBe(true)
  })
})

describe('shuffle, sample, pick', () => {
  it('shuffle is a permutation, reproducible for a seed, and every order of 3 is about equally likely', () => {
    const items = [1, 2, 3, 4, 5, 6, 7, 8]
    const shuffled = shuffle(items.slice(), seededRandom(1))
    expect(shuffled.slice().sort((a, b) => a - b)).toEqual(items)
    expect(shuffle(items.slice(), seededRandom(1))).toEqual(shuffled)
    const random = seededRandom(77)
    const counts = new Map<string, number>()
    for (let i = 0; i < 60_000; i++) {
      const key = shuffle(['a', 'b', 'c'], random).join('')
      counts.set(key, (counts.get(key) ?? 0) + 1)
    }
    expect(counts.size).toBe(6)
    // df = 5: the 0.1% critical value is 20.52.
    expect(chiSquare([...counts.values()])).toBeLessThan(20.52)
  })

  it('sample returns distinct items, uniformly, on both the small-count and large-count paths', () => {
    const random = seededRandom(123)
    for (const [n, k] of [[1_000, 10], [20, 12]] as const) {
      const items = Array.from({ length: n }, (_, i) => i)
      const counts = new Array<number>(n).fill(0)
      const rounds = Math.ceil((300 * n) / k)
      for (let r = 0; r < rounds; r++) {
        const chosen = sample(items, k, random)
        expect(chosen.length).toBe(k)
        expect(new Set(chosen).size).toBe(k)
        for (const x of chosen) counts[x]++
      }
      const critical = n === 1_000 ? 1_106.97 : 43.82 // df 999 and 19 at 0.1%
      expect(chiSquare(counts)).toBeLessThan(critical)
    }
  })

  it('sample of at least the length returns all items shuffled; zero returns none; bad counts throw', () => {
    const random = seededRandom(1)
    expect(sample([1, 2, 3], 5, random).sort()).toEqual([1, 2, 3])
    expect(sample([1, 2, 3], 0, random)).toEqual([])
    expect(sample([], 3, random)).toEqual([])
    expect(codeOf(() => sample([1], -1, random))).toBe('RANDOM_INVALID_ARGUMENT')
    expect(codeOf(() => sample([1], 0.5, random))).toBe('RANDOM_INVALID_ARGUMENT')
  })

  it('sample of 10 from a million reads only the 10 items it returns (no copy of the million)', () => {
    // Every element read goes through the proxy: a copy or a scan of the list would count a million.
    let reads = 0
    const items = new Proxy(Array.from({ length: 1_000_000 }, (_, i) => i), {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++
        return Reflect.get(target, key, receiver)
      },
    })
    const random = seededRandom(2)
    for (let i = 0; i < 20; i++) {
      const chosen = sample(items, 10, random)
      expect(new Set(chosen).size).toBe(10)
      expect(chosen.every((x) => Number.isInteger(x) && x >= 0 && x < 1_000_000)).toBe(true)
    }
    expect(reads).toBe(20 * 10)
  })

  it('pick returns an item, or undefined for an empty list', () => {
    const random = seededRandom(4)
    expect(pick([], random)).toBeUndefined()
    expect(['x', 'y']).toContain(pick(['x', 'y'], random))
  })
})
