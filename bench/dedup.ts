// DedupSet against what a gossipsub-style seen-cache does in JavaScript: a Set<string> of hex
// message ids with FIFO eviction. Fresh fill (from new structures, and from cleared ones) and
// steady state (full set, every key evicts the oldest), batched and per key, WebAssembly and
// its TypeScript twin.

import type { Core, DedupSet } from '../src/core/contracts.js'
import { DEDUP_INITIAL_CAPACITY } from '../src/core/dedup-set-options.js'
import { collector, runTasks, type Context, type TaskSpec } from './harness.js'
import { Random } from './random.js'
import { ratioOf, resultTable, WASM_VS_TWIN, type Section } from './report.js'

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

  /** Empties the cache. V8 gives a cleared Set a new small table: it grows again as ids arrive. */
  clear(): void {
    this.set.clear()
    this.ring.fill('')
    this.head = 0
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
  const gc = collector()
  let added = 0
  const fill = (set: DedupSet, batch: boolean): number => {
    if (batch) return set.addBatch(keysA, 1_000)
    let n = 0
    for (let i = 0; i < KEYS; i++) if (set.add(keysA[i], 1_000)) n++
    return n
  }

  // Fresh, new: each iteration a new set of capacity KEYS, made untimed after the previous one
  // is freed and collected, takes KEYS new keys: its tables grow from their initial size in
  // the timed region, as a new Set<string>'s do.
  const made: (() => void)[] = []
  const freshNew = (name: string, core: Core, batch: boolean): TaskSpec => {
    let set = core.createDedupSet(options)
    made.push(() => set.free())
    return {
      name,
      items: KEYS,
      beforeEach: () => {
        set.free()
        gc()
        set = core.createDedupSet(options)
      },
      fn: () => {
        added = fill(set, batch)
      },
      afterEach: () => expectCount(name, added, KEYS),
    }
  }
  // Fresh, cleared: one set, cleared untimed before each iteration; its tables stay grown.
  const freshCleared = (name: string, set: DedupSet): TaskSpec => ({
    name,
    items: KEYS,
    beforeEach: () => {
      set.clear()
      gc()
    },
    fn: () => {
      added = fill(set, true)
    },
    afterEach: () => expectCount(name, added, KEYS),
  })

  // The Set<string> side. The ids are made anew before each iteration, untimed, as each
  // message brings a new string: strings reused across iterations would carry the hash V8
  // cached in them the first time.
  let cache = new StringSeenCache(1)
  let freshHex: string[] = []
  const addHex = (): number => {
    const c = cache
    const ids = freshHex
    let n = 0
    for (let i = 0; i < KEYS; i++) if (c.add(ids[i]!)) n++
    return n
  }
  const setNew: TaskSpec = {
    name: 'Set<string> has+add (new)',
    items: KEYS,
    beforeEach: () => {
      cache = new StringSeenCache(1)
      freshHex = []
      gc()
      freshHex = hexIds(keysA)
      cache = new StringSeenCache(KEYS)
    },
    fn: () => {
      added = addHex()
    },
    afterEach: () => expectCount('Set<string> (new)', added, KEYS),
  }
  // The same, hexing each id's bytes inside the timed region, as a real seen-cache must.
  const bytesA = Buffer.from(keysA.buffer, keysA.byteOffset, keysA.byteLength)
  const setNewHexing: TaskSpec = {
    ...setNew,
    name: 'Set<string> hex + has+add (new)',
    fn: () => {
      const c = cache
      let n = 0
      for (let i = 0; i < KEYS; i++) if (c.add(bytesA.toString('hex', 8 * i, 8 * i + 8))) n++
      added = n
    },
  }
  const setCleared: TaskSpec = {
    name: 'Set<string> has+add (cleared)',
    items: KEYS,
    beforeEach: () => {
      if (cache.capacity !== KEYS) cache = new StringSeenCache(KEYS)
      cache.clear()
      freshHex = []
      gc()
      freshHex = hexIds(keysA)
    },
    fn: () => {
      added = addHex()
    },
    afterEach: () => expectCount('Set<string> (cleared)', added, KEYS),
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

  const newResults = runTasks('dedup', [
    freshNew('wasm addBatch (new)', ctx.wasm, true),
    freshNew('twin addBatch (new)', ctx.twin, true),
    setNew,
    setNewHexing,
    freshNew('wasm add() per key (new)', ctx.wasm, false),
    freshNew('twin add() per key (new)', ctx.twin, false),
  ], ctx.settings, 'keys/s')
  for (const free of made) free()
  const wasmSet = ctx.wasm.createDedupSet(options)
  const twinSet = ctx.twin.createDedupSet(options)
  const clearedResults = runTasks('dedup', [
    freshCleared('wasm addBatch (cleared)', wasmSet),
    freshCleared('twin addBatch (cleared)', twinSet),
    setCleared,
  ], ctx.settings, 'keys/s')
  cache = new StringSeenCache(1)
  freshHex = []
  const steadyResults = runTasks('dedup', [
    steady('wasm addBatch (steady)', wasmSet),
    steady('twin addBatch (steady)', twinSet),
    steadySet(),
  ], ctx.settings, 'keys/s')
  wasmSet.free()
  twinSet.free()

  const vsSet = 'WebAssembly, u64 keys and open addressing vs a Set of hex strings'
  const vsSetJs = 'u64 keys and open addressing vs a Set of hex strings, both JavaScript: no WebAssembly'
  return {
    id: 'dedup',
    title: 'DedupSet: 1,000,000 random u64 keys',
    notes: [
      `Fresh, new (equal start; the targets): each iteration every side starts from a newly made structure of capacity ${KEYS.toLocaleString('en-US')} ` +
        '(the previous one freed and garbage-collected, untimed) and takes 1,000,000 new random keys, so every side pays for growing its tables in the timed region: ' +
        `the DedupSet's from ${DEDUP_INITIAL_CAPACITY} keys, the Set's from V8's initial table.`,
      'Fresh, cleared (context): ours reuse one set, cleared untimed before each iteration, whose tables stay grown. The Set<string> cache is cleared too, but ' +
        'V8 gives a cleared Set a new small table and JavaScript has no way to keep one grown, so it pays for its growth again: this table favours ours.',
      'Steady state: a full set takes 1,000,000 new keys, each evicting the oldest; iterations alternate between two key arrays, so every key is new when it arrives. ' +
        'All sides are grown and full.',
      'Set<string> is what a gossipsub seen-cache does: 16-character hex ids, has() then add(), FIFO eviction through a ring of the inserted strings and set.delete(). ' +
        'It is given the hex strings ready-made, outside the timed region, which favours it: a real seen-cache must also turn the id bytes it receives into hex. ' +
        'The strings are made anew before each iteration, as every message brings a new string (strings reused across iterations would carry the hash V8 cached in them). ' +
        'The targets are against that Set; the "hex + has+add" row (Buffer#toString(\'hex\') per id inside the timed region) is for context.',
      `DedupSet: ttlMs ${TTL_MS.toLocaleString('en-US')}, time constant within an iteration (advancing 1 ms per iteration in steady state), so eviction is by capacity. ` +
        'addBatch takes a BigUint64Array; add() reads each key out of it as a bigint.',
      'Verified after every iteration: each side reports exactly 1,000,000 new keys, and in steady state the size stays 1,000,000.',
    ],
    tables: [
      resultTable('Fresh fill, new structures (all sides start small)', 'keys/s', newResults),
      resultTable('Fresh fill, cleared structures (ours stay grown, a cleared Set does not)', 'keys/s', clearedResults),
      resultTable('Steady state (full, evicting)', 'keys/s', steadyResults),
    ],
    ratios: [
      ratioOf(newResults, 'wasm addBatch (new)', 'twin addBatch (new)', { label: 'dedup fresh, new sets: wasm addBatch vs twin addBatch', measures: WASM_VS_TWIN, target: 2 }),
      ratioOf(steadyResults, 'wasm addBatch (steady)', 'twin addBatch (steady)', { label: 'dedup steady: wasm addBatch vs twin addBatch', measures: WASM_VS_TWIN, target: 2 }),
      ratioOf(clearedResults, 'wasm addBatch (cleared)', 'twin addBatch (cleared)', { label: 'dedup fresh, cleared sets: wasm addBatch vs twin addBatch', measures: WASM_VS_TWIN }),
      ratioOf(newResults, 'wasm add() per key (new)', 'twin add() per key (new)', { label: 'dedup fresh, new sets: wasm add() vs twin add() per key', measures: WASM_VS_TWIN }),
      ratioOf(newResults, 'wasm addBatch (new)', 'Set<string> has+add (new)', { label: 'dedup fresh, new sets: wasm addBatch vs Set<string>', measures: vsSet, target: 10 }),
      ratioOf(steadyResults, 'wasm addBatch (steady)', 'Set<string> has+add (steady)', { label: 'dedup steady: wasm addBatch vs Set<string>', measures: vsSet, target: 10 }),
      ratioOf(newResults, 'twin addBatch (new)', 'Set<string> has+add (new)', { label: 'dedup fresh, new sets: twin addBatch vs Set<string>', measures: vsSetJs }),
      ratioOf(clearedResults, 'wasm addBatch (cleared)', 'Set<string> has+add (cleared)', {
        label: 'dedup fresh, cleared sets: wasm addBatch vs Set<string>', measures: `${vsSet}; ours start grown, the Set does not`,
      }),
      ratioOf(newResults, 'wasm add() per key (new)', 'Set<string> has+add (new)', { label: 'dedup fresh, new sets: wasm add() per key vs Set<string>', measures: `${vsSet}, one call and one bigint a key` }),
      ratioOf(newResults, 'wasm addBatch (new)', 'Set<string> hex + has+add (new)', {
        label: 'dedup fresh, new sets: wasm addBatch vs Set<string> hexing each id', measures: `${vsSet}, and the hex conversion a Set of strings needs`,
      }),
    ],
  }
}
