// PriorityQueue against flatqueue (a fast binary heap on typed arrays): 1,000,000 push+pop
// as fill-then-drain and as a steady state around 10,000 queued items.

import FlatQueue from 'flatqueue'
import type { PriorityQueue } from '../src/core/contracts.js'
import { runTasks, type Context, type TaskSpec } from './harness.js'
import { Random } from './random.js'
import { PAYS, ratioOf, resultTable, WASM_VS_TWIN, type Section } from './report.js'

const OPS = 1_000_000
const QUEUED = 10_000
const LEVELS = 4
const AGING_MS = 1_000
/** Virtual time advances 1 ms every this many operations (100,000 operations a second). */
const OPS_PER_MS = 100
const BATCH = 100

/** Throws unless `order` holds each of 0 .. count - 1 exactly once. */
function expectPermutation(what: string, order: Uint32Array, count: number): void {
  const seen = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    const slot = order[i]
    if (slot >= count || seen[slot] === 1) throw new Error(`${what}: pop ${i} returned slot ${slot}, repeated or never pushed`)
    seen[slot] = 1
  }
}

export function runQueue(ctx: Context): Section {
  const random = new Random(0x9e0e)
  const priorities = new Uint8Array(OPS)
  for (let i = 0; i < OPS; i++) priorities[i] = random.below(LEVELS)
  const options = { capacity: OPS, levels: LEVELS, agingMs: AGING_MS }

  // Fill-then-drain: push slots 0 .. OPS - 1, then pop them all; every pop is recorded (by
  // every contender alike) and checked to be a permutation after the iteration.
  const lastOrder = new Map<string, Uint32Array>()
  const fillDrain = (name: string, queue: PriorityQueue, batched: boolean): TaskSpec => {
    const order = new Uint32Array(OPS)
    let now = 0
    let popped = 0
    return {
      name,
      items: OPS,
      // The queue's clock never runs backwards, so time keeps advancing across iterations.
      beforeEach: () => queue.clear(),
      fn: () => {
        let t = now
        for (let i = 0; i < OPS; i += OPS_PER_MS) {
          t++
          for (let j = i; j < i + OPS_PER_MS; j++) if (!queue.push(j, priorities[j], t)) throw new Error(`${name}: push ${j} refused`)
        }
        let n = 0
        if (batched) {
          while (n < OPS) {
            t++
            const got = queue.popBatch(t, order.subarray(n, n + BATCH))
            if (got === 0) break
            n += got
          }
        } else {
          for (let i = 0; i < OPS; i += OPS_PER_MS) {
            t++
            for (let j = 0; j < OPS_PER_MS; j++) {
              const slot = queue.pop(t)
              if (slot < 0) break
              order[n++] = slot
            }
          }
        }
        popped = n
        now = t
      },
      afterEach: () => {
        if (popped !== OPS || queue.size !== 0 || queue.pop(now) !== -1) throw new Error(`${name}: ${popped} of ${OPS} pushed items popped, ${queue.size} left`)
        expectPermutation(name, order, OPS)
        lastOrder.set(name, order)
      },
    }
  }
  const flatFillDrain = (): TaskSpec => {
    const queue = new FlatQueue<number>(OPS)
    const order = new Uint32Array(OPS)
    let popped = 0
    return {
      name: 'flatqueue (fill, drain)',
      items: OPS,
      beforeEach: () => queue.clear(),
      fn: () => {
        for (let i = 0; i < OPS; i++) queue.push(i, priorities[i] * 2 ** 32 + i)
        let n = 0
        for (let i = 0; i < OPS; i++) {
          const slot = queue.pop()
          if (slot === undefined) break
          order[n++] = slot
        }
        popped = n
      },
      afterEach: () => {
        if (popped !== OPS || queue.length !== 0) throw new Error(`flatqueue: ${popped} of ${OPS} pushed items popped`)
        expectPermutation('flatqueue', order, OPS)
      },
    }
  }

  const wasmBig = ctx.wasm.createPriorityQueue(options)
  const twinBig = ctx.twin.createPriorityQueue(options)
  const fillResults = runTasks('queue', [
    fillDrain('wasm push, pop (fill, drain)', wasmBig, false),
    fillDrain('twin push, pop (fill, drain)', twinBig, false),
    flatFillDrain(),
    fillDrain('wasm push, popBatch (fill, drain)', wasmBig, true),
  ], ctx.settings, 'push+pop/s')
  const wasmOrder = lastOrder.get('wasm push, pop (fill, drain)')
  const twinOrder = lastOrder.get('twin push, pop (fill, drain)')
  const batchOrder = lastOrder.get('wasm push, popBatch (fill, drain)')
  if (wasmOrder === undefined || twinOrder === undefined || batchOrder === undefined) throw new Error('queue: a fill-drain task recorded no pop order')
  for (let i = 0; i < OPS; i++) {
    if (wasmOrder[i] !== twinOrder[i]) throw new Error(`queue: pop ${i} differs between wasm (${wasmOrder[i]}) and twin (${twinOrder[i]})`)
  }
  wasmBig.free()
  twinBig.free()

  // Steady state: QUEUED items waiting; each operation pushes one and pops one.
  const steadyCapacity = QUEUED + 1
  let pushedSum = 0
  let poppedSum = 0
  const steady = (name: string, queue: PriorityQueue): { task: TaskSpec; check: () => void } => {
    let now = 0
    let seq = 0
    let sumIn = 0
    let sumOut = 0
    let misses = 0
    for (; seq < QUEUED; seq++) {
      if (seq % OPS_PER_MS === 0) now++
      queue.push(seq, priorities[seq], now)
      sumIn += seq
    }
    return {
      task: {
        name,
        items: OPS,
        fn: () => {
          let t = now
          let s = seq
          let out = 0
          let missed = 0
          for (let i = 0; i < OPS; i += OPS_PER_MS) {
            t++
            for (let j = i; j < i + OPS_PER_MS; j++) {
              queue.push(s, priorities[j], t)
              s++
              const slot = queue.pop(t)
              if (slot < 0) missed++
              else out += slot
            }
          }
          sumIn += ((seq + s - 1) * (s - seq)) / 2
          sumOut += out
          misses += missed
          seq = s
          now = t
        },
        afterEach: () => {
          if (misses !== 0 || queue.size !== QUEUED) throw new Error(`${name}: ${misses} pops found the queue empty, ${queue.size} queued (expected ${QUEUED})`)
        },
      },
      check: () => {
        // Drain: everything pushed came out exactly once, by sum.
        let slot: number
        while ((slot = queue.pop(++now)) >= 0) sumOut += slot
        if (sumOut !== sumIn) throw new Error(`${name}: popped slots sum to ${sumOut}, pushed ${sumIn}`)
        pushedSum += sumIn
        poppedSum += sumOut
      },
    }
  }
  const flatSteady = (): { task: TaskSpec; check: () => void } => {
    const queue = new FlatQueue<number>(steadyCapacity)
    let seq = 0
    let sumIn = 0
    let sumOut = 0
    let misses = 0
    for (; seq < QUEUED; seq++) {
      queue.push(seq, priorities[seq] * 2 ** 32 + seq)
      sumIn += seq
    }
    return {
      task: {
        name: 'flatqueue (steady, 10,000 queued)',
        items: OPS,
        fn: () => {
          let s = seq
          let out = 0
          let missed = 0
          for (let j = 0; j < OPS; j++) {
            queue.push(s, priorities[j] * 2 ** 32 + s)
            s++
            const slot = queue.pop()
            if (slot === undefined) missed++
            else out += slot
          }
          sumIn += ((seq + s - 1) * (s - seq)) / 2
          sumOut += out
          misses += missed
          seq = s
        },
        afterEach: () => {
          if (misses !== 0 || queue.length !== QUEUED) throw new Error(`flatqueue steady: ${misses} empty pops, ${queue.length} queued`)
        },
      },
      check: () => {
        let slot: number | undefined
        while ((slot = queue.pop()) !== undefined) sumOut += slot
        if (sumOut !== sumIn) throw new Error(`flatqueue steady: popped slots sum to ${sumOut}, pushed ${sumIn}`)
      },
    }
  }
  const steadyOptions = { capacity: steadyCapacity, levels: LEVELS, agingMs: AGING_MS }
  const wasmSmall = ctx.wasm.createPriorityQueue(steadyOptions)
  const twinSmall = ctx.twin.createPriorityQueue(steadyOptions)
  const contenders = [
    steady('wasm push+pop (steady, 10,000 queued)', wasmSmall),
    steady('twin push+pop (steady, 10,000 queued)', twinSmall),
    flatSteady(),
  ]
  const steadyResults = runTasks('queue', contenders.map((c) => c.task), ctx.settings, 'push+pop/s')
  for (const contender of contenders) contender.check()
  wasmSmall.free()
  twinSmall.free()
  if (pushedSum !== poppedSum) throw new Error('queue: steady-state sums disagree')

  const levelsVsHeap = 'O(1) levels with aging vs a binary heap'
  return {
    id: 'queue',
    title: `PriorityQueue: ${OPS.toLocaleString('en-US')} push+pop`,
    notes: [
      `Ours: levels ${LEVELS}, agingMs ${AGING_MS.toLocaleString('en-US')}, random priorities 0..${LEVELS - 1} (seeded), slots are sequence numbers; ` +
        `virtual time advances 1 ms every ${OPS_PER_MS} operations (100,000 operations a second), so in the 1,000,000-item backlog most items age past ` +
        `${AGING_MS} ms and are served oldest first, and in the steady state low-priority items wait until they age.`,
      'flatqueue (fixed-capacity typed-array heap) gets priority = level * 2^32 + sequence: strict levels, FIFO within a level, no aging, ' +
        'which is less work than ours. Its results are not compared item by item (no aging), only checked to return every pushed item.',
      `Fill-then-drain: capacity ${OPS.toLocaleString('en-US')}, cleared untimed before each iteration; one iteration pushes all ${OPS.toLocaleString('en-US')} items, then pops them all ` +
        `(popBatch: ${BATCH} per call). Every pop is stored by every contender; after each iteration the pops are checked to be each pushed slot exactly once, ` +
        'and wasm and twin (and popBatch) must pop in the identical order.',
      `Steady state: capacity ${steadyCapacity.toLocaleString('en-US')}, ${QUEUED.toLocaleString('en-US')} items queued; each step pushes one item and pops one. ` +
        'Checked: no pop finds the queue empty, the size stays at 10,000, and after draining, the popped slots sum to the pushed ones.',
      'Rates are push+pop pairs per second.',
    ],
    tables: [
      resultTable('Fill 1,000,000, then drain', 'push+pop/s', fillResults),
      resultTable('Steady state, 10,000 queued', 'push+pop/s', steadyResults),
    ],
    ratios: [
      ratioOf(fillResults, 'wasm push, pop (fill, drain)', 'twin push, pop (fill, drain)', { label: 'queue fill-drain: wasm vs twin', measures: WASM_VS_TWIN, target: PAYS }),
      ratioOf(steadyResults, 'wasm push+pop (steady, 10,000 queued)', 'twin push+pop (steady, 10,000 queued)', { label: 'queue steady: wasm vs twin', measures: WASM_VS_TWIN, target: PAYS }),
      ratioOf(fillResults, 'wasm push, pop (fill, drain)', 'flatqueue (fill, drain)', { label: 'queue fill-drain: wasm vs flatqueue', measures: `WebAssembly and ${levelsVsHeap}`, target: 1 }),
      ratioOf(steadyResults, 'wasm push+pop (steady, 10,000 queued)', 'flatqueue (steady, 10,000 queued)', { label: 'queue steady: wasm vs flatqueue', measures: `WebAssembly and ${levelsVsHeap}`, target: 1 }),
      ratioOf(fillResults, 'twin push, pop (fill, drain)', 'flatqueue (fill, drain)', { label: 'queue fill-drain: twin vs flatqueue', measures: `${levelsVsHeap}, both JavaScript` }),
      ratioOf(steadyResults, 'twin push+pop (steady, 10,000 queued)', 'flatqueue (steady, 10,000 queued)', { label: 'queue steady: twin vs flatqueue', measures: `${levelsVsHeap}, both JavaScript` }),
      ratioOf(fillResults, 'wasm push, popBatch (fill, drain)', 'flatqueue (fill, drain)', {
        label: 'queue fill-drain: wasm popBatch vs flatqueue', measures: `WebAssembly, ${levelsVsHeap}, one crossing per ${BATCH} pops`,
      }),
    ],
  }
}
