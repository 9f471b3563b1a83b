// The connection manager's options: every default named and documented here, every value
// checked once, at construction, with an error that says what was expected.

import type { Core } from '../core/contracts.js'
import type { Transport } from '../transport/transport.js'
import type { Clock } from '../util/clock.js'
import type { RandomSource } from '../util/random.js'
import type { SignatureVerifier } from '../util/signature-verifier.js'
import { checkInteger, checkNumber, describeValue } from '../util/validate.js'
import { PeerError } from './errors.js'
import { MAX_CAPABILITIES, MAX_CAPABILITY_LENGTH, MAX_VERSION, readStrings } from './handshake-transcript.js'
import { Identity } from './identity.js'

export const DEFAULT_MAX_PEERS = 100
export const DEFAULT_PROTOCOL_VERSION = 1
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
/** Re-dials after the first failed one (so 4 attempts in all). */
export const DEFAULT_MAX_RETRIES = 3
/** The first re-dial waits this long, each later one twice the one before. */
export const DEFAULT_RETRY_BASE_MS = 5_000
/** Each backoff delay is scaled by a factor drawn from [1 - jitter, 1 + jitter), so peers that failed together do not retry together. */
export const DEFAULT_RETRY_JITTER = 0.2
export const DEFAULT_RATE_LIMIT_PER_PEER = 100
/**
 * Messages a second a neighbour may relay for other origins (publishes and direct messages it
 * did not sign). Past it they are dropped, and the neighbour is not penalized: each origin has
 * its own limit at every hop (relay and routing), so this bounds only how much of many origins'
 * traffic one link carries.
 */
export const DEFAULT_RELAY_RATE_LIMIT_PER_PEER = 1_000
export const DEFAULT_QUEUE_CAPACITY = 10_000
/** Payload bytes one session's outgoing queue may hold: four of the largest messages. */
export const DEFAULT_MAX_QUEUE_BYTES = 4 * 1_048_576
/**
 * A peer that keeps its link pushed back (it does not read) this long is disconnected: its
 * queue would only grow, and what waits in it is late for everyone anyway.
 */
export const DEFAULT_SLOW_PEER_TIMEOUT_MS = 30_000
/** A queued message that has waited this long is sent ahead of newer higher-priority ones. */
export const DEFAULT_QUEUE_AGING_MS = 1_000
/** Scores start at 100 (see score.ts); below this the peer is disconnected and banned. */
export const DEFAULT_SCORE_THRESHOLD = 0
export const DEFAULT_BAN_MS = 600_000
/** A session idle this long is pinged. */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 15_000
/** A ping not answered this long closes the session: the link is dead. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 10_000
/** Coalesced messages wait at most this long for company before their frame goes out. */
export const DEFAULT_FLUSH_DELAY_MS = 2
/**
 * Sessions this node dialled that it keeps however idle. Above it, a dialled session that
 * carried no message but keepalives for idleTimeoutMs is closed: DHT lookups dial whoever
 * they ask, and without trimming every node drifts to maxPeers sessions. The DHT keeps the
 * contacts and dials again when needed. Inbound sessions are left to the side that dialled them.
 */
export const DEFAULT_TARGET_PEERS = 8
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000
/**
 * Watermarks, as libp2p's connection manager has them: above the high one the manager prunes
 * down to the low one, keeping the peers that are useful (see ConnectionManager's prune). The
 * slots from the high watermark to maxPeers are reserved for inbound newcomers: this node's
 * own dials never take them. Defaults: 90% and 80% of maxPeers (90 and 80 of 100).
 */
export const DEFAULT_HIGH_WATERMARK_SHARE = 0.9
export const DEFAULT_LOW_WATERMARK_SHARE = 0.8
/**
 * A session dialled only for a request (a DHT lookup asks whoever it finds) is closed once it
 * has carried nothing for this long, whatever targetPeers says: lookups would otherwise leave
 * the nodes near popular keys full of one-off sessions.
 */
export const DEFAULT_TRANSIENT_IDLE_MS = 10_000
/** A session younger than this is never pruned: a newcomer gets time to join through it. */
export const DEFAULT_PRUNE_GRACE_MS = 30_000
/**
 * Inbound connections whose handshake is under way, apart from sessions (pending-handshakes.ts).
 * Past it a newcomer pushes out the oldest connection that has sent no hello yet.
 */
