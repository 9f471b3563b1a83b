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
import { DEFAULT_MAX_PEERS, DEFAULT_MAX_RETRIES, DEFAULT_RATE_LIMIT_PER_PEER, DEFAULT_RETRY_BASE_MS, DEFAULT_RETRY_JITTER } from './peers/options.js'
import type { PeerSession } from './peers/session.js'
import { Relay, type PublishResult, type RelayHandler, type RelayValidator } from './relay/index.js'
import { Router, type RoutedMessageHandler, type SendResult } from './routing/index.js'
import { addressesOf } from './transport/addresses.js'
import type { Transport } from './transport/transport.js'
import type { Clock } from './util/clock.js'
import { WasmeshError } from './util/wasmesh-error.js'
import { BOOTSTRAP_STAGGER_MS, connectBootstrap, dialInTurn, type BootstrapDialPolicy } from './node/bootstrap.js'
import { DiscoveryRunner } from './node/discovery-runner.js'
import { BootstrapError, MeshNodeError } from './node/errors.js'
import { MeshEventTarget, type BootstrapOutcome, type MeshPeer } from './node/events.js'
import { SubscriberWaits, type WaitForSubscribersOptions } from './node/subscriber-waits.js'
import { describeValue } from './util/validate.js'
import { constructLayer, hex, resolveMeshNodeOptions, type MeshNodeOptions, type ResolvedMeshNodeOptions } from './node/options.js'
import { registerSizes } from './node/sizes.js'
import { MAX_JOIN_ROUNDS, PeerUpkeep } from './node/upkeep.js'
import { KnownPeersKeeper } from './node/known-peers.js'
import { summarizeTransport } from './node/transport-summary.js'
import { nonZero, SESSION_BOOKKEEPING_BYTES, Timings, type DhtOperation, type MemoryEstimate, type MeshNodeStats } from './node/stats.js'

export { BootstrapError, MeshNodeError, type MeshNodeErrorCode } from './node/errors.js'
export type { WaitForSubscribersOptions } from './node/subscriber-waits.js'
export type { BootstrapOutcome, MeshNodeEvent, MeshNodeEventDetails, MeshNodeEventName, MeshNodeListener, MeshPeer } from './node/events.js'
export type { MeshDhtOptions, MeshNodeOptions, MeshPeersOptions, MeshRelayOptions, MeshRoutingOptions } from './node/options.js'
export type { DhtOperation, MemoryEstimate, MeshNodeStats, OperationTimings, TransportSummary } from './node/stats.js'
export type { UpkeepStats } from './node/upkeep.js'

/** The DHT as the node offers it: records stored on the k closest nodes of the mesh. */
export interface MeshDht {
  /**
   * Stores `value` under this node's mutable `key` (signed, with a sequence number: a newer
   * put wins), on the k closest nodes; resolves with where it was stored. A mutable value is
   * at most 16,352 bytes (16 KiB less the 32-byte key hash), an immutable one 16,384: more is
   * DhtError DHT_INVALID_ARGUMENT. `options`: mutable (DEFAULT true), ttlMs (1 to 2^32 - 1,
   * DEFAULT dht.recordTtlMs), republish (DEFAULT true), signal.
   */
  put(key: Uint8Array | string, value: Uint8Array, options?: PutOptions): Promise<PutResult>
  /** The value under `key`; another node's mutable record needs `options.owner` = its public key. */
  get(key: Uint8Array | string, options?: GetOptions): Promise<Uint8Array | undefined>
  /** Stores an immutable value; resolves with its key, SHA-256(value). */
  putImmutable(value: Uint8Array, options?: Omit<PutOptions, 'mutable'>): Promise<Uint8Array>
  getImmutable(key: Uint8Array): Promise<Uint8Array | undefined>
  /** Ids of the k peers closest to a 32-byte target, by an iterative lookup. */
  closestPeers(target: Uint8Array, options?: { signal?: AbortSignal }): Promise<Uint8Array[]>
}

