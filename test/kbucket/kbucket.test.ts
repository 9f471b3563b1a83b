// wasmesh/kbucket behaviour beyond k-bucket's own test files: the same errors for bad input,
// ids k-bucket takes that the routing table alone could not (the local id, any length), the
// limits this adapter adds, and that the ids really live in the WebAssembly routing table.

import { EventEmitter } from 'node:events'
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it, vi } from 'vitest'
import KBucket, { type Contact } from '../../src/kbucket/index.js'
import { WasmRoutingTable } from '../../src/core/routing-table.js'

const RealKBucket = createRequire(import.meta.url)('k-bucket') as typeof KBucket

const ids = (contacts: Contact[]) => contacts.map((contact) => Buffer.from(contact.id).toString('hex'))

function thrown(run: () => unknown): { type: string; message: string } | undefined {
  try {
    run()
  } catch (error) {
    return { type: (error as Error).constructor.name, message: (error as Error).message }
  }
  return undefined
}

afterEach(() => vi.restoreAllMocks())

describe('bad input', () => {
  const calls: Array<[string, (K: typeof KBucket) => unknown]> = [
    ['a string localNodeId', (K) => new K({ localNodeId: 'some identifier' as never })],
    ['an array localNodeId', (K) => new K({ localNodeId: [1, 2] as never })],
    ['add(null)', (K) => new K().add(null as never)],
    ['add(undefined)', (K) => new K().add(undefined as never)],
    ['add({})', (K) => new K().add({} as never)],
    ['add({ id: "foo" })', (K) => new K().add({ id: 'foo' } as never)],
    ['add({ id: [1] })', (K) => new K().add({ id: [1] } as never)],
    ['closest("foo")', (K) => new K().closest('foo' as never)],
    ['closest(id, null)', (K) => new K().closest(new Uint8Array(1), null as never)],
    ['closest(id, 0)', (K) => new K().closest(new Uint8Array(1), 0)],
    ['closest(id, -1)', (K) => new K().closest(new Uint8Array(1), -1)],
    ['closest(id, 1.5)', (K) => new K().closest(new Uint8Array(1), 1.5)],
    ['closest(id, NaN)', (K) => new K().closest(new Uint8Array(1), NaN)],
    ['closest(id, "3")', (K) => new K().closest(new Uint8Array(1), '3' as never)],
    ['get("foo")', (K) => new K().get('foo' as never)],
    ['get(undefined)', (K) => new K().get(undefined as never)],
    ['remove("foo")', (K) => new K().remove('foo' as never)],
    ['remove(new ArrayBuffer(2))', (K) => new K().remove(new ArrayBuffer(2) as never)],
  ]

  it.each(calls)('%s throws the TypeError k-bucket throws, with its message', (_, call) => {
    const expected = thrown(() => call(RealKBucket))
    expect(expected?.type).toBe('TypeError')
    expect(thrown(() => call(KBucket))).toEqual(expected)
  })

  it('accepts a Buffer, a Uint8Array or a subarray as an id', () => {
    const bucket = new KBucket({ localNodeId: new Uint8Array(4) })
    const backing = new Uint8Array([9, 1, 2, 3, 4, 9])
    bucket.add({ id: Buffer.from([1, 2, 3, 4]) })
    expect(bucket.get(backing.subarray(1, 5))?.id).toEqual(Buffer.from([1, 2, 3, 4]))
    expect(bucket.closest(Uint8Array.of(1, 2, 3, 5), 1)).toHaveLength(1)
  })
})

