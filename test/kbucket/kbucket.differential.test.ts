// Random operation sequences on the real k-bucket 5.1.0 and on wasmesh/kbucket, fed the very
// same contact objects: every return value, every event (with its arguments), count(),
// toArray() and the shape of the tree (`root`) must agree after every step. Runs on both core
// backends (WebAssembly, and the TypeScript twin that browsers' main threads fall back to).

import { createRequire } from 'node:module'
import { afterEach, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import KBucket, { type KBucketNode, type KBucketOptions } from '../../src/kbucket/index.js'

const backend = vi.hoisted(() => ({ name: 'wasm' as 'wasm' | 'js' }))
vi.mock('../../src/core/load-core.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/core/load-core.js')>()
  return { ...actual, loadCoreSync: () => actual.loadCoreSync({ backend: backend.name }) }
})

// k-bucket ships no types; its API is the adapter's.
const RealKBucket = createRequire(import.meta.url)('k-bucket') as typeof KBucket

interface TestContact {
  id: Uint8Array
  vectorClock?: number
  /** Which add() made this object; arbiters that build a new object mark it `merged`. */
  serial: number
  merged?: boolean
}

type Op =
  | { kind: 'add'; id: number; clock: number | undefined; again: boolean }
  | { kind: 'remove'; id: number }
  | { kind: 'get'; id: number }
  | { kind: 'closest'; target: number; n: number }
  | { kind: 'count' }
  | { kind: 'toArray' }
  | { kind: 'root' }

type ArbiterKind = 'default' | 'incumbent' | 'candidate' | 'merge'

interface Scenario {
  localId: Uint8Array
  pool: Uint8Array[]
  k: number
  ping: number
  arbiter: ArbiterKind
  customDistance: boolean
  ops: Op[]
  /** Before this step, add a contact whose id is one byte longer than any before it. */
  longerIdAt: number | undefined
}

const arbiters: Record<Exclude<ArbiterKind, 'default'>, (a: TestContact, b: TestContact) => TestContact> = {
  incumbent: (incumbent) => incumbent,
  candidate: (_, candidate) => candidate,
  merge: (incumbent, candidate) => ({ ...candidate, serial: incumbent.serial, merged: true }),
}

/** A distance with many ties and no relation to XOR, to exercise k-bucket's gathering order. */
function byteSumDistance(a: Uint8Array, b: Uint8Array): number {
  let sum = 0
  for (let i = 0; i < Math.max(a.length, b.length); i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0))
  return sum
}

const label = (contact: TestContact | null) => (contact === null ? null : `${contact.serial}${contact.merged ? 'm' : ''}`)

function treeLabels(node: KBucketNode<TestContact>): unknown {
  if (node.contacts !== null) return { leaf: node.contacts.map(label), dontSplit: node.dontSplit }
  return { left: treeLabels(node.left!), right: treeLabels(node.right!) }
}

function recordEvents(bucket: KBucket<TestContact>): unknown[] {
  const events: unknown[] = []
  bucket.on('ping', (old, candidate) => events.push(['ping', old.map(label), label(candidate)]))
  bucket.on('added', (contact) => events.push(['added', label(contact)]))
  bucket.on('removed', (contact) => events.push(['removed', label(contact)]))
  bucket.on('updated', (incumbent, selection) => events.push(['updated', label(incumbent), label(selection)]))
  return events
}

