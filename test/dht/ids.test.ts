import { describe, expect, it } from 'vitest'
import { commonPrefixBits, compareDistance, randomIdInBucket } from '../../src/dht/ids.js'
import { SeededRandom } from '../../src/util/random.js'

describe('ids', () => {
  it('randomIdInBucket gives ids sharing exactly `bucket` leading bits with the local id', () => {
    const random = new SeededRandom(1)
    for (let round = 0; round < 20; round++) {
      const local = new Uint8Array(32)
      random.fill(local)
      for (let bucket = 0; bucket < 256; bucket++) {
        expect(commonPrefixBits(local, randomIdInBucket(local, bucket, random))).toBe(bucket)
      }
    }
  })

  it('compareDistance orders by XOR distance to the target', () => {
    const target = new Uint8Array(32)
    const near = new Uint8Array(32).fill(0)
    near[31] = 1
    const far = new Uint8Array(32)
    far[0] = 1
    expect(compareDistance(target, near, far)).toBeLessThan(0)
    expect(compareDistance(target, far, near)).toBeGreaterThan(0)
    expect(compareDistance(target, far, far)).toBe(0)
  })
})
