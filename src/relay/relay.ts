// Pub/sub by selective flooding, above the peers layer: a message goes from its origin to
// the neighbours subscribed to its topic, and each of them that sees it for the first time
// checks it, hands it to its handlers and forwards it to up to `fanout` subscribed
// neighbours not already on its recent path, until its TTL runs out.
//
// Who relays: only subscribers. A node forwards a topic's messages to the neighbours that
// announced the topic, so a topic's traffic stays inside the subgraph of its subscribers and
// a node never carries, verifies or stores messages of topics it does not follow (floodsub's
// rule). The price: a topic's subscribers must be connected among themselves (through
// subscribed neighbours), which the connection manager and the router's flood fallback are
// there to keep. A node may publish to a topic it does not subscribe to: it sends to its
// subscribed neighbours.
//
// Checks, cheapest first, so junk costs little: size, shape, subscribed topic, loop (own id
// on the path), age (the origin's signed timestamp against this node's clock), dedup, the
// origin's replay window, then the Ed25519 signature, then the topic's validator. A message enters the dedup set and marks its sequence number in the
// replay window only once its signature verifies, so a forged copy arriving first cannot
// shadow the genuine one. Every drop is counted by reason (stats().dropped).
//
// Replay: a publish older than maxMessageAgeMs by its signed timestamp is refused outright.
// Inside that age, the dedup set forgets (TTL, capacity), so each origin also has a sliding
// window of sequence numbers (replay-window.ts) that keeps refusing a message re-sent later;
// an origin pushed out of that table while still inside its age window leaves a floor behind,
// below which messages of origins not in the table are refused. So a replay is refused
// whatever was sent before it. An origin's sequence numbers must grow across its restarts
// too: see SEQ_COUNTER_BITS.
//
// Repair (gossipsub's lazy push): forwarding to a random `fanout` subset can miss a
// subscriber even without loss. So the subscribed neighbours a new message was not pushed to
// are told its (origin, seq) in an ihave, batched per neighbour and sent once per
// gossipIntervalMs by one timer; one that has not seen it asks with an iwant, and the
// forwarded copy comes from a bounded cache (message-cache.ts). A fetched message is a
// publish like any other: it passes every check above, then is delivered and forwarded.

import type { Core, DedupSet, KeyedHasher } from '../core/contracts.js'
import { loadCoreSync } from '../core/load-core.js'
import { verifySignature } from '../peers/identity.js'
import { OriginRateLimits } from '../peers/origin-limits.js'
import { PRIORITY_CONTROL, PRIORITY_PUBLISH, type PeerNetwork, type PeerSession } from '../peers/session.js'
import type { TimerHandle } from '../util/clock.js'
import type { DecodedMessage, MessageRef, PublishMessage } from '../wire/messages.js'
import { MAX_MESSAGE_REFS, MAX_SUBSCRIPTIONS_PER_MESSAGE, MAX_TOPIC_BYTES } from '../wire/limits.js'
import { sample } from '../util/random.js'
import { describeValue } from '../util/validate.js'
import { judgeTimestamp } from '../util/timestamp-window.js'
import { signedBytes } from './envelope.js'
import { secretKeyedHasher } from '../core/keyed-hasher-options.js'
import { bytesEqual, keyMatchesPeerId } from '../peers/identity.js'
import { RelayError } from './errors.js'
import { PATH_WINDOW, resolveRelayOptions, type RelayOptions, type ResolvedRelayOptions, type SignatureVerifier } from './options.js'
import { MessageCache } from './message-cache.js'
import { PeerTopics } from './peer-topics.js'
import { ReplayWindows } from './replay-window.js'
import { callEach } from '../util/handlers.js'

/** The relay's kind of keyed dedup key: (origin, seq) of a publish. */
const PUBLISH_KEY_KIND = 0
/** The kind of keyed key naming an origin in the replay table: (origin, 0). */
const ORIGIN_KEY_KIND = 1

/**
 * A node's first sequence number after it starts is clock.now() in whole milliseconds times
 * 2**SEQ_COUNTER_BITS; each publish adds one. Peers keep a replay window per origin and refuse
 * sequence numbers below it, so a restarted node must not start below where it stopped: it
 * does not, as long as it published on average fewer than 65,536 messages per millisecond it
 * ran, and its clock did not go back across the restart (systemClock follows the wall clock
 * at start). Milliseconds up to 2**48 (the year 10889) fit in the u64 beside the counter. A
 * random start would not grow; a timestamp per message (max(last + 1, now << 16)) would leap
 * by 65,536 every millisecond and push messages sent a moment earlier out of the window.
 */
export const SEQ_COUNTER_BITS = 16n