/** Runs the scenario on both; fails at the first step where they differ. */
function compare(scenario: Scenario): void {
  const options: KBucketOptions<TestContact> = {
    localNodeId: scenario.localId,
    numberOfNodesPerKBucket: scenario.k,
    numberOfNodesToPing: scenario.ping,
    ...(scenario.arbiter === 'default' ? {} : { arbiter: arbiters[scenario.arbiter] }),
    ...(scenario.customDistance ? { distance: byteSumDistance } : {}),
  }
  const real = new RealKBucket<TestContact>(options)
  const ours = new KBucket<TestContact>(options)
  const realEvents = recordEvents(real)
  const ourEvents = recordEvents(ours)
  const { pool } = scenario
  let serial = 0

  const step = (bucket: KBucket<TestContact>, op: Op, contact: TestContact | undefined): unknown => {
    switch (op.kind) {
      case 'add': return label(bucket.add(contact!) === bucket ? contact! : null)
      case 'remove': return bucket.remove(pool[op.id % pool.length]!) === bucket
      case 'get': return label(bucket.get(pool[op.id % pool.length]!))
      case 'closest': return bucket.closest(pool[op.target % pool.length]!, op.n).map(label)
      case 'count': return bucket.count()
      case 'toArray': return [bucket.toArray().map(label), [...bucket.toIterable()].map(label)]
      case 'root': return treeLabels(bucket.root)
    }
  }

  for (const [index, op] of scenario.ops.entries()) {
    if (index === scenario.longerIdAt) {
      // Late, after refreshes have reordered the buckets: the adapter rebuilds its table wider.
      const longest = Math.max(scenario.localId.length, ...pool.map((id) => id.length))
      const longer = { id: new Uint8Array(longest + 1).fill(0x5a), serial: serial++ }
      real.add(longer)
      ours.add(longer)
    }
    let contact: TestContact | undefined
    if (op.kind === 'add') {
      const id = pool[op.id % pool.length]!
      // `again`: re-add the very object k-bucket holds (a refresh), when it holds one.
      contact = (op.again ? real.get(id) : null) ?? { id, vectorClock: op.clock, serial: serial++ }
    }
    let expected: unknown
    let actual: unknown
    let realError: unknown
    let ourError: unknown
    try { expected = step(real, op, contact) } catch (error) { realError = error }
    try { actual = step(ours, op, contact) } catch (error) { ourError = error }
    const where = `step ${index}: ${JSON.stringify(op)}`
    if (realError !== undefined || ourError !== undefined) {
      // Only k ids that zero-pad to the local id make k-bucket throw (it splits until the stack
      // overflows); the adapter throws a RangeError too. Both are unusable after that.
      expect(ourError, where).toBeInstanceOf(RangeError)
      expect(realError, where).toBeInstanceOf(RangeError)
      return
    }
    expect(actual, where).toEqual(expected)
    expect(ourEvents, where).toEqual(realEvents)
    expect(ours.count(), where).toBe(real.count())
  }
  expect(ours.toArray().map(label)).toEqual(real.toArray().map(label))
  expect(treeLabels(ours.root)).toEqual(treeLabels(real.root))
}

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('add' as const), id: fc.nat(), clock: fc.option(fc.nat(3), { nil: undefined }), again: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), id: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('get' as const), id: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('closest' as const), target: fc.nat(), n: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constant(Infinity)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('count' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('toArray' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('root' as const) }) },
)

/** Bytes biased toward the values that make ids collide once zero-padded, or split deep. */
const biasedByte = fc.oneof(fc.constantFrom(0x00, 0x01, 0x80, 0xff), fc.nat(255))

/** Ids that share a random number of leading bits with `local` (so the tree splits deep), then noise. */
function near(local: Uint8Array, length: number, prefixBits: number, noise: Uint8Array): Uint8Array {
  const id = new Uint8Array(length)
  for (let i = 0; i < length; i++) id[i] = noise[i % Math.max(1, noise.length)] ?? 0
  for (let bit = 0; bit < Math.min(prefixBits, length * 8); bit++) {
    const mask = 0x80 >> (bit & 7)
    const localBit = (bit >> 3) < local.length ? local[bit >> 3]! & mask : 0
    id[bit >> 3] = (id[bit >> 3]! & ~mask) | localBit
  }
  return id
}

/** A pool of ids of `lengths` clustered around the local id, plus the local id and some zero-padded variants. */
function pool(localLength: fc.Arbitrary<number>, idLength: fc.Arbitrary<number>, maxIds: number) {
  return localLength.chain((length) => fc.record({
    localId: fc.array(biasedByte, { minLength: length, maxLength: length }).map((bytes) => Uint8Array.from(bytes)),
    shapes: fc.array(
      idLength.chain((length) => fc.record({
        length: fc.constant(length),
        prefix: fc.nat(Math.min(40, Math.max(0, length * 8 - 1))),
        noise: fc.array(biasedByte, { minLength: 1, maxLength: 40 }).map((b) => Uint8Array.from(b)),
      })),
      { minLength: 1, maxLength: maxIds, size: 'max' },
    ),
    extras: fc.subarray(['local', 'padded', 'truncated'] as const),
  })).map(({ localId, shapes, extras }) => {
    const ids = shapes.map(({ length, prefix, noise }) => near(localId, length, prefix, noise))
    if (extras.includes('local')) ids.push(localId.slice())
    if (extras.includes('padded')) ids.push(Uint8Array.from([...localId, 0]))
    if (extras.includes('truncated') && localId.length > 0) ids.push(localId.slice(0, -1))
    return { localId, pool: ids }
  })
}

function scenarios(
  ids: fc.Arbitrary<{ localId: Uint8Array; pool: Uint8Array[] }>,
  custom: { arbiter: fc.Arbitrary<ArbiterKind>; customDistance: fc.Arbitrary<boolean> },
  maxOps = 150,
): fc.Arbitrary<Scenario> {
  return fc.record({
    ids,
    k: fc.integer({ min: 1, max: 5 }),
    ping: fc.integer({ min: 1, max: 4 }),
    arbiter: custom.arbiter,
    customDistance: custom.customDistance,
    ops: fc.array(opArbitrary, { minLength: 10, maxLength: maxOps, size: 'max' }),
    longerIdAt: fc.option(fc.nat(maxOps), { nil: undefined }),
  }).map(({ ids, ...rest }) => ({ ...ids, ...rest }))
}

