// The node's side of its discoveries (the `discovery` option: LanDiscovery, or any
// PeerDiscovery): started once the transport listens, so they announce where the node really
// is, and stopped with the node. A peer one finds goes into the address book, and while the
// node is below its target of peers an upkeep round dials it. Those that ask on demand (a
// bootstrap server) are told when the node wants peers: in start(), and when a session closes
// below the target. A discovery that fails to start is counted, never fatal: the node joins
// through its other ways.

import type { DiscoveredPeer, PeerDiscovery } from '../discovery/peer-discovery.js'
import type { ConnectionManager } from '../peers/connection-manager.js'
import { toHex } from '../util/hex.js'

/** One discovery, as stats().join.discovery reports it. */
export interface DiscoveryStats {
  readonly kind: string
  readonly isRunning: boolean
  /** Peers it told of (repeats included), and those the node did not know before. */
  readonly found: number
  readonly new: number
  /** Why it could not start, if it could not. */
  readonly error: string | undefined
  /** Its own stats(), when it has them. */
  readonly details: unknown
}

interface Running {
  readonly discovery: PeerDiscovery
  isRunning: boolean
  found: number
  new: number
  error: string | undefined
}

export class DiscoveryRunner {
  readonly #running: Running[]
  readonly #manager: ConnectionManager
  readonly #selfId: Uint8Array
  readonly #addresses: () => readonly string[]
  readonly #wantPeers: () => void
  #isStopped = false
  #unsubscribe: (() => void) | undefined

  constructor(discoveries: readonly PeerDiscovery[], manager: ConnectionManager, selfId: Uint8Array, addresses: () => readonly string[], wantPeers: () => void) {
    this.#running = discoveries.map((discovery) => ({ discovery, isRunning: false, found: 0, new: 0, error: undefined }))
    this.#manager = manager
    this.#selfId = selfId
    this.#addresses = addresses
    this.#wantPeers = wantPeers
  }

  async start(): Promise<void> {
    const manager = this.#manager
    const self = { id: this.#selfId, addresses: this.#addresses, isBelowTarget: () => manager.peers().length < manager.targetPeers }
    await Promise.all(this.#running.map(async (entry) => {
      try {
        await entry.discovery.start(self, (peer) => this.#found(entry, peer))
        entry.isRunning = !this.#isStopped
      } catch (error) {
        entry.error = error instanceof Error ? error.message : String(error)
      }
    }))
    if (!this.#isStopped && this.#running.some((entry) => entry.discovery.peersWanted !== undefined)) {
      this.#unsubscribe = manager.on('peer:disconnect', () => void this.peersWanted())
    }
  }

  /**
   * Tells the discoveries that ask on demand that the node wants peers; the promise resolves
   * when their asks have ended. Undefined when none was asked (none asks on demand, or the
   * node has its target), so a node without them joins exactly as before.
   */
  peersWanted(): Promise<void> | undefined {
    if (this.#isStopped || this.#manager.peers().length >= this.#manager.targetPeers) return undefined
    const asks = this.#running.flatMap((entry) => (entry.isRunning && entry.discovery.peersWanted !== undefined ? [entry.discovery.peersWanted().catch(() => undefined)] : []))
    return asks.length === 0 ? undefined : Promise.all(asks).then(() => undefined)
  }

  async stop(): Promise<void> {
    this.#isStopped = true
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    await Promise.all(this.#running.map(async (entry) => {
      entry.isRunning = false
      await entry.discovery.stop().catch(() => undefined)
    }))
  }

  stats(): DiscoveryStats[] {
    return this.#running.map((entry) => ({
      kind: entry.discovery.kind, isRunning: entry.isRunning, found: entry.found, new: entry.new, error: entry.error, details: entry.discovery.stats?.(),
    }))
  }

  #found(entry: Running, peer: DiscoveredPeer): void {
    if (this.#isStopped || !(peer.id instanceof Uint8Array) || peer.id.length !== 32 || !Array.isArray(peer.addresses)) return
    entry.found++
    const key = toHex(peer.id)
    if (key === toHex(this.#selfId)) return
    const book = this.#manager.addressBook
    if (!book.has(key)) entry.new++
    book.add({ id: peer.id, addresses: peer.addresses.slice(0, 8) })
    const isConnected = this.#manager.peers().some((session) => session.peerKey === key)
    if (!isConnected && this.#manager.peers().length < this.#manager.targetPeers) this.#wantPeers()
  }
}
