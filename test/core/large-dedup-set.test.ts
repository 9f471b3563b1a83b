// The largest tables a DedupSet grows to, kept apart from dedup-set.test.ts (and out of the
// tests `npm run mutate` runs per mutant) because filling them takes seconds: from 2 ** 23
// positions an index entry holds 24 bits of position and 8 of displacement, and no bits are
// left for a fingerprint.

import { describe, expect, it } from 'vitest'
import { loadCore } from '../../src/core/load-core.js'

/** `count` distinct keys from `first` on, with mixed low words, written as u32 halves (no bigints). */
function distinctKeys(first: number, count: number): BigUint64Array {
  const keys = new BigUint64Array(count)
  const words = new Uint32Array(keys.buffer)
  for (let i = 0; i < count; i++) {
    words[2 * i] = Math.imul(first + i, 0x9e3779b9)
    words[2 * i + 1] = first + i
  }
  return keys
}

describe.each(['wasm', 'js'] as const)('DedupSet at 2**23 positions (%s backend)', (backend) => {
  it('still tells keys apart once its tables grow to 2**23 positions, where no bits are left for a fingerprint', async () => {
    const set = (await loadCore({ backend })).createDedupSet({ capacity: 2 ** 23, ttlMs: 1_000 })
    try {
      // One key more than 2 ** 22 makes the tables grow to 2 ** 23 positions.
      const count = 2 ** 22 + 1
      expect(set.addBatch(distinctKeys(0, count), 0)).toBe(count)
      expect(set.size).toBe(count)
      // Keys from before and after the last growth are found; keys never added are not.
      const out = new Uint8Array(65_536)
      expect(set.addBatch(distinctKeys(0, 32_768), 0)).toBe(0)
      expect(set.addBatch(distinctKeys(count - 32_768, 32_768), 0)).toBe(0)
      expect(set.addBatch(distinctKeys(count, 65_536), 0, out)).toBe(65_536)
      expect(out.every((flag) => flag === 1)).toBe(true)
      expect(set.size).toBe(count + 65_536)
    } finally {
      set.free()
    }
  })
})