/** A message as handlers and validators see it. */
export interface RelayMessage {
  readonly topic: string
  /** The application payload. */
  readonly data: Uint8Array
  /** The origin's peer id (32 bytes). */
  readonly origin: Uint8Array
  readonly seq: bigint
  /** The origin's clock when it signed the message (whole milliseconds), within this node's age window. */
  readonly timestampMs: number
  /** Sends from the origin to here (1 for a message straight from its origin). */
  readonly hops: number
}

export type RelayHandler = (message: RelayMessage) => void

/** Why a publish left this node for nobody (PublishResult.notSentReason). */
export type PublishNotSentReason =
  | 'no-peers' //        this node has no open session (not started, alone, or still joining)
  | 'no-subscribers' //  it has neighbours, but none has announced the topic (yet: see MeshNode.waitForSubscribers)
  | 'send-refused' //    every subscribed neighbour's outgoing queue refused it (counted in stats)
  | 'stopped' //         the relay stopped while the message was being signed

/** What publish() did with a message. Only subscribed neighbours can take it further. */
export interface PublishResult {
  readonly seq: bigint
  /** Subscribed neighbours the message was pushed to (at most `fanout`). */
  readonly peers: number
  /** Subscribed neighbours in all: pushed to, or told of it by ihave and fetching it if they lack it. */
  readonly subscribers: number
  /** False when the message went to nobody: no subscriber anywhere will get it. */
  readonly isSent: boolean
  /** Why it went to nobody; undefined when isSent. */
  readonly notSentReason: PublishNotSentReason | undefined
}

/** 'accept' relays and delivers; 'reject' drops and penalizes the sender; 'ignore' drops quietly. */
export type ValidationResult = 'accept' | 'reject' | 'ignore'
export type RelayValidator = (message: RelayMessage) => ValidationResult

/** Why an incoming publish was not delivered or forwarded. */
export type RelayDropReason =
  | 'too-large' //          payload over maxMessageBytes
  | 'invalid-message' //    malformed: no key envelope, key not the origin's, path not ending at the sender
  | 'ttl-expired' //        arrived with ttl 0
  | 'not-subscribed' //     a topic this node does not follow (a race with unsubscribe, or a misbehaving peer)
  | 'loop' //               this node is on its recent path
  | 'duplicate' //          seen before (dedup set) or arrived while the same message was being verified
  | 'bad-signature' //      the origin's signature does not verify (forged or altered)
  | 'verify-error' //       the verifier threw
  | 'validator-reject' //   the topic's validator said 'reject'
  | 'validator-ignore' //   the topic's validator said 'ignore' (or threw)
  | 'overload' //           too many signature checks in flight
  | 'replayed' //           its seq is below its origin's replay window or marked in it, and the dedup set forgot it
  | 'origin-rate-limit' //  its origin went over originRateLimit (the neighbour that relayed it is not charged)
  | 'stale' //              its signed timestamp is more than maxMessageAgeMs before this node's clock
  | 'future' //             its signed timestamp is more than maxClockSkewMs after this node's clock
  | 'forgotten-origin' //   its origin is not in the full replay table, and it was signed at or before the newest timestamp pushed out young

export const RELAY_DROP_REASONS: readonly RelayDropReason[] = Object.freeze([
  'too-large', 'invalid-message', 'ttl-expired', 'not-subscribed', 'loop', 'duplicate',
  'bad-signature', 'verify-error', 'validator-reject', 'validator-ignore', 'overload', 'replayed', 'origin-rate-limit',
  'stale', 'future', 'forgotten-origin',
])

export interface RelayStats {
  /** Messages this node published. */
  published: number
  /** Publish messages received from neighbours (duplicates included). */
  received: number
  /** Messages handed to local handlers (once per message, whatever the number of handlers). */
  delivered: number
  /** Publish messages queued to neighbours (this node's and forwarded ones). */
  sent: number
  /** Sends refused because a neighbour's outgoing queue was full. */
  sendFailures: number
  /** Accepted messages not forwarded further because their TTL ran out here. */
  ttlExhausted: number
  /** Topics of neighbours' subscribe messages refused over maxTopicsPerPeer. */
  topicsRefused: number
  dropped: Record<RelayDropReason, number>
  /** Topics this node subscribes to. */
  subscriptions: number
  /** Neighbours that announced at least one topic. */
  peersWithTopics: number
  pendingVerifications: number
  /** Live message ids in the dedup set. */
  dedupSize: number
  /** Origins whose replay window is kept (at most maxReplayOrigins). */
  replayOrigins: number
  /**
   * Origins pushed out of the replay table while still inside maxMessageAgeMs (more origins
   * than maxReplayOrigins heard within it): each raised the floor behind 'forgotten-origin'.
   */
  replayOriginsEvictedYoung: number
  /** ihave messages sent (one per neighbour per gossip interval at most). */
  ihaveSent: number
  /** Message ids not offered because the neighbour's ihave batch was full (MAX_MESSAGE_REFS). */
  ihaveOverflow: number
  /** iwant messages sent. */
  iwantSent: number
  /** Ids of received ihaves not asked for because maxPendingWants ids were already asked for. */
  wantsRefused: number
  /** Publish messages sent in answer to iwants. */
  servedByIwant: number
  /** Ids asked for with iwant that the cache no longer (or never) held, or past maxServedPerIwant. */
  iwantUnserved: number
  /** Messages accepted that first arrived in answer to this node's iwant. */
  repaired: number
  /** Messages in the cache that answers iwants. */
  cachedMessages: number
}

