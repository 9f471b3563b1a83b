// A small seeded generator (xoshiro128**, seeded through splitmix32) so every benchmark run
// feeds the structures the same data. Benchmarks only: the library takes its randomness
// from the caller.

export class Random {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor(seed: number) {
    let s = seed >>> 0
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0
    const t = this.b << 9
    this.c ^= this.a
    this.d ^= this.b
    this.b ^= this.c
    this.a ^= this.d
    this.c ^= t
    this.d = rotl(this.d, 11)
    return result
  }

  /** A uniform integer from 0 to bound - 1 (bound <= 2**32; the tiny modulo bias does not matter here). */
  below(bound: number): number {
    return this.u32() % bound
  }

  fill(array: Uint8Array | Uint32Array): void {
    if (array instanceof Uint32Array) {
      for (let i = 0; i < array.length; i++) array[i] = this.u32()
    } else {
      for (let i = 0; i < array.length; i++) array[i] = this.u32() & 0xff
    }
  }

  /** `count` random unsigned 64-bit keys. */
  keys(count: number): BigUint64Array {
    const keys = new BigUint64Array(count)
    this.fill(new Uint32Array(keys.buffer))
    return keys
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const bytes = new Uint8Array(length)
    this.fill(bytes)
    return bytes
  }

  /** `count` random ids of `bytes` bytes each, as views into one buffer. */
  ids(count: number, bytes: number): Uint8Array[] {
    return splitIds(this.bytes(count * bytes), bytes)
  }
}

/** Views of `all` as consecutive ids of `bytes` bytes each. */
export function splitIds(all: Uint8Array, bytes: number): Uint8Array[] {
  const ids = new Array<Uint8Array>(Math.floor(all.length / bytes))
  for (let i = 0; i < ids.length; i++) ids[i] = all.subarray(i * bytes, (i + 1) * bytes)
  return ids
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
