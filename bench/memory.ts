// Memory per entry: the DedupSet at 1,000,000 keys next to a Set<string> of 1,000,000 hex
// ids, and the RoutingTable per contact next to k-bucket, counting the same things on both
// sides (the ids, what ties a contact to its peer, the table around them). The WebAssembly
// structures are measured in a fresh instance of the module, so the memory growth is theirs alone.

import KBucket from 'k-bucket'
import { wasmBase64 } from '../src/core/wasm-bytes.generated.js'
import { WasmInstance } from '../src/core/wasm-instance.js'
import { WasmDedupSet } from '../src/core/dedup-set.js'
import { WasmRoutingTable } from '../src/core/routing-table.js'
import type { DedupSet, RoutingTable } from '../src/core/contracts.js'
import { heapDelta, settledHeap, type Context } from './harness.js'
import { Random } from './random.js'
import { StringSeenCache, hexIds } from './dedup.js'
import type { Ratio, Section, Table } from './report.js'

const KEYS = 1_000_000
const FEED = 100_000
const K = 20
const KB_COPIES = 8
const ID_BYTES = 32
/** A peer handle in the RoutingTable's bucket storage. */
const HANDLE_BYTES = 4

/** A fresh instance of the embedded module, sharing nothing with loadCore()'s. */
function freshInstance(): WasmInstance {
  const module = new WebAssembly.Module(Buffer.from(wasmBase64, 'base64'))
  return new WasmInstance(new WebAssembly.Instance(module, {
    env: { abort: () => { throw new Error('WebAssembly core aborted') } },
  }))
}

interface Row {
  readonly structure: string
  readonly entries: number
  readonly bytes: number
  readonly how: string
}

