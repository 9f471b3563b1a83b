/**
 * wasmesh/kbucket: a drop-in replacement for the k-bucket package (5.1.0), with the ids held in
 * wasmesh's WebAssembly routing table.
 *
 * @module wasmesh/kbucket
 */
// wasmesh/kbucket: a drop-in replacement for the k-bucket package (5.1.0), same options,
// methods, events and errors, with the contacts' ids held in wasmesh's routing table
// (contact-store.ts). This file keeps k-bucket's rules: when its tree splits, which bucket is
// full, what each event carries, and in what order contacts come back.
//
// k-bucket's tree only ever splits the leaf on the local id's path, so it is a spine: at each
// depth d < `depth` a "far" leaf holding the contacts that share exactly d leading bits with
// the local id (the routing table's bucket d), and at the bottom one "near" leaf holding all
// contacts that share `depth` bits or more. Tracking `depth` is enough to answer as k-bucket.
//
// Where it differs from k-bucket, on purpose:
// - numberOfNodesPerKBucket is at most 256 (the routing table's limit); more is a RangeError.
// - localNodeId and numberOfNodesPerKBucket are read-only, and the local id is copied: k-bucket
//   lets them be reassigned, which would leave its own tree inconsistent.
// - A (k+1)th id that zero-pads to the local id throws a RangeError saying so; k-bucket splits
//   forever and overflows the stack (also a RangeError).
// - `root` is a snapshot rebuilt on each read; `_update` accepts nodes of a current snapshot;
//   `_split` does not exist.
// - In browsers the event base is SmallEmitter (emitter.ts), not a full EventEmitter.
// - An arbiter that returns a contact with another id: k-bucket files it in the wrong leaf;
//   here it stays under the id it replaced.
// Everything else, events and their order included, is k-bucket's (test/kbucket/).

import { ContactStore, type Handles } from './contact-store.js'
import { Emitter } from './emitter.js'

export type { EmitterConstructor, EventMap, EventName, TypedEmitter } from './emitter.js'
import { EXACT_DISTANCE_MAX_BYTES, arrayEquals, bitAt, kBucketDistance, sharedPrefixBits } from './ids.js'

/** A contact: an id plus whatever the application keeps with it (left untouched). */
export interface Contact {
  id: Uint8Array
  vectorClock?: number
}

export interface KBucketOptions<C extends Contact = Contact> {
  /** The local node id, any length. Default: 20 random bytes (a Buffer where Buffer exists). */
  localNodeId?: Uint8Array
  /** k: contacts a bucket holds before it splits or pings; up to 256 here. Default 20. */
  numberOfNodesPerKBucket?: number
  /** Contacts handed to a 'ping' listener when a bucket that cannot split is full. Default 3. */
  numberOfNodesToPing?: number
  /** Distance used to sort closest() results. Default KBucket.distance (XOR). */
  distance?: (firstId: Uint8Array, secondId: Uint8Array) => number
  /** Picks which of two contacts with the same id to keep. Default KBucket.arbiter (vectorClock). */
  arbiter?: (incumbent: C, candidate: C) => C
  /** Copied onto kBucket.metadata, which KBucket itself never reads or changes. */
  metadata?: object
}

/** The events and their listener arguments. */
export type KBucketEvents<C extends Contact = Contact> = {
  /** A bucket that cannot split is full: ping `oldContacts`; remove one that fails, then add `newContact`. */
  ping: [oldContacts: C[], newContact: C]
  added: [contact: C]
  removed: [contact: C]
  /** An id already present was added again and the arbiter's choice is now stored. */
  updated: [oldContact: C, newContact: C]
}

/** A node of k-bucket's tree, as the `root` snapshot shows it. */
export interface KBucketNode<C extends Contact = Contact> {
  contacts: C[] | null
  dontSplit: boolean
  left: KBucketNode<C> | null
  right: KBucketNode<C> | null
}

const MAX_NODES_PER_BUCKET = 256
const ALL_ZERO_ID = new Uint8Array(0)

export default class KBucket<C extends Contact = Contact> extends Emitter<KBucketEvents<C>> {
  // Plain functions, not static methods: the class body never names the class, so bundlers
  // leave KBucket.name alone.
  /** Keeps the contact with the larger vectorClock; the candidate when neither is larger. */
  static arbiter: <T extends Contact>(incumbent: T, candidate: T) => T = vectorClockArbiter
  /** XOR distance as a number (k-bucket's: rounded past 2**53; 0xff per byte only one id has). */
  static distance: (firstId: Uint8Array, secondId: Uint8Array) => number = kBucketDistance