describe('options', () => {
  it('makes a random 20-byte Buffer the local id when none is given, as k-bucket does', () => {
    const a = new KBucket()
    const b = new KBucket()
    expect(Buffer.isBuffer(a.localNodeId)).toBe(true)
    expect(a.localNodeId).toHaveLength(20)
    expect(a.localNodeId).not.toEqual(b.localNodeId)
  })

  it('keeps the caller\'s localNodeId object, and copies metadata', () => {
    const localNodeId = Buffer.from('some length')
    const metadata = { seen: 1 }
    const bucket = new KBucket({ localNodeId, metadata })
    expect(bucket.localNodeId).toBe(localNodeId)
    expect(bucket.metadata).toEqual(metadata)
    expect(bucket.metadata).not.toBe(metadata)
  })

  it('takes k-bucket\'s defaults: k 20, 3 contacts to ping, XOR distance, vectorClock arbiter', () => {
    const bucket = new KBucket({ numberOfNodesPerKBucket: 0, numberOfNodesToPing: 0 })
    expect(bucket.numberOfNodesPerKBucket).toBe(20)
    expect(bucket.numberOfNodesToPing).toBe(3)
    expect(bucket.distance).toBe(KBucket.distance)
    expect(bucket.arbiter).toBe(KBucket.arbiter)
    expect(KBucket.distance(Uint8Array.of(0x01, 0x24), Uint8Array.of(0x40, 0x24))).toBe(RealKBucket.distance(Uint8Array.of(0x01, 0x24), Uint8Array.of(0x40, 0x24)))
  })

  it('refuses more than 256 contacts a bucket (the routing table\'s limit) with a RangeError', () => {
    expect(() => new KBucket({ numberOfNodesPerKBucket: 257 })).toThrow(RangeError)
    expect(() => new KBucket({ numberOfNodesPerKBucket: Infinity })).toThrow(/at most 256/)
    expect(() => new KBucket({ numberOfNodesPerKBucket: -1 })).toThrow(RangeError)
    expect(new KBucket({ numberOfNodesPerKBucket: 256 }).numberOfNodesPerKBucket).toBe(256)
  })

  it('treats a fractional k as k-bucket does (room while the count is below it)', () => {
    const localNodeId = new Uint8Array(1)
    const real = new RealKBucket({ localNodeId, numberOfNodesPerKBucket: 2.5 })
    const ours = new KBucket({ localNodeId, numberOfNodesPerKBucket: 2.5 })
    for (let i = 0; i < 256; i += 7) {
      real.add({ id: Uint8Array.of(i) })
      ours.add({ id: Uint8Array.of(i) })
    }
    expect(ids(ours.toArray())).toEqual(ids(real.toArray()))
  })
})

describe('ids the routing table cannot hold by itself', () => {
  it('stores the local id and ids that zero-pad to it, as k-bucket does', () => {
    const localNodeId = Uint8Array.of(0x12, 0x34)
    const bucket = new KBucket({ localNodeId })
    const removed: Contact[] = []
    bucket.on('removed', (contact) => removed.push(contact))
    const self = { id: localNodeId.slice() }
    const padded = { id: Uint8Array.of(0x12, 0x34, 0x00) }
    bucket.add(self).add(padded).add({ id: Uint8Array.of(0x12, 0x35) })
    expect(bucket.count()).toBe(3)
    expect(bucket.get(localNodeId)).toBe(self)
    expect(bucket.get(Uint8Array.of(0x12, 0x34, 0x00))).toBe(padded)
    expect(bucket.get(Uint8Array.of(0x12, 0x34, 0x00, 0x00))).toBeNull()
    expect(bucket.closest(localNodeId, 1)).toEqual([self])
    bucket.remove(localNodeId)
    expect(removed).toEqual([self])
    expect(bucket.get(localNodeId)).toBeNull()
    expect(bucket.count()).toBe(2)
  })

  it('throws a RangeError where k-bucket overflows its stack: a (k+1)th id that zero-pads to the local id', () => {
    const make = (K: typeof KBucket) => {
      const bucket = new K({ localNodeId: Uint8Array.of(0), numberOfNodesPerKBucket: 2 })
      bucket.add({ id: Uint8Array.of(0) }).add({ id: Uint8Array.of(0, 0) })
      return () => bucket.add({ id: Uint8Array.of(0, 0, 0) })
    }
    expect(make(RealKBucket)).toThrow(RangeError)
    expect(make(KBucket)).toThrow(/cannot split/)
  })

  it('holds 64-byte ids (past the table\'s 32-byte keys) and answers as k-bucket does', () => {
    const random = (length: number) => crypto.getRandomValues(new Uint8Array(length))
    const localNodeId = random(64)
    const real = new RealKBucket({ localNodeId })
    const ours = new KBucket({ localNodeId })
    const contacts = Array.from({ length: 500 }, () => ({ id: random(64) }))
    // Two ids equal in their first 32 bytes share a table key: one goes to the side list.
    contacts.push({ id: Uint8Array.from([...contacts[0]!.id.subarray(0, 32), ...random(32)]) })
    for (const contact of contacts) {
      real.add(contact)
      ours.add(contact)
    }
    expect(ours.count()).toBe(real.count())
    for (const contact of contacts) expect(ours.get(contact.id)).toBe(real.get(contact.id))
    for (let i = 0; i < 20; i++) {
      const target = random(64)
      expect(ids(ours.closest(target, 20))).toEqual(ids(real.closest(target, 20)))
    }
    expect(ids(ours.toArray())).toEqual(ids(real.toArray()))
  })

  it('rebuilds its table wider when a longer id arrives, keeping every bucket\'s order', () => {
    const localNodeId = Uint8Array.of(0xf0)
    const real = new RealKBucket({ localNodeId, numberOfNodesPerKBucket: 3 })
    const ours = new KBucket({ localNodeId, numberOfNodesPerKBucket: 3 })
    const both = (run: (bucket: KBucket) => unknown) => expect(run(ours)).toEqual(run(real))
    for (let i = 0; i < 256; i += 5) both((b) => ids(b.add({ id: Uint8Array.of(i) }).toArray()))
    both((b) => ids(b.add({ id: Uint8Array.of(0x05) }).toArray())) // refresh: reorders a bucket
    for (let length = 2; length <= 33; length++) {
      both((b) => ids(b.add({ id: new Uint8Array(length).fill(length) }).toArray()))
    }
    both((b) => ids(b.closest(Uint8Array.of(0x11), 10)))
  })
})

