import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { loadCore } from '../../src/core/load-core.js'
import { wasmInstance } from '../../src/core/wasm-instance.js'
import { CoreError } from '../../src/core/errors.js'
import type { PriorityQueue, PriorityQueueOptions } from '../../src/core/contracts.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(CoreError)
    return (error as CoreError).code
  }
  return undefined
}

const LOW = 1_000_000

/**
 * Runs `durationMs` of sustained priority-0 load: every popEveryMs, two priority-0 pushes then
 * one pop (twice the rate the pops drain, so the queue stays full and high items are always
 * waiting). One priority-3 item is pushed at lowAtMs. Returns when it was popped (-1 if never)
 * and the longest a priority-0 item waited.
 */
function overload(queue: PriorityQueue, popEveryMs: number, lowAtMs: number, durationMs: number) {
  const pushedAt = new Map<number, number>()
  let next = 0
  let lowPoppedAt = -1
  let longestHighWait = 0
  for (let t = 0; t <= durationMs; t += popEveryMs) {
    for (let i = 0; i < 2; i++) if (queue.push(next, 0, t)) pushedAt.set(next++, t)
    if (t >= lowAtMs && t - popEveryMs < lowAtMs) expect(queue.push(LOW, 3, t)).toBe(true)
    const slot = queue.pop(t)
    if (slot === LOW) lowPoppedAt = t
    else longestHighWait = Math.max(longestHighWait, t - pushedAt.get(slot)!)
  }
  return { lowPoppedAt, longestHighWait }
}