interface Pending {
  readonly peer: PeerSession
  readonly message: PublishMessage
}

/** An id asked for with iwant: of whom, when (for iwantTimeoutMs), and who else offered it. */
interface Want {
  readonly ref: MessageRef
  readonly peer: PeerSession
  readonly at: number
  /** Asked in turn when an iwant goes unanswered; at most MAX_WANT_ALTERNATES. */
  readonly alternates: PeerSession[]
}

/**
 * Other offerers remembered per wanted id. An iwant or its answer lost (p ~0.1 at 5% loss
 * per link) is asked again of the next; three more make a miss ~1e-4 as likely as one ask.
 */
const MAX_WANT_ALTERNATES = 3

const textEncoder = new TextEncoder()
const U64_MASK = 0xffff_ffff_ffff_ffffn

export class Relay {
  private readonly options: ResolvedRelayOptions
  private readonly network: PeerNetwork
  private readonly selfId: Uint8Array
  private readonly dedup: DedupSet
  private readonly replay: ReplayWindows
  private readonly originLimits: OriginRateLimits<bigint>
  private readonly hasher: KeyedHasher
  private readonly verify: SignatureVerifier
  private readonly peerTopics: PeerTopics
  private readonly handlers = new Map<string, Set<{ readonly handler: RelayHandler }>>()
  /** Called with the topics a neighbour announced (MeshNode.waitForSubscribers listens here). */
  private readonly announceListeners = new Set<(topics: readonly string[]) => void>()
  private readonly validators = new Map<string, RelayValidator>()
  /** Messages whose signature is being checked, with the copies that arrived meanwhile. */
  private readonly pending = new Map<bigint, Pending[]>()
  private readonly disposers: Array<() => void> = []
  /** Forwarded messages that ihaves named, to answer iwants. */
  private readonly cache: MessageCache
  /** Ids this node asked for, oldest first (constant timeout: insertion order is expiry order). */
  private readonly wants = new Map<bigint, Want>()
  /** Ids waiting for the next ihave, per neighbour; each at most MAX_MESSAGE_REFS. */
  private readonly ihaveQueues = new Map<PeerSession, MessageRef[]>()
  /** Armed only while ids are queued or asked for, so an idle relay holds no timer. */
  private gossipTimer: TimerHandle | undefined
  private nextSeq: bigint
  private isStopped = false
  private readonly counters = {
    published: 0, received: 0, delivered: 0, sent: 0, sendFailures: 0, ttlExhausted: 0, topicsRefused: 0,
    ihaveSent: 0, ihaveOverflow: 0, iwantSent: 0, wantsRefused: 0, servedByIwant: 0, iwantUnserved: 0, repaired: 0,
  }
  private readonly dropped = Object.fromEntries(RELAY_DROP_REASONS.map((reason) => [reason, 0])) as Record<RelayDropReason, number>

  constructor(options: RelayOptions) {
    this.options = resolveRelayOptions(options)
    this.network = this.options.network
    this.selfId = this.network.identity.peerId
    const core: Core = this.options.core ?? loadCoreSync()
    this.dedup = core.createDedupSet({ capacity: this.options.dedupCapacity, ttlMs: this.options.dedupTtlMs })
    this.hasher = secretKeyedHasher(core, this.network.random)
    this.replay = new ReplayWindows(this.options.maxReplayOrigins, this.options.maxMessageAgeMs)
    this.originLimits = new OriginRateLimits(core, { ratePerSec: this.options.originRateLimit, maxOrigins: this.options.maxRateLimitedOrigins })
    this.verify = this.options.verify ?? verifySignature
    this.peerTopics = new PeerTopics(this.options.maxTopicsPerPeer)
    this.cache = new MessageCache({
      ttlMs: this.options.messageCacheMs, maxMessages: this.options.maxCachedMessages, maxBytes: this.options.maxCacheBytes,
    })
    this.nextSeq = firstSeq(this.network.clock.now())
    this.disposers.push(
      this.network.on('peer:connect', (peer) => this.onConnect(peer)),
      this.network.on('peer:disconnect', (peer) => this.onDisconnect(peer)),
      this.network.on('message', (peer, message) => this.onMessage(peer, message)),
    )
  }

