// One authenticated neighbour over one connection: the outgoing priority queue feeding a
// frame coalescer under the connection's backpressure, the checks on what arrives (decode,
// rate limit, score), and the keepalive that notices a dead link.

import type { PriorityQueue, RateLimiter } from '../core/contracts.js'
import type { Connection, CloseInfo } from '../transport/transport.js'
import type { TimerHandle } from '../util/clock.js'
import { FrameCoalescer, prepareMessage, type EncodedMessage, type FlushTimers } from '../wire/coalescer.js'
import { WireError } from '../wire/errors.js'
import { claimedMessageCount, decodeFrame } from '../wire/frame.js'
import { DEFAULT_COALESCE_FRAME_BYTES, FRAME_HEADER_BYTES, MAX_MESSAGES_PER_FRAME } from '../wire/limits.js'
import { GoodbyeReason, type DecodedMessage, type PeerInfo } from '../wire/messages.js'
import { prefixOf } from './address-source.js'
import { TRANSIENT_CAPABILITY } from './connection-handshake.js'
import { PeerError } from './errors.js'
import type { HandshakeResult } from './handshake.js'
import type { ResolvedOptions } from './options.js'
import { bytesEqual } from './identity.js'
import { PeerScore } from './score.js'
import { PRIORITY_CONTROL, type Misbehaviour, type PeerSession, type SendPriority } from './session.js'
import { toHex } from '../util/hex.js'

/**
 * Why a message was dropped rather than sent or delivered. 'over-budget': a whole frame,
 * undecoded, whose message count the peer's budgets could not cover. 'rate-limit': the peer's own
 * traffic went over rateLimitPerPeer (it is penalized); 'relay-rate-limit': what it relays
 * for others went over relayRateLimitPerPeer (dropped, never penalized: see receiveFrame).
 */
export type DropReason = 'invalid-frame' | 'over-budget' | 'rate-limit' | 'relay-rate-limit' | 'invalid-message' | 'queue-full' | 'closed' | 'too-large-for-link'

/** Traffic counters; the manager sums them over all sessions, past and present. */
export interface TrafficCounters {
  messagesIn: number
  messagesOut: number
  bytesIn: number
  bytesOut: number
  framesIn: number
  framesOut: number
  dropped: Record<DropReason, number>
  penalties: Record<Misbehaviour, number>
  /** Sessions closed because the peer kept its link pushed back for slowPeerTimeoutMs. */
  slowPeersCut: number
  /** Times a peer's link stopped being read because its frames passed the frame budget (links with read flow control). */
  readPauses: number
}

export function newTrafficCounters(): TrafficCounters {
  return {
    messagesIn: 0,
    messagesOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    dropped: { 'invalid-frame': 0, 'over-budget': 0, 'rate-limit': 0, 'relay-rate-limit': 0, 'invalid-message': 0, 'queue-full': 0, closed: 0, 'too-large-for-link': 0 },
    penalties: { 'invalid-frame': 0, 'bad-signature': 0, 'rate-limit': 0, 'invalid-message': 0, unwanted: 0 },
    slowPeersCut: 0,
    readPauses: 0,
  }
}

/** What a session needs from the manager that owns it. */
export interface SessionHost {
  readonly options: ResolvedOptions
  /** Messages a peer itself originates or asks for, per session handle. */
  readonly limiter: RateLimiter
  /** Messages a peer relays for other origins, per session handle. */
  readonly relayLimiter: RateLimiter
  /** Messages a peer's frames claim, charged before decoding: both budgets above together. */
  readonly frameLimiter: RateLimiter
  /** frameLimiter's rate, messages a second. */
  readonly frameBudgetPerSec: number
  readonly counters: TrafficCounters
  /** The coalescers' flush timers: one clock timer for all the sessions flushing at one instant (a fan-out). */
  readonly flushTimers: FlushTimers
  createQueue(): PriorityQueue
  deliver(session: ManagedSession, message: DecodedMessage): void
  /** The score fell below the threshold: remember the ban before the session closes. */
  ban(session: ManagedSession): void
  /** More sessions this node dialled are open than targetPeers: an idle one of them may be closed. */
  isOverTarget(): boolean
  closed(session: ManagedSession, reason: string): void
  /** The peer offered others to dial before its goodbye (it is pruning this session). */
  redirected(session: ManagedSession, peers: readonly PeerInfo[]): void
}

