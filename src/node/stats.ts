// The node's stats: every layer's counters gathered into one snapshot, plus the few figures
// only the facade knows (own publish sends, bootstrap outcome, DHT operation durations) and a
// memory estimate per peer.

import type { UpkeepStats } from './upkeep.js'
import type { KnownPeersStoreStats } from './known-peers.js'
import type { DiscoveryStats } from './discovery-runner.js'
import type { RouterStats } from '../routing/index.js'
import type { DhtStats } from '../dht/dht.js'
import type { ConnectionManagerStats } from '../peers/connection-manager.js'
import type { RelayStats } from '../relay/relay.js'
import type { BootstrapOutcome } from './events.js'

/** Count and duration of one kind of DHT operation, in the node's clock's milliseconds. */
export interface OperationTimings {
  readonly count: number
  readonly failures: number
  readonly meanMs: number
  readonly maxMs: number
}

export type DhtOperation = 'put' | 'get' | 'putImmutable' | 'getImmutable' | 'closestPeers' | 'bootstrap'

/**
 * An ESTIMATE, not a measurement: the byte lengths of the core structures the sessions own
 * (outgoing priority queues as they are now, each a share of the rate limiter), plus a fixed
 * allowance for each session's JavaScript objects (session, coalescer, score, relay and DHT
 * entries) measured once by the benchmark.
 */
export interface MemoryEstimate {
  readonly isEstimate: true
  /** Outgoing priority queue of a session: the mean byteLength of the open sessions' queues (they grow with their backlog). */
  readonly queueBytesPerPeer: number
  /** Payload bytes buffered for a peer, on average: queued messages, what its link holds, and frames held by handshakes under way ((stats().layers.peers.bufferedBytes + handshakeBufferedBytes) / sessions). Measured, not estimated. */
  readonly bufferedBytesPerPeer: number
  /** One peer's share of the three rate limiters (own, relayed, frames before decoding: 3 x core byteLength / maxPeers). */
  readonly rateLimiterBytesPerPeer: number
  /** Fixed allowance for JavaScript objects per session: SESSION_BOOKKEEPING_BYTES. */
  readonly bookkeepingBytesPerPeer: number
  readonly perPeerBytes: number
  /** Per-session structures x open sessions, plus every payload byte buffered for peers and the DHT's stored record bytes. */
  readonly totalBytes: number
}

/**
 * A session's JavaScript objects (session, coalescer, score, relay and DHT entries), as
 * measured by `npm run bench` (section "Memory per peer session of a MeshNode": 2,760 bytes
 * on Node 20), rounded.
 */
export const SESSION_BOOKKEEPING_BYTES = 2_800

export interface MeshNodeStats {
  readonly isRunning: boolean
  readonly peers: number
  readonly messages: {
    /** Messages decoded from peers, every protocol (relay, DHT, control). */
    readonly in: number
    readonly out: number
    /** Publishes this node originated. */
    readonly published: number
    /** Publish copies received from neighbours, duplicates included. */
    readonly received: number
    /** Publishes handed to local subscribers, once per message. */
    readonly delivered: number
    /** Publish copies forwarded for others (sent minus the sends of own publishes). */
    readonly relayed: number
    /** Publish copies dropped as already seen. */
    readonly duplicates: number
    /** received / delivered: copies a delivered message cost (0 before the first delivery). */
    readonly duplicateFactor: number
  }
  readonly bytes: { readonly in: number; readonly out: number }
  /** Drops by layer and reason; zero counts left out. */
  readonly drops: {
    readonly peers: Readonly<Record<string, number>>
    readonly relay: Readonly<Record<string, number>>
    readonly dht: Readonly<Record<string, number>>
    readonly routing: Readonly<Record<string, number>>
  }
  readonly queues: {
    /** Outgoing messages queued over all sessions. */
    readonly outgoing: number
    readonly maxPeerOutgoing: number
    readonly pendingVerifications: number
    readonly pendingDhtRequests: number
    readonly handshaking: number
  }
  readonly dht: Pick<DhtStats, 'contacts' | 'records' | 'storedBytes' | 'quotaBytes' | 'published' | 'lookups' | 'hops'> & {
    readonly operations: Readonly<Record<DhtOperation, OperationTimings>>
  }
  readonly bootstrap: BootstrapOutcome & { readonly attempted: number }
  /**
   * Keeping enough peers: whether the node is isolated (no session) or below targetPeers, the
   * dial rounds the upkeep ran, the peers it knows to try, and what full peers did about it
   * (this node's redirects sent and received, sessions it pruned).
   */
  readonly join: UpkeepStats & {
    readonly knownPeers: number
    /** What the node did with its knownPeers store (loaded, saved, failed); undefined without one. */
    readonly knownPeersStore: KnownPeersStoreStats | undefined
    /** Each of the node's discoveries (LanDiscovery…): running, peers found, why it could not start. */
    readonly discovery: readonly DiscoveryStats[]
    readonly redirectsSent: number
    readonly redirectsReceived: number
    readonly pruned: number
  }
  readonly memory: MemoryEstimate
  readonly transport: TransportSummary
  /** The layers' own snapshots, for what the summary above leaves out. */
  readonly layers: { readonly peers: ConnectionManagerStats; readonly relay: RelayStats; readonly dht: DhtStats; readonly routing: RouterStats }
}

/** What the node's transport reports. */
export interface TransportSummary {
  /** 'memory', 'webrtc', 'websocket', 'manager'… */
  readonly kind: string
  /** Where others dial this node, best first. */
  readonly addresses: readonly string[]
  /**
   * RTCPeerConnections made by the node's WebRTC transports over their lifetime, failed
   * attempts included: the figure Chrome caps at about 500 a tab. 0 without WebRTC.
   */
  readonly peerConnectionsCreated: number
  /** The transport's own stats(), when it has them (a TransportManager's list each of its transports'). */
  readonly details: unknown
}

/** Running count, mean and max of durations. */
export class Timings {
  #count = 0
  #failures = 0
  #totalMs = 0
  #maxMs = 0

  record(durationMs: number, isFailure: boolean): void {
    this.#count++
    if (isFailure) this.#failures++
    this.#totalMs += durationMs
    if (durationMs > this.#maxMs) this.#maxMs = durationMs
  }

  snapshot(): OperationTimings {
    return { count: this.#count, failures: this.#failures, meanMs: this.#count === 0 ? 0 : this.#totalMs / this.#count, maxMs: this.#maxMs }
  }
}

export function nonZero(counts: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [reason, count] of Object.entries(counts)) if (count > 0) out[reason] = count
  return out
}
