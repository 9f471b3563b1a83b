// Random operation sequences on both backends and on a plain reference model of the
// semantics (an insertion-ordered list with times): every answer must agree at every step.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { loadCore } from '../../src/core/load-core.js'

type Op =
  | { kind: 'add'; key: bigint; dt: number }
  | { kind: 'has'; key: bigint; dt: number }
  | { kind: 'batch'; keys: bigint[]; dt: number }
  | { kind: 'expire'; dt: number }
  | { kind: 'clear' }

class ReferenceDedupSet {
  private entries: { key: bigint; time: number }[] = []
  private now = 0
  constructor(private readonly capacity: number, private readonly ttlMs: number) {}
  private advance(nowMs: number) {
    this.now = Math.max(this.now, Math.floor(nowMs))
    this.entries = this.entries.filter((entry) => this.now - entry.time < this.ttlMs)
  }
  add(key: bigint, nowMs: number) {
    this.advance(nowMs)
    if (this.entries.some((entry) => entry.key === key)) return false
    if (this.entries.length === this.capacity) this.entries.shift()
    this.entries.push({ key, time: this.now })
    return true
  }
  has(key: bigint, nowMs: number) {
    this.advance(nowMs)
    return this.entries.some((entry) => entry.key === key)
  }
  expire(nowMs: number) { this.advance(nowMs) }
  clear() { this.entries = [] }
  get size() { return this.entries.length }
}

// Few distinct keys so repeats are common; time steps include zero, small and >65,535 ms gaps.
const key = fc.oneof(fc.bigInt({ min: 0n, max: 12n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
const dt = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 60_000, max: 200_000 }), fc.double({ min: 0, max: 5, noNaN: true }))
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('add' as const), key, dt }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('has' as const), key, dt }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), keys: fc.array(key, { maxLength: 20 }), dt }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('expire' as const), dt }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
)

describe('DedupSet: wasm, twin and reference model agree', () => {
  it('on random operation sequences', () => runSequences(40, 150, 1_000))
  it('on long sequences that wrap larger rings many times', () => runSequences(300, 3_000, 25))
})

async function runSequences(maxCapacity: number, maxOps: number, numRuns: number) {
  const wasm = await loadCore({ backend: 'wasm' })
  const twin = await loadCore({ backend: 'js' })
  fc.assert(
      fc.property(
        fc.integer({ min: 1, max: maxCapacity }),
        fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 100_000, max: 400_000 })),
        fc.array(op, { maxLength: maxOps }),
        (capacity, ttlMs, ops) => {
          const a = wasm.createDedupSet({ capacity, ttlMs })
          const b = twin.createDedupSet({ capacity, ttlMs })
          const model = new ReferenceDedupSet(capacity, ttlMs)
          let now = 0
          try {
            for (const step of ops) {
              if (step.kind !== 'clear') now += step.dt
              switch (step.kind) {
                case 'add': {
                  const expected = model.add(step.key, now)
                  expect(a.add(step.key, now)).toBe(expected)
                  expect(b.add(step.key, now)).toBe(expected)
                  break
                }
                case 'has': {
                  const expected = model.has(step.key, now)
                  expect(a.has(step.key, now)).toBe(expected)
                  expect(b.has(step.key, now)).toBe(expected)
                  break
                }
                case 'batch': {
                  model.expire(now)
                  const keys = BigUint64Array.from(step.keys)
                  const expected = step.keys.map((k) => (model.add(k, now) ? 1 : 0))
                  const outA = new Uint8Array(keys.length)
                  const outB = new Uint8Array(keys.length)
                  const count = expected.reduce((sum: number, flag) => sum + flag, 0)
                  expect(a.addBatch(keys, now, outA)).toBe(count)
                  expect(b.addBatch(keys, now, outB)).toBe(count)
                  expect([...outA]).toEqual(expected)
                  expect([...outB]).toEqual(expected)
                  break
                }
                case 'expire':
                  model.expire(now); a.expire(now); b.expire(now)
                  break
                case 'clear':
                  model.clear(); a.clear(); b.clear()
                  break
              }
              expect(a.size).toBe(model.size)
              expect(b.size).toBe(model.size)
            }
          } finally {
            a.free()
            b.free()
          }
        },
      ),
      { numRuns },
    )
}
