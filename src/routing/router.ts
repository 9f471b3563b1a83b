// Direct messages to any peer id, above the peers layer: `send(peerId, data)` goes straight
// to the peer when a session is open, otherwise hop by hop, each node handing it to its
// connected peer closest to the target by XOR (ids from the DHT's routing table, plugged in as
// `closestPeers`), and by flooding with a small TTL when that greedy path fails. The target
// verifies the origin's signature, delivers once and routes an ack back the same way; the
// origin retries with backoff and rejects with RoutingError('ROUTING_UNREACHABLE') after
// sendBoundMs (options.ts).
//
// Greedy forwarding is strict: a node forwards only to a peer strictly closer to the target
// than itself, so a greedy message never loops and every hop makes progress. A node with no
// such peer drops the message ('no-route'); the origin's timeout then escalates to flooding.
// Flooded messages go to every neighbour but the sender, once per node (dedup), within
// floodTtl hops; a node connected to the target hands it only to the target.
//
// Acks go back along the reverse path: every node that forwards a direct message remembers,
// for a while, the neighbour it came from (a breadcrumb, as AODV's reverse routes), and the
// ack follows those. Greedy routing is not symmetric (the nodes closer to the target are not
// closer to the origin), so without them an ack would often be stuck where the message was
// not. Where a breadcrumb is missing or its session closed, the ack is routed like a message.
//
// A send waiting for the ack of an attempt that went to one neighbour (direct, or the first
// greedy hop) does not wait out its ack timeout when that neighbour's session closes: the
// next attempt starts at once (on the session that replaced it, when a duplicate connection
// did), or the send rejects at once when it has no attempt left. Either way within sendBoundMs.
//
// Acks are signed end to end: the target signs (ack messageId, origin, target) and sends its
// public key along (envelope.ts), and the origin resolves `send` only on an ack whose key
// hashes to the target's id and whose signature verifies. A relay that saw the messageId
// cannot forge one; a bad ack is counted ('forged-ack') and the send keeps waiting and
// retrying. So `send` resolving proves the target verified and took the message.
//
// Limitations: the mode, attempt and TTL budget travel inside the signed messageId
// (message-id.ts), as the wire has no field for them. Relays forward messages and acks
// without checking signatures (only the target and the origin do), so a relay cannot tell
// forged traffic from genuine; the TTL caps and per-peer rate limits bound what that costs.
// A relay's dedup key of an ack covers its signature, so a forged copy that arrives first
// does not shadow the genuine ack; it may take the reverse-path entry, and the genuine ack
// is then routed like a message.

import type { Core, DedupSet, KeyedHasher } from '../core/contracts.js'
import { loadCoreSync } from '../core/load-core.js'
import { verifySignature } from '../peers/identity.js'
import { OriginRateLimits } from '../peers/origin-limits.js'
import { PRIORITY_CONTROL, PRIORITY_DHT, type PeerNetwork, type PeerSession } from '../peers/session.js'
import type { TimerHandle } from '../util/clock.js'
import { describeValue } from '../util/validate.js'
import { judgeTimestamp } from '../util/timestamp-window.js'
import { DeliveredSends } from './delivered-sends.js'
import type { DecodedMessage, DirectAckMessage, DirectMessage, MeshSignalMessage } from '../wire/messages.js'
import { SIGNATURE_BYTES } from '../wire/limits.js'
import { DEDUP_KIND, ackSignedBytes, isCloser, routedSignedBytes } from './envelope.js'
import { secretKeyedHasher } from '../core/keyed-hasher-options.js'
import { bytesEqual, keyMatchesPeerId } from '../peers/identity.js'
import { RoutingError } from './errors.js'
import { SEND_ID_MASK, composeMessageId, isFloodId, parseMessageId, withLowByte, type MessageIdFields } from './message-id.js'
import { resolveRouterOptions, sendBoundMs, type ResolvedRouterOptions, type RouterOptions, type SignatureVerifier } from './options.js'
import { callEach } from '../util/handlers.js'

/** How the acknowledged attempt travelled. */
export type RoutePath = 'direct' | 'dht' | 'flood'

export interface SendResult {
  /** Hops the acknowledged message took from this node to the target (1 when direct). */
  readonly hops: number
  readonly path: RoutePath
  /** Attempts started before the ack came (1 when the first one was acknowledged). */
  readonly attempts: number
  /** Virtual milliseconds from sending the acknowledged attempt to its ack. */
  readonly rttMs: number
}

/** A direct message as handlers see it. */
export interface RoutedMessage {
  /** The origin's peer id (32 bytes), proved by its signature. */
  readonly from: Uint8Array
  readonly data: Uint8Array
  /** Hops it took to arrive (1 when it came straight from the origin). */
  readonly hops: number
}

export type RoutedMessageHandler = (message: RoutedMessage) => void

