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
// on the path), dedup, then the Ed25519 signature, then the topic's validator. A message
// enters the dedup set only once its signature verifies, so a forged copy arriving first
// cannot shadow the genuine one. Every drop is counted by reason (stats().dropped).

import type { Core, DedupSet } from '../core/contracts.js'
import { loadCoreSync } from '../core/load-core.js'
import { verifySignature } from '../peers/identity.js'
import { PRIORITY_CONTROL, PRIORITY_PUBLISH, type PeerNetwork, type PeerSession } from '../peers/session.js'
import type { DecodedMessage, PublishMessage } from '../wire/messages.js'
import { MAX_SUBSCRIPTIONS_PER_MESSAGE, MAX_TOPIC_BYTES } from '../wire/limits.js'
import { sample } from '../util/random.js'
import { describeValue } from '../util/validate.js'
import { signedBytes } from './envelope.js'
import { KEYED_HASH_SECRET_BYTES, KeyedIdHasher } from '../util/keyed-hash.js'
import { bytesEqual, keyMatchesPeerId } from '../peers/identity.js'
import { RelayError } from './errors.js'
import { PATH_WINDOW, resolveRelayOptions, type RelayOptions, type ResolvedRelayOptions, type SignatureVerifier } from './options.js'
import { PeerTopics } from './peer-topics.js'

/** The relay's kind of keyed dedup key: (origin, seq) of a publish. */
const PUBLISH_KEY_KIND = 0

/** A message as handlers and validators see it. */
export interface RelayMessage {
  readonly topic: string
  /** The application payload. */
  readonly data: Uint8Array
  /** The origin's peer id (32 bytes). */
  readonly origin: Uint8Array
  readonly seq: bigint
  /** Sends from the origin to here (1 for a message straight from its origin). */
  readonly hops: number
}

export type RelayHandler = (message: RelayMessage) => void

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

