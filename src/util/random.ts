// Randomness, injected. Protocol code draws from a RandomSource it was given: a seeded
// generator in tests and the simulator (the same seed gives the same run, in Node and in every
// browser), `cryptoRandom()` in production for ids and nonces.

import { WasmeshError } from './wasmesh-error.js'

export interface RandomSource {
  /** A uniform integer in [0, 2**32). */
  nextU32(): number
  /** A uniform float in [0, 1) with 53 random bits. */
  nextFloat(): number
  /** A uniform integer in [0, maxExclusive), without modulo bias; maxExclusive is an integer from 1 to 2**32. */
  nextInt(maxExclusive: number): number
  /** Fills `bytes` with uniform random bytes. */
  fill(bytes: Uint8Array): void
}

export type RandomErrorCode =
  /** A seed that is not a safe integer or a Uint8Array, a nextInt() bound outside 1 to 2**32, a state of four zeros. */
  | 'RANDOM_INVALID_ARGUMENT'
  /** cryptoRandom() found no crypto.getRandomValues on this platform. */
  | 'RANDOM_UNAVAILABLE'

/** Thrown when a random source is given a bad seed or bound, or the platform has no CSPRNG. */
export class RandomError extends WasmeshError {
  declare readonly code: RandomErrorCode

  constructor(code: RandomErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options)
  }
}

const TWO_POW_32 = 4_294_967_296
const TWO_POW_53 = 9_007_199_254_740_992

function checkBound(maxExclusive: number): void {
  if (!(maxExclusive >= 1 && maxExclusive <= TWO_POW_32) || maxExclusive !== Math.floor(maxExclusive)) {
    throw new RandomError('RANDOM_INVALID_ARGUMENT', `nextInt() takes an integer bound from 1 to 2**32, got ${String(maxExclusive)}`)
  }
}

/** Rejection sampling: draws falling in the incomplete last block of `max` values are redrawn. */
function intBelow(source: RandomSource, max: number): number {
  checkBound(max)
  // 2**32 mod max values at the top would make low results likelier; at most half of all
  // draws are rejected (max just above 2**31), so the expected number of draws is below 2.
  const limit = TWO_POW_32 - (TWO_POW_32 % max)
  for (;;) {
    const x = source.nextU32()
    if (x < limit) return x % max
  }
}

function floatFrom(source: RandomSource): number {
  // 27 high bits of one draw and 26 of the next make a 53-bit integer, as in xoshiro's and
  // MT19937's reference double conversions.
  return ((source.nextU32() >>> 5) * 67_108_864 + (source.nextU32() >>> 6)) / TWO_POW_53
}

// ---------------------------------------------------------------------------------------
// Seeded: xoshiro128** (Blackman and Vigna, 2018). 128 bits of state, period 2**128 - 1,
// passes BigCrush; only 32-bit integer operations (Math.imul, shifts), so every engine gives
// the same sequence.

/** Chris Wellons' lowbias32: a 32-bit bijective mixer with low avalanche bias. */
export function mix32(x: number): number {
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

/**
 * Absorbs 32-bit words into 128 bits of generator state. Each word is mixed into one lane and
 * carried into the next, then four rounds mix every lane with its neighbour, so seeds that
 * differ in one bit start from unrelated states.
 */
function absorb(words: ArrayLike<number>): [number, number, number, number] {
  // The first 32 bits of the fractional parts of the square roots of 2, 3, 5, 7 (SHA-256's IV).
  const lanes = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a]
  for (let i = 0; i < words.length; i++) {
    const lane = i & 3
    lanes[lane] = mix32((lanes[lane] ^ words[i]) >>> 0)
    lanes[(lane + 1) & 3] = (lanes[(lane + 1) & 3] + lanes[lane]) >>> 0
  }
  for (let round = 0; round < 4; round++) {
    for (let lane = 0; lane < 4; lane++) lanes[lane] = mix32((lanes[lane] + lanes[(lane + 3) & 3] + round) >>> 0)
  }
  // xoshiro's one forbidden state is all zeros.
  if ((lanes[0] | lanes[1] | lanes[2] | lanes[3]) === 0) lanes[0] = 1
  return lanes as [number, number, number, number]
}

/** The words a seed is absorbed as: a number as its two 32-bit halves (two's complement), bytes little-endian plus their length. */
function seedWords(seed: number | Uint8Array): ArrayLike<number> {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) {
      throw new RandomError('RANDOM_INVALID_ARGUMENT', `a seed must be a safe integer or a Uint8Array, got ${String(seed)}`)
    }
    return [seed >>> 0, Math.floor(seed / TWO_POW_32) >>> 0]
  }
  if (!(seed instanceof Uint8Array)) {
    throw new RandomError('RANDOM_INVALID_ARGUMENT', `a seed must be a safe integer or a Uint8Array, got ${String(seed)}`)
  }
  const words = new Array<number>(((seed.length + 3) >> 2) + 1).fill(0)
  for (let i = 0; i < seed.length; i++) words[i >> 2] |= seed[i] << ((i & 3) * 8)
  words[words.length - 1] = seed.length
  return words.map((word) => word >>> 0)
}

/** A seeded, reproducible random source. The same seed gives the same sequence on every engine. */
export class SeededRandom implements RandomSource {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  /** `seed`: a safe integer (negative allowed) or any bytes (a 32-byte seed uses all 128 bits of state). */
  constructor(seed: number | Uint8Array) {
    const state = absorb(seedWords(seed))
    this.s0 = state[0]
    this.s1 = state[1]
    this.s2 = state[2]
    this.s3 = state[3]
  }

