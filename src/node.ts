// MeshNode: the public facade. It composes the layers of one node (connection manager, relay,
// DHT) over one transport, one clock and one random source, joins the mesh through bootstrap
// addresses, and gathers every layer's counters into one stats() snapshot.
//
// The hybrid router (`send`) plugs in the same way the relay and the DHT do: built over the
// connection manager (the PeerNetwork) and the DHT in the constructor, stopped in stop().

import type { Core } from './core/contracts.js'
import { loadCore } from './core/load-core.js'
import { Dht, type GetOptions, type PutOptions, type PutResult } from './dht/index.js'
import { ConnectionManager } from './peers/connection-manager.js'
import type { Identity } from './peers/identity.js'
import { DEFAULT_MAX_PEERS, DEFAULT_RATE_LIMIT_PER_PEER } from './peers/options.js'
import type { PeerSession } from './peers/session.js'
import { Relay, type RelayHandler, type RelayValidator } from './relay/index.js'
import { Router, type RoutedMessageHandler, type SendResult } from './routing/index.js'
import type { Transport } from './transport/transport.js'
import type { Clock } from './util/clock.js'
import { WasmeshError } from './util/wasmesh-error.js'
import { MeshNodeError } from './node/errors.js'
import { MeshEventTarget, type BootstrapOutcome, type MeshPeer } from './node/events.js'
import { constructLayer, hex, resolveMeshNodeOptions, type MeshNodeOptions, type ResolvedMeshNodeOptions } from './node/options.js'
import { registerSizes } from './node/sizes.js'
import { PeerUpkeep } from './node/upkeep.js'
import { nonZero, SESSION_BOOKKEEPING_BYTES, Timings, type DhtOperation, type MemoryEstimate, type MeshNodeStats } from './node/stats.js'

export { MeshNodeError, type MeshNodeErrorCode } from './node/errors.js'
export type { BootstrapOutcome, MeshNodeEvent, MeshNodeEventDetails, MeshNodeEventName, MeshNodeListener, MeshPeer } from './node/events.js'
export type { MeshDhtOptions, MeshNodeOptions, MeshPeersOptions, MeshRelayOptions } from './node/options.js'
export type { DhtOperation, MemoryEstimate, MeshNodeStats, OperationTimings } from './node/stats.js'
export type { UpkeepStats } from './node/upkeep.js'

