// RoutingTable against the k-bucket package (what js-libp2p-era and webtorrent DHTs use):
// a table fed 100,000 random 32-byte ids with k = 20, then add() of a stream of new ids
// (mostly refused: their buckets are full), add() of known ids, and closest(target, 20).

import KBucket from 'k-bucket'
import type { RoutingTable } from '../src/core/contracts.js'
import { runTasks, type Context, type TaskSpec } from './harness.js'
import { Random, splitIds } from './random.js'
import { PAYS, ratioOf, resultTable, WASM_VS_TWIN, type Section } from './report.js'

const ID_BYTES = 32
const K = 20
const FEED = 100_000
const STREAM = 100_000
const TARGETS = 10_000
const CLOSEST_N = 20

interface Contact {
  id: Uint8Array
  peer: number
}

/** Negative when `a` is nearer to `target` than `b` by XOR distance, 0 when equal. */
export function compareDistance(a: Uint8Array, b: Uint8Array, target: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const d = (a[i] ^ target[i]) - (b[i] ^ target[i])
    if (d !== 0) return d
  }
  return 0
}

function sameHandles(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function sortedHandles(handles: Iterable<number>): Uint32Array {
  return Uint32Array.from(handles).sort()
}

export function runRouting(ctx: Context): Section {
  const random = new Random(0x0a11)
  const localId = random.ids(1, ID_BYTES)[0].slice()
  const feed = random.ids(FEED, ID_BYTES)
  const streamBytes = random.bytes(STREAM * ID_BYTES)
  const stream = splitIds(streamBytes, ID_BYTES)
  const streamPeers = Uint32Array.from({ length: STREAM }, (_, i) => FEED + i)
  const targets = random.ids(TARGETS, ID_BYTES)
  const idOf = new Map<number, Uint8Array>()
  feed.forEach((id, i) => idOf.set(i, id))
  stream.forEach((id, i) => idOf.set(FEED + i, id))

  const wasmTable = ctx.wasm.createRoutingTable({ localId, k: K })
  const twinTable = ctx.twin.createRoutingTable({ localId, k: K })
  const kb = new KBucket<Contact>({ localNodeId: localId, numberOfNodesPerKBucket: K })

  // Feed the same ids to all three. k-bucket splits only the bucket holding the local id, so
  // like ours it keeps the first k ids of each common-prefix length: contents should agree.
  const accepted: number[] = []
  for (let i = 0; i < FEED; i++) {
    const result = wasmTable.add(feed[i], i)
    const twinResult = twinTable.add(feed[i], i)
    if ((result === 'added') !== (twinResult === 'added')) throw new Error(`feed ${i}: wasm ${JSON.stringify(result)}, twin ${JSON.stringify(twinResult)}`)
    if (result === 'added') accepted.push(i)
    kb.add({ id: feed[i], peer: i })
  }
  const checkContents = (when: string): boolean => {
    if (wasmTable.size !== twinTable.size) throw new Error(`${when}: wasm table holds ${wasmTable.size} contacts, twin ${twinTable.size}`)
    if (kb.count() < K) throw new Error(`${when}: k-bucket holds only ${kb.count()} contacts`)
    const ours = sortedHandles(accepted)
    if (ours.length !== wasmTable.size) throw new Error(`${when}: ${ours.length} adds answered 'added' but the table holds ${wasmTable.size}`)
    return sameHandles(ours, sortedHandles(kb.toArray().map((c) => c.peer)))
  }
  const sameContents = checkContents('after the feed')
  const contactsAfterFeed = wasmTable.size

  let sink = 0
  let refused = 0
  const addStream = (name: string, table: RoutingTable): TaskSpec => ({
    name,
    items: STREAM,
    fn: () => {
      let full = 0
      for (let i = 0; i < STREAM; i++) if (typeof table.add(stream[i], FEED + i) === 'object') full++
      refused = full
    },
    afterEach: () => {
      if (refused < STREAM * 0.9) throw new Error(`${name}: only ${refused} of ${STREAM} adds were refused; the buckets should be full`)
    },
  })
  const outcomes = new Uint8Array(STREAM)
  const addStreamBatch = (name: string, table: RoutingTable): TaskSpec => ({
    name,
    items: STREAM,
    fn: () => {
      table.addBatch(streamBytes, streamPeers, undefined, outcomes)
    },
    afterEach: () => {
      let full = 0
      for (let i = 0; i < STREAM; i++) if (outcomes[i] === 2) full++
      if (full < STREAM * 0.9) throw new Error(`${name}: only ${full} of ${STREAM} adds were refused; the buckets should be full`)
    },
  })
  const kbStreamContacts = stream.map((id, i): Contact => ({ id, peer: FEED + i }))
  const kbAddStream: TaskSpec = {
    name: 'k-bucket add (new ids, mostly full)',
    items: STREAM,
    fn: () => {
      for (let i = 0; i < STREAM; i++) kb.add(kbStreamContacts[i])
    },
    afterEach: () => {
      if (kb.count() > contactsAfterFeed + STREAM / 10) throw new Error(`k-bucket add: ${kb.count()} contacts; the buckets should be full`)
    },
  }
  const addResults = runTasks('routing', [
    addStream('wasm add (new ids, mostly full)', wasmTable),
    addStream('twin add (new ids, mostly full)', twinTable),
    kbAddStream,
    addStreamBatch('wasm addBatch (new ids, mostly full)', wasmTable),
    addStreamBatch('twin addBatch (new ids, mostly full)', twinTable),
  ], ctx.settings, 'adds/s')
  // The stream's few accepted ids (deep buckets) went to all three alike.
  accepted.length = 0
  for (let b = 0; b < wasmTable.bucketCount; b++) for (const peer of wasmTable.bucketPeers(b)) accepted.push(peer)
  const sameAfterStream = checkContents('after the add stream')

  // add() of ids already in the table: each moves to the most-recent end of its bucket.
  const known = accepted.slice()
  const rounds = Math.max(1, Math.floor(STREAM / known.length))
  const knownIds = known.map((peer) => idOf.get(peer) as Uint8Array)
  const kbByPeer = new Map(kb.toArray().map((c) => [c.peer, c]))
  const kbKnown = known.map((peer) => kbByPeer.get(peer)).filter((c): c is Contact => c !== undefined)
  const knownBytes = new Uint8Array(known.length * ID_BYTES)
  knownIds.forEach((id, i) => knownBytes.set(id, i * ID_BYTES))
  const knownPeers = Uint32Array.from(known)
  const knownOutcomes = new Uint8Array(known.length)
  let updated = 0
  const addKnown = (name: string, table: RoutingTable): TaskSpec => ({
    name,
    items: rounds * known.length,
    fn: () => {
      let n = 0
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < known.length; i++) if (table.add(knownIds[i], known[i]) === 'updated') n++
      }
      updated = n
    },
    afterEach: () => {
      if (updated !== rounds * known.length) throw new Error(`${name}: ${updated} of ${rounds * known.length} adds of known ids answered 'updated'`)
    },
  })
  const addKnownBatch = (name: string, table: RoutingTable): TaskSpec => ({
    name,
    items: rounds * known.length,
    fn: () => {
      let n = 0
      for (let r = 0; r < rounds; r++) n += table.addBatch(knownBytes, knownPeers, undefined, knownOutcomes)
      updated = n
    },
    afterEach: () => {
      if (updated !== 0 || knownOutcomes.some((outcome) => outcome !== 1)) throw new Error(`${name}: known ids were not all answered 'updated'`)
    },
  })
  const updateResults = runTasks('routing', [
    addKnown('wasm add (known ids, updated)', wasmTable),
    addKnown('twin add (known ids, updated)', twinTable),
    {
      name: 'k-bucket add (known ids, updated)',
      items: rounds * kbKnown.length,
      fn: () => {
        for (let r = 0; r < rounds; r++) for (let i = 0; i < kbKnown.length; i++) kb.add(kbKnown[i])
      },
      afterEach: () => {
        if (kb.count() !== kbByPeer.size) throw new Error(`k-bucket add (known ids): count changed from ${kbByPeer.size} to ${kb.count()}`)
      },
    },
    addKnownBatch('wasm addBatch (known ids, updated)', wasmTable),
    addKnownBatch('twin addBatch (known ids, updated)', twinTable),
  ], ctx.settings, 'adds/s')

  // closest(): verified untimed on every target before timing. wasm and twin must agree
  // exactly and be in strict XOR order; k-bucket must return as many, in valid XOR order,
  // and, when it holds the same contacts, the same handles.
  const out = new Uint32Array(CLOSEST_N)
  let kbSameOrder = 0
  for (const target of targets) {
    const ours = wasmTable.closest(target, CLOSEST_N, out)
    const twin = twinTable.closest(target, CLOSEST_N)
    if (!sameHandles(ours, twin)) throw new Error(`closest: wasm [${Array.from(ours)}] and twin [${Array.from(twin)}] differ`)
    const theirs = kb.closest(target, CLOSEST_N)
    if (ours.length !== Math.min(CLOSEST_N, wasmTable.size) || theirs.length !== ours.length) {
      throw new Error(`closest: wasm returned ${ours.length} handles, k-bucket ${theirs.length}, expected ${Math.min(CLOSEST_N, wasmTable.size)}`)
    }
    for (let i = 1; i < ours.length; i++) {
      if (compareDistance(idOf.get(ours[i - 1]) as Uint8Array, idOf.get(ours[i]) as Uint8Array, target) >= 0) throw new Error('closest: wasm result is not in XOR order')
      if (compareDistance(theirs[i - 1].id, theirs[i].id, target) > 0) throw new Error('closest: k-bucket result is not in XOR order')
    }
    const theirHandles = theirs.map((c) => c.peer)
    if (sameHandles(ours, theirHandles)) kbSameOrder++
    else if (sameAfterStream && !sameHandles(sortedHandles(ours), sortedHandles(theirHandles))) {
      throw new Error(`closest: same contents but different nearest sets: wasm [${Array.from(ours)}], k-bucket [${theirHandles}]`)
    }
  }

  const closestTask = (name: string, table: RoutingTable): TaskSpec => ({
    name,
    items: TARGETS,
    fn: () => {
      let s = 0
      for (let i = 0; i < TARGETS; i++) s += table.closest(targets[i], CLOSEST_N, out).length
      sink = s
    },
    afterEach: () => {
      if (sink !== TARGETS * CLOSEST_N) throw new Error(`${name}: ${sink} handles returned, expected ${TARGETS * CLOSEST_N}`)
    },
  })
  const closestResults = runTasks('routing', [
    closestTask('wasm closest(target, 20)', wasmTable),
    closestTask('twin closest(target, 20)', twinTable),
    {
      name: 'k-bucket closest(target, 20)',
      items: TARGETS,
      fn: () => {
        let s = 0
        for (let i = 0; i < TARGETS; i++) s += kb.closest(targets[i], CLOSEST_N).length
        sink = s
      },
      afterEach: () => {
        if (sink !== TARGETS * CLOSEST_N) throw new Error(`k-bucket closest: ${sink} contacts returned, expected ${TARGETS * CLOSEST_N}`)
      },
    },
  ], ctx.settings, 'lookups/s')
  const finalSize = wasmTable.size
  wasmTable.free()
  twinTable.free()

  const closestAlgorithms = 'a different algorithm: distance bands over u64 words vs k-bucket\'s float distances and a sort'
  const addLayouts = 'a different layout: tagged buckets of u64 words vs k-bucket\'s tree walk and byte-wise id comparison'
  return {
    id: 'routing',
    title: `RoutingTable: ${FEED.toLocaleString('en-US')} random 32-byte ids, k = ${K}`,
    notes: [
      `All three tables were fed the same ${FEED.toLocaleString('en-US')} random ids; each keeps the first ${K} ids of every common-prefix length ` +
        `(k-bucket splits only the bucket holding the local id), so they held ${contactsAfterFeed} contacts after the feed and ${finalSize} after the add stream; ` +
        `their contents ${sameContents && sameAfterStream ? 'were identical (checked)' : 'differed (eviction policies), so only XOR-order validity was compared'}.`,
      `add (new ids): ${STREAM.toLocaleString('en-US')} fresh random ids per iteration, nearly all refused because their bucket is full (the realistic steady state; ` +
        'ours returns the least-recently-seen contact to ping, k-bucket emits its ping event with no listener). Contact objects for k-bucket are made outside the timed region. ' +
        'addBatch takes all the ids back to back in one Uint8Array with a Uint32Array of handles and writes what happened to each into a Uint8Array (checked after every iteration).',
      `add (known ids): the ${known.length} contacts in the table re-added ${rounds} times per iteration; every add must answer 'updated' (k-bucket gets its stored contact objects back).`,
      `closest: ${TARGETS.toLocaleString('en-US')} random targets per iteration, n = ${CLOSEST_N}; ours writes into a reused Uint32Array. ` +
        `Verified untimed on every target: wasm and twin give identical handles in strict XOR order, k-bucket gives as many in valid XOR order, ` +
        `and k-bucket's handles matched ours in the same order for ${kbSameOrder} of ${TARGETS} targets.`,
    ],
    tables: [
      resultTable('add of new ids (buckets full)', 'adds/s', addResults),
      resultTable('add of known ids (updated)', 'adds/s', updateResults),
      resultTable('closest(target, 20)', 'lookups/s', closestResults),
    ],
    ratios: [
      ratioOf(closestResults, 'wasm closest(target, 20)', 'twin closest(target, 20)', { label: 'routing closest: wasm vs twin', measures: WASM_VS_TWIN, target: PAYS }),
      ratioOf(addResults, 'wasm add (new ids, mostly full)', 'twin add (new ids, mostly full)', { label: 'routing add (new ids): wasm vs twin', measures: WASM_VS_TWIN, target: PAYS }),
      ratioOf(updateResults, 'wasm add (known ids, updated)', 'twin add (known ids, updated)', { label: 'routing add (known ids): wasm vs twin', measures: WASM_VS_TWIN }),
      ratioOf(addResults, 'wasm addBatch (new ids, mostly full)', 'twin addBatch (new ids, mostly full)', { label: 'routing addBatch (new ids): wasm vs twin', measures: WASM_VS_TWIN }),
      ratioOf(closestResults, 'wasm closest(target, 20)', 'k-bucket closest(target, 20)', { label: 'routing: wasm closest vs k-bucket', measures: `WebAssembly and ${closestAlgorithms}`, target: 5 }),
      ratioOf(addResults, 'wasm add (new ids, mostly full)', 'k-bucket add (new ids, mostly full)', { label: 'routing: wasm add (new ids) vs k-bucket', measures: `WebAssembly and ${addLayouts}`, target: 5 }),
      ratioOf(updateResults, 'wasm add (known ids, updated)', 'k-bucket add (known ids, updated)', { label: 'routing: wasm add (known ids) vs k-bucket', measures: `WebAssembly and ${addLayouts}`, target: 5 }),
      ratioOf(addResults, 'wasm addBatch (new ids, mostly full)', 'k-bucket add (new ids, mostly full)', {
        label: 'routing: wasm addBatch (new ids) vs k-bucket add', measures: `WebAssembly, ${addLayouts}, one crossing a batch`, target: 5,
      }),
      ratioOf(updateResults, 'wasm addBatch (known ids, updated)', 'k-bucket add (known ids, updated)', {
        label: 'routing: wasm addBatch (known ids) vs k-bucket add', measures: `WebAssembly, ${addLayouts}, one crossing a batch`, target: 5,
      }),
      ratioOf(closestResults, 'twin closest(target, 20)', 'k-bucket closest(target, 20)', { label: 'routing: twin closest vs k-bucket', measures: `${closestAlgorithms}, both JavaScript` }),
      ratioOf(addResults, 'twin add (new ids, mostly full)', 'k-bucket add (new ids, mostly full)', { label: 'routing: twin add (new ids) vs k-bucket', measures: `${addLayouts}, both JavaScript` }),
    ],
  }
}