/** The longest a peer over its frame budget goes unread at a time, so its goodbye or a pong is never held for long. */
const MAX_READ_PAUSE_MS = 1_000

const invalidArgument = (message: string) => new PeerError('PEER_INVALID_ARGUMENT', message)

const NONE: readonly string[] = Object.freeze([])

/** A frozen copy; every empty list is the one shared NONE (most sessions share no capability). */
function frozenCopy(values: readonly string[]): readonly string[] {
  return values.length === 0 ? NONE : Object.freeze([...values])
}

export class ManagedSession implements PeerSession {
  readonly peerId: Uint8Array
  readonly peerKey: string
  readonly handle: number
  readonly publicKey: Uint8Array
  readonly version: number
  readonly capabilities: readonly string[]
  /** Everything the remote offered in its hello, shared or not. */
  readonly remoteCapabilities: readonly string[]
  readonly listenAddresses: readonly string[]
  readonly remoteAddress: string
  readonly direction: 'inbound' | 'outbound'
  readonly connectionId: string
  readonly connectedAt: number
  /** The address prefix it connected from (address-source.ts prefixOf); undefined when exempt (loopback, private ranges). */
  readonly prefix: string | undefined
  readonly #host: SessionHost
  readonly #options: ResolvedOptions
  readonly #connection: Connection
  /** Made on the first message that has to wait (the link pushed back): an idle or unhurried session never holds one. */
  #queue: PriorityQueue | undefined
  readonly #coalescer: FrameCoalescer
  readonly #score: PeerScore
  // Payloads of queued messages, by the slot number the priority queue holds.
  #slots: (EncodedMessage | undefined)[] | undefined
  #freeSlots: number[] | undefined
  #isOpen = true
  #isBlocked = false
  /** Payload bytes of the messages in the queue. */
  #queuedBytes = 0
  /** Armed while the link pushes back: fires the slow-consumer cutoff. */
  #slowTimer: TimerHandle | undefined
  /** Armed while this side has stopped reading the link (the peer's frames passed its budget). */
  #readTimer: TimerHandle | undefined
  #keepalive: TimerHandle | undefined
  #lastFrameAt: number
  /** Last message either way other than keepalive and goodbye: what idle trimming looks at. */
  #lastUseAt: number
  /** Last message from the peer that an upper layer took (what inbound eviction counts as useful). */
  #lastDeliveredAt: number
  #pingSentAt = 0
  #isAwaitingPong = false
  #nextPingId = 1
  #messagesIn = 0
  #messagesOut = 0
  #hasRedirected = false
  /** Dialled for a request only: closed after transientIdleMs without messages (see keep()). */
  #isTransient: boolean