  numberOfNodesToPing: number
  distance: (firstId: Uint8Array, secondId: Uint8Array) => number
  arbiter: (incumbent: C, candidate: C) => C
  /** The application's own data; KBucket never reads or changes it. */
  metadata: Record<string, any>

  private readonly nodeId: Uint8Array
  /** A copy of the local id, so a caller changing theirs cannot unsettle the buckets. */
  private readonly local: Uint8Array
  private readonly k: number
  private readonly store: ContactStore<C>
  /** How many times k-bucket's tree has split: the depth of the near leaf. It never shrinks. */
  private depth = 0
  /** Contacts in the near leaf: those sharing `depth` or more leading bits with the local id. */
  private nearCount = 0

  constructor(options: KBucketOptions<C> = {}) {
    super()
    const localNodeId = options.localNodeId || randomNodeId()
    ensureUint8Array('option.localNodeId as parameter 1', localNodeId)
    const k = options.numberOfNodesPerKBucket || 20
    if (typeof k !== 'number' || !(k > 0 && k <= MAX_NODES_PER_BUCKET)) {
      throw new RangeError(
        `numberOfNodesPerKBucket must be a number above 0 and at most ${MAX_NODES_PER_BUCKET} `
        + `(the routing table's bucket limit), got ${String(k)}`,
      )
    }
    this.nodeId = localNodeId
    this.local = localNodeId.slice()
    this.k = k
    this.numberOfNodesToPing = options.numberOfNodesToPing || 3
    this.distance = options.distance || kBucketDistance
    this.arbiter = options.arbiter || vectorClockArbiter
    this.metadata = Object.assign({}, options.metadata)
    // A fractional k admits as many contacts as the next integer (k-bucket compares length < k).
    this.store = new ContactStore<C>(this.local, Math.ceil(k))
  }

  /** The local node id, as given (or generated). Read once: changing its bytes later has no effect. */
  get localNodeId(): Uint8Array {
    return this.nodeId
  }

  get numberOfNodesPerKBucket(): number {
    return this.k
  }

  /**
   * Adds or refreshes a contact. Emits 'added', 'updated' (the arbiter's choice replaced or
   * refreshed the stored contact) or 'ping' (its bucket is full and cannot split).
   */
  add(contact: C): this {
    ensureUint8Array('contact.id', (contact as Partial<C> | null | undefined)?.id)
    const id = contact.id
    const found = this.store.find(id)
    if (found >= 0) {
      this.update(found, contact)
      return this
    }
    const prefix = sharedPrefixBits(id, this.local)
    if (prefix >= this.depth && this.nearCount >= this.k) this.splitFor(prefix)
    if (prefix < this.depth && this.store.countAt(prefix) >= this.k) {
      const bucket = this.store.bucket(prefix)
      const oldest = new Array<C>(sliceLength(bucket.length, this.numberOfNodesToPing))
      for (let i = 0; i < oldest.length; i++) oldest[i] = this.store.contact(bucket[i]!)
      this.emit('ping', oldest, contact)
      return this
    }
    this.store.insert(contact, prefix)
    if (prefix >= this.depth) this.nearCount++
    this.emit('added', contact)
    return this
  }

  /** Up to n contacts nearest to `id`, nearest first, by `this.distance`. */
  closest(id: Uint8Array, n = Infinity): C[] {
    ensureUint8Array('id', id)
    if ((!Number.isInteger(n) && n !== Infinity) || n <= 0) throw new TypeError('n is not positive number')
    if (this.distance === kBucketDistance) {
      const nearest = this.closestByXor(id, n)
      if (nearest !== undefined) return nearest
    }
    return this.closestAsKBucket(id, n)
  }

  count(): number {
    return this.store.size
  }

  /** The contact whose id equals `id` (same bytes, same length), or null. */
  get(id: Uint8Array): C | null {
    ensureUint8Array('id', id)
    const handle = this.store.find(id)
    return handle >= 0 ? this.store.contact(handle) : null
  }