/** Why an incoming direct message or ack was not delivered or forwarded. */
export type RoutingDropReason =
  | 'too-large' //        payload over maxMessageBytes
  | 'invalid-message' //  originKey is not the origin's key, or an id field is malformed
  | 'ttl-expired' //      arrived with ttl 0
  | 'ttl-exhausted' //    not for this node and its ttl ran out here
  | 'loop' //             this node's own message or ack came back
  | 'duplicate' //        this (origin, messageId) was seen or is being checked
  | 'bad-signature' //    the origin's signature does not verify (forged or altered)
  | 'verify-error' //     the verifier threw
  | 'overload' //         too many signature checks in flight
  | 'no-route' //         no connected peer closer to the target (greedy), or the origin has no neighbour
  | 'unmatched-ack' //    an ack for no pending send of this node
  | 'forged-ack' //       an ack for a pending send whose key is not the target's or whose signature does not verify
  | 'origin-rate-limit' // its origin went over originRateLimit (the neighbour that relayed it is not charged)
  | 'stale' //            its signed timestamp is more than maxMessageAgeMs before this node's clock
  | 'future' //           its signed timestamp is more than maxClockSkewMs after this node's clock
  | 'forgotten-send' //   for this node, its send is not remembered, and it was signed at or before the newest timestamp pushed out young

export const ROUTING_DROP_REASONS: readonly RoutingDropReason[] = Object.freeze([
  'too-large', 'invalid-message', 'ttl-expired', 'ttl-exhausted', 'loop', 'duplicate',
  'bad-signature', 'verify-error', 'overload', 'no-route', 'unmatched-ack', 'forged-ack', 'origin-rate-limit',
  'stale', 'future', 'forgotten-send',
])

export interface RouterStats {
  /** send() calls accepted. */
  sends: number
  /** Sends acknowledged. */
  acked: number
  /** Sends rejected ROUTING_UNREACHABLE. */
  unreachable: number
  /** Attempts after the first. */
  retries: number
  /** Attempts sent by flooding. */
  floodAttempts: number
  /** Direct messages received from neighbours (duplicates included). */
  received: number
  /** Messages handed to local handlers, once per send. */
  delivered: number
  /** meshSignal messages to this node (the node's own: WebRTC signaling through the mesh), once per send; not in delivered. */
  meshSignalsDelivered: number
  /** Verified retries of a send already delivered: acked again, not delivered again. */
  redelivered: number
  /** Acks this node sent as a target. */
  acksSent: number
  /** Acks this node could not send as a target because signing them failed. */
  ackSignFailures: number
  /** Direct messages and acks passed on towards someone else. */
  forwarded: number
  /** Sends refused because a neighbour's outgoing queue was full. */
  sendFailures: number
  /** Attempts started at once, without waiting for the ack timeout, because the neighbour the previous one went to closed its session. */
  retriesOnClose: number
  dropped: Record<RoutingDropReason, number>
  pendingSends: number
  pendingVerifications: number
  /** Reverse-path entries held for acks still to come back. */
  reversePaths: number
  /** Sends delivered here and remembered, so a replay of them is not delivered again (at most maxDeliveredSends). */
  deliveredSends: number
  /** Sends pushed out of that memory while still inside maxMessageAgeMs: each raised the floor behind 'forgotten-send'. */
  deliveredSendsEvictedYoung: number
}

/** A routed message's type: the application's (direct), or the node's own (meshSignal). */
type RoutedType = 'direct' | 'meshSignal'

interface PendingSend {
  readonly sendId: number
  readonly type: RoutedType
  readonly target: Uint8Array
  readonly data: Uint8Array
  /** Virtual send time of each attempt started, and how it went. */
  readonly sentAt: number[]
  readonly paths: RoutePath[]
  timer: TimerHandle | undefined
  /** The one neighbour the attempt awaiting its ack went to; undefined when flooded or backing off. */
  hop: PeerSession | undefined
  isDone: boolean
  readonly resolve: (result: SendResult) => void
  readonly reject: (error: Error) => void
  readonly dispose: () => void
}

const PEER_ID_BYTES = 32
/** What route() returns for a message flooded to one or more neighbours. */
const FLOODED: unique symbol = Symbol('flooded')
/** Reverse-path entries a node keeps (oldest forgotten first): ~100 bytes each. */
const MAX_BREADCRUMBS = 8_192
/** How long a reverse-path entry lives: longer than any sane ack timeout. */
const BREADCRUMB_TTL_MS = 60_000

interface Breadcrumb {
  readonly peer: PeerSession
  readonly expiresAt: number
}

