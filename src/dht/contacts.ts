// The DHT's contacts: the core RoutingTable (ids and u32 handles) plus what the table does not
// hold (each handle's id and addresses), with Kademlia's eviction policy on top. A full
// bucket never drops a contact on sight: its least-recently-seen contact is probed first and
// kept if it answers, because long-lived peers are the most likely to stay (Kademlia, 2.2).

import type { Core, RoutingTable } from '../core/contracts.js'
import { toHex } from './ids.js'

export interface Contact {
  readonly id: Uint8Array
  readonly key: string
  addresses: readonly string[]
  readonly handle: number
  failures: number
}

export interface ContactCounters {
  evicted: number
  probesKept: number
  droppedUnverified: number
}

/** Probes a contact's liveness; resolves true when it answered. Never rejects. */
export type ProbeFn = (contact: Contact) => Promise<boolean>

/** Failed requests in a row after which a contact leaves the table. */
const MAX_FAILURES = 2

export class Contacts {
  readonly table: RoutingTable
  readonly counters: ContactCounters = { evicted: 0, probesKept: 0, droppedUnverified: 0 }
  private readonly byHandle = new Map<number, Contact>()
  private readonly freeHandles: number[] = []
  private nextHandle = 0
  /** Buckets with a probe in flight, and the newest contact waiting for a place in each. */
  private readonly probing = new Map<number, { id: Uint8Array; addresses: readonly string[] }>()
  private isClosed = false

  constructor(core: Core, readonly localId: Uint8Array, readonly k: number, private readonly probe: ProbeFn, private readonly now: () => number) {
    this.table = core.createRoutingTable({ localId, k })
  }

  get size(): number {
    return this.table.size
  }

  /**
   * Records that `id` exists at `addresses`. `isVerified` contacts (we hold an authenticated
   * session with them, or they answered us) refresh their place and may trigger a probe of a
   * full bucket; unverified ones (named in someone's reply) only fill free places, so a
   * reply cannot push live contacts out.
   */
  observe(id: Uint8Array, addresses: readonly string[], isVerified: boolean): void {
    this.#observe(id, addresses, isVerified, undefined)
  }

  /**
   * observe() for a peer this node holds a session with: the contact shares the session's id
   * and hex key (both immutable for the session's life) instead of copying them, which ids
   * parsed from replies need (a slice of a frame would pin the whole frame).
   */
  observeSession(session: { readonly peerId: Uint8Array; readonly peerKey: string; readonly listenAddresses: readonly string[] }, addresses = session.listenAddresses): void {
    this.#observe(session.peerId, addresses, true, session.peerKey)
  }

  #observe(id: Uint8Array, addresses: readonly string[], isVerified: boolean, sharedKey: string | undefined): void {
    if (this.isClosed || id.length !== this.localId.length) return
    const handle = this.table.get(id)
    if (handle >= 0) {
      const contact = this.byHandle.get(handle) as Contact
      // Addresses from a reply never overwrite known ones: a liar could make us dial elsewhere.
      if (addresses.length > 0 && (isVerified || contact.addresses.length === 0)) contact.addresses = addresses
      if (isVerified) {
        contact.failures = 0
        this.table.add(id, handle, this.now())
      }
      return
    }
    if (this.table.bucketOf(id) === this.table.bucketCount) return // the local id
    const newHandle = this.freeHandles.pop() ?? this.nextHandle++
    const result = this.table.add(id, newHandle, this.now())
    if (result === 'added' || result === 'updated') {
      this.byHandle.set(newHandle, {
        id: sharedKey === undefined ? id.slice() : id, key: sharedKey ?? toHex(id), addresses, handle: newHandle, failures: 0,
      })
      return
    }
    this.freeHandles.push(newHandle)
    if (!isVerified) {
      this.counters.droppedUnverified++
      return
    }
    if (this.probing.has(result.bucket)) {
      this.probing.set(result.bucket, { id: id.slice(), addresses })
      return
    }
    const leastRecent = this.byHandle.get(result.leastRecent)
    if (leastRecent === undefined) return
    this.probing.set(result.bucket, { id: id.slice(), addresses })
    void this.probe(leastRecent).then((isAlive) => {
      const candidate = this.probing.get(result.bucket)
      this.probing.delete(result.bucket)
      if (this.isClosed || candidate === undefined) return
      if (this.table.get(leastRecent.id) !== leastRecent.handle) {
        // It left meanwhile: the candidate takes the free place.
        this.observe(candidate.id, candidate.addresses, true)
      } else if (isAlive) {
        this.counters.probesKept++
        this.table.add(leastRecent.id, leastRecent.handle, this.now())
      } else {
        this.counters.evicted++
        this.remove(leastRecent.id)
        this.observe(candidate.id, candidate.addresses, true)
      }
    })
  }

  /** A request to the contact failed: after MAX_FAILURES in a row it leaves the table. */
  markFailed(id: Uint8Array): void {
    const contact = this.get(id)
    if (contact !== undefined && ++contact.failures >= MAX_FAILURES) this.remove(id)
  }

  get(id: Uint8Array): Contact | undefined {
    const handle = this.table.get(id)
    return handle < 0 ? undefined : this.byHandle.get(handle)
  }

  remove(id: Uint8Array): void {
    const handle = this.table.remove(id)
    if (handle < 0) return
    this.byHandle.delete(handle)
    this.freeHandles.push(handle)
  }

  /** Up to n contacts nearest to target, nearest first. */
  closest(target: Uint8Array, n: number): Contact[] {
    const handles = this.table.closest(target, n)
    const out: Contact[] = []
    for (let i = 0; i < handles.length; i++) {
      const contact = this.byHandle.get(handles[i])
      if (contact !== undefined) out.push(contact)
    }
    return out
  }

  /** The contacts of bucket `index` (ids sharing exactly `index` leading bits with localId), least recently seen first. */
  inBucket(index: number): Contact[] {
    if (!Number.isInteger(index) || index < 0 || index >= this.table.bucketCount) return []
    const handles = this.table.bucketPeers(index)
    const out: Contact[] = []
    for (let i = 0; i < handles.length; i++) {
      const contact = this.byHandle.get(handles[i])
      if (contact !== undefined) out.push(contact)
    }
    return out
  }

  all(): Contact[] {
    return [...this.byHandle.values()]
  }

  /** Internal, for tests and the simulator (src/node/sizes.ts). */
  sizes(): Record<string, number> {
    return { contacts: this.table.size, contactHandles: this.byHandle.size, contactFreeHandles: this.freeHandles.length, probing: this.probing.size }
  }

  close(): void {
    this.isClosed = true
    this.probing.clear()
    this.byHandle.clear()
    this.table.free()
  }
}