describe('events', () => {
  it('supports the ping protocol from a listener: evict the oldest that fails, add the newcomer', () => {
    const run = (K: typeof KBucket) => {
      const bucket = new K({ localNodeId: new Uint8Array(2), numberOfNodesPerKBucket: 4, numberOfNodesToPing: 2 })
      const log: string[] = []
      bucket.on('ping', (old, candidate) => {
        log.push(`ping ${ids(old)} for ${ids([candidate])}`)
        bucket.remove(old[0]!.id) // the oldest did not answer
        bucket.add(old[1]!) // the next one did
        bucket.add(candidate)
      })
      bucket.on('added', (contact) => log.push(`added ${ids([contact])}`))
      bucket.on('removed', (contact) => log.push(`removed ${ids([contact])}`))
      bucket.on('updated', (a, b) => log.push(`updated ${ids([a, b])}`))
      for (let i = 0; i < 40; i++) bucket.add({ id: Uint8Array.of(0x80 | (i % 3), i) })
      return [log, ids(bucket.toArray())]
    }
    const ours = run(KBucket)
    expect(ours[0]!.filter((line) => line.startsWith('ping')).length).toBeGreaterThan(5)
    expect(ours).toEqual(run(RealKBucket))
  })

  it('extends Node\'s EventEmitter in Node, as k-bucket does', () => {
    const bucket = new KBucket()
    expect(bucket).toBeInstanceOf(EventEmitter)
    // Typed as the methods every platform has; in Node the rest of EventEmitter is there too.
    const emitter = bucket as unknown as EventEmitter
    emitter.setMaxListeners(50)
    expect(emitter.getMaxListeners()).toBe(50)
  })
})

describe('k-bucket\'s internals', () => {
  it('root is a snapshot: changing it changes nothing', () => {
    const bucket = new KBucket({ localNodeId: new Uint8Array(1) })
    bucket.add({ id: Uint8Array.of(1) })
    const root = bucket.root
    root.contacts!.length = 0
    expect(bucket.root.contacts).toHaveLength(1)
    expect(bucket.count()).toBe(1)
  })
})

describe('backing', () => {
  it('keeps the ids in the WebAssembly routing table in Node', () => {
    const add = vi.spyOn(WasmRoutingTable.prototype, 'add')
    const closest = vi.spyOn(WasmRoutingTable.prototype, 'closest')
    const bucket = new KBucket()
    const id = crypto.getRandomValues(new Uint8Array(20))
    bucket.add({ id })
    expect(add).toHaveBeenCalledTimes(1)
    expect(bucket.closest(id, 1)[0]!.id).toBe(id)
    expect(closest).toHaveBeenCalledTimes(1)
  })
})