/** The DHT as the node offers it: records stored on the k closest nodes of the mesh. */
export interface MeshDht {
  /** Stores `value` under this node's mutable `key` (or an immutable one: see Dht.put). */
  put(key: Uint8Array | string, value: Uint8Array, options?: PutOptions): Promise<PutResult>
  /** The value under `key`; another node's mutable record needs `options.owner` = its public key. */
  get(key: Uint8Array | string, options?: GetOptions): Promise<Uint8Array | undefined>
  /** Stores an immutable value; resolves with its key, SHA-256(value). */
  putImmutable(value: Uint8Array, options?: Omit<PutOptions, 'mutable'>): Promise<Uint8Array>
  getImmutable(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Ids of the k peers closest to a 32-byte target, by an iterative lookup. */
  closestPeers(target: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array[]>
}

type State = 'new' | 'starting' | 'running' | 'stopped'

const NO_BOOTSTRAP: BootstrapOutcome = Object.freeze({ connected: [], failed: [], isDhtJoined: false })

/**
 * Creates a node (not started): validates `options` (MeshNodeError 'NODE_INVALID_OPTION'),
 * loads the core structures unless given, and builds the layers over the transport.
 */
export async function createMeshNode(options: MeshNodeOptions): Promise<MeshNode> {
  const resolved = resolveMeshNodeOptions(options)
  const ownsTransport = options.network !== undefined
  try {
    const core = resolved.core ?? (await loadCore())
    return new MeshNode(resolved, core)
  } catch (error) {
    // The memory transport was made for this node: free its address for a corrected retry.
    if (ownsTransport) await resolved.transport.close()
    throw error
  }
}

export class MeshNode extends MeshEventTarget {
  /** Peer id: SHA-256 of the public key, 32 bytes. */
  readonly id: Uint8Array
  /** Lowercase hex of `id` (also the node's name on a MemoryNetwork unless `address` was given). */
  readonly peerKey: string
  readonly publicKey: Uint8Array
  readonly identity: Identity
  readonly clock: Clock
  readonly dht: MeshDht
  readonly #options: ResolvedMeshNodeOptions
  readonly #core: Core
  readonly #transport: Transport
  readonly #manager: ConnectionManager
  readonly #relay: Relay
  readonly #dht: Dht
  readonly #router: Router
  readonly #upkeep: PeerUpkeep
  #isDhtJoined = false
  readonly #disposers: (() => void)[] = []
  readonly #timings = new Map<DhtOperation, Timings>()
  #state: State = 'new'
  #stopping: Promise<void> | undefined
  #bootstrap: BootstrapOutcome = NO_BOOTSTRAP
  /** Publish copies this node sent for its own publishes (the rest of relay.sent is forwarding). */
  #ownSends = 0
  #rateLimiterBytesPerPeer: number | undefined

  /** @internal Use createMeshNode(), which validates the options and loads the core. */
  constructor(options: ResolvedMeshNodeOptions, core: Core) {
    super()
    this.#options = options
    this.#core = core
    this.#transport = options.transport
    this.identity = options.identity
    this.id = options.identity.peerId
    this.peerKey = hex(this.id)
    this.publicKey = options.identity.publicKey
    this.clock = options.clock
    const { identity, transport, clock, random, verify } = options
    const manager = constructLayer('peers', () => new ConnectionManager({
      ...options.peers,
      identity, transport, clock, random, core,
      ...(options.maxPeers === undefined ? {} : { maxPeers: options.maxPeers }),
      ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
    }))
    this.#manager = manager
    // Relay and DHT listen to the manager from now on, so they see every session it opens.
    this.#relay = constructLayer('relay', () => new Relay({ ...options.relay, network: manager, core, ...(verify === undefined ? {} : { verify }) }))
    this.#dht = constructLayer('dht', () => new Dht({
      ...options.dht, network: manager, core,
      ...(verify === undefined ? {} : { verify: async (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => verify(publicKey, message, signature) }),
    }))
    // Direct messages: greedy towards the target through the DHT's closest contacts and the neighbours.
    const dhtForRouting = this.#dht
    this.#router = constructLayer('router', () => new Router({
      // The DHT's closest contacts, and every open session: the contacts are mostly nodes this one
      // has no session with (lookup sessions are transient), while any neighbour nearer the
      // target is a greedy hop.
      network: manager, core, closestPeers: (target, count) => [...dhtForRouting.localClosest(target, count), ...manager.peers().map((peer) => peer.peerId)],
      ...(verify === undefined ? {} : { verify }),
    }))
    const relay = this.#relay
    this.#upkeep = new PeerUpkeep(manager, this.#bootstrapTargets(), {
      dhtPeers: (count) => (dhtForRouting.isRunning ? dhtForRouting.knownPeers(this.id, count) : []),
      onIsolated: () => this.emit('isolated', { knownPeers: manager.addressBook.size }),
      onRejoined: (detail) => {
        // Its routing table may be stale after the time alone: look itself up again.
        void this.#joinDht()
        this.emit('rejoined', detail)
      },
    })
    this.#disposers.push(
      manager.on('peer:connect', (session) => this.emit('peer:connect', toMeshPeer(session))),
      manager.on('peer:disconnect', (session, reason) => this.emit('peer:disconnect', { ...toMeshPeer(session), reason })),
      // Pruning keeps the neighbours the relay needs: one point per topic both follow.
      manager.addRetentionAdvisor((session) => relay.sharedTopics(session)),
    )
    registerSizes(this, {
      node: { sizes: () => ({ timings: this.#timings.size, disposers: this.#disposers.length }) },
      peers: manager, relay: this.#relay, dht: this.#dht, router: this.#router, upkeep: this.#upkeep,
    })
    const dht = this.#dht
    this.dht = {
      put: (key, value, putOptions) => this.#timed('put', () => dht.put(key, value, putOptions)),
      get: (key, getOptions) => this.#timed('get', () => dht.get(key, getOptions)),
      putImmutable: (value, putOptions) => this.#timed('putImmutable', () => dht.putImmutable(value, putOptions)),
      getImmutable: (key) => this.#timed('getImmutable', () => dht.getImmutable(key)),
      closestPeers: (target, lookupOptions) => this.#timed('closestPeers', () => dht.closestPeers(target, lookupOptions)),
    }
  }

  /** Where others reach this node. */
  get addresses(): string[] {
    return [this.#transport.localAddress]
  }

  get isRunning(): boolean {
    return this.#state === 'running'
  }

  /**
   * Listens, starts the layers and joins: dials every bootstrap address (each with the
   * connection manager's retries), then looks up its own id in the DHT through whoever
   * answered. Resolves once joined, also when no bootstrap address answered: the node runs
   * and others may dial it; the outcome is in stats().bootstrap and the 'bootstrap' and
   * 'bootstrap:failed' events. Throws NODE_INVALID_STATE when called twice or after stop().
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new MeshNodeError('NODE_INVALID_STATE', `start() may be called once, on a new node; this one is ${this.#state}`)
    this.#state = 'starting'
    await this.#manager.start()
    if (this.#isStopped()) return
    this.#dht.start()
    this.#state = 'running'
    await this.#join()
    if (this.#isStopped()) return
    this.emit('started', undefined)
  }

  /** Stops every layer: goodbyes to peers, every timer and listener released. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  /** Calls `handler` with every new message on `topic` from other nodes; returns the unsubscribe function. */
  subscribe(topic: string, handler: RelayHandler): () => void {
    return this.#relay.subscribe(topic, handler)
  }

  /** Signs `data` and floods it to the topic's subscribers; resolves with its seq and the neighbours it went to. */
  async publish(topic: string, data: Uint8Array): Promise<{ seq: bigint; peers: number }> {
    const result = await this.#relay.publish(topic, data)
    this.#ownSends += result.peers
    return result
  }

  /**
   * Sends `data` to the node `peerId`: directly when connected, else hop by hop towards it
   * through the DHT-closest peers, flooding when that fails. Resolves once the target
   * acknowledges; rejects with RoutingError('ROUTING_UNREACHABLE') within router.sendBoundMs.
   */
  send(peerId: Uint8Array, data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<SendResult> {
    return this.#router.send(peerId, data, options)
  }

  /** Calls `handler` with every direct message sent to this node; returns the unsubscribe function. */
  onDirect(handler: RoutedMessageHandler): () => void {
    return this.#router.onMessage(handler)
  }

  /** Sets (undefined: removes) the validator of a topic's messages, incoming and outgoing. */
  setValidator(topic: string, validator: RelayValidator | undefined): void {
    this.#relay.setValidator(topic, validator)
  }

  /** Connects to `address` and authenticates the peer there (PeerError on failure). */
  async connect(address: string, options: { expectedPeerId?: Uint8Array; signal?: AbortSignal } = {}): Promise<MeshPeer> {
    return toMeshPeer(await this.#manager.connect(address, options))
  }

  /** Open sessions. */
  peers(): MeshPeer[] {
    return this.#manager.peers().map(toMeshPeer)
  }

  stats(): MeshNodeStats {
    const peers = this.#manager.stats()
    const relay = this.#relay.stats()
    const dht = this.#dht.stats()
    const routing = this.#router.stats()
    let maxPeerOutgoing = 0
    for (const peer of peers.perPeer) maxPeerOutgoing = Math.max(maxPeerOutgoing, peer.queueDepth)
    const operations = {} as Record<DhtOperation, ReturnType<Timings['snapshot']>>
    for (const name of ['put', 'get', 'putImmutable', 'getImmutable', 'closestPeers', 'bootstrap'] as const) {
      operations[name] = this.#timings.get(name)?.snapshot() ?? { count: 0, failures: 0, meanMs: 0, maxMs: 0 }
    }
    return {
      isRunning: this.isRunning,
      peers: peers.peers,
      messages: {
        in: peers.messagesIn,
        out: peers.messagesOut,
        published: relay.published,
        received: relay.received,
        delivered: relay.delivered,
        relayed: Math.max(0, relay.sent - this.#ownSends),
        duplicates: relay.dropped.duplicate,
        duplicateFactor: relay.delivered === 0 ? 0 : relay.received / relay.delivered,
      },
      bytes: { in: peers.bytesIn, out: peers.bytesOut },
      drops: {
        peers: nonZero(peers.dropped),
        // A send the peers layer refused is counted there by why (queue-full, too-large-for-link, closed).
        relay: nonZero({ ...relay.dropped, 'send-refused': relay.sendFailures }),
        dht: nonZero({ ...dht.storesRefused, 'request-timeout': dht.requestTimeouts, 'connect-failure': dht.connectFailures, 'invalid-record': dht.invalidRecordsSeen }),
        routing: nonZero({ ...routing.dropped, 'send-refused': routing.sendFailures }),
      },
      queues: {
        outgoing: peers.queueDepth,
        maxPeerOutgoing,
        pendingVerifications: relay.pendingVerifications,
        pendingDhtRequests: dht.pendingRequests,
        handshaking: peers.handshaking,
      },
      dht: {
        contacts: dht.contacts,
        records: dht.records,
        storedBytes: dht.storedBytes,
        quotaBytes: dht.quotaBytes,
        published: dht.published,
        lookups: dht.lookups,
        hops: dht.hops,
        operations,
      },
      bootstrap: { ...this.#bootstrap, attempted: this.#bootstrapTargets().length },
      join: { ...this.#upkeep.stats(), knownPeers: peers.knownPeers, redirectsSent: peers.redirectsSent, redirectsReceived: peers.redirectsReceived, pruned: peers.pruned },
      memory: this.#memoryEstimate(peers.peers, peers.queueBytes, dht.storedBytes),
      layers: { peers, relay, dht, routing },
    }
  }

  // ---------------------------------------------------------------------------------------

  /**
   * Dials the bootstrap addresses; when they are full, dials the peers their redirects
   * offered (one upkeep round); then joins the DHT through whoever answered, and hands over
   * to the upkeep, which keeps the node at targetPeers from then on.
   */
  async #join(): Promise<void> {
    const targets = this.#bootstrapTargets()
    const outcomes = await Promise.allSettled(targets.map((address) => this.#manager.connect(address)))
    if (this.#isStopped()) return
    const connected: string[] = []
    const failed: { address: string; code: string }[] = []
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') connected.push(targets[i])
      else failed.push({ address: targets[i], code: outcome.reason instanceof WasmeshError ? outcome.reason.code : 'UNKNOWN' })
    })
    await this.#upkeep.round()
    if (this.#isStopped()) return
    if (this.#manager.peers().length > 0) await this.#joinDht()
    if (this.#isStopped()) return
    this.#bootstrap = { connected, failed, isDhtJoined: this.#isDhtJoined }
    this.#upkeep.start()
    this.emit('bootstrap', this.#bootstrap)
    if (targets.length > 0 && connected.length === 0) this.emit('bootstrap:failed', this.#bootstrap)
  }

  /** The DHT self-lookup through the open sessions; on failure the refresh timer and the upkeep try again. */
  async #joinDht(): Promise<void> {
    try {
      await this.#timed('bootstrap', () => this.#dht.bootstrap())
      this.#isDhtJoined = true
      if (this.#bootstrap !== NO_BOOTSTRAP) this.#bootstrap = { ...this.#bootstrap, isDhtJoined: true }
    } catch (error) {
      // Stopped meanwhile, or nobody answered the self-lookup.
      if (this.#isStopped()) return
      if (!(error instanceof WasmeshError)) throw error
    }
  }

  #bootstrapTargets(): readonly string[] {
    const own = this.#transport.localAddress
    return this.#options.bootstrap.filter((address) => address !== own)
  }

  async #stop(): Promise<void> {
    const wasStarted = this.#state !== 'new'
    this.#state = 'stopped'
    this.#upkeep.stop()
    this.#relay.stop()
    this.#router.stop()
    this.#dht.stop()
    await this.#manager.stop()
    // Kept until the manager is down, so listeners hear the goodbyes as disconnects.
    for (const dispose of this.#disposers.splice(0)) dispose()
    if (wasStarted) this.emit('stopped', undefined)
  }

  #isStopped(): boolean {
    return this.#state === 'stopped'
  }

  async #timed<T>(operation: DhtOperation, run: () => Promise<T>): Promise<T> {
    let timings = this.#timings.get(operation)
    if (timings === undefined) this.#timings.set(operation, (timings = new Timings()))
    const startedAt = this.clock.now()
    try {
      const result = await run()
      timings.record(this.clock.now() - startedAt, false)
      return result
    } catch (error) {
      timings.record(this.clock.now() - startedAt, true)
      throw error
    }
  }

  #memoryEstimate(sessions: number, queueBytes: number, storedBytes: number): MemoryEstimate {
    this.#rateLimiterBytesPerPeer ??= this.#probeRateLimiterBytesPerPeer()
    const limiter = this.#rateLimiterBytesPerPeer
    const queue = sessions === 0 ? 0 : Math.round(queueBytes / sessions)
    const perPeerBytes = queue + limiter + SESSION_BOOKKEEPING_BYTES
    return {
      isEstimate: true,
      queueBytesPerPeer: queue,
      rateLimiterBytesPerPeer: limiter,
      bookkeepingBytesPerPeer: SESSION_BOOKKEEPING_BYTES,
      perPeerBytes,
      totalBytes: (limiter + SESSION_BOOKKEEPING_BYTES) * sessions + queueBytes + storedBytes,
    }
  }

  /** One peer's share of a rate limiter built with the manager's settings (freed at once). */
  #probeRateLimiterBytesPerPeer(): number {
    const maxPeers = this.#options.maxPeers ?? DEFAULT_MAX_PEERS
    const rate = this.#options.peers.rateLimitPerPeer ?? DEFAULT_RATE_LIMIT_PER_PEER
    const limiter = this.#core.createRateLimiter({ ratePerSec: rate, burst: rate, peers: maxPeers })
    const share = Math.ceil(limiter.byteLength / maxPeers)
    limiter.free()
    return share
  }
}

function toMeshPeer(session: PeerSession): MeshPeer {
  return {
    id: session.peerId,
    peerKey: session.peerKey,
    publicKey: session.publicKey,
    addresses: session.listenAddresses,
    direction: session.direction,
    version: session.version,
    capabilities: session.capabilities,
  }
}