  /**
   * Calls `handler` with every new message on `topic` from other nodes (a node does not hear
   * its own publishes). Returns a function that ends this subscription; the topic is
   * announced to neighbours on the first subscription and withdrawn after the last.
   */
  subscribe(topic: string, handler: RelayHandler): () => void {
    this.checkRunning()
    checkTopic(topic)
    if (typeof handler !== 'function') throw invalidArgument(`handler must be a function, got ${describeValue(handler)}`)
    let entries = this.handlers.get(topic)
    if (entries === undefined) {
      if (this.handlers.size >= this.options.maxSubscriptions) {
        throw new RelayError('RELAY_TOO_MANY_SUBSCRIPTIONS', `this node already subscribes to ${this.handlers.size} topics, the maxSubscriptions limit`)
      }
      entries = new Set()
      this.handlers.set(topic, entries)
      this.announce('subscribe', [topic])
    }
    const entry = { handler }
    entries.add(entry)
    return () => {
      const current = this.handlers.get(topic)
      if (current === undefined || !current.delete(entry) || current.size > 0) return
      this.handlers.delete(topic)
      if (!this.isStopped) this.announce('unsubscribe', [topic])
    }
  }

  /**
   * Topics this node subscribes to that `peer` announced too: how much the relay needs that
   * neighbour (the connection manager's pruning keeps topic mesh members).
   */
  sharedTopics(peer: PeerSession): number {
    let shared = 0
    for (const topic of this.handlers.keys()) if (this.peerTopics.has(peer, topic)) shared++
    return shared
  }

  /** Sets (or with undefined, removes) the validator of `topic`'s incoming and outgoing messages. */
  setValidator(topic: string, validator: RelayValidator | undefined): void {
    checkTopic(topic)
    if (validator === undefined) {
      this.validators.delete(topic)
      return
    }
    if (typeof validator !== 'function') throw invalidArgument(`validator must be a function, got ${describeValue(validator)}`)
    if (!this.validators.has(topic) && this.validators.size >= this.options.maxSubscriptions) {
      throw new RelayError('RELAY_TOO_MANY_SUBSCRIPTIONS', `this node already has validators for ${this.validators.size} topics, the maxSubscriptions limit`)
    }
    this.validators.set(topic, validator)
  }

  /** Neighbours that have announced `topic`: those a publish to it can go to. */
  subscriberCount(topic: string): number {
    let count = 0
    for (const peer of this.peerTopics.subscribers(topic)) if (peer.isOpen) count++
    return count
  }

  /** Calls `listener` with the topics of each subscribe message a neighbour sends; returns the remover. */
  onAnnounce(listener: (topics: readonly string[]) => void): () => void {
    this.announceListeners.add(listener)
    return () => this.announceListeners.delete(listener)
  }

  /**
   * Signs `data` and sends it to up to `fanout` neighbours subscribed to `topic` (the other
   * subscribed neighbours are offered it by ihave). Resolves with its sequence number and
   * where it went: `isSent` false and a `notSentReason` when it went to nobody.
   * Throws RelayError: RELAY_MESSAGE_TOO_LARGE, RELAY_VALIDATION_FAILED, RELAY_INVALID_ARGUMENT.
   */
  async publish(topic: string, data: Uint8Array): Promise<PublishResult> {
    this.checkRunning()
    checkTopic(topic)
    if (!(data instanceof Uint8Array)) throw invalidArgument(`data must be a Uint8Array, got ${describeValue(data)}`)
    if (data.length > this.options.maxMessageBytes) {
      throw new RelayError('RELAY_MESSAGE_TOO_LARGE', `data of ${data.length} bytes is over the ${this.options.maxMessageBytes}-byte maxMessageBytes limit`)
    }
    const seq = this.nextSeq
    this.nextSeq = (this.nextSeq + 1n) & U64_MASK
    const timestampMs = Math.floor(this.network.clock.now())
    const validator = this.validators.get(topic)
    if (validator !== undefined) {
      const verdict = runValidator(validator, { topic, data, origin: this.selfId, seq, timestampMs, hops: 0 })
      if (verdict !== 'accept') throw new RelayError('RELAY_VALIDATION_FAILED', `the validator of topic ${JSON.stringify(topic)} answered '${verdict}' to this message`)
    }
    const key = this.hasher.keyOf(PUBLISH_KEY_KIND, this.selfId, seq)
    // Remembered before it leaves, so its echoes are dropped as duplicates.
    this.dedup.add(key, this.network.clock.now())
    const signature = await this.network.identity.sign(signedBytes(topic, this.selfId, seq, timestampMs, data))
    if (this.isStopped) return { seq, peers: 0, subscribers: 0, isSent: false, notSentReason: 'stopped' }
    const message: PublishMessage = {
      type: 'publish', topic, origin: this.selfId, seq, timestampMs, ttl: this.options.defaultTtl, path: [this.selfId], data, signature,
      originKey: this.network.identity.publicKey,
    }
    this.counters.published++
    const { push, lazy } = this.targets(topic, undefined, message, undefined)
    const peers = this.sendTo(push, message)
    this.gossip(key, lazy, message)
    const subscribers = push.length + lazy.length
    // Offered by ihave only (every push refused) still counts as sent: they fetch it.
    const isSent = peers > 0 || (lazy.length > 0 && this.options.gossip)
    const notSentReason = isSent ? undefined : subscribers > 0 ? 'send-refused' : this.network.peers().length === 0 ? 'no-peers' : 'no-subscribers'
    return { seq, peers, subscribers, isSent, notSentReason }
  }