/** What start() does when no bootstrap address could be reached. */
export type BootstrapFailurePolicy =
  /** Stop the node and reject with BootstrapError (code NODE_BOOTSTRAP_FAILED). */
  | 'reject'
  /** Resolve with the node running alone; it keeps dialling the addresses with backoff (1 s doubling to 60 s) and emits 'rejoined' once one answers. */
  | 'keep-trying'

export interface StartOptions {
  /** Aborting stops the node and rejects start() with MeshNodeError NODE_ABORTED (name 'AbortError'). */
  signal?: AbortSignal
  /** DEFAULT 'reject': a wrong or unreachable bootstrap list fails start() at once. */
  onBootstrapFailure?: BootstrapFailurePolicy
}

const BOOTSTRAP_FAILURE_POLICIES: ReadonlySet<string> = new Set<BootstrapFailurePolicy>(['reject', 'keep-trying'])

type State = 'new' | 'starting' | 'running' | 'stopped'

const NO_BOOTSTRAP: BootstrapOutcome = Object.freeze({ connected: [], failed: [], isDhtJoined: false, fromKnownPeers: 0 })

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

/**
 * One node of the mesh: made by {@link createMeshNode}, then `start()`ed. It publishes and
 * subscribes to topics (signed, flooded through each topic's subscribers), sends direct
 * messages to any peer id (routed, acknowledged, retried), and stores and finds records in
 * the DHT (`node.dht`). `stats()` gathers every layer's counters.
 *
 * Events (`addEventListener(name, listener)`; the listener gets a `CustomEvent` whose
 * `detail` is typed by the name, see {@link MeshNodeEventDetails}; an unknown name throws
 * NODE_INVALID_ARGUMENT):
 *
 * | event | when | detail |
 * | --- | --- | --- |
 * | `peer:connect` | a session opened (either side dialled) | {@link MeshPeer} |
 * | `peer:disconnect` | a session closed | {@link MeshPeer} and `reason` |
 * | `bootstrap` | start() finished joining | {@link BootstrapOutcome} |
 * | `bootstrap:failed` | every bootstrap address failed (before start() rejects, or resolves with 'keep-trying') | {@link BootstrapOutcome} |
 * | `isolated` | no session left, addresses to try | `{ knownPeers }` |
 * | `rejoined` | an isolated node has peers again | `{ peers, isolatedForMs, rounds }` |
 * | `started` / `stopped` | start() resolved / stop() finished | none |
 *
 * Handlers and listeners: a `subscribe` handler gets a {@link RelayMessage} (`topic`, `data`,
 * `origin`, `seq`, `hops`), an `onDirect` handler a {@link RoutedMessage} (`from`, `data`,
 * `hops`). A handler or listener that throws does not stop the node or the other handlers:
 * its error is rethrown from a microtask as an uncaught exception, as the platform's
 * EventTarget does with a throwing listener. In Node that ends the process unless
 * `process.on('uncaughtException')` is set, so catch inside handlers whose errors you expect.
 */
