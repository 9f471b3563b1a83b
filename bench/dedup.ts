// DedupSet against what a gossipsub-style seen-cache does in JavaScript: a Set<string> of hex
// message ids with FIFO eviction. Fresh fill and steady state (full set, every key evicts
// the oldest), batched and per key, WebAssembly and its TypeScript twin.

import type { DedupSet } from '../src/core/contracts.js'
import { collector, runTasks, type Context, type TaskSpec } from './harness.js'
import { Random } from './random.js'
import { ratioOf, resultTable, type Section } from './report.js'

const KEYS = 1_000_000
const TTL_MS = 120_000

/** A seen-cache as JavaScript P2P code writes it: a Set of hex ids, oldest evicted first. */
export class StringSeenCache {
  private readonly set = new Set<string>()
  private readonly ring: string[]
  private head = 0

  constructor(readonly capacity: number) {
    this.ring = new Array<string>(capacity).fill('')
  }

  get size(): number {
    return this.set.size
  }

  /** True when `id` was not seen. */
  add(id: string): boolean {
    const set = this.set
    if (set.has(id)) return false
    if (set.size >= this.capacity) set.delete(this.ring[this.head])
    set.add(id)
    this.ring[this.head] = id
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1
    return true
  }
}

/**
 * The 16-character hex form of each key's 8 bytes, as a seen-cache keyed by strings holds it
 * (Buffer#toString('hex') gives flat strings, as hex of received id bytes would be).
 */
export function hexIds(keys: BigUint64Array): string[] {
  const bytes = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength)
  const ids = new Array<string>(keys.length)
  for (let i = 0; i < keys.length; i++) ids[i] = bytes.toString('hex', 8 * i, 8 * i + 8)
  return ids
}