  /** Removes the contact with this id, if any, and emits 'removed' with it. */
  remove(id: Uint8Array): this {
    ensureUint8Array('the id as parameter 1', id)
    const handle = this.store.find(id)
    if (handle >= 0) {
      if (this.store.prefixOf(handle) >= this.depth) this.nearCount--
      this.emit('removed', this.store.delete(handle))
    }
    return this
  }

  /** Every contact, in k-bucket's order: leaf by leaf from the 0 side of the tree, least recent first in each. */
  toArray(): C[] {
    const contacts: C[] = []
    for (const leaf of this.leavesToward(ALL_ZERO_ID)) {
      for (const handle of this.leafHandles(leaf)) contacts.push(this.store.contact(handle))
    }
    return contacts
  }

  /** toArray() one leaf at a time. */
  * toIterable(): Generator<C, void, undefined> {
    for (const leaf of this.leavesToward(ALL_ZERO_ID)) {
      for (const handle of this.leafHandles(leaf)) yield this.store.contact(handle)
    }
  }

  // ---- k-bucket's internals, kept for code that inspects them ------------------------------

  /**
   * k-bucket's tree, built afresh on each read from the buckets: inspecting it shows what
   * k-bucket would hold; changing it changes nothing. O(contacts) per read.
   */
  get root(): KBucketNode<C> {
    const leaf = (handles: Handles, dontSplit: boolean): KBucketNode<C> => ({
      contacts: Array.from(handles, (handle) => this.store.contact(handle)), dontSplit, left: null, right: null,
    })
    let node = leaf(this.store.from(this.depth), false)
    for (let d = this.depth - 1; d >= 0; d--) {
      const far = leaf(this.store.bucket(d), true)
      node = bitAt(this.local, d) === 0
        ? { contacts: null, dontSplit: false, left: node, right: far }
        : { contacts: null, dontSplit: false, left: far, right: node }
    }
    return node
  }

  /** k-bucket's _determineNode: node.right when bit `bitIndex` of `id` is 1, else node.left. */
  _determineNode<N>(node: { left: N; right: N }, id: Uint8Array, bitIndex = 0): N {
    const bytesDescribedByBitIndex = bitIndex >> 3
    const bitIndexWithinByte = bitIndex % 8
    if (id.length <= bytesDescribedByBitIndex && bitIndexWithinByte !== 0) return node.left
    return (id[bytesDescribedByBitIndex]! & (1 << (7 - bitIndexWithinByte))) ? node.right : node.left
  }

  /** k-bucket's _indexOf: where a contact with this id is in node.contacts, or -1. */
  _indexOf(node: KBucketNode<C>, id: Uint8Array): number {
    const contacts = node.contacts!
    for (let i = 0; i < contacts.length; ++i) if (arrayEquals(contacts[i]!.id, id)) return i
    return -1
  }

  /** k-bucket's _update, for a node of a current `root` snapshot: the arbiter's choice between node.contacts[index] and `contact`. */
  _update(node: KBucketNode<C>, index: number, contact: C): void {
    const incumbent = node.contacts![index]!
    if (!arrayEquals(incumbent.id, contact.id)) throw new Error('wrong index for _update')
    const handle = this.store.find(contact.id)
    if (handle < 0 || this.store.contact(handle) !== incumbent) throw new Error('wrong index for _update')
    this.update(handle, contact)
  }

  // ---- k-bucket's rules over the store ------------------------------------------------------

  private update(handle: number, contact: C): void {
    const incumbent = this.store.contact(handle)
    const selection = this.arbiter(incumbent, contact)
    // The arbiter kept the stored contact over a different object: nothing changes.
    if (selection === incumbent && incumbent !== contact) return
    this.store.refresh(handle, selection)
    this.emit('updated', incumbent, selection)
  }

  /** Splits the near leaf, one bit at a time, while it is full and a contact sharing `prefix` bits would land in it. */
  private splitFor(prefix: number): void {
    if (prefix === Infinity && this.store.countAt(Infinity) >= this.k) {
      // k-bucket recurses until the stack overflows: k ids padding to the local id never separate.
      throw new RangeError(`k-bucket cannot split: ${this.k} contacts already have ids that zero-pad to the local id`)
    }
    while (prefix >= this.depth && this.nearCount >= this.k) {
      this.nearCount -= this.store.countAt(this.depth)
      this.depth++
    }
  }