export class Router {
  private readonly options: ResolvedRouterOptions
  private readonly network: PeerNetwork
  private readonly selfId: Uint8Array
  private readonly dedup: DedupSet
  private readonly delivered: DeliveredSends
  private readonly hasher: KeyedHasher
  private readonly verify: SignatureVerifier
  private readonly originLimits: OriginRateLimits<bigint>
  private readonly handlers = new Set<{ readonly handler: RoutedMessageHandler }>()
  private meshSignalHandler: RoutedMessageHandler | undefined
  private readonly pendingSends = new Map<number, PendingSend>()
  /** Dedup keys of direct messages to this node, and of acks to it, whose signature is being checked. */
  private readonly verifying = new Set<bigint>()
  /** Reverse path: key of (origin, messageId without its low byte) to the neighbour it came from. */
  private readonly breadcrumbs = new Map<bigint, Breadcrumb>()
  private readonly disposers: Array<() => void> = []
  private nextSendId: number
  private isStopped = false
  private readonly counters = {
    sends: 0, acked: 0, unreachable: 0, retries: 0, floodAttempts: 0, received: 0, delivered: 0, redelivered: 0,
    acksSent: 0, ackSignFailures: 0, forwarded: 0, sendFailures: 0, retriesOnClose: 0, meshSignalsDelivered: 0,
  }
  private readonly dropped = Object.fromEntries(ROUTING_DROP_REASONS.map((reason) => [reason, 0])) as Record<RoutingDropReason, number>

  constructor(options: RouterOptions) {
    this.options = resolveRouterOptions(options)
    this.network = this.options.network
    this.selfId = this.network.identity.peerId
    const core: Core = this.options.core ?? loadCoreSync()
    this.dedup = core.createDedupSet({ capacity: this.options.dedupCapacity, ttlMs: this.options.dedupTtlMs })
    this.delivered = new DeliveredSends(this.options.maxDeliveredSends, this.options.maxMessageAgeMs)
    this.hasher = secretKeyedHasher(core, this.network.random)
    this.verify = this.options.verify ?? verifySignature
    this.originLimits = new OriginRateLimits(core, { ratePerSec: this.options.originRateLimit, maxOrigins: this.options.maxRateLimitedOrigins })
    // Send ids start at a random 48-bit value, so a node restarted with the same identity does
    // not reuse ids its peers still remember as delivered.
    this.nextSendId = (this.network.random.nextU32() & 0xffff) * 2 ** 32 + this.network.random.nextU32()
    this.disposers.push(
      this.network.on('message', (peer, message) => this.onNetworkMessage(peer, message)),
      this.network.on('peer:disconnect', (peer, reason) => this.onDisconnect(peer, reason)),
    )
  }

  /** The longest a send stays pending (virtual ms, plus signing time) before ROUTING_UNREACHABLE. */
  get sendBoundMs(): number {
    return sendBoundMs(this.options)
  }