  stats(): RelayStats {
    return {
      ...this.counters,
      dropped: { ...this.dropped },
      subscriptions: this.handlers.size,
      peersWithTopics: this.peerTopics.peerCount,
      pendingVerifications: this.pending.size,
      dedupSize: this.isStopped ? 0 : this.dedup.size,
      replayOrigins: this.replay.size,
      replayOriginsEvictedYoung: this.replay.floor.evictedYoung,
      cachedMessages: this.cache.size,
    }
  }

  /** Stops listening to the network and frees the dedup set. Idempotent. */
  stop(): void {
    if (this.isStopped) return
    this.isStopped = true
    for (const dispose of this.disposers.splice(0)) dispose()
    if (this.gossipTimer !== undefined) this.network.clock.clearTimeout(this.gossipTimer)
    this.gossipTimer = undefined
    this.ihaveQueues.clear()
    this.wants.clear()
    this.cache.clear()
    this.handlers.clear()
    this.announceListeners.clear()
    this.validators.clear()
    this.pending.clear()
    this.peerTopics.clear()
    this.replay.clear()
    this.dedup.free()
    this.originLimits.free()
  }

  // -------------------------------------------------------------------------------------
  // Subscriptions

  private onConnect(peer: PeerSession): void {
    const topics = [...this.handlers.keys()]
    for (let i = 0; i < topics.length; i += MAX_SUBSCRIPTIONS_PER_MESSAGE) {
      peer.send({ type: 'subscribe', topics: topics.slice(i, i + MAX_SUBSCRIPTIONS_PER_MESSAGE) }, PRIORITY_CONTROL)
    }
  }

  private onDisconnect(peer: PeerSession): void {
    this.peerTopics.removePeer(peer)
    this.ihaveQueues.delete(peer)
  }

  private announce(type: 'subscribe' | 'unsubscribe', topics: string[]): void {
    for (const peer of this.network.peers()) if (peer.isOpen) peer.send({ type, topics }, PRIORITY_CONTROL)
  }

  private onMessage(peer: PeerSession, message: DecodedMessage): void {
    switch (message.type) {
      case 'publish':
        this.onPublish(peer, message)
        return
      case 'subscribe':
        this.counters.topicsRefused += this.peerTopics.subscribe(peer, message.topics).refused
        for (const listener of this.announceListeners) listener(message.topics)
        return
      case 'unsubscribe':
        this.peerTopics.unsubscribe(peer, message.topics)
        return
      case 'ihave':
        if (this.options.gossip) this.onIHave(peer, message.refs)
        return
      case 'iwant':
        if (this.options.gossip) this.onIWant(peer, message.refs)
        return
      default:
        return // another layer's message
    }
  }

  // -------------------------------------------------------------------------------------
  // Incoming publishes

  /** `isRetry`: a copy that waited on a failed check, counted as received already. */
  private onPublish(peer: PeerSession, message: PublishMessage, isRetry = false): void {
    if (!isRetry) this.counters.received++
    if (message.data.length > this.options.maxMessageBytes) return this.drop('too-large')
    const path = message.path
    if (path.length === 0 || !bytesEqual(path[path.length - 1], peer.peerId)) {
      return this.drop('invalid-message', peer)
    }
    if (message.ttl === 0) return this.drop('ttl-expired')
    if (!this.handlers.has(message.topic)) return this.drop('not-subscribed')
    for (const id of path) if (bytesEqual(id, this.selfId)) return this.drop('loop')
    if (bytesEqual(message.origin, this.selfId)) return this.drop('loop')
    const now = this.network.clock.now()
    // Not a penalty either way: an honest relay passes on what its own clock finds in time.
    const age = judgeTimestamp(message.timestampMs, now, this.options.maxMessageAgeMs, this.options.maxClockSkewMs)
    if (age !== 'fresh') return this.drop(age)
    const key = this.hasher.keyOf(PUBLISH_KEY_KIND, message.origin, message.seq)
    if (this.dedup.has(key, now)) return this.drop('duplicate')
    const waiting = this.pending.get(key)
    if (waiting !== undefined) {
      // One waiting copy per neighbour (so at most maxPeers): a second from the same one adds nothing.
      if (waiting.some((copy) => copy.peer === peer)) return this.drop('duplicate')
      waiting.push({ peer, message })
      return
    }
    // Refused before the signature is checked, so a replay costs no verification. Not a
    // penalty: an honest neighbour may forward a copy that arrives after both forgot it.
    const replayKey = this.hasher.keyOf(ORIGIN_KEY_KIND, message.origin, 0n)
    const verdict = this.replay.check(replayKey, message.seq, message.timestampMs)
    if (verdict !== 'new') return this.drop(verdict === 'replayed' ? 'replayed' : 'forgotten-origin')
    this.check(key, replayKey, peer, message)
  }