function expectCount(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: ${actual} new keys, expected ${expected}`)
}

export function runDedup(ctx: Context): Section {
  const random = new Random(0xdeda)
  const keysA = random.keys(KEYS)
  const keysB = random.keys(KEYS)
  const hexA = hexIds(keysA)
  const hexB = hexIds(keysB)
  // Every key must be distinct for the expected counts below (true for this seed).
  const distinct = new Set(hexA)
  for (const id of hexB) distinct.add(id)
  expectCount('distinct keys in the two arrays', distinct.size, 2 * KEYS)
  distinct.clear()

  const options = { capacity: KEYS, ttlMs: TTL_MS }
  const wasmSet = ctx.wasm.createDedupSet(options)
  const twinSet = ctx.twin.createDedupSet(options)
  let added = 0

  // Fresh: a cleared set of capacity KEYS takes KEYS new keys.
  const fresh = (name: string, set: DedupSet, batch: boolean): TaskSpec => ({
    name,
    items: KEYS,
    beforeEach: () => set.clear(),
    fn: batch
      ? () => {
          added = set.addBatch(keysA, 1_000)
        }
      : () => {
          let n = 0
          for (let i = 0; i < KEYS; i++) if (set.add(keysA[i], 1_000)) n++
          added = n
        },
    afterEach: () => expectCount(name, added, KEYS),
  })
  let cache = new StringSeenCache(KEYS)
  let freshHex: string[] = []
  const gc = collector()
  const freshSet: TaskSpec = {
    name: 'Set<string> has+add (fresh)',
    items: KEYS,
    // The previous iteration's set is collected untimed, as clearing ours is untimed. The ids
    // are made anew, untimed, as each message brings a new string: strings reused across
    // iterations would carry the hash V8 cached in them the first time.
    beforeEach: () => {
      cache = new StringSeenCache(1)
      freshHex = []
      gc()
      freshHex = hexIds(keysA)
      cache = new StringSeenCache(KEYS)
    },
    fn: () => {
      const c = cache
      const ids = freshHex
      let n = 0
      for (let i = 0; i < KEYS; i++) if (c.add(ids[i]!)) n++
      added = n
    },
    afterEach: () => expectCount('Set<string> (fresh)', added, KEYS),
  }

  // The same, hexing each id's bytes inside the timed region, as a real seen-cache must.
  const bytesA = Buffer.from(keysA.buffer, keysA.byteOffset, keysA.byteLength)
  const freshSetHexing: TaskSpec = {
    ...freshSet,
    name: 'Set<string> hex + has+add (fresh)',
    fn: () => {
      const c = cache
      let n = 0
      for (let i = 0; i < KEYS; i++) if (c.add(bytesA.toString('hex', 8 * i, 8 * i + 8))) n++
      added = n
    },
  }

  // Steady state: the set is full of one array's keys and takes the other's, each evicting
  // the oldest; iterations alternate, so every key is new when it arrives.
  const steady = (name: string, set: DedupSet): TaskSpec => {
    let turn = 0
    let now = 10_000
    set.clear()
    expectCount(`${name} prefill`, set.addBatch(keysB, now), KEYS)
    return {
      name,
      items: KEYS,
      fn: () => {
        added = set.addBatch((turn++ & 1) === 0 ? keysA : keysB, ++now)
      },
      afterEach: () => {
        expectCount(name, added, KEYS)
        if (set.size !== KEYS) throw new Error(`${name}: size ${set.size}, expected ${KEYS}`)
      },
    }
  }
  const steadySet = (): TaskSpec => {
    let turn = 0
    const full = new StringSeenCache(KEYS)
    for (const id of hexB) full.add(id)
    let ids: string[] = []
    return {
      name: 'Set<string> has+add (steady)',
      items: KEYS,
      // New strings each iteration, made untimed, as in the fresh case.
      beforeEach: () => {
        ids = []
        ids = hexIds((turn++ & 1) === 0 ? keysA : keysB)
      },
      fn: () => {
        let n = 0
        for (let i = 0; i < KEYS; i++) if (full.add(ids[i]!)) n++
        added = n
      },
      afterEach: () => {
        expectCount('Set<string> (steady)', added, KEYS)
        if (full.size !== KEYS) throw new Error(`Set<string> (steady): size ${full.size}, expected ${KEYS}`)
      },
    }
  }

  const freshResults = runTasks('dedup', [
    fresh('wasm addBatch (fresh)', wasmSet, true),
    fresh('twin addBatch (fresh)', twinSet, true),
    freshSet,
    freshSetHexing,
    fresh('wasm add() per key (fresh)', wasmSet, false),
    fresh('twin add() per key (fresh)', twinSet, false),
  ], ctx.settings, 'keys/s')
  cache = new StringSeenCache(1)
  const steadyResults = runTasks('dedup', [
    steady('wasm addBatch (steady)', wasmSet),
    steady('twin addBatch (steady)', twinSet),
    steadySet(),
  ], ctx.settings, 'keys/s')
  wasmSet.free()
  twinSet.free()

  return {
    id: 'dedup',
    title: 'DedupSet: 1,000,000 random u64 keys',
    notes: [
      `Fresh: a cleared set of capacity ${KEYS.toLocaleString('en-US')} takes ${KEYS.toLocaleString('en-US')} new random keys per iteration (the reset is untimed). ` +
        'Steady state: a full set takes 1,000,000 new keys, each evicting the oldest; iterations alternate between two key arrays, so every key is new when it arrives.',
      'Set<string> is what a gossipsub seen-cache does: 16-character hex ids, has() then add(), FIFO eviction through a ring of the inserted strings and set.delete(). ' +
        'It is given the hex strings ready-made, outside the timed region, which favours it: a real seen-cache must also turn the id bytes it receives into hex. ' +
        'The strings are made anew before each iteration, as every message brings a new string (strings reused across iterations would carry the hash V8 cached in them). ' +
        'The targets are against that Set; the "hex + has+add" row (Buffer#toString(\'hex\') per id inside the timed region) is for context.',
      `DedupSet: ttlMs ${TTL_MS.toLocaleString('en-US')}, time constant within an iteration (advancing 1 ms per iteration in steady state), so eviction is by capacity. addBatch takes a BigUint64Array; add() reads each key out of it as a bigint.`,
      'Between fresh iterations the Set<string> is replaced and the old one garbage-collected outside the timed region. ' +
        'Verified after every iteration: each backend reports exactly 1,000,000 new keys, and in steady state the size stays 1,000,000.',
    ],
    tables: [
      resultTable('Fresh fill', 'keys/s', freshResults),
      resultTable('Steady state (full, evicting)', 'keys/s', steadyResults),
    ],
    ratios: [
      ratioOf(freshResults, 'wasm addBatch (fresh)', 'Set<string> has+add (fresh)', { label: 'dedup fresh: wasm addBatch vs Set<string>', target: 10 }),
      ratioOf(freshResults, 'wasm addBatch (fresh)', 'twin addBatch (fresh)', { label: 'dedup fresh: wasm addBatch vs twin addBatch', target: 2 }),
      ratioOf(steadyResults, 'wasm addBatch (steady)', 'Set<string> has+add (steady)', { label: 'dedup steady: wasm addBatch vs Set<string>', target: 10 }),
      ratioOf(steadyResults, 'wasm addBatch (steady)', 'twin addBatch (steady)', { label: 'dedup steady: wasm addBatch vs twin addBatch', target: 2 }),
      ratioOf(freshResults, 'wasm add() per key (fresh)', 'Set<string> has+add (fresh)', { label: 'dedup fresh: wasm add() per key vs Set<string> (context)' }),
      ratioOf(freshResults, 'wasm addBatch (fresh)', 'Set<string> hex + has+add (fresh)', { label: 'dedup fresh: wasm addBatch vs Set<string> hexing each id (context)' }),
      ratioOf(freshResults, 'twin addBatch (fresh)', 'Set<string> has+add (fresh)', { label: 'dedup fresh: twin addBatch vs Set<string> (context)' }),
    ],
  }
}