  /**
   * The table's exact XOR order, when it is what k-bucket returns: all ids and the target of
   * one length, and no two of the distances k-bucket compares equal. Those are rounded past
   * 6 bytes, and k-bucket orders ties as it gathered them, which closestAsKBucket reproduces.
   */
  private closestByXor(id: Uint8Array, n: number): C[] | undefined {
    const store = this.store
    const mayTie = id.length > EXACT_DISTANCE_MAX_BYTES
    // k-bucket sorts only the leaves it gathers (the nearest ones, until it has n); a tie can
    // change its answer only among those, so look one past n only when it gathered more.
    const wanted = mayTie && this.gatheredCount(id, n) > n ? n + 1 : n
    const handles = store.closestByXor(id, wanted)
    if (handles === undefined) return undefined
    if (mayTie && handles.length > 1) {
      let previous = kBucketDistance(store.contact(handles[0]!).id, id)
      for (let i = 1; i < handles.length; i++) {
        const distance = kBucketDistance(store.contact(handles[i]!).id, id)
        if (distance === previous) return undefined
        previous = distance
      }
    }
    const count = Math.min(n, handles.length)
    const contacts = new Array<C>(count)
    for (let i = 0; i < count; i++) contacts[i] = store.contact(handles[i]!)
    return contacts
  }

  /** How many contacts k-bucket's closest() gathers before sorting: whole leaves until it has n. */
  private gatheredCount(id: Uint8Array, n: number): number {
    let gathered = 0
    for (const leaf of this.leavesToward(id)) {
      if (gathered >= n) break
      gathered += leaf < this.depth ? this.store.countAt(leaf) : this.nearCount
    }
    return gathered
  }

  /** k-bucket's closest(): whole leaves, nearest subtree first, until n are gathered; then a stable sort by this.distance. */
  private closestAsKBucket(id: Uint8Array, n: number): C[] {
    const contacts: C[] = []
    for (const leaf of this.leavesToward(id)) {
      if (contacts.length >= n) break
      for (const handle of this.leafHandles(leaf)) contacts.push(this.store.contact(handle))
    }
    return contacts
      .map((contact): [number, C] => [this.distance(contact.id, id), contact])
      .sort((a, b) => a[0] - b[0])
      .slice(0, n)
      .map((entry) => entry[1])
  }

  /**
   * The leaves in the order a depth-first walk toward `target` visits them (k-bucket's
   * closest(); toArray() is the walk toward the all-zero id). A leaf is its depth: d < depth is
   * the far leaf at d, `depth` the near leaf. The walk first takes each far leaf where the
   * target leaves the local id's path (shallowest first), then the near leaf, then, on the
   * way back up, the far leaves it passed by (deepest first).
   */
  private leavesToward(target: Uint8Array): number[] {
    const leaves: number[] = []
    const passed: number[] = []
    for (let d = 0; d < this.depth; d++) {
      if (bitAt(target, d) !== bitAt(this.local, d)) leaves.push(d)
      else passed.push(d)
    }
    leaves.push(this.depth)
    for (let i = passed.length - 1; i >= 0; i--) leaves.push(passed[i]!)
    return leaves
  }

  private leafHandles(leaf: number): Handles {
    return leaf < this.depth ? this.store.bucket(leaf) : this.store.from(this.depth)
  }
}

// require('wasmesh/kbucket') returns the class itself, as require('k-bucket') does (Node loads
// an ES module with require() from 20.19 on, and takes this export as the module's value).
export { KBucket as 'module.exports' }

function vectorClockArbiter<T extends Contact>(incumbent: T, candidate: T): T {
  return (incumbent.vectorClock as number) > (candidate.vectorClock as number) ? incumbent : candidate
}

function ensureUint8Array(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(name + ' is not a Uint8Array')
}

/** The length of array.slice(0, end) for an array of `length`: k-bucket slices the bucket to ping so. */
function sliceLength(length: number, end: unknown): number {
  const n = Math.trunc(Number(end)) || 0
  return n < 0 ? Math.max(length + n, 0) : Math.min(n, length)
}

function randomNodeId(): Uint8Array {
  const bytes = crypto.getRandomValues(new Uint8Array(20))
  // k-bucket's id comes from randombytes, a Buffer in Node; keep that where Buffer exists.
  const NodeBuffer = (globalThis as { Buffer?: { from(buffer: ArrayBuffer): Uint8Array } }).Buffer
  return NodeBuffer === undefined ? bytes : NodeBuffer.from(bytes.buffer)
}