export const DEFAULT_MAX_PENDING_HANDSHAKES = 32
/** Of those, from one source (a host, an IPv6 /64; loopback is exempt: see address-source.ts). */
export const DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE = 4
/**
 * Inbound sessions one address prefix (an IPv4 /16, an IPv6 /32; loopback and private ranges
 * exempt: address-source.ts) may hold, as a share of maxPeers (at least 2): identities cost
 * nothing to make, hosts in one network little more, so a few networks cannot fill a node.
 * Default 10% (10 of 100).
 */
export const DEFAULT_INBOUND_SHARE_PER_PREFIX = 0.1
/** An inbound connection that sends no hello this long after it opened is closed. */
export const DEFAULT_HELLO_TIMEOUT_MS = 2_000
/** Bans remembered at once; the oldest is forgotten first. */
export const MAX_BANS = 10_000

export interface ConnectionManagerOptions {
  identity: Identity
  transport: Transport
  /** Required: the manager never falls back to the platform's timers (systemClock in production). */
  clock: Clock
  random: RandomSource
  /** Most open sessions, 1 to 10,000. Default 100. */
  maxPeers?: number
  /** Dialled sessions kept however idle, 0 to maxPeers; idle dialled ones above it are closed. A node (MeshNode) with fewer sessions dials more. Default 8 (or maxPeers, if less). */
  targetPeers?: number
  /** Above this many sessions the least useful are pruned down to lowWatermark; this node's own dials stop here (the rest is for inbound newcomers). targetPeers to maxPeers. Default 90% of maxPeers. */
  highWatermark?: number
  /** Where pruning stops, targetPeers to highWatermark. Default 80% of maxPeers. */
  lowWatermark?: number
  /** Sessions younger than this are never pruned, 0 to 1 day. Default 30,000 ms. */
  pruneGraceMs?: number
  /** A session dialled with `isTransient` (for one request) is closed after this long without messages, 1 ms to 1 day. Default 10,000 ms. */
  transientIdleMs?: number
  /** A session this node dialled, idle this long (keepalives aside) while above targetPeers, is closed; 0 never closes one. Default 60,000 ms. Checked at keepalive ticks. */
  idleTimeoutMs?: number
  /** The newest protocol version spoken (u16). Default 1. */
  protocolVersion?: number
  /** The oldest protocol version still spoken (<= protocolVersion). Default 1. */
  minVersion?: number
  /** Offered in the hello: at most 16 names of 1-32 printable ASCII characters. Default none. */
  capabilities?: string[]
  /** From the first hello to the result, per attempt. Default 10,000 ms. */
  handshakeTimeoutMs?: number
  /** Inbound connections with a handshake under way, 1 to 10,000; past it the oldest one without a hello is closed for the newcomer. Default 32. */
  maxPendingHandshakes?: number
  /** Of those, from one host (an IPv6 /64), 1 to maxPendingHandshakes; loopback is exempt. Default 4. */
  maxPendingHandshakesPerSource?: number
  /** An inbound connection that sends no hello within this is closed, 1 ms to 1 day. Default 2,000 ms. */
  helloTimeoutMs?: number
  /** Inbound sessions from one address prefix (IPv4 /16, IPv6 /32; loopback and private ranges exempt), 1 to maxPeers; more from it are refused at their hello. Default 10% of maxPeers, at least 2 (10 of 100). */
  maxInboundPerPrefix?: number
  /** Re-dials after a failed dial, 0 to 16. Default 3. */
  maxRetries?: number
  /** Delay before the first re-dial, doubling after each. Default 5,000 ms. */
  retryBaseMs?: number
  /** Relative jitter of each backoff delay, 0 to 1. Default 0.2. */
  retryJitter?: number
  /** Incoming messages a second per peer that it originates or asks for (the burst is the same); going over is penalized. Default 100. */
  rateLimitPerPeer?: number
  /** Incoming messages a second per peer that it relays for other origins, 1 to 1e9; going over drops them without penalty. Default 1,000. */
  relayRateLimitPerPeer?: number
  /** Outgoing messages queued per peer, 1 to 1,000,000. Default 10,000. */
  queueCapacity?: number
  /** Payload bytes queued per peer, 64 KiB to 1 GiB; past it messages are dropped ('queue-full'). Default 4 MiB. */
  maxQueueBytes?: number
  /** A peer whose link stays pushed back (it does not read) this long is disconnected; 0 never. 0 to 1 day. Default 30,000 ms. */
  slowPeerTimeoutMs?: number
  /** Aging period of the outgoing priority queue. Default 1,000 ms. */
  queueAgingMs?: number
  /** A score below this disconnects and bans the peer; -1,000 to 99. Default 0. */
  scoreThreshold?: number
  /** How long a banned peer is refused. Default 600,000 ms (10 minutes). */
  banMs?: number
  /**
   * Silence (no frame from the peer) after which the side that dialled pings; the side that
   * accepted waits half a keepaliveTimeoutMs longer, so on an idle link the dialler's pings
   * arrive first and only one side's timer runs. Default 15,000 ms.
   */
  keepaliveIntervalMs?: number
  /** A session silent for keepaliveIntervalMs + keepaliveTimeoutMs is closed, on either side. Default 10,000 ms. */
  keepaliveTimeoutMs?: number
  /** Default 2 ms. */
  flushDelayMs?: number
  /** The core structures' factory. Default loadCoreSync() (WebAssembly where it loads synchronously). */
  core?: Core
  /** Checks the remote's signature in every handshake. Default verifySignature (WebCrypto Ed25519, else noble); a MeshNode passes its own `verify`. */
  verify?: SignatureVerifier
}