describe.each(['wasm', 'js'] as const)('PriorityQueue (%s backend)', (backend) => {
  const create = async (options?: PriorityQueueOptions) => (await loadCore({ backend })).createPriorityQueue(options)

  it('has the documented defaults', async () => {
    const queue = await create()
    expect([queue.capacity, queue.levels, queue.agingMs, queue.size]).toEqual([10_000, 4, 1_000, 0])
  })

  it('serves priority 0 first and keeps FIFO order within a level', async () => {
    const queue = await create({ capacity: 16, levels: 4, agingMs: 1_000 })
    const pushes: [number, number][] = [[10, 2], [20, 0], [11, 2], [30, 3], [21, 0], [12, 2], [40, 1]]
    for (const [slot, priority] of pushes) expect(queue.push(slot, priority, 0)).toBe(true)
    expect([queue.sizeAt(0), queue.sizeAt(1), queue.sizeAt(2), queue.sizeAt(3), queue.size]).toEqual([2, 1, 3, 1, 7])
    const pops = Array.from({ length: 8 }, () => queue.pop(0))
    expect(pops).toEqual([20, 21, 40, 10, 11, 12, 30, -1])
    expect(queue.size).toBe(0)
  })

  it('carries the whole u32 slot range, distinct from the -1 of an empty queue', async () => {
    const queue = await create({ capacity: 4, levels: 1 })
    for (const slot of [0, 2 ** 31, 2 ** 32 - 1]) queue.push(slot, 0, 0)
    expect([queue.pop(0), queue.pop(0), queue.pop(0), queue.pop(0)]).toEqual([0, 2 ** 31, 2 ** 32 - 1, -1])
  })

  it('refuses a push when full and queues nothing; room comes back after a pop', async () => {
    const queue = await create({ capacity: 3, levels: 2 })
    expect([queue.push(1, 1, 0), queue.push(2, 1, 0), queue.push(3, 1, 0)]).toEqual([true, true, true])
    expect(queue.push(4, 0, 0)).toBe(false)
    expect([queue.size, queue.sizeAt(0), queue.sizeAt(1)]).toEqual([3, 0, 3])
    expect(queue.pop(0)).toBe(1)
    expect(queue.push(4, 0, 0)).toBe(true)
    expect([queue.pop(0), queue.pop(0), queue.pop(0), queue.pop(0)]).toEqual([4, 2, 3, -1])
  })

  it('serves an item that has waited agingMs ahead of newer higher-priority items, not a millisecond sooner', async () => {
    const queue = await create({ capacity: 16, levels: 4, agingMs: 100 })
    queue.push(3, 3, 0)
    for (let i = 0; i < 4; i++) queue.push(i, 0, 10)
    expect(queue.pop(99)).toBe(0)
    expect(queue.pop(99.5)).toBe(1)
    expect(queue.pop(100)).toBe(3)
    expect(queue.pop(100)).toBe(2)
  })

  it('among aged items serves the longest waiting, ties going to the higher priority', async () => {
    const queue = await create({ capacity: 16, levels: 4, agingMs: 10 })
    queue.push(30, 3, 0)
    queue.push(20, 2, 5)
    queue.push(10, 1, 5)
    queue.push(0, 0, 50)
    expect([queue.pop(50), queue.pop(50), queue.pop(50), queue.pop(50)]).toEqual([30, 10, 20, 0])
  })

  it('with agingMs 0 serves in push-time order across levels', async () => {
    const queue = await create({ capacity: 16, levels: 3, agingMs: 0 })
    queue.push(1, 2, 0)
    queue.push(2, 0, 1)
    queue.push(3, 1, 1)
    queue.push(4, 2, 2)
    expect([queue.pop(2), queue.pop(2), queue.pop(2), queue.pop(2)]).toEqual([1, 2, 3, 4])
  })

  // The starvation bound. An item pushed at t is served by the (K + 1)-th pop at or after
  // t + agingMs, where K is the number of items still queued then that are older (or as old
  // at a higher priority): from t + agingMs on it is aged, so every pop serves it or an item
  // at least as old. When the high-priority load never waits agingMs itself (here a full
  // queue of `capacity` items drained one per pop, so none waits capacity * popEveryMs <
  // 1,000 ms), K = 0: the item is popped by the first pop at or after t + agingMs, whatever
  // the rate of high-priority pushes.
  it.each([[1, 200], [7, 100]])('a priority-3 item under sustained priority-0 overload is popped by the first pop at or after t + agingMs (a pop every %i ms, capacity %i)', async (popEveryMs, capacity) => {
    const queue = await create({ capacity, levels: 4, agingMs: 1_000 })
    const lowAtMs = 52
    const { lowPoppedAt, longestHighWait } = overload(queue, popEveryMs, lowAtMs, 3_000)
    const pushedAt = Math.ceil(lowAtMs / popEveryMs) * popEveryMs
    const firstPopAfterBound = Math.ceil((pushedAt + 1_000) / popEveryMs) * popEveryMs
    expect(longestHighWait).toBeLessThan(1_000)
    expect(lowPoppedAt).toBe(firstPopAfterBound)
    expect(lowPoppedAt - pushedAt).toBeLessThan(1_000 + popEveryMs)
  })

  it('without aging the same load starves the priority-3 item', async () => {
    const queue = await create({ capacity: 200, levels: 4, agingMs: 2 ** 31 - 1 })
    expect(overload(queue, 1, 52, 3_000).lowPoppedAt).toBe(-1)
  })

  it('once an item has waited agingMs, every pop serves it or an item at least as old', async () => {
    const core = await loadCore({ backend })
    const op = fc.oneof(
      fc.record({ push: fc.constant(true), priority: fc.integer({ min: 0, max: 3 }), dt: fc.integer({ min: 0, max: 4 }) }),
      fc.record({ push: fc.constant(false), priority: fc.constant(0), dt: fc.integer({ min: 0, max: 4 }) }),
    )
    fc.assert(fc.property(fc.integer({ min: 0, max: 30 }), fc.array(op, { maxLength: 300 }), (agingMs, ops) => {
      const queue = core.createPriorityQueue({ capacity: 64, levels: 4, agingMs })
      const queued = new Map<number, number>()
      let now = 0
      let slot = 0
      try {
        for (const step of ops) {
          now += step.dt
          if (step.push) {
            if (queue.push(slot, step.priority, now)) queued.set(slot, now)
            slot++
            continue
          }
          const popped = queue.pop(now)
          if (popped < 0) continue
          const poppedAt = queued.get(popped)!
          queued.delete(popped)
          for (const pushedAt of queued.values()) if (now - pushedAt >= agingMs) expect(poppedAt).toBeLessThanOrEqual(pushedAt)
        }
      } finally {
        queue.free()
      }
    }), { numRuns: 200 })
  })

  it('never runs its clock backwards: an earlier time counts as the latest seen', async () => {
    const queue = await create({ capacity: 8, levels: 2, agingMs: 100 })
    queue.push(1, 0, 1_000)
    queue.push(2, 1, 500) // enqueued at 1,000, not 500
    expect(queue.pop(1_099)).toBe(1) // slot 2 has waited 99 ms, not 599
    queue.push(3, 0, 1_200)
    expect(queue.pop(0)).toBe(2) // popped at 1,200, when slot 2 has waited 200 ms
    expect(queue.pop(0)).toBe(3)
  })

  it('popBatch pops in pop order, at most out.length, and crosses the scratch region in chunks', async () => {
    const queue = await create({ capacity: 40_000, levels: 4, agingMs: 10 })
    for (let i = 0; i < 40_000; i++) queue.push(i, i % 4, Math.floor(i / 1_000))
    const reference = await create({ capacity: 40_000, levels: 4, agingMs: 10 })
    for (let i = 0; i < 40_000; i++) reference.push(i, i % 4, Math.floor(i / 1_000))
    const out = new Uint32Array(35_000)
    expect(queue.popBatch(100, out)).toBe(35_000)
    const expected = Array.from({ length: 35_000 }, () => reference.pop(100))
    expect(Array.from(out)).toEqual(expected)
    const rest = new Uint32Array(10_000)
    expect(queue.popBatch(100, rest)).toBe(5_000)
    expect(Array.from(rest.subarray(0, 5_000))).toEqual(Array.from({ length: 5_000 }, () => reference.pop(100)))
    expect(queue.popBatch(100, rest)).toBe(0)
    expect(queue.size).toBe(0)
  })

  it('uses all 32 levels', async () => {
    const queue = await create({ capacity: 64, levels: 32, agingMs: 1_000 })
    for (let p = 31; p >= 0; p--) queue.push(p, p, 0)
    expect(queue.sizeAt(31)).toBe(1)
    expect(Array.from({ length: 33 }, () => queue.pop(0))).toEqual([...Array.from({ length: 32 }, (_, p) => p), -1])
    queue.push(7, 31, 0)
    queue.push(8, 30, 1)
    expect([queue.pop(1_000), queue.pop(1_000)]).toEqual([7, 8])
  })

  it('clear() empties every level and the queue is reusable', async () => {
    const queue = await create({ capacity: 4, levels: 4 })
    for (let i = 0; i < 4; i++) queue.push(i, i, 0)
    queue.clear()
    expect([queue.size, queue.sizeAt(2), queue.pop(0)]).toEqual([0, 0, -1])
    for (let i = 0; i < 4; i++) expect(queue.push(10 + i, 3 - i, 1)).toBe(true)
    expect([queue.pop(1), queue.pop(1), queue.pop(1), queue.pop(1)]).toEqual([13, 12, 11, 10])
  })

  it('holds 16 bytes a node plus a small header; the pool grows with the backlog and shrinks after it drains', async () => {
    const bytes = (nodes: number) => 128 + 16 * nodes + 4 * 24
    const queue = await create({ capacity: 1_000_000, levels: 4 })
    expect(queue.byteLength).toBe(bytes(16)) // idle: a few hundred bytes whatever the capacity
    for (let i = 0; i < 1_000; i++) expect(queue.push(i, i % 4, 0)).toBe(true)
    expect(queue.byteLength).toBe(bytes(1_024))
    // Pops come back in order across the growths: nodes kept their place.
    for (let level = 0; level < 4; level++) {
      for (let i = level; i < 1_000; i += 4) expect(queue.pop(0)).toBe(i)
    }
    expect(queue.byteLength).toBe(bytes(1_024)) // drained at its peak: kept for the next burst
    for (let i = 0; i < 10; i++) queue.push(i, 0, 0)
    while (queue.pop(0) >= 0);
    expect(queue.byteLength).toBe(bytes(16)) // drained far below its pool: shrunk
    for (let i = 0; i < 1_000_000; i++) queue.push(i, 3, 0)
    expect(queue.push(1, 0, 0)).toBe(false)
    expect(queue.byteLength).toBe(bytes(1_000_000))
    queue.clear()
    expect(queue.byteLength).toBe(bytes(16))
    queue.free()
    expect(queue.byteLength).toBe(0)
  })

  it('a drained pool shrinks to fit the most items queued since it was last empty, not the count at the last push', async () => {
    const bytes = (nodes: number) => 128 + 16 * nodes + 4 * 24
    const queue = await create({ capacity: 1_000_000, levels: 4 })
    for (let i = 0; i < 200; i++) queue.push(i, 0, 0)
    while (queue.pop(0) >= 0);
    expect(queue.byteLength).toBe(bytes(256)) // drained at 200: not four times the peak, kept
    // A peak of 33 (odd, so an off-by-one in the peak shows), then 30 pops and one more push:
    // the peak is 33, not the 4 queued at the last push, and 256 nodes shrink to 64, not 32 or 16.
    for (let i = 0; i < 33; i++) queue.push(i, i % 4, 0)
    for (let i = 0; i < 30; i++) queue.pop(0)
    queue.push(33, 0, 0)
    expect(queue.byteLength).toBe(bytes(256))
    while (queue.pop(0) >= 0);
    expect(queue.byteLength).toBe(bytes(64))
    queue.free()
  })

  it('refuses bad options with CORE_INVALID_OPTION', async () => {
    const core = await loadCore({ backend })
    for (const options of [{ capacity: 0 }, { capacity: 1.5 }, { capacity: 2 ** 24 }, { levels: 0 }, { levels: 33 },
      { levels: NaN }, { agingMs: -1 }, { agingMs: 0.5 }, { agingMs: 2 ** 31 }, { agingMs: Infinity }, null]) {
      expect(codeOf(() => core.createPriorityQueue(options as never))).toBe('CORE_INVALID_OPTION')
    }
    expect(() => core.createPriorityQueue({ levels: 33 })).toThrow('levels must be an integer from 1 to 32, got 33')
  })

  it('refuses bad slots, priorities and times with CORE_INVALID_ARGUMENT, queuing nothing', async () => {
    const queue = await create({ capacity: 8, levels: 4 })
    for (const [slot, priority, now] of [[-1, 0, 0], [2 ** 32, 0, 0], [1.5, 0, 0], ['1', 0, 0], [1, -1, 0], [1, 4, 0],
      [1, 0.5, 0], [1, NaN, 0], [1, '0', 0], [1, 0, -1], [1, 0, NaN], [1, 0, Infinity], [1, 0, '5']]) {
      expect(codeOf(() => queue.push(slot as number, priority as number, now as number))).toBe('CORE_INVALID_ARGUMENT')
    }
    expect(() => queue.push(1, 4, 0)).toThrow('priority must be an integer from 0 to 3, got 4')
    expect(() => queue.push(-1, 0, 0)).toThrow('slot must be an integer from 0 to 4294967295, got -1')
    expect(queue.size).toBe(0)
    expect(codeOf(() => queue.pop(NaN))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => queue.pop(-5))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => queue.popBatch(0, [0] as never))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => queue.popBatch(-1, new Uint32Array(1)))).toBe('CORE_INVALID_ARGUMENT')
    expect(codeOf(() => queue.sizeAt(4))).toBe('CORE_INVALID_ARGUMENT')
  })

  it('throws CORE_FREED after free(), and free() twice is harmless', async () => {
    const queue = await create({ capacity: 8 })
    queue.free()
    queue.free()
    expect(codeOf(() => queue.push(1, 0, 0))).toBe('CORE_FREED')
    expect(codeOf(() => queue.pop(0))).toBe('CORE_FREED')
    expect(codeOf(() => queue.popBatch(0, new Uint32Array(1)))).toBe('CORE_FREED')
    expect(codeOf(() => queue.size)).toBe('CORE_FREED')
    expect(codeOf(() => queue.sizeAt(0))).toBe('CORE_FREED')
    expect(codeOf(() => queue.clear())).toBe('CORE_FREED')
  })
})

describe('PriorityQueue memory (wasm backend)', () => {
  it('creating, using and freeing queues in a loop does not grow linear memory', async () => {
    const core = await loadCore()
    const instance = await wasmInstance()
    const round = () => {
      for (let i = 0; i < 200; i++) {
        const queue = core.createPriorityQueue({ capacity: 10_000, levels: 8 })
        for (let j = 0; j < 100; j++) queue.push(j, j % 8, j)
        queue.free()
      }
    }
    round()
    const before = instance.memoryBytes
    for (let i = 0; i < 20; i++) round()
    expect(instance.memoryBytes).toBe(before)
  })
})