  /**
   * Sends `data` to the node whose id is `peerId` and resolves once it acknowledges. Rejects
   * with RoutingError: ROUTING_UNREACHABLE after sendBoundMs without an ack, ROUTING_ABORTED
   * (name 'AbortError') when `signal` aborts, ROUTING_STOPPED when the router stops;
   * throws ROUTING_INVALID_ARGUMENT, ROUTING_MESSAGE_TOO_LARGE, ROUTING_BUSY at once.
   */
  send(peerId: Uint8Array, data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<SendResult> {
    return this.startSend('direct', peerId, data, options)
  }

  /**
   * Sends `data` to `peerId`'s mesh signaling (its meshSignal handler) as send() sends to its
   * application: routed, signed under its own tag, acknowledged, retried.
   * @internal
   */
  sendMeshSignal(peerId: Uint8Array, data: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<SendResult> {
    return this.startSend('meshSignal', peerId, data, options)
  }

  /**
   * Sets the one handler of meshSignal messages to this node (undefined to remove it); without
   * one they are acked and dropped.
   * @internal
   */
  onMeshSignal(handler: RoutedMessageHandler | undefined): void {
    if (handler !== undefined && typeof handler !== 'function') throw invalidArgument(`handler must be a function, got ${describeValue(handler)}`)
    this.meshSignalHandler = handler
  }

  private startSend(type: RoutedType, peerId: Uint8Array, data: Uint8Array, options: { signal?: AbortSignal }): Promise<SendResult> {
    try {
      this.checkSend(peerId, data, options)
    } catch (error) {
      return Promise.reject(error)
    }
    const signal = options.signal
    if (signal?.aborted) return Promise.reject(abortError(signal))
    this.counters.sends++
    const sendId = this.nextSendId
    this.nextSendId = (this.nextSendId + 1) % (SEND_ID_MASK + 1)
    return new Promise<SendResult>((resolve, reject) => {
      const onAbort = () => this.finish(pending, abortError(signal as AbortSignal))
      signal?.addEventListener('abort', onAbort, { once: true })
      const pending: PendingSend = {
        sendId, type, target: peerId.slice(), data, sentAt: [], paths: [], timer: undefined, hop: undefined, isDone: false, resolve, reject,
        dispose: () => signal?.removeEventListener('abort', onAbort),
      }
      this.pendingSends.set(sendId, pending)
      void this.attempt(pending)
    })
  }

  /** Calls `handler` with every direct message to this node, once per send. Returns a function that removes it. */
  onMessage(handler: RoutedMessageHandler): () => void {
    if (typeof handler !== 'function') throw invalidArgument(`handler must be a function, got ${describeValue(handler)}`)
    const entry = { handler }
    this.handlers.add(entry)
    return () => {
      this.handlers.delete(entry)
    }
  }

  stats(): RouterStats {
    return {
      ...this.counters,
      dropped: { ...this.dropped },
      pendingSends: this.pendingSends.size,
      pendingVerifications: this.verifying.size,
      reversePaths: this.breadcrumbs.size,
      deliveredSends: this.delivered.size,
      deliveredSendsEvictedYoung: this.delivered.floor.evictedYoung,
    }
  }

  /** Rejects every pending send with ROUTING_STOPPED, clears its timers, stops listening. Idempotent. */
  stop(): void {
    if (this.isStopped) return
    this.isStopped = true
    for (const dispose of this.disposers.splice(0)) dispose()
    for (const pending of [...this.pendingSends.values()]) {
      this.finish(pending, new RoutingError('ROUTING_STOPPED', 'the router was stopped before this send was acknowledged'))
    }
    this.handlers.clear()
    this.meshSignalHandler = undefined
    this.verifying.clear()
    this.breadcrumbs.clear()
    this.dedup.free()
    this.delivered.clear()
    this.originLimits.free()
  }

  // -------------------------------------------------------------------------------------
  // Sending

  private checkSend(peerId: unknown, data: unknown, options: unknown): asserts peerId is Uint8Array {
    if (this.isStopped) throw new RoutingError('ROUTING_STOPPED', 'this router has been stopped')
    if (!(peerId instanceof Uint8Array) || peerId.length !== PEER_ID_BYTES) {
      throw invalidArgument(`peerId must be a Uint8Array of ${PEER_ID_BYTES} bytes, got ${describeValue(peerId)}`)
    }
    if (bytesEqual(peerId, this.selfId)) throw invalidArgument('peerId is this node\'s own id; a node does not send to itself')
    if (!(data instanceof Uint8Array)) throw invalidArgument(`data must be a Uint8Array, got ${describeValue(data)}`)
    if (data.length > this.options.maxMessageBytes) {
      throw new RoutingError('ROUTING_MESSAGE_TOO_LARGE', `data of ${data.length} bytes is over the ${this.options.maxMessageBytes}-byte maxMessageBytes limit`)
    }
    if (typeof options !== 'object' || options === null) throw invalidArgument(`options must be an object, got ${describeValue(options)}`)
    const signal = (options as { signal?: unknown }).signal
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalidArgument(`signal must be an AbortSignal, got ${describeValue(signal)}`)
    if (this.pendingSends.size >= this.options.maxPendingSends) {
      throw new RoutingError('ROUTING_BUSY', `${this.pendingSends.size} sends are already waiting for their ack, the maxPendingSends limit`)
    }
  }

  /** Starts the next attempt of `pending`: signs it, sends it and arms its ack timeout. */
  private async attempt(pending: PendingSend): Promise<void> {
    const attempt = pending.sentAt.length
    const target = pending.target
    let path: RoutePath = attempt < this.options.greedyAttempts ? 'dht' : 'flood'
    if (path === 'dht') {
      const direct = this.network.peer(target)
      if (direct?.isOpen === true) path = 'direct'
      else if (this.greedyHops(target, []).length === 0) path = 'flood'
    }
    const isFlood = path === 'flood'
    const ttl = isFlood ? this.options.floodTtl : this.options.maxTtl
    const messageId = composeMessageId({ sendId: pending.sendId, isFlood, attempt, low: ttl })
    // Reserved before the await, so the attempt counts even if the ack is quicker than us.
    pending.sentAt.push(this.network.clock.now())
    pending.paths.push(path)
    if (attempt > 0) this.counters.retries++
    if (isFlood) this.counters.floodAttempts++
    // Each attempt is stamped afresh: a retry is never older than the age limit at its target.
    const timestampMs = Math.floor(this.network.clock.now())
    let signature: Uint8Array
    try {
      signature = await this.network.identity.sign(routedSignedBytes(pending.type, messageId, this.selfId, target, timestampMs, pending.data))
    } catch (error) {
      this.finish(pending, error instanceof Error ? error : new Error(String(error)))
      return
    }
    if (pending.isDone) return
    pending.sentAt[attempt] = this.network.clock.now()
    // Remembered before it leaves, so flooded echoes of it are dropped.
    this.dedup.add(this.hasher.keyOf(DEDUP_KIND.direct, this.selfId, messageId), this.network.clock.now())
    const message: DirectMessage | MeshSignalMessage = {
      type: pending.type, messageId, origin: this.selfId, target, originKey: this.network.identity.publicKey, timestampMs, ttl, data: pending.data, signature,
    }
    const via = this.route(message, target, undefined, [], isFlood, PRIORITY_DHT)
    pending.hop = via === FLOODED ? undefined : via
    pending.timer = this.network.clock.setTimeout(() => this.onAckTimeout(pending), this.options.ackTimeoutMs)
    // A session that failed as it took the message announced its close before it was the hop.
    if (pending.hop?.isOpen === false) this.onDisconnect(pending.hop, 'it closed as the attempt went out')
  }

  private onAckTimeout(pending: PendingSend): void {
    pending.timer = undefined
    pending.hop = undefined
    if (this.isOutOfAttempts(pending, `in ${this.sendBoundMs} ms`)) return
    const backoffMs = this.options.retryBaseMs * 2 ** (pending.sentAt.length - 1)
    pending.timer = this.network.clock.setTimeout(() => {
      pending.timer = undefined
      void this.attempt(pending)
    }, backoffMs)
  }

  /** Rejects `pending` with ROUTING_UNREACHABLE when every attempt has been made; true when it did. */
  private isOutOfAttempts(pending: PendingSend, why: string): boolean {
    const attempts = pending.sentAt.length
    if (attempts <= this.options.maxRetries) return false
    this.counters.unreachable++
    const paths = [...new Set(pending.paths)].join(', ')
    this.finish(pending, new RoutingError('ROUTING_UNREACHABLE', `no ack from ${hexPrefix(pending.target)}… after ${attempts} attempts (${paths}) ${why}`))
    return true
  }

  /**
   * Sends whose awaited attempt went to `closed` retry at once instead of waiting for the ack
   * timeout (sooner than the timeout would have, so sendBoundMs still holds). Looked at after
   * a microtask: when a duplicate connection replaces a session, the peers layer announces the
   * close before it admits the survivor, which the retry then finds open.
   */
  private onDisconnect(closed: PeerSession, reason: string): void {
    const stranded: PendingSend[] = []
    for (const pending of this.pendingSends.values()) if (pending.hop === closed) stranded.push(pending)
    if (stranded.length === 0) return
    queueMicrotask(() => {
      for (const pending of stranded) {
        if (this.isStopped || pending.isDone || pending.hop !== closed) continue
        pending.hop = undefined
        if (pending.timer !== undefined) this.network.clock.clearTimeout(pending.timer)
        pending.timer = undefined
        if (this.isOutOfAttempts(pending, `(the last went to ${closed.peerKey.slice(0, 8)}…, whose session closed: ${reason})`)) continue
        this.counters.retriesOnClose++
        void this.attempt(pending)
      }
    })
  }

  private finish(pending: PendingSend, outcome: SendResult | Error): void {
    if (pending.isDone) return
    pending.isDone = true
    if (pending.timer !== undefined) this.network.clock.clearTimeout(pending.timer)
    pending.timer = undefined
    pending.hop = undefined
    pending.dispose()
    this.pendingSends.delete(pending.sendId)
    if (outcome instanceof Error) pending.reject(outcome)
    else pending.resolve(outcome)
  }

  // -------------------------------------------------------------------------------------
  // Receiving

  private onNetworkMessage(peer: PeerSession, message: DecodedMessage): void {
    if (this.isStopped) return
    if (message.type === 'direct' || message.type === 'meshSignal') this.onDirect(peer, message)
    else if (message.type === 'directAck') this.onAck(peer, message)
  }

  private onDirect(peer: PeerSession, message: DirectMessage | MeshSignalMessage): void {
    this.counters.received++
    if (message.data.length > this.options.maxMessageBytes) return this.drop('too-large')
    if (message.ttl === 0) return this.drop('ttl-expired')
    if (bytesEqual(message.origin, this.selfId)) return this.drop('loop')
    const now = this.network.clock.now()
    // At every hop, before anything is looked up or verified; never the neighbour's fault.
    const age = judgeTimestamp(message.timestampMs, now, this.options.maxMessageAgeMs, this.options.maxClockSkewMs)
    if (age !== 'fresh') return this.drop(age)
    const key = this.hasher.keyOf(DEDUP_KIND.direct, message.origin, message.messageId)
    const isForMe = bytesEqual(message.target, this.selfId)
    // The dedup key is taken only once the signature verifies, so a forged copy arriving
    // first cannot shadow the genuine one.
    if (this.dedup.has(key, now) || this.verifying.has(key)) return this.drop('duplicate')
    if (!isForMe && message.ttl <= 1) return this.drop('ttl-exhausted')
    // Checked at every hop, not only by the target: a relay passes on only what its origin
    // signed, so a bad one is the sender's fault, and the origin's rate can be charged to it.
    if (!keyMatchesPeerId(message.originKey, message.origin)) return this.drop('invalid-message', peer)
    if (this.verifying.size >= this.options.maxPendingVerifications) return this.drop('overload')
    let verdict: boolean | Promise<boolean>
    try {
      verdict = this.verify(message.originKey, routedSignedBytes(message.type, message.messageId, message.origin, message.target, message.timestampMs, message.data), message.signature)
    } catch {
      return this.drop('verify-error')
    }
    if (typeof verdict === 'boolean') return this.verified(key, peer, message, verdict)
    this.verifying.add(key)
    verdict.then(
      (isValid) => {
        if (this.isStopped) return
        this.verifying.delete(key)
        this.verified(key, peer, message, isValid)
      },
      () => {
        if (this.isStopped) return
        this.verifying.delete(key)
        this.drop('verify-error')
      },
    )
  }

  private verified(key: bigint, peer: PeerSession, message: DirectMessage | MeshSignalMessage, isValid: boolean): void {
    if (!isValid) return this.drop('bad-signature', peer)
    const now = this.network.clock.now()
    if (!this.dedup.add(key, now)) return this.drop('duplicate')
    // Charged to the origin, whose signature this is, and never to the neighbour that passed it on.
    if (!this.originLimits.tryTake(this.hasher.keyOf(DEDUP_KIND.originRate, message.origin, 0n), now)) return this.drop('origin-rate-limit')
    const fields = parseMessageId(message.messageId)
    if (!bytesEqual(message.target, this.selfId)) {
      const ttl = Math.min(message.ttl - 1, fields.isFlood ? this.options.floodTtl : this.options.maxTtl)
      this.leaveBreadcrumb(message.origin, message.messageId, peer, now)
      if (this.route({ ...message, ttl }, message.target, peer, [message.origin], fields.isFlood, PRIORITY_DHT) !== undefined) this.counters.forwarded++
      return
    }
    const initialTtl = fields.low
    const hops = Math.min(255, Math.max(1, initialTtl - message.ttl + 1))
    const deliveryKey = this.hasher.keyOf(DEDUP_KIND.delivery, message.origin, BigInt(fields.sendId))
    const delivery = this.delivered.record(deliveryKey, message.timestampMs, now)
    // Not acked: a replay gets nothing, and an honest origin's next attempt is signed later.
    if (delivery === 'forgotten') return this.drop('forgotten-send')
    if (delivery === 'new') this.deliver(message.type, { from: message.origin, data: message.data, hops })
    else this.counters.redelivered++
    // Every verified attempt is acked, so a retry whose first ack was lost gets one.
    const limit = fields.isFlood ? this.options.floodTtl : this.options.maxTtl
    void this.sendAck(peer, message.origin, withLowByte(message.messageId, hops), Math.max(1, Math.min(initialTtl, limit)), fields.isFlood)
  }

  /** Signs the ack of a verified direct message and sends it back the way the message came. */
  private async sendAck(peer: PeerSession, origin: Uint8Array, ackId: bigint, ttl: number, isFlood: boolean): Promise<void> {
    let signature: Uint8Array
    try {
      signature = await this.network.identity.sign(ackSignedBytes(ackId, origin, this.selfId))
    } catch {
      // Nothing waits on an ack here: count it; the origin's retry asks again.
      this.counters.ackSignFailures++
      return
    }
    if (this.isStopped) return
    const ack: DirectAckMessage = {
      type: 'directAck', messageId: ackId, origin, target: this.selfId, targetKey: this.network.identity.publicKey, ttl, signature,
    }
    this.dedup.add(this.ackKey(ack), this.network.clock.now())
    this.counters.acksSent++
    if (this.network.peer(origin)?.isOpen !== true && peer.isOpen && peer.send(ack, PRIORITY_CONTROL)) return
    this.route(ack, origin, undefined, [], isFlood, PRIORITY_CONTROL)
  }

  /**
   * The dedup key of an ack: (origin, ack messageId) chained with both halves of its
   * signature, so a forged copy, whatever bytes it copies, never takes the genuine ack's key.
   */
  private ackKey(ack: DirectAckMessage): bigint {
    const half = SIGNATURE_BYTES / 2
    const idKey = this.hasher.keyOf(DEDUP_KIND.ack, ack.origin, ack.messageId)
    const withR = this.hasher.keyOf(DEDUP_KIND.ack, ack.signature.subarray(0, half), idKey)
    return this.hasher.keyOf(DEDUP_KIND.ack, ack.signature.subarray(half), withR)
  }

  private onAck(peer: PeerSession, ack: DirectAckMessage): void {
    if (ack.ttl === 0) return this.drop('ttl-expired')
    if (bytesEqual(ack.origin, this.selfId)) return this.onOwnAck(peer, ack)
    if (bytesEqual(ack.target, this.selfId)) return this.drop('loop')
    if (!this.dedup.add(this.ackKey(ack), this.network.clock.now())) return this.drop('duplicate')
    if (ack.ttl <= 1) return this.drop('ttl-exhausted')
    const isFlood = isFloodId(ack.messageId)
    const ttl = Math.min(ack.ttl - 1, isFlood ? this.options.floodTtl : this.options.maxTtl)
    const back = this.followBreadcrumb(ack.origin, ack.messageId)
    if (back !== undefined && this.network.peer(ack.origin)?.isOpen !== true && back.send({ ...ack, ttl }, PRIORITY_CONTROL)) {
      this.counters.forwarded++
      return
    }
    if (this.route({ ...ack, ttl }, ack.origin, peer, [ack.target], isFlood, PRIORITY_CONTROL) !== undefined) this.counters.forwarded++
  }

  private breadcrumbKey(origin: Uint8Array, messageId: bigint): bigint {
    return this.hasher.keyOf(DEDUP_KIND.reverse, origin, withLowByte(messageId, 0))
  }

  private leaveBreadcrumb(origin: Uint8Array, messageId: bigint, peer: PeerSession, now: number): void {
    const key = this.breadcrumbKey(origin, messageId)
    // Re-inserted, so the map's order stays expiry order (every crumb lives BREADCRUMB_TTL_MS):
    // expired ones leave from the front on every insert, and crumbs of acks that never come
    // (unreachable targets, flood copies off the ack's path) do not pile up to the cap.
    this.breadcrumbs.delete(key)
    for (const [oldKey, crumb] of this.breadcrumbs) {
      if (crumb.expiresAt > now && this.breadcrumbs.size < MAX_BREADCRUMBS) break
      this.breadcrumbs.delete(oldKey)
    }
    this.breadcrumbs.set(key, { peer, expiresAt: now + BREADCRUMB_TTL_MS })
  }

  /** The open neighbour a direct message came from, taken once (an ack travels back once). */
  private followBreadcrumb(origin: Uint8Array, messageId: bigint): PeerSession | undefined {
    const key = this.breadcrumbKey(origin, messageId)
    const crumb = this.breadcrumbs.get(key)
    if (crumb === undefined) return undefined
    this.breadcrumbs.delete(key)
    return crumb.expiresAt > this.network.clock.now() && crumb.peer.isOpen ? crumb.peer : undefined
  }

  /** An ack of this node's own send: it resolves the send only once the target's signature verifies. */
  private onOwnAck(peer: PeerSession, ack: DirectAckMessage): void {
    const fields = parseMessageId(ack.messageId)
    const pending = this.pendingSends.get(fields.sendId)
    if (pending === undefined || fields.attempt >= pending.sentAt.length || !bytesEqual(ack.target, pending.target)) {
      return this.drop('unmatched-ack')
    }
    // Only the target itself is to blame for a bad ack; a relay may be passing on someone's forgery.
    const signer = bytesEqual(peer.peerId, ack.target) ? peer : undefined
    if (!keyMatchesPeerId(ack.targetKey, ack.target)) return this.drop('forged-ack', signer)
    const key = this.ackKey(ack)
    if (this.verifying.has(key)) return this.drop('duplicate')
    if (this.verifying.size >= this.options.maxPendingVerifications) return this.drop('overload')
    let verdict: boolean | Promise<boolean>
    try {
      verdict = this.verify(ack.targetKey, ackSignedBytes(ack.messageId, ack.origin, ack.target), ack.signature)
    } catch {
      return this.drop('verify-error')
    }
    if (typeof verdict === 'boolean') return this.ackVerified(pending, fields, verdict, signer)
    this.verifying.add(key)
    verdict.then(
      (isValid) => {
        if (this.isStopped) return
        this.verifying.delete(key)
        this.ackVerified(pending, fields, isValid, signer)
      },
      () => {
        if (this.isStopped) return
        this.verifying.delete(key)
        this.drop('verify-error')
      },
    )
  }

  private ackVerified(pending: PendingSend, fields: MessageIdFields, isValid: boolean, signer: PeerSession | undefined): void {
    if (!isValid) return this.drop('forged-ack', signer)
    // Another ack of the same send (an earlier attempt's, a duplicate) may have resolved it meanwhile.
    if (pending.isDone) return
    this.counters.acked++
    this.finish(pending, {
      hops: Math.max(1, fields.low),
      path: pending.paths[fields.attempt],
      attempts: pending.sentAt.length,
      rttMs: this.network.clock.now() - pending.sentAt[fields.attempt],
    })
  }

  private deliver(type: RoutedType, message: RoutedMessage): void {
    if (type === 'meshSignal') {
      this.counters.meshSignalsDelivered++
      if (this.meshSignalHandler !== undefined) callEach([this.meshSignalHandler], message)
      return
    }
    this.counters.delivered++
    callEach(Array.from(this.handlers, (entry) => entry.handler), message)
  }

  // -------------------------------------------------------------------------------------
  // Forwarding

  /**
   * Sends `message` on towards `destination`: straight to it when connected, else greedily to
   * the closest connected peer closer than this node, or (flood) to every neighbour but the
   * sender and `exclude`. Returns the neighbour that took it when it went to one (direct or
   * greedy), FLOODED when one or more took a flooded copy, undefined when none took it.
   */
  private route(
    message: DirectMessage | MeshSignalMessage | DirectAckMessage, destination: Uint8Array, sender: PeerSession | undefined,
    exclude: readonly Uint8Array[], isFlood: boolean, priority: typeof PRIORITY_DHT | typeof PRIORITY_CONTROL,
  ): PeerSession | typeof FLOODED | undefined {
    const direct = this.network.peer(destination)
    if (direct?.isOpen === true) return this.sendToFirst([direct], message, priority)
    if (!isFlood) {
      const hop = this.sendToFirst(this.greedyHops(destination, sender === undefined ? exclude : [...exclude, sender.peerId]), message, priority)
      if (hop === undefined) this.drop('no-route')
      return hop
    }
    const targets = this.network.peers().filter((peer) => peer.isOpen && peer !== sender && !exclude.some((id) => bytesEqual(id, peer.peerId)))
    // A flood reaching a node with no other neighbour has simply ended there: not a drop.
    if (targets.length === 0 && sender !== undefined) return undefined
    if (this.sendToAll(targets, message, priority)) return FLOODED
    this.drop('no-route')
    return undefined
  }

  /** Open sessions among closestPeers(destination) strictly closer to it than this node, nearest first. */
  private greedyHops(destination: Uint8Array, exclude: readonly Uint8Array[]): PeerSession[] {
    const ids = this.options.closestPeers === undefined
      ? this.network.peers().map((peer) => peer.peerId)
      : this.options.closestPeers(destination, this.options.candidates)
    const hops: PeerSession[] = []
    for (const id of ids) {
      if (!(id instanceof Uint8Array) || id.length !== PEER_ID_BYTES || !isCloser(destination, id, this.selfId)) continue
      if (exclude.some((other) => bytesEqual(other, id))) continue
      const session = this.network.peer(id)
      if (session?.isOpen === true && !hops.includes(session)) hops.push(session)
    }
    return hops.sort((a, b) => (isCloser(destination, a.peerId, b.peerId) ? -1 : isCloser(destination, b.peerId, a.peerId) ? 1 : 0))
  }

  /** The first of `peers` that takes the message (greedy: nearest first), or undefined. */
  private sendToFirst(peers: readonly PeerSession[], message: DirectMessage | MeshSignalMessage | DirectAckMessage, priority: typeof PRIORITY_DHT | typeof PRIORITY_CONTROL): PeerSession | undefined {
    for (const peer of peers) {
      if (peer.send(message, priority)) return peer
      this.counters.sendFailures++
    }
    return undefined
  }

  /** Sends to every one of `peers` (flood); true when at least one took it. */
  private sendToAll(peers: readonly PeerSession[], message: DirectMessage | MeshSignalMessage | DirectAckMessage, priority: typeof PRIORITY_DHT | typeof PRIORITY_CONTROL): boolean {
    let isSent = false
    for (const peer of peers) {
      if (peer.send(message, priority)) isSent = true
      else this.counters.sendFailures++
    }
    return isSent
  }

  private drop(reason: RoutingDropReason, penalize?: PeerSession): void {
    this.dropped[reason]++
    penalize?.penalize(reason === 'bad-signature' || reason === 'forged-ack' ? 'bad-signature' : 'invalid-message')
  }

  /** Internal, for tests and the simulator (src/node/sizes.ts): entries of each long-lived structure. */
  sizes(): Record<string, number> {
    return {
      handlers: this.handlers.size,
      pendingSends: this.pendingSends.size,
      verifying: this.verifying.size,
      breadcrumbs: this.breadcrumbs.size,
      dedup: this.isStopped ? 0 : this.dedup.size,
      deliveredSends: this.delivered.size,
    }
  }
}

function invalidArgument(message: string): RoutingError {
  return new RoutingError('ROUTING_INVALID_ARGUMENT', message)
}

function abortError(signal: AbortSignal): RoutingError {
  return new RoutingError('ROUTING_ABORTED', 'the send was aborted', { cause: signal.reason })
}

function hexPrefix(id: Uint8Array): string {
  let out = ''
  for (let i = 0; i < 4; i++) out += id[i].toString(16).padStart(2, '0')
  return out
}
