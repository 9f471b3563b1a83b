// Where KBucket keeps its contacts: ids in a core RoutingTable (WebAssembly where it can run
// synchronously, else the TypeScript twin), contact objects in an array indexed by the peer
// handle the table holds for each id. KBucket (index.ts) decides what goes in and what comes
// out, with k-bucket's rules; this store only holds, finds and orders.
//
// The table needs ids of one length from 1 to 32 bytes; k-bucket takes any length. Ids are
// keyed by their first `width` bytes, zero-padded, where width starts at the local id's length
// and grows (the table is rebuilt) when a longer id arrives, up to 32. k-bucket's tree also
// reads missing bits as 0, so padding keeps every id in the bucket k-bucket would put it in.
// The few contacts the table cannot key go to a side list, searched linearly:
// - ids that pad to the local id (k-bucket stores them; the table refuses its own id),
// - ids that pad to the key of a different stored id ([1] and [1, 0]),
// - ids over 32 bytes that agree with another id, or the local id, on their first 32 bytes.

import type { RoutingTable } from '../core/contracts.js'
import { loadCoreSync } from '../core/load-core.js'
import { arrayEquals } from './ids.js'

const MAX_WIDTH = 32
const EMPTY = new Uint32Array(0)

/** Peer handles, least recently seen first. */
export type Handles = ArrayLike<number> & Iterable<number>

export interface StoredContact {
  id: Uint8Array
}

export class ContactStore<C extends StoredContact> {
  private table: RoutingTable
  /** Bytes of every key in the table. */
  private width: number
  /** Scratch key: an id cut or zero-padded to `width` (the table copies it at once). */
  private key: Uint8Array
  private readonly localId: Uint8Array
  private readonly k: number
  // Per handle: the contact, its shared-prefix length with the local id (Infinity when it
  // pads to the local id), when it was last added or refreshed, and whether it is on the side.
  private readonly contacts: (C | undefined)[] = []
  private readonly prefixes: number[] = []
  private readonly stamps: number[] = []
  private readonly onSide: boolean[] = []
  private readonly freeHandles: number[] = []
  private side: number[] = []
  private readonly prefixCounts: number[] = []
  /**
   * Each table bucket's handles as last read, until the bucket changes. A full bucket that
   * cannot split is read on every add aimed at it (to ping its oldest), and reading copies
   * into a fresh Uint32Array, which costs more than the lookup itself.
   */
  private bucketCache: (Uint32Array | undefined)[] = []
  private selfCount = 0
  /** Id length -> contacts with ids of that length: closest() takes the table's XOR order only for one length. */
  private readonly lengthCounts = new Map<number, number>()
  private clock = 0
  private count = 0
  // What the last find() saw, so the insert() that follows a miss skips a second table lookup.
  private lastFoundId: Uint8Array | undefined
  private lastKeyFree = false

  /** `localId` must not change afterwards; `k` is the table's per-bucket capacity (1 to 256). */
  constructor(localId: Uint8Array, k: number) {
    this.localId = localId
    this.k = k
    this.width = Math.min(MAX_WIDTH, Math.max(1, localId.length))
    this.key = new Uint8Array(this.width)
    this.table = this.createTable()
  }

  get size(): number {
    return this.count
  }

  /** Contacts whose shared-prefix length with the local id is `prefix` (Infinity allowed). */
  countAt(prefix: number): number {
    return prefix === Infinity ? this.selfCount : (this.prefixCounts[prefix] ?? 0)
  }

  contact(handle: number): C {
    return this.contacts[handle]!
  }

  prefixOf(handle: number): number {
    return this.prefixes[handle]!
  }

  /** The handle of the contact whose id equals `id` byte for byte (length included), or -1. */
  find(id: Uint8Array): number {
    let found = -1
    let keyFree = true
    // An id longer than the table's keys is in the table only once they are 32 bytes long.
    if (id.length <= this.width || this.width === MAX_WIDTH) {
      const handle = this.table.get(this.keyOf(id))
      if (handle >= 0) {
        keyFree = false
        if (arrayEquals(this.contacts[handle]!.id, id)) found = handle
      }
    }
    if (found < 0) {
      for (const handle of this.side) {
        if (arrayEquals(this.contacts[handle]!.id, id)) {
          found = handle
          break
        }
      }
    }
    this.lastFoundId = id
    this.lastKeyFree = keyFree
    return found
  }

  /** Stores a contact that find() did not find; returns its handle. */
  insert(contact: C, prefix: number): number {
    const id = contact.id
    let keyFree = this.lastFoundId === id ? this.lastKeyFree : undefined
    this.lastFoundId = undefined
    if (id.length > this.width && this.width < MAX_WIDTH) {
      this.widen(Math.min(MAX_WIDTH, id.length))
      keyFree = undefined
    }
    const handle = this.freeHandles.pop() ?? this.contacts.length
    this.contacts[handle] = contact
    this.prefixes[handle] = prefix
    this.stamps[handle] = ++this.clock
    this.place(handle, keyFree)
    this.changed(prefix)
    if (prefix === Infinity) this.selfCount++
    else this.prefixCounts[prefix] = (this.prefixCounts[prefix] ?? 0) + 1
    this.lengthCounts.set(id.length, (this.lengthCounts.get(id.length) ?? 0) + 1)
    this.count++
    return handle
  }