export const RELAY_DROP_REASONS: readonly RelayDropReason[] = Object.freeze([
  'too-large', 'invalid-message', 'ttl-expired', 'not-subscribed', 'loop', 'duplicate',
  'bad-signature', 'verify-error', 'validator-reject', 'validator-ignore', 'overload',
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
}

interface Pending {
  readonly peer: PeerSession
  readonly message: PublishMessage
}

const textEncoder = new TextEncoder()
const U64_MASK = 0xffff_ffff_ffff_ffffn

export class Relay {
  private readonly options: ResolvedRelayOptions
  private readonly network: PeerNetwork
  private readonly selfId: Uint8Array
  private readonly dedup: DedupSet
  private readonly hasher: KeyedIdHasher
  private readonly verify: SignatureVerifier
  private readonly peerTopics: PeerTopics
  private readonly handlers = new Map<string, Set<{ readonly handler: RelayHandler }>>()
  private readonly validators = new Map<string, RelayValidator>()
  /** Messages whose signature is being checked, with the copies that arrived meanwhile. */
  private readonly pending = new Map<bigint, Pending[]>()
  private readonly disposers: Array<() => void> = []
  private nextSeq: bigint
  private isStopped = false
  private readonly counters = {
    published: 0, received: 0, delivered: 0, sent: 0, sendFailures: 0, ttlExhausted: 0, topicsRefused: 0,
  }
  private readonly dropped = Object.fromEntries(RELAY_DROP_REASONS.map((reason) => [reason, 0])) as Record<RelayDropReason, number>

  constructor(options: RelayOptions) {
    this.options = resolveRelayOptions(options)
    this.network = this.options.network
    this.selfId = this.network.identity.peerId
    const core: Core = this.options.core ?? loadCoreSync()
    this.dedup = core.createDedupSet({ capacity: this.options.dedupCapacity, ttlMs: this.options.dedupTtlMs })
    const secret = new Uint8Array(KEYED_HASH_SECRET_BYTES)
    this.network.random.fill(secret)
    this.hasher = new KeyedIdHasher(secret)
    this.verify = this.options.verify ?? verifySignature
    this.peerTopics = new PeerTopics(this.options.maxTopicsPerPeer)
    // Sequence numbers start at a random 62-bit value: a node restarted with the same
    // identity does not reuse (origin, seq) pairs its neighbours still remember, and the
    // counter has 2**62 messages before it could wrap.
    this.nextSeq = (BigInt(this.network.random.nextU32() >>> 2) << 32n) | BigInt(this.network.random.nextU32())
    this.disposers.push(
      this.network.on('peer:connect', (peer) => this.onConnect(peer)),
      this.network.on('peer:disconnect', (peer) => this.peerTopics.removePeer(peer)),
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

  /** Sets (or with undefined, removes) the validator of `topic`'s incoming and outgoing messages. */
  setValidator(topic: string, validator: RelayValidator | undefined): void {
    checkTopic(topic)
    if (validator === undefined) {
      this.validators.delete(topic)
      return
    }
    if (typeof validator !== 'function') throw invalidArgument(`validator must be a function, got ${describeValue(validator)}`)
    this.validators.set(topic, validator)
  }

  /**
   * Signs `data` and sends it to up to `fanout` neighbours subscribed to `topic`. Resolves with
   * its sequence number and how many neighbours it was sent to (0 when none subscribes).
   * Throws RelayError: RELAY_MESSAGE_TOO_LARGE, RELAY_VALIDATION_FAILED, RELAY_INVALID_ARGUMENT.
   */
  async publish(topic: string, data: Uint8Array): Promise<{ seq: bigint; peers: number }> {
    this.checkRunning()
    checkTopic(topic)
    if (!(data instanceof Uint8Array)) throw invalidArgument(`data must be a Uint8Array, got ${describeValue(data)}`)
    if (data.length > this.options.maxMessageBytes) {
      throw new RelayError('RELAY_MESSAGE_TOO_LARGE', `data of ${data.length} bytes is over the ${this.options.maxMessageBytes}-byte maxMessageBytes limit`)
    }
    const seq = this.nextSeq
    this.nextSeq = (this.nextSeq + 1n) & U64_MASK
    const validator = this.validators.get(topic)
    if (validator !== undefined) {
      const verdict = runValidator(validator, { topic, data, origin: this.selfId, seq, hops: 0 })
      if (verdict !== 'accept') throw new RelayError('RELAY_VALIDATION_FAILED', `the validator of topic ${JSON.stringify(topic)} answered '${verdict}' to this message`)
    }
    const key = this.hasher.keyOf(PUBLISH_KEY_KIND, this.selfId, seq)
    // Remembered before it leaves, so its echoes are dropped as duplicates.
    this.dedup.add(key, this.network.clock.now())
    const signature = await this.network.identity.sign(signedBytes(topic, this.selfId, seq, data))
    if (this.isStopped) return { seq, peers: 0 }
    const message: PublishMessage = {
      type: 'publish', topic, origin: this.selfId, seq, ttl: this.options.defaultTtl, path: [this.selfId], data, signature,
      originKey: this.network.identity.publicKey,
    }
    this.counters.published++
    const peers = this.sendTo(this.targets(topic, undefined, message, undefined), message)
    return { seq, peers }
  }

  stats(): RelayStats {
    return {
      ...this.counters,
      dropped: { ...this.dropped },
      subscriptions: this.handlers.size,
      peersWithTopics: this.peerTopics.peerCount,
      pendingVerifications: this.pending.size,
      dedupSize: this.isStopped ? 0 : this.dedup.size,
    }
  }

  /** Stops listening to the network and frees the dedup set. Idempotent. */
  stop(): void {
    if (this.isStopped) return
    this.isStopped = true
    for (const dispose of this.disposers.splice(0)) dispose()
    this.handlers.clear()
    this.validators.clear()
    this.pending.clear()
    this.peerTopics.clear()
    this.dedup.free()
  }

  // -------------------------------------------------------------------------------------
  // Subscriptions

  private onConnect(peer: PeerSession): void {
    const topics = [...this.handlers.keys()]
    for (let i = 0; i < topics.length; i += MAX_SUBSCRIPTIONS_PER_MESSAGE) {
      peer.send({ type: 'subscribe', topics: topics.slice(i, i + MAX_SUBSCRIPTIONS_PER_MESSAGE) }, PRIORITY_CONTROL)
    }
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
        return
      case 'unsubscribe':
        this.peerTopics.unsubscribe(peer, message.topics)
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
    const key = this.hasher.keyOf(PUBLISH_KEY_KIND, message.origin, message.seq)
    if (this.dedup.has(key, this.network.clock.now())) return this.drop('duplicate')
    const waiting = this.pending.get(key)
    if (waiting !== undefined) {
      waiting.push({ peer, message })
      return
    }
    this.check(key, peer, message)
  }

  /** Verifies the origin's key and signature; accepts synchronously when the verifier can. */
  private check(key: bigint, peer: PeerSession, message: PublishMessage): void {
    if (!keyMatchesPeerId(message.originKey, message.origin)) return this.drop('invalid-message', peer)
    // Bounded before the check starts (a synchronous verifier never has any in flight).
    if (this.pending.size >= this.options.maxPendingVerifications) return this.drop('overload')
    const publicKey = message.originKey
    let verdict: boolean | Promise<boolean>
    try {
      verdict = this.verify(publicKey, signedBytes(message.topic, message.origin, message.seq, message.data), message.signature)
    } catch {
      return this.drop('verify-error')
    }
    if (typeof verdict === 'boolean') {
      this.verified(key, peer, message, verdict, [])
      return
    }
    const waiters: Pending[] = []
    this.pending.set(key, waiters)
    verdict.then(
      (isValid) => {
        if (this.isStopped) return
        this.pending.delete(key)
        this.verified(key, peer, message, isValid, waiters)
      },
      () => {
        if (this.isStopped) return
        this.pending.delete(key)
        this.drop('verify-error')
        this.retryWaiters(waiters)
      },
    )
  }

  private verified(key: bigint, peer: PeerSession, message: PublishMessage, isValid: boolean, waiters: Pending[]): void {
    if (!isValid) {
      this.drop('bad-signature', peer)
      this.retryWaiters(waiters)
      return
    }
    // Copies that came in during the check carry the same (origin, seq): duplicates. Their
    // senders have the message, so it is not forwarded back to them.
    for (let i = 0; i < waiters.length; i++) this.drop('duplicate')
    if (!this.dedup.add(key, this.network.clock.now())) return this.drop('duplicate')
    const relayMessage: RelayMessage = {
      topic: message.topic, data: message.data, origin: message.origin, seq: message.seq, hops: this.hopsOf(message),
    }
    const validator = this.validators.get(message.topic)
    if (validator !== undefined) {
      const verdict = runValidator(validator, relayMessage)
      if (verdict === 'reject') return this.drop('validator-reject', peer)
      if (verdict === 'ignore') return this.drop('validator-ignore')
    }
    this.deliver(relayMessage)
    if (message.ttl <= 1) {
      this.counters.ttlExhausted++
      return
    }
    const path = message.path.length < PATH_WINDOW ? [...message.path, this.selfId] : [...message.path.slice(1 - PATH_WINDOW), this.selfId]
    const forward: PublishMessage = { ...message, ttl: message.ttl - 1, path }
    this.sendTo(this.targets(message.topic, peer, message, waiters), forward)
  }

  /** After a failed check, the copies that waited on it get their own. */
  private retryWaiters(waiters: Pending[]): void {
    for (const { peer, message } of waiters) this.onPublish(peer, message, true)
  }

  private deliver(message: RelayMessage): void {
    const entries = this.handlers.get(message.topic)
    if (entries === undefined) return
    this.counters.delivered++
    for (const { handler } of [...entries]) {
      try {
        handler(message)
      } catch (error) {
        // A handler's bug must not stop relaying; report it as an uncaught error, as EventTarget does.
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Forwarding

  /**
   * Up to `fanout` open neighbours subscribed to the topic, chosen at random, leaving out the
   * sender, the origin, the message's recent path and peers known to have it already.
   */
  private targets(topic: string, sender: PeerSession | undefined, message: PublishMessage, waiters: Pending[] | undefined): PeerSession[] {
    const eligible: PeerSession[] = []
    for (const peer of this.peerTopics.subscribers(topic)) {
      if (!peer.isOpen || peer === sender) continue
      const id = peer.peerId
      if (bytesEqual(id, message.origin) || message.path.some((entry) => bytesEqual(entry, id))) continue
      if (waiters !== undefined && waiters.some((waiter) => waiter.peer === peer)) continue
      eligible.push(peer)
    }
    return eligible.length <= this.options.fanout ? eligible : sample(eligible, this.options.fanout, this.network.random)
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

