// The node's side of a KnownPeersStore (discovery/known-peers.ts): at start the stored peers
// join the address book, so the first dials go to them rather than to a bootstrap server;
// while it runs, and when it stops, the peers it has sessions with (then the most recent it
// heard of) are saved. A store that fails is counted, never fatal: the node then joins
// through its bootstrap addresses as it would without one.

import { checkKnownPeers, MAX_KNOWN_PEER_ADDRESSES, MAX_KNOWN_PEERS, type KnownPeer, type KnownPeersStore } from '../discovery/known-peers.js'
import type { ConnectionManager } from '../peers/connection-manager.js'
import type { Clock, TimerHandle } from '../util/clock.js'
import { fromHex, toHex } from '../util/hex.js'

/** How often a running node saves its peers, when they changed. */
export const KNOWN_PEERS_SAVE_INTERVAL_MS = 60_000

/** What the node did with its KnownPeersStore; in stats().join.knownPeersStore. */
export interface KnownPeersStoreStats {
  /** Peers the store gave at start, and entries of it that did not check out (skipped). */
  readonly loaded: number
  readonly invalid: number
  /** Sessions opened at start to stored peers (when any opened, the bootstrap addresses were not dialled). */
  readonly connectedAtStart: number
  /** Saves done and failed, and the peers in the last one done. */
  readonly saves: number
  readonly failures: number
  readonly lastSavedPeers: number
  /** The last failure's message (load or save), if any. */
  readonly lastError: string | undefined
}

export class KnownPeersKeeper {
  readonly #store: KnownPeersStore
  readonly #manager: ConnectionManager
  readonly #clock: Clock
  readonly #ownAddresses: () => readonly string[]
  #timer: TimerHandle | undefined
  #isSaving = false
  #lastSavedText: string | undefined
  #saving: Promise<void> | undefined
  #loaded = 0
  #invalid = 0
  #saves = 0
  #failures = 0
  #lastSavedPeers = 0
  #lastError: string | undefined
  connectedAtStart = 0

  constructor(store: KnownPeersStore, manager: ConnectionManager, clock: Clock, ownAddresses: () => readonly string[]) {
    this.#store = store
    this.#manager = manager
    this.#clock = clock
    this.#ownAddresses = ownAddresses
  }

  /** Puts the stored peers in the address book (the most recent stored ends up most recently learned); resolves with how many. */
  async load(): Promise<number> {
    let stored: unknown
    try {
      stored = await this.#store.load()
    } catch (error) {
      this.#fail(error)
      return 0
    }
    const { peers, invalid } = checkKnownPeers(stored)
    const own = new Set(this.#ownAddresses())
    const self = toHex(this.#manager.identity.peerId)
    const usable = peers.filter((peer) => peer.id !== self && peer.addresses.some((address) => !own.has(address)))
    this.#invalid = invalid + (peers.length - usable.length)
    for (let i = usable.length - 1; i >= 0; i--) this.#manager.addressBook.add({ id: fromHex(usable[i].id), addresses: usable[i].addresses.filter((address) => !own.has(address)) })
    this.#loaded = usable.length
    return usable.length
  }

  /** Saves every KNOWN_PEERS_SAVE_INTERVAL_MS from now on (only when the list changed), until stopSaving(). */
  startSaving(): void {
    this.#isSaving = true
    this.#arm()
  }

  stopSaving(): void {
    this.#isSaving = false
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #arm(): void {
    if (!this.#isSaving || this.#timer !== undefined) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      // Re-armed once the save settled, and only if the node still runs.
      void this.save().then(() => this.#arm())
    }, KNOWN_PEERS_SAVE_INTERVAL_MS)
  }

  /** The peers worth keeping now: open sessions (the ones this node dialled first), then the address book's most recent. */
  snapshot(): KnownPeer[] {
    const own = new Set(this.#ownAddresses())
    const out: KnownPeer[] = []
    const seen = new Set<string>([toHex(this.#manager.identity.peerId)])
    const add = (id: Uint8Array, addresses: readonly string[]) => {
      const key = toHex(id)
      const usable = addresses.filter((address) => !own.has(address) && address.length > 0 && address.length <= 256).slice(0, MAX_KNOWN_PEER_ADDRESSES)
      if (seen.has(key) || usable.length === 0 || out.length >= MAX_KNOWN_PEERS) return
      seen.add(key)
      out.push({ id: key, addresses: usable })
    }
    const sessions = [...this.#manager.peers()].sort((a, b) => (a.direction === b.direction ? 0 : a.direction === 'outbound' ? -1 : 1))
    for (const session of sessions) add(session.peerId, session.listenAddresses)
    for (const info of this.#manager.addressBook.recent(MAX_KNOWN_PEERS)) add(info.id, info.addresses)
    return out
  }

  /** Saves snapshot() unless it is what was saved last; never rejects (a failure is counted). One save at a time. */
  save(peers: KnownPeer[] = this.snapshot()): Promise<void> {
    const previous = this.#saving ?? Promise.resolve()
    const next = previous.then(async () => {
      const text = JSON.stringify(peers)
      if (text === this.#lastSavedText) return
      try {
        await this.#store.save(peers)
        this.#lastSavedText = text
        this.#saves++
        this.#lastSavedPeers = peers.length
      } catch (error) {
        this.#fail(error)
      }
    })
    this.#saving = next
    return next
  }

  stats(): KnownPeersStoreStats {
    return {
      loaded: this.#loaded, invalid: this.#invalid, connectedAtStart: this.connectedAtStart,
      saves: this.#saves, failures: this.#failures, lastSavedPeers: this.#lastSavedPeers, lastError: this.#lastError,
    }
  }

  #fail(error: unknown): void {
    this.#failures++
    this.#lastError = error instanceof Error ? error.message : String(error)
  }
}