export function runMemory(_ctx: Context): Section {
  const heap = (): number => settledHeap(() => {
    const usage = process.memoryUsage()
    return usage.heapUsed + usage.external
  })
  const rows: Row[] = []
  const random = new Random(0x3e3)
  const keys = random.keys(KEYS)
  const localId = random.ids(1, 32)[0].slice()
  const feed = random.ids(FEED, 32)

  // The JavaScript structures first, while no WebAssembly memory is created or dropped: V8
  // accounts linear memory as external memory, and lazily.
  // A Set<string> of the keys as 16-character hex ids, then the seen-cache with its FIFO ring.
  let base = heap()
  let ids: string[] | undefined = hexIds(keys)
  const strings = new Set<string>(ids)
  ids = undefined
  const setBytes = heapDelta(heap(), base, 'memory: Set<string>')
  if (strings.size !== KEYS) throw new Error(`memory: Set<string> holds ${strings.size} ids`)
  strings.clear()
  base = heap()
  ids = hexIds(keys)
  let cache: StringSeenCache | undefined = new StringSeenCache(KEYS)
  for (const id of ids) cache.add(id)
  ids = undefined
  const cacheBytes = heapDelta(heap(), base, 'memory: seen-cache')
  if (cache.size !== KEYS) throw new Error(`memory: the seen-cache holds ${cache.size} ids`)
  cache = undefined
  // k-bucket fed 100,000 random ids, each its own Uint8Array as it would arrive from the
  // network; several copies, as one holds only a few hundred contacts (~100 KB of heap).
  base = heap()
  const kbs = Array.from({ length: KB_COPIES }, () => {
    const kb = new KBucket<{ id: Uint8Array; peer: number }>({ localNodeId: localId, numberOfNodesPerKBucket: K })
    for (let i = 0; i < FEED; i++) kb.add({ id: feed[i].slice(), peer: i })
    return kb
  })
  const kbBytes = heapDelta(heap(), base, 'memory: k-bucket')
  const kb = kbs[0]
  // What k-bucket's figure is made of, measured the same way: the ids it holds (each its own
  // Uint8Array, made as above) and contact objects around such ids. Each is held in an array,
  // whose own cost is measured alone and taken off.
  const kept = kbs.flatMap((copy) => copy.toArray())
  const held: unknown[] = []
  const retained = (make: () => unknown): number => {
    const before = heap()
    held.push(make())
    return heapDelta(heap(), before, 'memory: k-bucket parts')
  }
  const holderBytes = retained(() => kept.map(() => kept[0]))
  const kbIdBytes = heapDelta(retained(() => kept.map((contact) => contact.id.slice())), holderBytes, 'memory: k-bucket ids')
  const kbContactBytes = heapDelta(retained(() => kept.map((contact) => ({ id: contact.id.slice(), peer: contact.peer }))) - holderBytes, kbIdBytes, 'memory: k-bucket contact objects')
  held.length = 0

  // DedupSet at capacity 1,000,000, filled, in a fresh instance.
  let instance = freshInstance()
  let before = instance.memoryBytes
  const set: DedupSet = new WasmDedupSet(instance, { capacity: KEYS, ttlMs: 120_000 })
  if (set.addBatch(keys, 1_000) !== KEYS) throw new Error('memory: the DedupSet did not take 1,000,000 new keys')
  rows.push({ structure: 'wasm DedupSet', entries: set.capacity, bytes: set.byteLength, how: 'byteLength / capacity' })
  rows.push({ structure: 'wasm DedupSet', entries: set.size, bytes: instance.memoryBytes - before, how: 'linear memory growth of a fresh instance / keys' })
  rows.push({ structure: 'Set<string> of hex ids', entries: KEYS, bytes: setBytes, how: 'heap delta (strings included) / ids' })
  rows.push({ structure: 'Set<string> seen-cache + FIFO ring', entries: KEYS, bytes: cacheBytes, how: 'heap delta (strings and ring included) / ids' })
  set.free()

  // RoutingTable fed the same 100,000 ids, in a fresh instance.
  instance = freshInstance()
  before = instance.memoryBytes
  const table: RoutingTable = new WasmRoutingTable(instance, { localId, k: K })
  for (let i = 0; i < FEED; i++) table.add(feed[i], i)
  const growth = instance.memoryBytes - before
  const contacts = table.size
  const routingBytes = table.byteLength
  const routingRow: Row = { structure: 'wasm RoutingTable', entries: contacts, bytes: routingBytes, how: 'byteLength (ids, handles, structure) / contacts' }
  rows.push(routingRow)
  // The table may fit in the pages the instance starts with; a zero growth says nothing per contact.
  if (growth > 0) rows.push({ structure: 'wasm RoutingTable', entries: contacts, bytes: growth, how: 'linear memory growth of a fresh instance / contacts' })
  const kbRow: Row = {
    structure: `k-bucket (${KB_COPIES} copies)`, entries: KB_COPIES * kb.count(), bytes: kbBytes,
    how: 'heap delta (ids, contact objects, tree) / contacts',
  }
  rows.push(kbRow)
  if (kbs.some((copy) => copy.count() !== contacts)) throw new Error(`memory: k-bucket holds ${kb.count()} contacts, the RoutingTable ${contacts}`)
  table.free()

  const perEntry = (row: Row) => row.bytes / row.entries
  const table1: Table = {
    headers: ['structure', 'entries', 'bytes', 'bytes per entry', 'measured as'],
    numeric: [1, 2, 3],
    rows: rows.map((row) => [row.structure, row.entries.toLocaleString('en-US'), row.bytes.toLocaleString('en-US'), perEntry(row).toFixed(1), row.how]),
  }
  // Per contact, the same three things on both sides.
  const kbContacts = kbRow.entries
  const ours = { ids: ID_BYTES, peers: HANDLE_BYTES, total: routingBytes / contacts }
  const theirs = { ids: kbIdBytes / kbContacts, peers: kbContactBytes / kbContacts, total: kbBytes / kbContacts }
  const bytes = (n: number) => n.toFixed(1)
  const table2: Table = {
    caption: 'RoutingTable and k-bucket per contact, the same things counted on both sides',
    headers: ['per contact', 'wasm RoutingTable', 'k-bucket', 'k-bucket measured as'],
    numeric: [1, 2],
    rows: [
      ['the id (32 bytes)', bytes(ours.ids), bytes(theirs.ids), 'heap of as many 32-byte Uint8Arrays, made as k-bucket was given them'],
      ['what ties it to its peer', bytes(ours.peers), bytes(theirs.peers), 'heap of as many { id, peer } contact objects, their ids left out'],
      ['the table around them', bytes(ours.total - ours.ids - ours.peers), bytes(theirs.total - theirs.ids - theirs.peers), 'the rest of the heap delta: tree nodes, bucket arrays'],
      ['total', bytes(ours.total), bytes(theirs.total), 'heap delta of the fed tables / contacts'],
    ],
  }
  const dedupPer = perEntry(rows[0])
  const ratios: Ratio[] = [
    { label: 'memory: Set<string> bytes per key vs wasm DedupSet', measures: 'heap delta of the Set with its strings vs byteLength', value: perEntry(rows[2]) / dedupPer },
    {
      label: 'memory: k-bucket vs wasm RoutingTable bytes per contact, ids included on both sides',
      measures: 'everything each holds: the ids, what ties each to its peer, the table around them', value: theirs.total / ours.total,
    },
    {
      label: 'memory: k-bucket vs wasm RoutingTable bytes per contact, ids left out on both sides',
      measures: 'what ties each contact to its peer and the table around them', value: (theirs.total - theirs.ids) / (ours.total - ours.ids),
    },
  ]
  return {
    id: 'memory',
    title: 'Memory per entry',
    notes: [
      'WebAssembly structures: their byteLength, and the growth of linear memory when created and filled in a fresh instance of the module ' +
        '(memory grows in 64 KiB pages, so growth rounds up).',
      'JavaScript structures: process.memoryUsage() heapUsed + external before and after building, each after two full garbage collections ' +
        '(gc exposed at run time through v8.setFlagsFromString). Hex ids come from Buffer#toString(\'hex\') (flat strings).',
      'The DedupSet\'s tables start at 256 keys and double as keys arrive, up to capacity; byteLength is what they hold. Each growth ' +
        'frees the smaller tables, which later allocations reuse, but WebAssembly memory never shrinks: one set grown to 1,000,000 ' +
        'keys in an otherwise empty instance leaves about its byteLength again in freed blocks (the growth row). ' +
        'The routing table\'s byteLength depends on how full its buckets are; ' +
        'when it fits in the pages a fresh instance starts with, no growth row is shown.',
      'RoutingTable vs k-bucket counts the same things on both sides: the 32-byte ids (ours copies them into its bucket storage, so the caller may drop its own; ' +
        `k-bucket keeps the caller's Uint8Array), what ties a contact to its peer (our ${HANDLE_BYTES}-byte handle; k-bucket's { id, peer } contact object, peer a number as ours), ` +
        'and the table around them (ours: one-byte tags, the empty slots of allocated buckets, 256 bucket records, the closest() buffer; k-bucket: its tree and bucket arrays). ' +
        'Counted on neither side: the peer records a handle or a contact\'s peer field stands for, which the caller keeps either way.',
    ],
    tables: [table1, table2],
    ratios,
  }
}