  /** A generator started from raw xoshiro128** state words (not all zero), for known-answer tests. */
  static fromState(state: readonly [number, number, number, number]): SeededRandom {
    if (state.length !== 4 || state.some((word) => !Number.isInteger(word) || word < 0 || word >= TWO_POW_32) || state.every((word) => word === 0)) {
      throw new RandomError('RANDOM_INVALID_ARGUMENT', `state must be four unsigned 32-bit integers, not all zero, got [${state.join(', ')}]`)
    }
    const random = new SeededRandom(0)
    ;[random.s0, random.s1, random.s2, random.s3] = state
    return random
  }

  nextU32(): number {
    const s1 = this.s1
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const t = s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= s1
    this.s1 = s1 ^ this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return result
  }

  nextFloat(): number {
    return floatFrom(this)
  }

  nextInt(maxExclusive: number): number {
    return intBelow(this, maxExclusive)
  }

  fill(bytes: Uint8Array): void {
    const length = bytes.length
    let i = 0
    for (; i + 4 <= length; i += 4) {
      const x = this.nextU32()
      bytes[i] = x
      bytes[i + 1] = x >>> 8
      bytes[i + 2] = x >>> 16
      bytes[i + 3] = x >>> 24
    }
    if (i < length) {
      let x = this.nextU32()
      for (; i < length; i++, x >>>= 8) bytes[i] = x
    }
  }

  /**
   * A new generator seeded from four draws of this one: an independent stream per node or
   * per component, reproducible from the parent's seed.
   */
  fork(): SeededRandom {
    // Bytes written little-endian by hand (not through a Uint32Array view), so the child's
    // seed is the same on big-endian engines.
    const seed = new Uint8Array(16)
    this.fill(seed)
    return new SeededRandom(seed)
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}

/** A seeded, reproducible random source (see SeededRandom). */
export function seededRandom(seed: number | Uint8Array): SeededRandom {
  return new SeededRandom(seed)
}

// ---------------------------------------------------------------------------------------
// Production: the platform's CSPRNG.

// getRandomValues fills at most 65,536 bytes a call.
const MAX_CRYPTO_BYTES = 65_536
const POOL_WORDS = 256

class CryptoRandom implements RandomSource {
  private readonly pool = new Uint32Array(POOL_WORDS)
  private next = POOL_WORDS

  constructor(private readonly crypto: Crypto) {}

  nextU32(): number {
    if (this.next === POOL_WORDS) {
      this.crypto.getRandomValues(this.pool)
      this.next = 0
    }
    const x = this.pool[this.next]
    // Each word is handed out once: wipe it so the pool holds no spent randomness.
    this.pool[this.next++] = 0
    return x
  }

  nextFloat(): number {
    return floatFrom(this)
  }

  nextInt(maxExclusive: number): number {
    return intBelow(this, maxExclusive)
  }

  fill(bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.length; offset += MAX_CRYPTO_BYTES) {
      this.crypto.getRandomValues(bytes.subarray(offset, Math.min(bytes.length, offset + MAX_CRYPTO_BYTES)))
    }
  }
}

/**
 * PRODUCTION SOURCE OF RANDOMNESS: `crypto.getRandomValues` (browsers, Node >= 19), for peer
 * ids, nonces and hash seeds. Not reproducible by design; tests and the simulator inject a
 * SeededRandom instead. Throws RandomError('RANDOM_UNAVAILABLE') where there is no Web Crypto.
 */
export function cryptoRandom(): RandomSource {
  const crypto = (globalThis as { crypto?: Crypto }).crypto
  if (crypto === undefined || typeof crypto.getRandomValues !== 'function') {
    throw new RandomError('RANDOM_UNAVAILABLE', 'crypto.getRandomValues is not available on this platform')
  }
  return new CryptoRandom(crypto)
}

// ---------------------------------------------------------------------------------------
// Helpers.

/** Shuffles `items` in place (Fisher-Yates; every permutation equally likely) and returns it. */
export function shuffle<T>(items: T[], random: RandomSource): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1)
    const item = items[i]
    items[i] = items[j]
    items[j] = item
  }
  return items
}

/** One uniformly chosen item, or undefined when `items` is empty. */
export function pick<T>(items: readonly T[], random: RandomSource): T | undefined {
  return items.length === 0 ? undefined : items[random.nextInt(items.length)]
}

/**
 * `count` distinct positions of `items` chosen uniformly (every subset equally likely), in
 * random order; all of them, shuffled, when count >= items.length. O(count) time and memory
 * when count is small against the length (Floyd's algorithm), so sampling 10 of a million
 * nodes does not copy the million.
 */
export function sample<T>(items: readonly T[], count: number, random: RandomSource): T[] {
  if (!Number.isInteger(count) || count < 0) {
    throw new RandomError('RANDOM_INVALID_ARGUMENT', `sample() takes a non-negative integer count, got ${String(count)}`)
  }
  const n = items.length
  if (count >= n) return shuffle(items.slice(), random)
  if (count * 4 < n) {
    // Floyd: for j = n - count .. n - 1 take a random t in [0, j]; if t is taken already, take j.
    const chosen = new Set<number>()
    for (let j = n - count; j < n; j++) {
      const t = random.nextInt(j + 1)
      chosen.add(chosen.has(t) ? j : t)
    }
    const result: T[] = []
    for (const index of chosen) result.push(items[index])
    return shuffle(result, random)
  }
  // Partial Fisher-Yates over a copy: the first `count` slots end up a uniform random sample.
  const copy = items.slice()
  for (let i = 0; i < count; i++) {
    const j = i + random.nextInt(n - i)
    const item = copy[i]
    copy[i] = copy[j]
    copy[j] = item
  }
  copy.length = count
  return copy
}
