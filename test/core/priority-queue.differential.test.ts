// Random operation sequences on both backends and on a plain reference model of the
// semantics (one list of every queued item in push order, scanned whole on each pop, so it
// does not rely on "only level heads need checking"): every answer must agree at every step.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { loadCore } from '../../src/core/load-core.js'
import type { PriorityQueue } from '../../src/core/contracts.js'

type Op =
  | { kind: 'push'; slot: number; priority: number; dt: number }
  | { kind: 'pop'; dt: number }
  | { kind: 'batch'; max: number; dt: number }
  | { kind: 'sizeAt'; priority: number }
  | { kind: 'clear' }

class ReferenceQueue {
  private items: { slot: number; level: number; time: number }[] = []
  private now = 0
  constructor(private readonly capacity: number, private readonly agingMs: number) {}
  advance(nowMs: number) {
    this.now = Math.max(this.now, nowMs)
  }
  push(slot: number, priority: number, nowMs: number) {
    this.advance(nowMs)
    if (this.items.length === this.capacity) return false
    this.items.push({ slot, level: priority, time: this.now })
    return true
  }
  pop(nowMs: number) {
    this.advance(nowMs)
    if (this.items.length === 0) return -1
    let best = -1
    // The longest-waiting aged item, ties to the lower level, then to the earlier push.
    this.items.forEach((item, i) => {
      if (this.now - item.time < this.agingMs) return
      const b = this.items[best]
      if (best < 0 || item.time < b.time || (item.time === b.time && item.level < b.level)) best = i
    })
    if (best < 0) {
      // None aged: the earliest push of the lowest level.
      this.items.forEach((item, i) => { if (best < 0 || item.level < this.items[best].level) best = i })
    }
    return this.items.splice(best, 1)[0].slot
  }
  sizeAt(priority: number) { return this.items.filter((item) => item.level === priority).length }
  clear() { this.items = [] }
  get size() { return this.items.length }
}

// Time steps include zero, fractions and steps back (the clock must clamp); few slots so
// repeats are common, and the u32 extremes.
const dt = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 5, noNaN: true }), fc.integer({ min: -40, max: -1 }))
const slot = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom(0, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1), fc.integer({ min: 0, max: 2 ** 32 - 1 }))

function opFor(levels: number): fc.Arbitrary<Op> {
  const priority = fc.integer({ min: 0, max: levels - 1 })
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('push' as const), slot, priority, dt }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('pop' as const), dt }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('batch' as const), max: fc.integer({ min: 0, max: 12 }), dt }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('sizeAt' as const), priority }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  )
}

describe('PriorityQueue: wasm, twin and reference model agree', () => {
  it('on random operation sequences', () => runSequences(30, 200, 1_000))
  it('on long sequences that cycle the node pool many times', () => runSequences(300, 3_000, 25))
})

async function runSequences(maxCapacity: number, maxOps: number, numRuns: number) {
  const wasm = await loadCore({ backend: 'wasm' })
  const twin = await loadCore({ backend: 'js' })
  const scenario = fc.integer({ min: 1, max: 32 }).chain((levels) => fc.tuple(
    fc.integer({ min: 1, max: maxCapacity }),
    fc.constant(levels),
    fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60 })),
    fc.array(opFor(levels), { maxLength: maxOps }),
  ))
  fc.assert(
    fc.property(scenario, ([capacity, levels, agingMs, ops]) => {
      const a = wasm.createPriorityQueue({ capacity, levels, agingMs })
      const b = twin.createPriorityQueue({ capacity, levels, agingMs })
      const model = new ReferenceQueue(capacity, agingMs)
      const both: PriorityQueue[] = [a, b]
      let now = 0
      try {
        for (const step of ops) {
          if ('dt' in step) now = Math.max(0, now + step.dt)
          switch (step.kind) {
            case 'push': {
              const expected = model.push(step.slot, step.priority, now)
              for (const queue of both) expect(queue.push(step.slot, step.priority, now)).toBe(expected)
              break
            }
            case 'pop': {
              const expected = model.pop(now)
              for (const queue of both) expect(queue.pop(now)).toBe(expected)
              break
            }
            case 'batch': {
              model.advance(now) // even an empty batch moves the clock, as pop() does
              const expected: number[] = []
              for (let i = 0; i < step.max; i++) {
                const popped = model.pop(now)
                if (popped < 0) break
                expected.push(popped)
              }
              for (const queue of both) {
                const out = new Uint32Array(step.max)
                expect(queue.popBatch(now, out)).toBe(expected.length)
                expect(Array.from(out.subarray(0, expected.length))).toEqual(expected)
              }
              break
            }
            case 'sizeAt': {
              const expected = model.sizeAt(step.priority)
              for (const queue of both) expect(queue.sizeAt(step.priority)).toBe(expected)
              break
            }
            case 'clear':
              model.clear(); a.clear(); b.clear()
              break
          }
          expect(a.size).toBe(model.size)
          expect(b.size).toBe(model.size)
          expect(a.byteLength).toBe(b.byteLength) // the pool grows and shrinks alike
        }
      } finally {
        a.free()
        b.free()
      }
    }),
    { numRuns },
  )
}