  /** Puts `contact` (same id) in place of the handle's contact and marks it most recently seen. */
  refresh(handle: number, contact: C): void {
    this.lastFoundId = undefined
    const previous = this.contacts[handle]!
    this.stamps[handle] = ++this.clock
    this.changed(this.prefixes[handle]!)
    // Re-adding an id moves it to the most-recent end of its bucket.
    if (!this.onSide[handle]) this.expectResult(this.table.add(this.keyOf(previous.id), handle), 'updated')
    this.contacts[handle] = contact
  }

  /** Removes the handle's contact and returns it. */
  delete(handle: number): C {
    this.lastFoundId = undefined
    const contact = this.contacts[handle]!
    if (this.onSide[handle]) this.side.splice(this.side.indexOf(handle), 1)
    else this.table.remove(this.keyOf(contact.id))
    const prefix = this.prefixes[handle]!
    this.changed(prefix)
    if (prefix === Infinity) this.selfCount--
    else this.prefixCounts[prefix]!--
    const length = contact.id.length
    const sameLength = this.lengthCounts.get(length)! - 1
    if (sameLength === 0) this.lengthCounts.delete(length)
    else this.lengthCounts.set(length, sameLength)
    this.contacts[handle] = undefined
    this.freeHandles.push(handle)
    this.count--
    return contact
  }

  /** Handles of the contacts with shared-prefix length `prefix`, least recently seen first. Read only. */
  bucket(prefix: number): Handles {
    const inTable = prefix < this.width * 8 && this.countAt(prefix) > 0 ? this.tablePeers(prefix) : EMPTY
    if (this.side.length === 0) return inTable
    const handles = this.side.filter((handle) => this.prefixes[handle] === prefix)
    if (handles.length === 0) return inTable
    for (const handle of inTable) handles.push(handle)
    return this.byStamp(handles)
  }

  /** Handles of the contacts with shared-prefix length `from` or more, least recently seen first. */
  from(from: number): number[] {
    const handles: number[] = []
    let sources = 0
    for (let prefix = from; prefix < this.width * 8; prefix++) {
      if (this.countAt(prefix) === 0) continue
      for (const handle of this.tablePeers(prefix)) handles.push(handle)
      sources++
    }
    for (const handle of this.side) {
      if (this.prefixes[handle]! >= from) {
        handles.push(handle)
        sources = 2
      }
    }
    // Each table bucket is already least-recent-first; several together need interleaving.
    return sources > 1 ? this.byStamp(handles) : handles
  }

  /**
   * Up to n handles nearest to `target` by XOR, exactly ordered, straight from the table; or
   * undefined when the table's order is not XOR over the ids as given: ids of several lengths
   * (XOR of zero-padded ids is not k-bucket's distance then), a target of another length, or
   * contacts on the side.
   */
  closestByXor(target: Uint8Array, n: number): Uint32Array | undefined {
    if (this.side.length > 0 || this.lengthCounts.size !== 1 || !this.lengthCounts.has(target.length)) return undefined
    if (target.length > this.width) return undefined
    return this.table.closest(this.keyOf(target), Math.min(n, this.count))
  }

  private createTable(): RoutingTable {
    const localKey = new Uint8Array(this.width)
    localKey.set(this.localId.subarray(0, this.width))
    return loadCoreSync().createRoutingTable({ localId: localKey, k: this.k })
  }

  private tablePeers(prefix: number): Uint32Array {
    return (this.bucketCache[prefix] ??= this.table.bucketPeers(prefix))
  }

  private changed(prefix: number): void {
    if (prefix < this.width * 8) this.bucketCache[prefix] = undefined
  }

  /** `id` as a table key: its first `width` bytes, zero-padded. */
  private keyOf(id: Uint8Array): Uint8Array {
    if (id.length === this.width) return id
    const key = this.key
    key.fill(0)
    key.set(id.length > this.width ? id.subarray(0, this.width) : id)
    return key
  }

  private place(handle: number, keyFree: boolean | undefined): void {
    // A shared prefix shorter than the key means the key differs from the local id's.
    if (this.prefixes[handle]! < this.width * 8) {
      const key = this.keyOf(this.contacts[handle]!.id)
      if (keyFree ?? (this.table.get(key) < 0)) {
        this.expectResult(this.table.add(key, handle), 'added')
        this.onSide[handle] = false
        return
      }
    }
    this.onSide[handle] = true
    this.side.push(handle)
  }

  /** Rebuilds the table with longer keys, re-adding every contact in recency order. */
  private widen(width: number): void {
    const old = this.table
    const handles: number[] = []
    for (let handle = 0; handle < this.contacts.length; handle++) {
      if (this.contacts[handle] !== undefined) handles.push(handle)
    }
    this.width = width
    this.key = new Uint8Array(width)
    this.table = this.createTable()
    this.bucketCache = []
    this.side = []
    for (const handle of this.byStamp(handles)) this.place(handle, undefined)
    old.free()
  }

  private byStamp(handles: number[]): number[] {
    const stamps = this.stamps
    return handles.sort((a, b) => stamps[a]! - stamps[b]!)
  }

  // KBucket admits a contact only where k-bucket has room, and each k-bucket bucket is at most
  // k, so the table (k per bucket) never reports a full bucket here.
  private expectResult(result: unknown, expected: 'added' | 'updated'): void {
    if (result !== expected) {
      throw new Error(`wasmesh/kbucket: the routing table answered ${JSON.stringify(result)} where ${expected} was due`)
    }
  }
}