  constructor(host: SessionHost, connection: Connection, result: HandshakeResult, handle: number, isTransient = false) {
    const options = host.options
    this.#host = host
    this.#options = options
    this.#connection = connection
    this.peerId = result.peerId
    this.peerKey = toHex(result.peerId)
    this.handle = handle
    this.publicKey = result.publicKey
    this.version = result.version
    this.capabilities = frozenCopy(result.capabilities)
    this.remoteCapabilities = frozenCopy(result.remoteCapabilities)
    this.listenAddresses = frozenCopy(result.listenAddresses)
    this.remoteAddress = connection.remoteAddress
    this.direction = connection.direction
    this.connectionId = connection.id
    this.connectedAt = options.clock.now()
    this.prefix = prefixOf(connection.remoteAddress)
    this.#lastFrameAt = this.connectedAt
    this.#lastUseAt = this.connectedAt
    this.#lastDeliveredAt = this.connectedAt
    this.#score = new PeerScore(this.connectedAt)
    this.#coalescer = new FrameCoalescer({
      onFrame: this.#sendFrame,
      timers: host.flushTimers,
      maxFrameBytes: Math.max(1_024, Math.min(DEFAULT_COALESCE_FRAME_BYTES, connection.maxMessageBytes)),
      flushDelayMs: options.flushDelayMs,
    })
    connection.onMessage(this.receiveFrame)
    connection.onClose(this.#onConnectionClose)
    connection.onDrain(this.#onDrain)
    this.#isTransient = isTransient && connection.direction === 'outbound'
    this.#armKeepalive(this.#tickDelayMs(this.connectedAt))
  }

  /** True while the session serves requests only and closes when idle (a kept session never becomes transient again). */
  get isTransient(): boolean {
    return this.#isTransient
  }

  /** The dialler said (in its hello) it wants this session for a request only: it may be pruned as soon as it is idle. */
  get isRemoteTransient(): boolean {
    return this.direction === 'inbound' && this.remoteCapabilities.includes(TRANSIENT_CAPABILITY)
  }

  /** When the last message other than keepalive went either way. */
  get lastUseAt(): number {
    return this.#lastUseAt
  }

  /** When the peer last sent a message an upper layer took (not pings, pongs or goodbyes); connectedAt until then. */
  get lastDeliveredAt(): number {
    return this.#lastDeliveredAt
  }

  /** The session is wanted for itself now (someone connected without isTransient): idle trimming rules apply, not the transient timeout. */
  keep(): void {
    this.#isTransient = false
  }

  get isOpen(): boolean {
    return this.#isOpen
  }

  /** Messages waiting in the outgoing priority queue (not those already in the coalescer). */
  get queueDepth(): number {
    return this.#isOpen ? (this.#queue?.size ?? 0) : 0
  }

  /** Bytes the outgoing priority queue structure holds now (it grows with the backlog). */
  get queueBytes(): number {
    return this.#queue?.byteLength ?? 0
  }

  /** Payload bytes waiting to go out: the queue's messages plus what the link has not sent yet (its bufferedAmount). */
  get bufferedBytes(): number {
    return this.#queuedBytes + (this.#connection.isOpen ? this.#connection.bufferedAmount : 0)
  }

  score(): number {
    return this.#score.value(this.#options.clock.now())
  }

  get messagesIn(): number {
    return this.#messagesIn
  }

  get messagesOut(): number {
    return this.#messagesOut
  }

  send(message: DecodedMessage, priority: SendPriority): boolean {
    if (priority !== 0 && priority !== 1 && priority !== 2 && priority !== 3) throw invalidArgument(`priority must be 0, 1, 2 or 3, got ${String(priority)}`)
    if (!this.#isOpen) {
      this.#host.counters.dropped.closed++
      return false
    }
    // Encoded now, so a message that cannot be encoded fails in the caller's hands.
    const encoded = prepareMessage(message)
    // Links differ in the largest message they carry (WebRTC 256 KiB, WebSocket more): one
    // that does not fit this link is dropped for this peer alone, not taken for a dead link.
    if (FRAME_HEADER_BYTES + encoded.bytes.length > this.#connection.maxMessageBytes) {
      this.#host.counters.dropped['too-large-for-link']++
      return false
    }
    if (message.type !== 'ping' && message.type !== 'pong') this.#lastUseAt = this.#options.clock.now()
    if (!this.#isBlocked && (this.#queue === undefined || this.#queue.size === 0)) {
      this.#push(encoded)
      return true
    }
    if (this.#queuedBytes + encoded.bytes.length > this.#options.maxQueueBytes) {
      this.#host.counters.dropped['queue-full']++
      return false
    }
    const queue = (this.#queue ??= this.#host.createQueue())
    const slots = (this.#slots ??= [])
    const freeSlots = (this.#freeSlots ??= [])
    const slot = freeSlots.length > 0 ? freeSlots.pop()! : slots.length
    if (!queue.push(slot, priority, this.#options.clock.now())) {
      if (slot < slots.length) freeSlots.push(slot)
      this.#host.counters.dropped['queue-full']++
      return false
    }
    slots[slot] = encoded
    this.#queuedBytes += encoded.bytes.length
    return true
  }

  penalize(reason: Misbehaviour, times = 1): void {
    if (!this.#isOpen) return
    const now = this.#options.clock.now()
    if (!this.#score.penalize(reason, now, times)) return
    this.#host.counters.penalties[reason]++
    const score = this.#score.value(now)
    if (score >= this.#options.scoreThreshold) return
    this.#host.ban(this)
    this.#close(reason === 'rate-limit' ? GoodbyeReason.RATE_LIMITED : GoodbyeReason.PROTOCOL_ERROR, `banned: score ${Math.floor(score)} fell below ${this.#options.scoreThreshold} (last: ${reason})`)
  }

  close(reason?: string): void {
    this.#close(GoodbyeReason.NORMAL, reason ?? 'closed locally')
  }

  /** Closes with a goodbye carrying `goodbye` (a GoodbyeReason), after what the coalescer holds and a redirect to `redirect`, if any. */
  closeWith(goodbye: number, reason: string, redirect: readonly PeerInfo[] = []): void {
    this.#close(goodbye, reason, redirect)
  }

  /** Takes one frame from the connection (the connection's message handler). */
  readonly receiveFrame = (frame: Uint8Array): void => {
    if (!this.#isOpen) return
    const counters = this.#host.counters
    const now = this.#options.clock.now()
    this.#lastFrameAt = now
    counters.framesIn++
    counters.bytesIn += frame.length
    // Charged before decoding, by the count the frame header claims: decoding is the cost a
    // flood of tiny messages imposes, so a peer cannot make this node decode more than its
    // own and relay budgets together, however it packs its frames. Not a penalty: the own
    // limit below charges what the peer itself sent.
    const claimed = claimedMessageCount(frame)
    // A count the wire refuses (0, or more than a frame may hold) is left to the decoder, which penalizes it.
    if (claimed > 0 && claimed <= MAX_MESSAGES_PER_FRAME && !this.#host.frameLimiter.tryTake(this.handle, now, claimed)) {
      counters.dropped['over-budget']++
      this.#pauseReading(now, claimed)
      return
    }
    let messages: DecodedMessage[]
    try {
      messages = decodeFrame(frame, { unknownTypes: 'return' })
    } catch (error) {
      if (!(error instanceof WireError)) throw error
      counters.dropped['invalid-frame']++
      this.penalize('invalid-frame')
      return
    }
    let rateLimited = 0
    let hasAnsweredPing = false
    for (const message of messages) {
      if (!this.#isOpen) return
      // A neighbour is charged for what it originates or asks for; what it relays for others
      // has a budget of its own, and going over it costs the neighbour nothing: an honest
      // relay cannot tell a flood from busy origins. Per-origin limits (relay, routing) stop
      // a flood at every hop, after its signature is checked.
      if (this.#isRelayed(message)) {
        if (!this.#host.relayLimiter.tryTake(this.handle, now)) {
          counters.dropped['relay-rate-limit']++
          continue
        }
      } else if (message.type !== 'goodbye' && message.type !== 'pong' && !this.#host.limiter.tryTake(this.handle, now)) {
        // Goodbyes and pongs are answers to us, not load the peer chose; they always pass.
        counters.dropped['rate-limit']++
        rateLimited++
        continue
      }
      counters.messagesIn++
      this.#messagesIn++
      switch (message.type) {
        case 'ping':
          this.send({ type: 'pong', requestId: message.requestId }, PRIORITY_CONTROL)
          hasAnsweredPing = true
          this.#onPeerPing()
          break
        case 'pong':
          this.#onPong()
          break
        case 'goodbye':
          this.#onGoodbye(message.reason)
          return
        case 'redirect':
          // One per session (it precedes a goodbye): a peer cannot keep refilling the address book.
          if (!this.#hasRedirected) this.#host.redirected(this, message.peers)
          this.#hasRedirected = true
          break
        case 'hello':
        case 'auth':
          counters.dropped['invalid-message']++
          this.penalize('invalid-message')
          break
        default:
          this.#lastUseAt = now
          this.#lastDeliveredAt = now
          this.#host.deliver(this, message)
      }
    }
    // A pong goes at once, not after the coalescer's delay: it answers a timer on the other side.
    if (hasAnsweredPing && this.#isOpen) this.#coalescer.flush()
    if (rateLimited > 0) this.penalize('rate-limit', 1 + rateLimited / this.#options.rateLimitPerPeer)
  }

  /** A message this peer passes on for another origin: a publish or direct message it did not sign, an ack it did not make. */
  #isRelayed(message: DecodedMessage): boolean {
    switch (message.type) {
      case 'publish':
      case 'direct':
      case 'meshSignal':
        return !bytesEqual(message.origin, this.peerId)
      case 'directAck':
        return !bytesEqual(message.target, this.peerId)
      default:
        return false
    }
  }

  #push(encoded: EncodedMessage): void {
    this.#coalescer.pushEncoded(encoded)
    this.#host.counters.messagesOut++
    this.#messagesOut++
  }

  // Moves queued messages into the coalescer, most urgent first, until the link pushes back.
  #pump(): void {
    const queue = this.#queue
    if (queue === undefined) return
    const slots = this.#slots!
    const freeSlots = this.#freeSlots!
    const now = this.#options.clock.now()
    while (this.#isOpen && !this.#isBlocked && queue.size > 0) {
      const slot = queue.pop(now)
      const encoded = slots[slot]!
      slots[slot] = undefined
      freeSlots.push(slot)
      this.#queuedBytes -= encoded.bytes.length
      this.#push(encoded)
    }
  }

  readonly #sendFrame = (frame: Uint8Array): void => {
    const connection = this.#connection
    if (!connection.isOpen) return
    const counters = this.#host.counters
    counters.framesOut++
    counters.bytesOut += frame.length
    let isBelowHighWater: boolean
    try {
      isBelowHighWater = connection.send(frame)
    } catch (error) {
      // Past the transport's hard buffer limit: the peer is not reading; the link is useless.
      this.#isBlocked = true
      this.#terminate(`the connection failed: ${error instanceof Error ? error.message : String(error)}`)
      connection.close('send failed')
      return
    }
    if (!isBelowHighWater) {
      this.#isBlocked = true
      this.#armSlowCutoff()
    }
  }

  readonly #onDrain = (): void => {
    this.#isBlocked = false
    this.#clearSlowCutoff()
    this.#pump()
  }

  #armSlowCutoff(): void {
    const timeoutMs = this.#options.slowPeerTimeoutMs
    if (timeoutMs === 0 || this.#slowTimer !== undefined) return
    this.#slowTimer = this.#options.clock.setTimeout(() => {
      this.#slowTimer = undefined
      if (!this.#isBlocked) return
      this.#host.counters.slowPeersCut++
      this.#close(GoodbyeReason.RATE_LIMITED, `slow consumer: the link stayed pushed back for ${timeoutMs} ms`)
    }, timeoutMs)
  }

  // Dropping a flood undecoded is cheap, but receiving it is not: over a WebSocket the bytes
  // are still read, unmasked and copied (584 MB of pings in 3 s from another process, enough to
  // hold an honest neighbour's latency at 47 ms). So where the link can stop reading, a peer
  // over its budget is not read until the budget has room for the frame it sent, and its
  // flood waits in its own buffers, held back by TCP.
  #pauseReading(now: number, claimed: number): void {
    const connection = this.#connection
    if (this.#readTimer !== undefined || connection.pauseReading === undefined || connection.resumeReading === undefined) return
    const missing = claimed - this.#host.frameLimiter.tokens(this.handle, now)
    const waitMs = Math.min(MAX_READ_PAUSE_MS, Math.max(1, Math.ceil((missing * 1_000) / this.#host.frameBudgetPerSec)))
    this.#host.counters.readPauses++
    connection.pauseReading()
    this.#readTimer = this.#options.clock.setTimeout(() => {
      this.#readTimer = undefined
      if (this.#isOpen && connection.isOpen) connection.resumeReading?.()
    }, waitMs)
  }

  #clearSlowCutoff(): void {
    if (this.#slowTimer !== undefined) this.#options.clock.clearTimeout(this.#slowTimer)
    this.#slowTimer = undefined
  }

  readonly #onConnectionClose = (info: CloseInfo): void => {
    if (!this.#isOpen) return
    this.#terminate(`the connection closed (${info.initiator}${info.reason === '' ? '' : `: ${info.reason}`})`)
  }

  #onGoodbye(reason: number): void {
    const name = Object.entries(GoodbyeReason).find(([, code]) => code === reason)?.[0] ?? 'NORMAL'
    this.#terminate(`the peer said goodbye (${name})`)
    this.#connection.close('goodbye received')
  }

  #close(goodbye: number, reason: string, redirect: readonly PeerInfo[] = []): void {
    if (!this.#isOpen) return
    const connection = this.#connection
    if (connection.isOpen) {
      this.#dropQueued()
      try {
        if (redirect.length > 0) this.#coalescer.push({ type: 'redirect', peers: redirect })
        this.#coalescer.push({ type: 'goodbye', reason: goodbye })
        this.#coalescer.close('flush')
      } finally {
        connection.close(reason)
      }
    }
    this.#terminate(reason)
  }

  // Releases everything the session holds; the connection is closed or closing.
  #terminate(reason: string): void {
    if (!this.#isOpen) return
    this.#isOpen = false
    this.#dropQueued()
    this.#coalescer.close('drop')
    if (this.#keepalive !== undefined) this.#options.clock.clearTimeout(this.#keepalive)
    this.#keepalive = undefined
    this.#clearSlowCutoff()
    if (this.#readTimer !== undefined) this.#options.clock.clearTimeout(this.#readTimer)
    this.#readTimer = undefined
    this.#queue?.free()
    this.#queue = undefined
    this.#host.limiter.forget(this.handle)
    this.#host.relayLimiter.forget(this.handle)
    this.#host.frameLimiter.forget(this.handle)
    this.#host.closed(this, reason)
  }

  #dropQueued(): void {
    const queue = this.#queue
    if (queue === undefined) return
    this.#host.counters.dropped.closed += queue.size
    queue.clear()
    this.#queuedBytes = 0
    this.#slots = []
    this.#freeSlots = []
  }

  // Keepalive: any frame from the peer proves the link; after a stretch of silence we ping, and
  // silence for the rest of keepaliveIntervalMs + keepaliveTimeoutMs closes the session. The
  // dialler pings after keepaliveIntervalMs and waits keepaliveTimeoutMs; the accepting side
  // waits half a timeout longer and gives its own ping the other half, and puts its ping off
  // whenever the dialler's arrives. So on an idle link only the dialler's timer fires, once an
  // interval, instead of three timers (both ticks and the pong deadline), with the same
  // guarantee on either side. One timer per session for every step (#isAwaitingPong tells
  // which), as a session is kept per peer.
  get #silenceBeforePingMs(): number {
    const { keepaliveIntervalMs, keepaliveTimeoutMs } = this.#options
    return this.direction === 'outbound' ? keepaliveIntervalMs : keepaliveIntervalMs + Math.floor(keepaliveTimeoutMs / 2)
  }

  get #pongWaitMs(): number {
    const { keepaliveTimeoutMs } = this.#options
    return this.direction === 'outbound' ? keepaliveTimeoutMs : keepaliveTimeoutMs - Math.floor(keepaliveTimeoutMs / 2)
  }

  #armKeepalive(delayMs: number): void {
    this.#keepalive = this.#options.clock.setTimeout(this.#onKeepaliveTimer, delayMs)
  }

  #rearmKeepalive(delayMs: number): void {
    if (this.#keepalive !== undefined) this.#options.clock.clearTimeout(this.#keepalive)
    this.#armKeepalive(delayMs)
  }

  // The next tick: when the silence allows a ping, or a transient session's idle time ends.
  #tickDelayMs(now: number): number {
    const pingDueAt = this.#lastFrameAt + this.#silenceBeforePingMs
    const transientEndsAt = this.#isTransient ? this.#lastUseAt + this.#options.transientIdleMs : Infinity
    // At least 1 ms, as a platform timer would: rounding of fractional times never re-arms for ~0 forever.
    return Math.max(1, Math.min(pingDueAt, transientEndsAt) - now)
  }

  // Only the accepting side puts its tick off: the dialler's tick also trims idle sessions and
  // ends transient ones, which a chatty peer's pings must not postpone.
  #onPeerPing(): void {
    if (this.direction !== 'inbound' || this.#isAwaitingPong) return
    this.#rearmKeepalive(this.#tickDelayMs(this.#options.clock.now()))
  }

  #onPong(): void {
    if (!this.#isAwaitingPong) return
    this.#isAwaitingPong = false
    this.#rearmKeepalive(this.#tickDelayMs(this.#options.clock.now()))
  }

  readonly #onKeepaliveTimer = (): void => {
    this.#keepalive = undefined
    if (!this.#isOpen) return
    if (this.#isAwaitingPong) this.#keepaliveDeadline()
    else this.#keepaliveTick()
  }

  #keepaliveTick(): void {
    const now = this.#options.clock.now()
    const { idleTimeoutMs } = this.#options
    // Only the side that dialled trims, and only down to targetPeers sessions it dialled: what
    // others dialled cannot count towards them, so a node keeps min(targetPeers, its own
    // dials) sessions however busy its peers are.
    if (idleTimeoutMs > 0 && this.direction === 'outbound' && now - this.#lastUseAt >= idleTimeoutMs && this.#host.isOverTarget()) {
      this.#close(GoodbyeReason.NORMAL, `idle for ${idleTimeoutMs} ms with more than targetPeers sessions open`)
      return
    }
    if (this.#isTransient && now >= this.#lastUseAt + this.#options.transientIdleMs) {
      this.#close(GoodbyeReason.NORMAL, `dialled for a request and idle for ${this.#options.transientIdleMs} ms`)
      return
    }
    if (now < this.#lastFrameAt + this.#silenceBeforePingMs) {
      this.#armKeepalive(this.#tickDelayMs(now))
      return
    }
    this.#pingSentAt = now
    this.send({ type: 'ping', requestId: this.#nextPingId }, PRIORITY_CONTROL)
    this.#coalescer.flush()
    this.#nextPingId = (this.#nextPingId % 0xffff_ffff) + 1
    this.#isAwaitingPong = true
    this.#armKeepalive(this.#pongWaitMs)
  }

  // No pong in time; any other frame since the ping proves the link as well.
  #keepaliveDeadline(): void {
    this.#isAwaitingPong = false
    const now = this.#options.clock.now()
    if (this.#lastFrameAt >= this.#pingSentAt) {
      this.#armKeepalive(this.#tickDelayMs(now))
      return
    }
    this.#close(GoodbyeReason.NORMAL, `keepalive: no answer to a ping within ${this.#pongWaitMs} ms`)
  }
}

export { toHex }