export class MeshNode extends MeshEventTarget {
  /** Peer id: SHA-256 of the public key, 32 bytes. */
  readonly id: Uint8Array
  /** Lowercase hex of `id` (also the node's name on a MemoryNetwork unless `address` was given). */
  readonly peerKey: string
  /** The Ed25519 public key (32 bytes); others read this node's mutable DHT records with it (`get(key, { owner })`). */
  readonly publicKey: Uint8Array
  /** The key pair (export it with identity.export() to keep the same id across restarts). */
  readonly identity: Identity
  /** The clock every layer of this node runs on (systemClock unless one was given). */
  readonly clock: Clock
  /** The DHT: records stored on the k closest nodes of the mesh. */
  readonly dht: MeshDht
  readonly #options: ResolvedMeshNodeOptions
  readonly #core: Core
  readonly #transport: Transport
  readonly #manager: ConnectionManager
  readonly #relay: Relay
  readonly #dht: Dht
  readonly #router: Router
  readonly #upkeep: PeerUpkeep
  readonly #knownPeers: KnownPeersKeeper | undefined
  readonly #discovery: DiscoveryRunner
  readonly #subscriberWaits: SubscriberWaits
  /** Aborted by stop(): cancels start()'s bootstrap dials and backoff waits. */
  readonly #lifetime = new AbortController()
  #isDhtJoined = false
  /** start()'s join has run (whatever it found). */
  #hasJoined = false
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
      ...(verify === undefined ? {} : { verify }),
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
      ...options.routing,
      // The DHT's closest contacts, and every open session: the contacts are mostly nodes this one
      // has no session with (lookup sessions are transient), while any neighbour nearer the
      // target is a greedy hop.
      network: manager, core, closestPeers: (target, count) => [...dhtForRouting.localClosest(target, count), ...manager.peers().map((peer) => peer.peerId)],
      ...(verify === undefined ? {} : { verify }),
    }))
    // WebRTC signals through the mesh from now on, while the node has a session to send them through.
    if (options.meshSignaling !== undefined) this.#disposers.push(options.meshSignaling.attach(this.#router, () => manager.peers().length > 0))
    const relay = this.#relay
    this.#upkeep = new PeerUpkeep(manager, this.#bootstrapTargets(), {
      dhtPeers: (count) => (dhtForRouting.isRunning ? dhtForRouting.knownPeers(this.id, count) : []),
      dhtBucketPeers: (bucket, count) => (dhtForRouting.isRunning ? dhtForRouting.bucketPeers(bucket, count) : []),
      onIsolated: () => this.emit('isolated', { knownPeers: manager.addressBook.size }),
      onRejoined: (detail) => {
        // Its routing table may be stale after the time alone: look itself up again.
        void this.#joinDht()
        this.emit('rejoined', detail)
      },
    })
    this.#knownPeers = options.knownPeers === undefined ? undefined : new KnownPeersKeeper(options.knownPeers, manager, this.clock, () => addressesOf(this.#transport))
    this.#discovery = new DiscoveryRunner(options.discovery, manager, this.id, () => addressesOf(this.#transport), () => {
      if (this.#hasJoined && !this.#isStopped()) void this.#upkeep.round()
    })
    this.#subscriberWaits = new SubscriberWaits(this.clock, (topic) => relay.subscriberCount(topic), () => manager.peers().length)
    this.#disposers.push(
      relay.onAnnounce((topics) => this.#subscriberWaits.onAnnounce(topics)),
      manager.on('peer:connect', (session) => this.emit('peer:connect', toMeshPeer(session))),
      manager.on('peer:disconnect', (session, reason) => this.emit('peer:disconnect', { ...toMeshPeer(session), reason })),
      // Pruning keeps the neighbours the relay needs: one point per topic both follow.
      manager.addRetentionAdvisor((session) => relay.sharedTopics(session)),
    )
    registerSizes(this, {
      node: { sizes: () => ({ timings: this.#timings.size, disposers: this.#disposers.length, subscriberWaits: this.#subscriberWaits.size }) },
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
    return [...addressesOf(this.#transport)]
  }

  /** True from the end of start()'s listening step until stop(). */
  get isRunning(): boolean {
    return this.#state === 'running'
  }

  /**
   * Listens, starts the layers and joins. What it waits for, in order:
   *
   * 1. the transport listening, and the discoveries starting (registering at a bootstrap
   *    server takes at most its timeoutMs, 5 s);
   * 2. the bootstrap addresses in turn, in a random order: the next when the last failed with
   *    nowhere to go or has not answered within BOOTSTRAP_STAGGER_MS (1 s), none after a
   *    session opened or a full node redirected it; each until it answers: a session (dial, then the
   *    handshake, at most peers.handshakeTimeoutMs = 10 s) or an answer that ends it at once,
   *    within one round trip: nothing listens there, an address the transport cannot take, a
   *    refusal in the handshake. Only silence (a dial timing out after the transport's dial
   *    timeout, 10 s on MemoryNetwork and WebSocketTransport) and PEER_BUSY (a node with as
   *    many handshakes under way as it takes, in a flash crowd) are retried, peers.maxRetries
   *    (3) times after 5, 10 and 20 s (±20%): a silent address holds start() up to ~80 s;
   *    pass a `signal` to bound that;
   *    At the same time, unless peers it knew (knownPeers) answered, one ask of the
   *    bootstrap servers (the `bootstrap` option's http(s):// URLs, or a
   *    BootstrapServerDiscovery): each server's GET /peers in turn until one answers, each
   *    request at most its timeoutMs (5 s). A server that is down or lists nobody never fails
   *    start(): the discovery asks again, with backoff, while the node is below its target;
   * 3. one round of dials to the peers that full bootstrap nodes redirected it to, and to
   *    those the servers listed; while no session has opened, up to 3 more rounds, each to
   *    the peers the last round's full peers redirected it to (at most 32 dials in all);
   * 4. the DHT self-lookup through the sessions it has (each request at most
   *    dht.requestTimeoutMs = 5 s).
   *
   * With no bootstrap address or server it resolves after step 1 (the first node). When bootstrap
   * addresses were given and no session opened, it stops the node and rejects with
   * BootstrapError (code NODE_BOOTSTRAP_FAILED, `bootstrap` says what each address answered),
   * unless `onBootstrapFailure` is 'keep-trying': then it resolves with the node running
   * alone and dialling them with backoff. Either way the outcome is in stats().bootstrap and
   * the 'bootstrap' and 'bootstrap:failed' events. Rejects with NODE_ABORTED (name
   * 'AbortError') when `signal` aborts (the node is stopped), NODE_INVALID_STATE when called
   * twice or after stop(), NODE_INVALID_ARGUMENT for bad options. A stop() during start()
   * makes it resolve early.
   */
  async start(options: StartOptions = {}): Promise<void> {
    if (this.#state !== 'new') throw new MeshNodeError('NODE_INVALID_STATE', `start() may be called once, on a new node; this one is ${this.#state}`)
    const { signal, policy } = checkStartOptions(options)
    if (signal?.aborted) {
      await this.stop()
      throw startAborted(signal)
    }
    this.#state = 'starting'
    const onAbort = () => void this.stop()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await this.#manager.start()
      if (this.#isStopped()) return await this.#stoppedDuringStart(signal)
      // Once listening: what the discoveries announce is where the node really is.
      await this.#discovery.start()
      if (this.#isStopped()) return await this.#stoppedDuringStart(signal)
      this.#dht.start()
      this.#state = 'running'
      await this.#join()
      if (this.#isStopped()) return await this.#stoppedDuringStart(signal)
      // Only a join that opened no session fails: one that did may still hold none at this
      // instant (the sessions it opened were redirected or closed under it), and the upkeep,
      // running now, dials on.
      const bootstrap = this.#bootstrap
      const hasOpenedSession = bootstrap.connected.length > 0 || bootstrap.fromKnownPeers > 0
      if (policy === 'reject' && this.#bootstrapTargets().length > 0 && !hasOpenedSession && this.#manager.peers().length === 0) {
        const error = new BootstrapError(this.#bootstrap)
        await this.stop()
        throw error
      }
      this.emit('started', undefined)
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Stops every layer: goodbyes to peers, every timer and listener released. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  /**
   * Resolves once at least `min` (DEFAULT 1) neighbours have announced `topic`, with how many
   * have: from then on a publish to the topic leaves this node. Only neighbours count, since
   * only subscribers relay a topic's messages: a subscribed neighbour is what a publish needs
   * to reach the topic's subscribers further away. Resolves at once when enough already have.
   * Rejects with MeshNodeError: NODE_TIMEOUT after `timeoutMs` (DEFAULT 30,000), NODE_ABORTED
   * (name 'AbortError') when `signal` aborts, NODE_STOPPED when the node stops meanwhile,
   * NODE_INVALID_STATE on a stopped node, NODE_INVALID_ARGUMENT for a bad topic or option.
   * Its timer and listener are released whichever way it settles.
   */
  waitForSubscribers(topic: string, options: WaitForSubscribersOptions = {}): Promise<number> {
    if (this.#isStopped()) return Promise.reject(new MeshNodeError('NODE_INVALID_STATE', 'waitForSubscribers() needs a node that is not stopped'))
    return this.#subscriberWaits.wait(topic, options)
  }

  /**
   * Calls `handler` with every new message on `topic` from other nodes (never this node's own
   * publishes), once per message however many copies arrive; returns the unsubscribe
   * function. The topic is announced to neighbours on the first subscription and withdrawn
   * after the last. RelayError: RELAY_INVALID_ARGUMENT (a topic of 0 or more than 256 bytes),
   * RELAY_TOO_MANY_SUBSCRIPTIONS (past relay.maxSubscriptions), RELAY_STOPPED. A throwing
   * handler is rethrown as an uncaught exception (see {@link MeshNode}).
   */
  subscribe(topic: string, handler: RelayHandler): () => void {
    return this.#relay.subscribe(topic, handler)
  }

  /**
   * Signs `data` and floods it to the topic's subscribers. Resolves with its seq and where it
   * went: `peers`, the subscribed neighbours it was pushed to, and `isSent` false with a
   * `notSentReason` ('no-peers', 'no-subscribers', 'send-refused', 'stopped') when it went
   * to nobody, so nobody will receive it. A neighbour's subscription reaches this node one
   * link delay after both are connected: await waitForSubscribers(topic) before a first
   * publish. RelayError: RELAY_MESSAGE_TOO_LARGE, RELAY_VALIDATION_FAILED, RELAY_INVALID_ARGUMENT.
   */
  async publish(topic: string, data: Uint8Array): Promise<PublishResult> {
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

  /**
   * Calls `handler` with every direct message sent to this node (`from` is the verified
   * origin); returns the unsubscribe function. The sender's send() resolves once this node
   * has acknowledged it. A throwing handler is rethrown as an uncaught exception (see {@link MeshNode}).
   */
  onDirect(handler: RoutedMessageHandler): () => void {
    return this.#router.onMessage(handler)
  }

  /**
   * Sets (undefined: removes) the validator of a topic's messages, incoming and outgoing. It
   * answers 'accept' (deliver and relay), 'reject' (drop and penalize the neighbour that sent
   * it) or 'ignore' (drop quietly; also what a validator that throws counts as). An outgoing
   * message it does not accept makes publish() reject with RELAY_VALIDATION_FAILED.
   */
  setValidator(topic: string, validator: RelayValidator | undefined): void {
    this.#relay.setValidator(topic, validator)
  }

  /**
   * Connects to `address` and authenticates the peer there; with `expectedPeerId` a peer
   * with another id is refused (HANDSHAKE_ID_MISMATCH). Resolves with the session's peer (the
   * one already open when there is one). Rejects with PeerError: PEER_UNREACHABLE after
   * peers.maxRetries retries of silence or refusals, PEER_TOO_MANY_PEERS (its `redirect`
   * lists peers offered instead), PEER_BANNED, PEER_SELF, PEER_REFUSED, PEER_ABORTED (name
   * 'AbortError') when `signal` aborts; a TransportError for an address the transport cannot take.
   */
  async connect(address: string, options: { expectedPeerId?: Uint8Array; signal?: AbortSignal } = {}): Promise<MeshPeer> {
    return toMeshPeer(await this.#manager.connect(address, options))
  }

  /** The open sessions, as {@link MeshPeer}s (a snapshot). */
  peers(): MeshPeer[] {
    return this.#manager.peers().map(toMeshPeer)
  }

  /** A snapshot of every layer's counters and sizes (see {@link MeshNodeStats}); cheap enough to poll. */
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
        dht: nonZero({ ...dht.storesRefused, 'request-timeout': dht.requestTimeouts, 'connect-failure': dht.connectFailures, 'invalid-record': dht.invalidRecordsSeen, 'expired-record': dht.expiredRecordsSeen }),
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
      join: { ...this.#upkeep.stats(), knownPeers: peers.knownPeers, knownPeersStore: this.#knownPeers?.stats(), discovery: this.#discovery.stats(), redirectsSent: peers.redirectsSent, redirectsReceived: peers.redirectsReceived, pruned: peers.pruned },
      memory: this.#memoryEstimate(peers.peers, peers.queueBytes, peers.bufferedBytes + peers.handshakeBufferedBytes, dht.storedBytes),
      transport: summarizeTransport(this.#transport),
      layers: { peers, relay, dht, routing },
    }
  }

  // ---------------------------------------------------------------------------------------

  /**
   * Dials the bootstrap addresses; when they are full, dials the peers their redirects
   * offered (one upkeep round, and up to MAX_JOIN_ROUNDS while none of them took it, each
   * through the redirects of the last); then joins the DHT through whoever answered, and hands over
   * to the upkeep, which keeps the node at targetPeers from then on.
   */
  async #join(): Promise<void> {
    const fromKnownPeers = await this.#joinKnownPeers()
    if (this.#isStopped()) return
    // Peers it knew answered: no need to ask the bootstrap addresses (the upkeep still may, later).
    const targets = fromKnownPeers > 0 ? [] : this.#bootstrapTargets()
    const policy = this.#bootstrapDialPolicy()
    // Once one address has joined the node, the silent ones are not retried: start() resolves without their backoff.
    const joined = new AbortController()
    // Meanwhile the discoveries that ask on demand (bootstrap servers) are asked, unless peers it knew answered (they ask later, when a session closes below the target).
    const asking = fromKnownPeers > 0 ? undefined : this.#discovery.peersWanted()
    const dialOne = async (address: string) => {
      const session = await this.#upkeep.trackBootstrapDial(address, connectBootstrap(this.#manager, address, policy, this.#lifetime.signal, joined.signal))
      joined.abort()
      return session
    }
    const outcomes = await dialInTurn(targets, dialOne, { ...policy, staggerMs: BOOTSTRAP_STAGGER_MS, signal: this.#lifetime.signal })
    if (asking !== undefined) await asking
    if (this.#isStopped()) return
    const connected: string[] = []
    const failed: { address: string; code: string; message: string }[] = []
    outcomes.forEach((outcome, i) => {
      if (outcome === undefined) return
      if (outcome.status === 'fulfilled') connected.push(targets[i])
      else {
        const reason: unknown = outcome.reason
        // Not dialled again by the round below: it just answered (or kept silent), and backs off.
        failed.push({ address: targets[i], code: reason instanceof WasmeshError ? reason.code : 'UNKNOWN', message: reason instanceof Error ? reason.message : String(reason) })
      }
    })
    for (let round = 0; round < MAX_JOIN_ROUNDS; round++) {
      // With a session open, the bootstrap addresses not dialled in turn are the upkeep's, later: start() does not wait on them.
      const dialled = await this.#upkeep.round({ bootstrap: this.#manager.peers().length === 0 })
      if (this.#isStopped()) return
      if (dialled === 0 || this.#manager.peers().length > 0) break
    }
    if (this.#manager.peers().length > 0) await this.#joinDht()
    if (this.#isStopped()) return
    this.#bootstrap = { connected, failed, isDhtJoined: this.#isDhtJoined, fromKnownPeers }
    this.#hasJoined = true
    this.#upkeep.start()
    if (this.#knownPeers !== undefined) {
      void this.#knownPeers.save()
      this.#knownPeers.startSaving()
    }
    this.emit('bootstrap', this.#bootstrap)
    if (targets.length > 0 && connected.length === 0) this.emit('bootstrap:failed', this.#bootstrap)
  }

  /** The stored peers join the address book and one round dials them (no bootstrap address); resolves with the sessions it opened. */
  async #joinKnownPeers(): Promise<number> {
    const keeper = this.#knownPeers
    if (keeper === undefined || (await keeper.load()) === 0 || this.#isStopped()) return 0
    const before = this.#manager.peers().length
    await this.#upkeep.round({ bootstrap: false })
    keeper.connectedAtStart = Math.max(0, this.#manager.peers().length - before)
    return keeper.connectedAtStart
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

  #bootstrapDialPolicy(): BootstrapDialPolicy {
    const peers = this.#options.peers
    return {
      maxRetries: peers.maxRetries ?? DEFAULT_MAX_RETRIES,
      retryBaseMs: peers.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
      retryJitter: peers.retryJitter ?? DEFAULT_RETRY_JITTER,
      clock: this.clock,
      random: this.#options.random,
    }
  }

  /** start() found the node stopped: by its signal (reject), or by a stop() call (resolve, as before). */
  async #stoppedDuringStart(signal: AbortSignal | undefined): Promise<void> {
    await this.#stopping
    if (signal?.aborted) throw startAborted(signal)
  }

  #bootstrapTargets(): readonly string[] {
    const own = addressesOf(this.#transport)
    return this.#options.bootstrap.filter((address) => !own.includes(address))
  }

  async #stop(): Promise<void> {
    const wasStarted = this.#state !== 'new'
    this.#state = 'stopped'
    this.#lifetime.abort(new MeshNodeError('NODE_STOPPED', 'the node stopped'))
    this.#subscriberWaits.rejectAll(() => new MeshNodeError('NODE_STOPPED', 'the node stopped while waiting for subscribers'))
    this.#upkeep.stop()
    const discoveryStopped = this.#discovery.stop()
    // Saved while the sessions are still open: they are the peers most worth knowing next time.
    const saved = wasStarted ? this.#knownPeers?.save() : undefined
    this.#knownPeers?.stopSaving()
    this.#relay.stop()
    this.#router.stop()
    this.#dht.stop()
    await this.#manager.stop()
    await saved
    await discoveryStopped
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

  #memoryEstimate(sessions: number, queueBytes: number, bufferedBytes: number, storedBytes: number): MemoryEstimate {
    this.#rateLimiterBytesPerPeer ??= this.#probeRateLimiterBytesPerPeer()
    // Three buckets a session: its own messages, what it relays, and its frames before decoding.
    const limiter = 3 * this.#rateLimiterBytesPerPeer
    const queue = sessions === 0 ? 0 : Math.round(queueBytes / sessions)
    const buffered = sessions === 0 ? 0 : Math.round(bufferedBytes / sessions)
    const perPeerBytes = queue + buffered + limiter + SESSION_BOOKKEEPING_BYTES
    return {
      isEstimate: true,
      queueBytesPerPeer: queue,
      bufferedBytesPerPeer: buffered,
      rateLimiterBytesPerPeer: limiter,
      bookkeepingBytesPerPeer: SESSION_BOOKKEEPING_BYTES,
      perPeerBytes,
      totalBytes: (limiter + SESSION_BOOKKEEPING_BYTES) * sessions + queueBytes + bufferedBytes + storedBytes,
    }
  }

  /** One peer's share of a full rate limiter built with the manager's settings (freed at once). */
  #probeRateLimiterBytesPerPeer(): number {
    const maxPeers = this.#options.maxPeers ?? DEFAULT_MAX_PEERS
    const rate = this.#options.peers.rateLimitPerPeer ?? DEFAULT_RATE_LIMIT_PER_PEER
    const limiter = this.#core.createRateLimiter({ ratePerSec: rate, burst: rate, peers: maxPeers })
    // The table grows to the highest handle used: the last one makes it full.
    limiter.tryTake(maxPeers - 1, 0)
    const share = Math.ceil(limiter.byteLength / maxPeers)
    limiter.free()
    return share
  }
}

function checkStartOptions(options: StartOptions): { signal: AbortSignal | undefined; policy: BootstrapFailurePolicy } {
  const invalid = (message: string) => new MeshNodeError('NODE_INVALID_ARGUMENT', message)
  if (typeof options !== 'object' || options === null) throw invalid(`start options must be an object, got ${describeValue(options)}`)
  const { signal, onBootstrapFailure = 'reject' } = options
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid(`signal must be an AbortSignal, got ${describeValue(signal)}`)
  if (!BOOTSTRAP_FAILURE_POLICIES.has(onBootstrapFailure)) throw invalid(`onBootstrapFailure must be one of ${[...BOOTSTRAP_FAILURE_POLICIES].join(', ')}, got ${describeValue(onBootstrapFailure)}`)
  return { signal, policy: onBootstrapFailure }
}

function startAborted(signal: AbortSignal): MeshNodeError {
  return new MeshNodeError('NODE_ABORTED', 'start() was aborted; the node is stopped', { cause: signal.reason })
}

function toMeshPeer(session: PeerSession): MeshPeer {
  return {
    id: session.peerId,
    peerKey: session.peerKey,
    publicKey: session.publicKey,
    addresses: session.listenAddresses,
    remoteAddress: session.remoteAddress,
    direction: session.direction,
    version: session.version,
    capabilities: session.capabilities,
  }
}