  /** Verifies the origin's key and signature; accepts synchronously when the verifier can. */
  private check(key: bigint, replayKey: bigint, peer: PeerSession, message: PublishMessage): void {
    if (!keyMatchesPeerId(message.originKey, message.origin)) return this.drop('invalid-message', peer)
    // Bounded before the check starts (a synchronous verifier never has any in flight).
    if (this.pending.size >= this.options.maxPendingVerifications) return this.drop('overload')
    const publicKey = message.originKey
    let verdict: boolean | Promise<boolean>
    try {
      verdict = this.verify(publicKey, signedBytes(message.topic, message.origin, message.seq, message.timestampMs, message.data), message.signature)
    } catch {
      return this.drop('verify-error')
    }
    if (typeof verdict === 'boolean') {
      this.verified(key, replayKey, peer, message, verdict, [])
      return
    }
    const waiters: Pending[] = []
    this.pending.set(key, waiters)
    verdict.then(
      (isValid) => {
        if (this.isStopped) return
        this.pending.delete(key)
        this.verified(key, replayKey, peer, message, isValid, waiters)
      },
      () => {
        if (this.isStopped) return
        this.pending.delete(key)
        this.drop('verify-error')
        this.retryWaiters(waiters)
      },
    )
  }

  /** `replayKey`: the origin's key in the replay table (ORIGIN_KEY_KIND). */
  private verified(key: bigint, replayKey: bigint, peer: PeerSession, message: PublishMessage, isValid: boolean, waiters: Pending[]): void {
    if (!isValid) {
      this.drop('bad-signature', peer)
      this.retryWaiters(waiters)
      return
    }
    // Copies that came in during the check carry the same (origin, seq): duplicates. Their
    // senders have the message, so it is not forwarded back to them.
    for (let i = 0; i < waiters.length; i++) this.drop('duplicate')
    // Marked only now that the signature verified; checked again, as the check was before it.
    const now = this.network.clock.now()
    const replay = this.replay.accept(replayKey, message.seq, message.timestampMs, now)
    if (replay !== 'new') return this.drop(replay === 'replayed' ? 'replayed' : 'forgotten-origin')
    if (!this.dedup.add(key, now)) return this.drop('duplicate')
    // Charged to whoever signed it, now that the signature proved who that is; over its rate
    // it goes no further, and later copies are duplicates (so cost no second check).
    if (!this.originLimits.tryTake(replayKey, now)) return this.drop('origin-rate-limit')
    // Accepted: no more asking for it, whoever else offered it.
    const want = this.wants.get(key)
    if (want !== undefined) this.wants.delete(key)
    const relayMessage: RelayMessage = {
      topic: message.topic, data: message.data, origin: message.origin, seq: message.seq, timestampMs: message.timestampMs, hops: this.hopsOf(message),
    }
    const validator = this.validators.get(message.topic)
    if (validator !== undefined) {
      const verdict = runValidator(validator, relayMessage)
      if (verdict === 'reject') return this.drop('validator-reject', peer)
      if (verdict === 'ignore') return this.drop('validator-ignore')
    }
    if (want?.peer === peer) this.counters.repaired++
    this.deliver(relayMessage)
    if (message.ttl <= 1) {
      this.counters.ttlExhausted++
      return
    }
    const path = message.path.length < PATH_WINDOW ? [...message.path, this.selfId] : [...message.path.slice(1 - PATH_WINDOW), this.selfId]
    const forward: PublishMessage = { ...message, ttl: message.ttl - 1, path }
    const { push, lazy } = this.targets(message.topic, peer, message, waiters)
    this.sendTo(push, forward)
    this.gossip(key, lazy, forward)
  }

  /** After a failed check, the copies that waited on it get their own. */
  private retryWaiters(waiters: Pending[]): void {
    for (const { peer, message } of waiters) this.onPublish(peer, message, true)
  }

  private deliver(message: RelayMessage): void {
    const entries = this.handlers.get(message.topic)
    if (entries === undefined) return
    this.counters.delivered++
    callEach(Array.from(entries, (entry) => entry.handler), message)
  }

  // -------------------------------------------------------------------------------------
  // Forwarding