const defaults = { arbiter: fc.constant<ArbiterKind>('default'), customDistance: fc.constant(false) }

// A failure shrinks for at most 20 s (the full runs take a few seconds), then is reported.
const budget = { interruptAfterTimeLimit: 20_000 }

describe.each(['wasm', 'js'] as const)('wasmesh/kbucket and k-bucket 5.1.0 agree step by step (%s core)', (name) => {
  afterEach(() => vi.restoreAllMocks())
  const withBackend = (run: () => void) => {
    backend.name = name
    try { run() } finally { backend.name = 'wasm' }
  }

  it('with ids of one length (the usual case: 2-byte ids, exact distances)', () => {
    withBackend(() => fc.assert(fc.property(scenarios(pool(fc.constant(2), fc.constant(2), 40), defaults), compare), { ...budget, numRuns: 100 }))
  })

  it('with 20-byte ids sharing long prefixes, where k-bucket\'s rounded distances tie', () => {
    withBackend(() => fc.assert(fc.property(scenarios(pool(fc.constant(20), fc.constant(20), 40), defaults), compare), { ...budget, numRuns: 60 }))
  })

  it('with ids of mixed lengths 0 to 4 bytes: zero-padding collisions, ids equal to the local id, table widening', () => {
    withBackend(() => fc.assert(fc.property(scenarios(pool(fc.nat(3), fc.nat(4), 30), defaults), compare), { ...budget, numRuns: 120 }))
  })

  it('with ids of 30 to 40 bytes (past the table\'s 32-byte keys)', () => {
    withBackend(() => fc.assert(fc.property(scenarios(pool(fc.integer({ min: 30, max: 40 }), fc.integer({ min: 30, max: 40 }), 30), defaults), compare), { ...budget, numRuns: 40 }))
  })

  it('with custom arbiters and a custom distance', () => {
    const custom = { arbiter: fc.constantFrom<ArbiterKind>('default', 'incumbent', 'candidate', 'merge'), customDistance: fc.boolean() }
    withBackend(() => fc.assert(fc.property(scenarios(pool(fc.nat(3), fc.nat(3), 30), custom), compare), { ...budget, numRuns: 100 }))
  })
})

describe('closest() takes the routing table\'s XOR order where it equals k-bucket\'s', () => {
  it('serves 20-byte random ids from the table and matches k-bucket on 2,000 contacts', () => {
    const random = fc.sample(fc.uint8Array({ minLength: 20, maxLength: 20 }), { numRuns: 2_301, seed: 7 })
    const localNodeId = random[0]!
    const real = new RealKBucket({ localNodeId })
    const ours = new KBucket({ localNodeId })
    const contacts = random.slice(1, 2_001).map((id) => ({ id }))
    for (const contact of contacts) {
      real.add(contact)
      ours.add(contact)
    }
    for (const contact of contacts.slice(0, 300)) {
      real.remove(contact.id)
      ours.remove(contact.id)
    }
    expect(ours.count()).toBe(real.count())
    const fallback = vi.spyOn(KBucket.prototype as unknown as { closestAsKBucket: () => unknown }, 'closestAsKBucket')
    for (const target of random.slice(2_001)) {
      for (const n of [1, 3, 20, Infinity]) expect(ours.closest(target, n)).toEqual(real.closest(target, n))
    }
    expect(fallback).not.toHaveBeenCalled()
    fallback.mockRestore()
  })

  it('falls back to k-bucket\'s own walk when rounded distances tie, and still matches it', () => {
    // 20-byte ids that differ only in their last byte: every XOR distance to a far target rounds
    // to the same number, so k-bucket returns them in the order it gathered them.
    const localNodeId = new Uint8Array(20)
    const real = new RealKBucket({ localNodeId, numberOfNodesPerKBucket: 8 })
    const ours = new KBucket({ localNodeId, numberOfNodesPerKBucket: 8 })
    for (let i = 0; i < 40; i++) {
      const id = new Uint8Array(20)
      id[0] = 0x80 | (i >> 3)
      id[19] = i * 37
      const contact = { id }
      real.add(contact)
      ours.add(contact)
    }
    const target = new Uint8Array(20).fill(0x0f)
    const fallback = vi.spyOn(KBucket.prototype as unknown as { closestAsKBucket: () => unknown }, 'closestAsKBucket')
    expect(ours.closest(target, 5)).toEqual(real.closest(target, 5))
    expect(ours.closest(target)).toEqual(real.closest(target))
    // One result: no pair among the results ties, but the first ties with the second, and
    // k-bucket returns the one it gathered first (the least recently seen), not the nearest.
    expect(ours.closest(target, 1)).toEqual(real.closest(target, 1))
    expect(fallback).toHaveBeenCalled()
    fallback.mockRestore()
  })
})