export interface ResolvedOptions {
  readonly identity: Identity
  readonly transport: Transport
  readonly clock: Clock
  readonly random: RandomSource
  readonly maxPeers: number
  readonly targetPeers: number
  readonly highWatermark: number
  readonly lowWatermark: number
  readonly pruneGraceMs: number
  readonly transientIdleMs: number
  readonly idleTimeoutMs: number
  readonly protocolVersion: number
  readonly minVersion: number
  readonly capabilities: string[]
  readonly handshakeTimeoutMs: number
  readonly maxPendingHandshakes: number
  readonly maxPendingHandshakesPerSource: number
  readonly helloTimeoutMs: number
  readonly maxInboundPerPrefix: number
  readonly maxRetries: number
  readonly retryBaseMs: number
  readonly retryJitter: number
  readonly rateLimitPerPeer: number
  readonly relayRateLimitPerPeer: number
  readonly queueCapacity: number
  readonly maxQueueBytes: number
  readonly slowPeerTimeoutMs: number
  readonly queueAgingMs: number
  readonly scoreThreshold: number
  readonly banMs: number
  readonly keepaliveIntervalMs: number
  readonly keepaliveTimeoutMs: number
  readonly flushDelayMs: number
  readonly core: Core | undefined
  readonly verify: SignatureVerifier | undefined
}

const invalid = (message: string) => new PeerError('PEER_INVALID_OPTION', message)
const DAY_MS = 86_400_000