  /**
   * The open neighbours subscribed to the topic, leaving out the sender, the origin, the
   * message's recent path and peers known to have it already: up to `fanout` of them chosen
   * at random to push the message to, and the rest, to be offered its id lazily.
   */
  private targets(
    topic: string, sender: PeerSession | undefined, message: PublishMessage, waiters: Pending[] | undefined,
  ): { push: PeerSession[]; lazy: PeerSession[] } {
    const eligible: PeerSession[] = []
    for (const peer of this.peerTopics.subscribers(topic)) {
      if (!peer.isOpen || peer === sender) continue
      const id = peer.peerId
      if (bytesEqual(id, message.origin) || message.path.some((entry) => bytesEqual(entry, id))) continue
      if (waiters !== undefined && waiters.some((waiter) => waiter.peer === peer)) continue
      eligible.push(peer)
    }
    if (eligible.length <= this.options.fanout) return { push: eligible, lazy: [] }
    const push = sample(eligible, this.options.fanout, this.network.random)
    if (!this.options.gossip) return { push, lazy: [] }
    const pushed = new Set(push)
    return { push, lazy: eligible.filter((peer) => !pushed.has(peer)) }
  }

  private sendTo(peers: readonly PeerSession[], message: PublishMessage): number {
    let sent = 0
    for (const peer of peers) {
      if (peer.send(message, PRIORITY_PUBLISH)) sent++
      else this.counters.sendFailures++
    }
    this.counters.sent += sent
    return sent
  }

  // -------------------------------------------------------------------------------------
  // Repair: ihave / iwant

  /** Caches `message` (as sent) and queues its id for the next ihave to each of `peers`. */
  private gossip(key: bigint, peers: readonly PeerSession[], message: PublishMessage): void {
    if (peers.length === 0) return
    this.cache.add(key, message, this.network.clock.now())
    const ref: MessageRef = { origin: message.origin, seq: message.seq }
    for (const peer of peers) {
      let refs = this.ihaveQueues.get(peer)
      if (refs === undefined) {
        refs = []
        this.ihaveQueues.set(peer, refs)
      }
      if (refs.length >= MAX_MESSAGE_REFS) this.counters.ihaveOverflow++
      else refs.push(ref)
    }
    this.armGossipTimer()
  }

  private armGossipTimer(): void {
    if (this.isStopped || (this.ihaveQueues.size === 0 && this.wants.size === 0)) return
    this.gossipTimer ??= this.network.clock.setTimeout(() => this.onGossipTimer(), this.options.gossipIntervalMs)
  }

  /** Sends the queued ihaves, and asks again, of another offerer, for ids asked for in vain. */
  private onGossipTimer(): void {
    this.gossipTimer = undefined
    for (const [peer, refs] of this.ihaveQueues) {
      // Publish priority: an ihave must not overtake the pushed copies queued before it, or
      // the neighbour would ask for messages already on their way.
      if (peer.isOpen && peer.send({ type: 'ihave', refs }, PRIORITY_PUBLISH)) this.counters.ihaveSent++
    }
    this.ihaveQueues.clear()
    this.retryWants(this.network.clock.now())
    this.armGossipTimer()
  }

  private retryWants(now: number): void {
    const retries = new Map<PeerSession, MessageRef[]>()
    // Oldest first: every entry is (re)inserted with the current time, so the expired ones lead.
    for (const [key, want] of this.wants) {
      if (now - want.at < this.options.iwantTimeoutMs) break
      this.wants.delete(key)
      let next = want.alternates.shift()
      while (next !== undefined && !next.isOpen) next = want.alternates.shift()
      if (next === undefined) continue
      this.wants.set(key, { ref: want.ref, peer: next, at: now, alternates: want.alternates })
      const refs = retries.get(next)
      if (refs === undefined) retries.set(next, [want.ref])
      else refs.push(want.ref)
    }
    for (const [peer, refs] of retries) {
      for (let i = 0; i < refs.length; i += this.options.maxServedPerIwant) this.sendIWant(peer, refs.slice(i, i + this.options.maxServedPerIwant))
    }
  }

  private sendIWant(peer: PeerSession, refs: MessageRef[]): void {
    if (peer.send({ type: 'iwant', refs }, PRIORITY_PUBLISH)) this.counters.iwantSent++
    else this.counters.sendFailures++
  }