export function resolveOptions(options: ConnectionManagerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalid(`ConnectionManager options must be an object, got ${describeValue(options)}`)
  if (!(options.identity instanceof Identity)) throw invalid('identity must be an Identity')
  const transport = options.transport
  if (typeof transport?.listen !== 'function' || typeof transport.dial !== 'function' || typeof transport.close !== 'function') {
    throw invalid('transport must be a Transport (listen, dial, close)')
  }
  const clock = options.clock
  if (typeof clock?.now !== 'function' || typeof clock.setTimeout !== 'function' || typeof clock.clearTimeout !== 'function') {
    throw invalid('clock must be a Clock (now, setTimeout, clearTimeout)')
  }
  const random = options.random
  if (typeof random?.nextFloat !== 'function' || typeof random.fill !== 'function') throw invalid('random must be a RandomSource')
  const protocolVersion = checkInteger('protocolVersion', options.protocolVersion ?? DEFAULT_PROTOCOL_VERSION, 0, MAX_VERSION, invalid)
  const minVersion = checkInteger('minVersion', options.minVersion ?? Math.min(1, protocolVersion), 0, protocolVersion, invalid)
  const capabilities = readStrings('capabilities', options.capabilities ?? [], MAX_CAPABILITIES, MAX_CAPABILITY_LENGTH)
  if (typeof capabilities === 'string') throw invalid(capabilities)
  const keepaliveIntervalMs = checkInteger('keepaliveIntervalMs', options.keepaliveIntervalMs ?? DEFAULT_KEEPALIVE_INTERVAL_MS, 1, DAY_MS, invalid)
  const keepaliveTimeoutMs = checkInteger('keepaliveTimeoutMs', options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS, 1, DAY_MS, invalid)
  const core = options.core
  if (core !== undefined && (typeof core.createPriorityQueue !== 'function' || typeof core.createRateLimiter !== 'function')) {
    throw invalid('core must be a Core from loadCore()')
  }
  const verify = options.verify
  if (verify !== undefined && typeof verify !== 'function') throw invalid(`verify must be a function, got ${describeValue(verify)}`)
  const maxPeers = checkInteger('maxPeers', options.maxPeers ?? DEFAULT_MAX_PEERS, 1, 10_000, invalid)
  const targetPeers = checkInteger('targetPeers', options.targetPeers ?? Math.min(DEFAULT_TARGET_PEERS, maxPeers), 0, maxPeers, invalid)
  const highWatermark = checkInteger('highWatermark', options.highWatermark ?? Math.max(targetPeers, Math.floor(maxPeers * DEFAULT_HIGH_WATERMARK_SHARE)), targetPeers, maxPeers, invalid)
  const maxPendingHandshakes = checkInteger('maxPendingHandshakes', options.maxPendingHandshakes ?? DEFAULT_MAX_PENDING_HANDSHAKES, 1, 10_000, invalid)
  const maxPendingHandshakesPerSource = checkInteger(
    'maxPendingHandshakesPerSource', options.maxPendingHandshakesPerSource ?? Math.min(DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE, maxPendingHandshakes), 1, maxPendingHandshakes, invalid,
  )
  const lowWatermark = checkInteger('lowWatermark', options.lowWatermark ?? Math.max(targetPeers, Math.min(highWatermark, Math.floor(maxPeers * DEFAULT_LOW_WATERMARK_SHARE))), targetPeers, highWatermark, invalid)
  return {
    identity: options.identity,
    transport,
    clock,
    random,
    maxPeers,
    targetPeers,
    highWatermark,
    lowWatermark,
    pruneGraceMs: checkInteger('pruneGraceMs', options.pruneGraceMs ?? DEFAULT_PRUNE_GRACE_MS, 0, DAY_MS, invalid),
    transientIdleMs: checkInteger('transientIdleMs', options.transientIdleMs ?? DEFAULT_TRANSIENT_IDLE_MS, 1, DAY_MS, invalid),
    idleTimeoutMs: checkInteger('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, 0, DAY_MS, invalid),
    protocolVersion,
    minVersion,
    capabilities,
    handshakeTimeoutMs: checkInteger('handshakeTimeoutMs', options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS, 1, DAY_MS, invalid),
    maxPendingHandshakes,
    maxPendingHandshakesPerSource,
    helloTimeoutMs: checkInteger('helloTimeoutMs', options.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS, 1, DAY_MS, invalid),
    maxInboundPerPrefix: checkInteger(
      'maxInboundPerPrefix', options.maxInboundPerPrefix ?? Math.min(maxPeers, Math.max(2, Math.round(maxPeers * DEFAULT_INBOUND_SHARE_PER_PREFIX))), 1, maxPeers, invalid,
    ),
    maxRetries: checkInteger('maxRetries', options.maxRetries ?? DEFAULT_MAX_RETRIES, 0, 16, invalid),
    retryBaseMs: checkInteger('retryBaseMs', options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS, 0, DAY_MS, invalid),
    retryJitter: checkNumber('retryJitter', options.retryJitter ?? DEFAULT_RETRY_JITTER, 0, 1, invalid),
    rateLimitPerPeer: checkNumber('rateLimitPerPeer', options.rateLimitPerPeer ?? DEFAULT_RATE_LIMIT_PER_PEER, 1, 1e9, invalid),
    relayRateLimitPerPeer: checkNumber('relayRateLimitPerPeer', options.relayRateLimitPerPeer ?? DEFAULT_RELAY_RATE_LIMIT_PER_PEER, 1, 1e9, invalid),
    queueCapacity: checkInteger('queueCapacity', options.queueCapacity ?? DEFAULT_QUEUE_CAPACITY, 1, 1_000_000, invalid),
    maxQueueBytes: checkInteger('maxQueueBytes', options.maxQueueBytes ?? DEFAULT_MAX_QUEUE_BYTES, 65_536, 2 ** 30, invalid),
    slowPeerTimeoutMs: checkInteger('slowPeerTimeoutMs', options.slowPeerTimeoutMs ?? DEFAULT_SLOW_PEER_TIMEOUT_MS, 0, DAY_MS, invalid),
    queueAgingMs: checkInteger('queueAgingMs', options.queueAgingMs ?? DEFAULT_QUEUE_AGING_MS, 0, DAY_MS, invalid),
    scoreThreshold: checkNumber('scoreThreshold', options.scoreThreshold ?? DEFAULT_SCORE_THRESHOLD, -1_000, 99, invalid),
    banMs: checkInteger('banMs', options.banMs ?? DEFAULT_BAN_MS, 0, 365 * DAY_MS, invalid),
    keepaliveIntervalMs,
    keepaliveTimeoutMs,
    flushDelayMs: checkInteger('flushDelayMs', options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS, 0, 1_000, invalid),
    core,
    verify,
  }
}