  /**
   * Asks `peer` for the offered ids this node has not seen, is not checking and has not asked
   * for within iwantTimeoutMs. Looks only: nothing is marked seen until a copy verifies.
   */
  private onIHave(peer: PeerSession, refs: readonly MessageRef[]): void {
    const now = this.network.clock.now()
    const wanted: MessageRef[] = []
    for (const ref of refs) {
      if (wanted.length >= this.options.maxServedPerIwant) break // the rest: from a later ihave
      if (bytesEqual(ref.origin, this.selfId)) continue
      const key = this.hasher.keyOf(PUBLISH_KEY_KIND, ref.origin, ref.seq)
      if (this.pending.has(key) || this.dedup.has(key, now)) continue
      const want = this.wants.get(key)
      if (want !== undefined) {
        if (now - want.at < this.options.iwantTimeoutMs) {
          if (want.peer !== peer && want.alternates.length < MAX_WANT_ALTERNATES && !want.alternates.includes(peer)) want.alternates.push(peer)
          continue
        }
        this.wants.delete(key) // unanswered: ask this peer now
      }
      // An ihave names no timestamp: the age and the floor are checked when the message comes.
      if (this.replay.check(this.hasher.keyOf(ORIGIN_KEY_KIND, ref.origin, 0n), ref.seq, Infinity) === 'replayed') continue
      if (this.wants.size >= this.options.maxPendingWants) {
        this.counters.wantsRefused++
        continue
      }
      this.wants.set(key, { ref: { origin: ref.origin, seq: ref.seq }, peer, at: now, alternates: [] })
      wanted.push(ref)
    }
    if (wanted.length === 0) return
    this.sendIWant(peer, wanted)
    this.armGossipTimer()
  }

  /** Answers with the cached messages asked for, at most maxServedPerIwant; ignores the rest. */
  private onIWant(peer: PeerSession, refs: readonly MessageRef[]): void {
    const now = this.network.clock.now()
    let served = 0
    for (const ref of refs) {
      // Once per asker: a repeated iwant cannot make this node send the same messages again.
      const message = served < this.options.maxServedPerIwant ? this.cache.serve(this.hasher.keyOf(PUBLISH_KEY_KIND, ref.origin, ref.seq), peer, now) : undefined
      // The keyed hash could collide: serve only the message actually named.
      if (message === undefined || message === 'served' || message.seq !== ref.seq || !bytesEqual(message.origin, ref.origin)) {
        this.counters.iwantUnserved++
        continue
      }
      if (!peer.send(message, PRIORITY_PUBLISH)) {
        this.counters.sendFailures++
        return
      }
      served++
      this.counters.servedByIwant++
    }
  }

  private hopsOf(message: PublishMessage): number {
    // Every sender appends itself to the path, so below the window its length is the hop
    // count; beyond it, estimate from the TTL spent (exact when the origin used our default).
    if (message.path.length < PATH_WINDOW) return message.path.length
    return Math.max(PATH_WINDOW, this.options.defaultTtl - message.ttl + 1)
  }

  private drop(reason: RelayDropReason, penalize?: PeerSession): void {
    this.dropped[reason]++
    if (penalize === undefined) return
    penalize.penalize(reason === 'bad-signature' ? 'bad-signature' : reason === 'validator-reject' ? 'unwanted' : 'invalid-message')
  }

  private checkRunning(): void {
    if (this.isStopped) throw new RelayError('RELAY_STOPPED', 'this relay has been stopped')
  }

  /** Internal, for tests and the simulator (src/node/sizes.ts): entries of each long-lived structure. */
  sizes(): Record<string, number> {
    if (!this.isStopped) {
      const now = this.network.clock.now()
      this.cache.evict(now)
    }
    let pendingCopies = 0
    for (const copies of this.pending.values()) pendingCopies += copies.length
    return {
      handlers: this.handlers.size,
      validators: this.validators.size,
      pending: this.pending.size,
      pendingCopies,
      peersWithTopics: this.peerTopics.peerCount,
      topicsWithPeers: this.peerTopics.topicCount,
      dedup: this.isStopped ? 0 : this.dedup.size,
      replayOrigins: this.replay.size,
      messageCache: this.cache.size,
      pendingWants: this.wants.size,
      gossipQueues: this.ihaveQueues.size,
    }
  }
}

/** The first sequence number of a node started at `nowMs`: see SEQ_COUNTER_BITS. */
export function firstSeq(nowMs: number): bigint {
  const ms = BigInt(Math.min(Math.max(0, Math.floor(nowMs)), 2 ** 48 - 1))
  return ms << SEQ_COUNTER_BITS
}

function runValidator(validator: RelayValidator, message: RelayMessage): ValidationResult {
  try {
    const verdict = validator(message)
    return verdict === 'accept' || verdict === 'reject' ? verdict : 'ignore'
  } catch {
    // A throwing validator has not accepted the message; the sender is not to blame for it.
    return 'ignore'
  }
}

function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string') throw invalidArgument(`topic must be a string, got ${describeValue(topic)}`)
  const bytes = textEncoder.encode(topic).length
  if (bytes < 1 || bytes > MAX_TOPIC_BYTES) throw invalidArgument(`topic must be 1 to ${MAX_TOPIC_BYTES} bytes of UTF-8, got ${bytes}`)
}

function invalidArgument(message: string): RelayError {
  return new RelayError('RELAY_INVALID_ARGUMENT', message)
}

