// The relay's options, their defaults and why, validated once at the public boundary.

import type { Core } from '../core/contracts.js'
import { DEFAULT_MAX_RATE_LIMITED_ORIGINS, DEFAULT_ORIGIN_RATE_LIMIT } from '../peers/origin-limits.js'
import type { PeerNetwork } from '../peers/session.js'
import { MAX_DATA_BYTES, MAX_MESSAGE_REFS, MAX_PATH_ENTRIES } from '../wire/limits.js'
import { checkInteger } from '../util/validate.js'
import { DEFAULT_MAX_CLOCK_SKEW_MS, DEFAULT_MAX_MESSAGE_AGE_MS, MAX_TIMESTAMP_WINDOW_MS } from '../util/timestamp-window.js'
import { RelayError } from './errors.js'

import type { SignatureVerifier } from '../util/signature-verifier.js'

export type { SignatureVerifier }

export interface RelayOptions {
  /** The authenticated neighbourhood to relay over. Create the relay before peers connect. */
  network: PeerNetwork
  /** Where the dedup set comes from. DEFAULT loadCoreSync() (WASM where it compiles synchronously). */
  core?: Core
  /**
   * Most peers a node forwards one message to (chosen at random among the eligible ones).
   * 1 to 100. DEFAULT 6: see DEFAULT_FANOUT.
   */
  fanout?: number
  /** Hops a message may take from its origin, 1 to 255. DEFAULT 8. */
  defaultTtl?: number
  /** Largest application payload, 0 to MAX_PAYLOAD_BYTES. DEFAULT MAX_PAYLOAD_BYTES (1 MiB less the envelope). */
  maxMessageBytes?: number
  /** Message ids remembered for dedup, 1 to 16,777,215. DEFAULT 65,536 (~550 new messages/s over the TTL). */
  dedupCapacity?: number
  /** How long a message id is remembered, 1 to 2**31 - 1 ms. DEFAULT 120,000 (2 minutes). */
  dedupTtlMs?: number
  /** Topics remembered per neighbour, 1 to 65,536. DEFAULT 256 (one full subscribe message). */
  maxTopicsPerPeer?: number
  /** Topics this node may subscribe to, 1 to 65,536. DEFAULT 1,024. */
  maxSubscriptions?: number
  /** Signature checks in flight at once; beyond it messages are dropped ('overload'). 1 to 65,536. DEFAULT 1,024. */
  maxPendingVerifications?: number
  /**
   * Origins whose replay window (replay-window.ts) is kept, the least recently heard from
   * forgotten first; 1 to 1,000,000. DEFAULT 10,000: ~210 bytes each (a 1,024-seq bitmap, the
   * newest timestamp and a map entry), ~2 MB when full. An origin is forgotten safely once
   * its newest message is older than maxMessageAgeMs. One pushed out sooner (more than this
   * many origins heard within maxMessageAgeMs) raises a floor: publishes of origins not in the
   * table signed at or before it are refused ('forgotten-origin'), so a replay never gets
   * through, and honest origins pay for the flood instead (docs/SECURITY.md, attack 6).
   */
  maxReplayOrigins?: number
  /**
   * A publish whose signed timestamp is more than this before this node's clock is refused
   * ('stale'), whatever this node remembers: a captured message can be replayed only this
   * long. It must cover the time a message takes to arrive plus how far an origin's clock may
   * run behind this node's. 1,000 to 86,400,000 ms. DEFAULT 120,000 (2 minutes).
   */
  maxMessageAgeMs?: number
  /**
   * A publish whose signed timestamp is more than this after this node's clock is refused
   * ('future'): how far ahead an origin's clock may run. 0 to 86,400,000 ms. DEFAULT 30,000.
   */
  maxClockSkewMs?: number
  /**
   * Publishes a second one origin may have relayed through this node, 1 to 1,000,000; the
   * burst is the same. Charged to the origin once its signature verifies, never to the
   * neighbour that passed the message on; past it the message is dropped ('origin-rate-limit').
   * DEFAULT 100 (the analysis's per-peer rate, per origin).
   */
  originRateLimit?: number
  /** Origins whose rate is tracked at once, the least recently heard from forgotten first; 1 to 1,000,000. DEFAULT 4,096. */
  maxRateLimitedOrigins?: number
  /** DEFAULT verifySignature (WebCrypto, else noble). The simulator passes a synchronous one. */
  verify?: SignatureVerifier
  /**
   * Lazy-push repair (gossipsub's IHAVE/IWANT): subscribed neighbours a new message was not
   * pushed to are told its id, and fetch it if they missed it. DEFAULT true. With false this
   * node neither sends nor answers ihave and iwant, and caches nothing.
   */
  gossip?: boolean
  /** How often queued ids go out, one ihave per neighbour; 1 to 60,000 ms. DEFAULT 100: see DEFAULT_GOSSIP_INTERVAL_MS. */
  gossipIntervalMs?: number
  /** How long a forwarded message stays in the cache that answers iwant; 1 to 600,000 ms. DEFAULT 5,000. */
  messageCacheMs?: number
  /** Most messages in that cache, the oldest evicted first; 1 to 100,000. DEFAULT 1,000. */
  maxCachedMessages?: number
  /** Most payload bytes in that cache, the oldest evicted first; 1 to 2**30. DEFAULT 8 MiB. */
  maxCacheBytes?: number
  /** How long an id asked for with iwant is not asked for again; 1 to 60,000 ms. DEFAULT 500. */
  iwantTimeoutMs?: number
  /** Ids asked for and not yet answered, at most; beyond it new ids wait for a later ihave. 1 to 65,536. DEFAULT 4,096. */
  maxPendingWants?: number
  /** Most messages one iwant is answered with (and asked for); the rest are ignored. 1 to MAX_MESSAGE_REFS (256). DEFAULT 64. */
  maxServedPerIwant?: number
}

/** The largest payload a publish can carry: the wire's data limit less the origin-key prefix. */
export const MAX_PAYLOAD_BYTES = MAX_DATA_BYTES

/**
 * Measured on 200-node random meshes (each node dials 3 or 5 others), all nodes subscribed,
 * 40 messages per cell (2 seeds x 20), 5% loss = each message on each link lost with p 0.05,
 * ihave/iwant repair on (test/relay/fanout.test.ts, WASMESH_MEASURE=1). "copies" = publish
 * messages a node receives per message it delivers (iwant answers included); "ihave" = ihave
 * messages (of one id each here) a node sends per message; "rep" = deliveries owed to repair.
 *
 *   fanout | degree 6: delivered 0% / 5% loss, copies, ihave, rep | degree 10: same
 *      1   |  100.00% /  99.91%   1.5   3.7   55%  |  100.00% /  99.99%   1.6   7.6   58%
 *      2   |   99.99% /  99.65%   1.9   2.5   20%  |  100.00% / 100.00%   2.0   6.0   22%
 *      3   |  100.00% /  99.97%   3.0   2.0   2.0% |  100.00% / 100.00%   3.0   5.9   2.8%
 *      4   |  100.00% / 100.00%   3.8   1.3   0.4% |  100.00% / 100.00%   4.0   4.9   0.5%
 *      6   |  100.00% /  99.99%   4.7   0.4   0.01%|  100.00% / 100.00%   6.0   3.0   0.03%
 *      8   |  100.00% / 100.00%   5.0   0.1   0    |  100.00% / 100.00%   7.6   1.4   0
 *    all   |  100.00% / 100.00%   5.0   0     0    |  100.00% / 100.00%   9.1   0     0
 *
 * Without repair, 6 was the smallest fanout delivering >= 99.9% at 5% loss on both meshes
 * (99.91% / 99.99%), and a random subset below the degree missed a few deliveries in 10,000
 * even without loss. Repair now closes that gap at any fanout, but a repaired message
 * arrives a gossip interval and a round trip late per repaired hop (at fanout 1-2, most
 * deliveries): 6 keeps repair the exception (0.01-0.05% of deliveries) and latency at
 * pushed speed, for ~6 copies per node where flooding a full pool of 100 peers costs ~99.
 * The misses left at fanout 1-3 are messages whose TTL ran out: nothing is offered past it.
 */
export const DEFAULT_FANOUT = 6
export const DEFAULT_TTL = 8
export const DEFAULT_DEDUP_CAPACITY = 65_536
export const DEFAULT_DEDUP_TTL_MS = 120_000
export const DEFAULT_MAX_TOPICS_PER_PEER = 256
export const DEFAULT_MAX_SUBSCRIPTIONS = 1_024
export const DEFAULT_MAX_PENDING_VERIFICATIONS = 1_024
export const DEFAULT_MAX_REPLAY_ORIGINS = 10_000
/**
 * An ihave waits up to this long for company, so one carries every id of the interval: at
 * the default fanout most neighbours got the message pushed within a few link latencies, and
 * a later ihave finds it in their dedup set and costs them no iwant. gossipsub's heartbeat is
 * 1 s; repair here is the only way a subset-forwarded message reaches a missed subscriber,
 * so it runs ten times as often.
 */
export const DEFAULT_GOSSIP_INTERVAL_MS = 100
/** Long past the last ihave of a message (TTL hops of latency plus one interval). */
export const DEFAULT_MESSAGE_CACHE_MS = 5_000
export const DEFAULT_MAX_CACHED_MESSAGES = 1_000
export const DEFAULT_MAX_CACHE_BYTES = 8 * 1_048_576
/** A few round trips: an unanswered iwant (lost, or the holder's cache evicted it) is asked again of the next neighbour that offers the id. */
export const DEFAULT_IWANT_TIMEOUT_MS = 500
export const DEFAULT_MAX_PENDING_WANTS = 4_096
export const DEFAULT_MAX_SERVED_PER_IWANT = 64

export interface ResolvedRelayOptions {
  readonly network: PeerNetwork
  readonly core: Core | undefined
  readonly fanout: number
  readonly defaultTtl: number
  readonly maxMessageBytes: number
  readonly dedupCapacity: number
  readonly dedupTtlMs: number
  readonly maxTopicsPerPeer: number
  readonly maxSubscriptions: number
  readonly maxPendingVerifications: number
  readonly maxReplayOrigins: number
  readonly maxMessageAgeMs: number
  readonly maxClockSkewMs: number
  readonly originRateLimit: number
  readonly maxRateLimitedOrigins: number
  readonly verify: SignatureVerifier | undefined
  readonly gossip: boolean
  readonly gossipIntervalMs: number
  readonly messageCacheMs: number
  readonly maxCachedMessages: number
  readonly maxCacheBytes: number
  readonly iwantTimeoutMs: number
  readonly maxPendingWants: number
  readonly maxServedPerIwant: number
}

const invalidOption = (message: string) => new RelayError('RELAY_INVALID_OPTION', message)

export function resolveRelayOptions(options: RelayOptions): ResolvedRelayOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption(`Relay options must be an object, got ${String(options)}`)
  const { network, core, verify } = options
  if (typeof network !== 'object' || network === null || typeof network.on !== 'function' || typeof network.peers !== 'function') {
    throw invalidOption('network must be a PeerNetwork (an object with peers(), on() and identity)')
  }
  if (core !== undefined && (typeof core !== 'object' || core === null || typeof core.createDedupSet !== 'function')) {
    throw invalidOption('core must be a Core from loadCore() or loadCoreSync()')
  }
  if (verify !== undefined && typeof verify !== 'function') throw invalidOption(`verify must be a function, got ${typeof verify}`)
  const gossip = options.gossip ?? true
  if (typeof gossip !== 'boolean') throw invalidOption(`gossip must be a boolean, got ${typeof gossip}`)
  const pick = (name: keyof RelayOptions, fallback: number, min: number, max: number): number =>
    options[name] === undefined ? fallback : checkInteger(name, options[name], min, max, invalidOption)
  return {
    network,
    core,
    verify,
    fanout: pick('fanout', DEFAULT_FANOUT, 1, 100),
    defaultTtl: pick('defaultTtl', DEFAULT_TTL, 1, 255),
    maxMessageBytes: pick('maxMessageBytes', MAX_PAYLOAD_BYTES, 0, MAX_PAYLOAD_BYTES),
    dedupCapacity: pick('dedupCapacity', DEFAULT_DEDUP_CAPACITY, 1, 16_777_215),
    dedupTtlMs: pick('dedupTtlMs', DEFAULT_DEDUP_TTL_MS, 1, 2 ** 31 - 1),
    maxTopicsPerPeer: pick('maxTopicsPerPeer', DEFAULT_MAX_TOPICS_PER_PEER, 1, 65_536),
    maxSubscriptions: pick('maxSubscriptions', DEFAULT_MAX_SUBSCRIPTIONS, 1, 65_536),
    maxPendingVerifications: pick('maxPendingVerifications', DEFAULT_MAX_PENDING_VERIFICATIONS, 1, 65_536),
    maxReplayOrigins: pick('maxReplayOrigins', DEFAULT_MAX_REPLAY_ORIGINS, 1, 1_000_000),
    maxMessageAgeMs: pick('maxMessageAgeMs', DEFAULT_MAX_MESSAGE_AGE_MS, 1_000, MAX_TIMESTAMP_WINDOW_MS),
    maxClockSkewMs: pick('maxClockSkewMs', DEFAULT_MAX_CLOCK_SKEW_MS, 0, MAX_TIMESTAMP_WINDOW_MS),
    originRateLimit: pick('originRateLimit', DEFAULT_ORIGIN_RATE_LIMIT, 1, 1_000_000),
    maxRateLimitedOrigins: pick('maxRateLimitedOrigins', DEFAULT_MAX_RATE_LIMITED_ORIGINS, 1, 1_000_000),
    gossip,
    gossipIntervalMs: pick('gossipIntervalMs', DEFAULT_GOSSIP_INTERVAL_MS, 1, 60_000),
    messageCacheMs: pick('messageCacheMs', DEFAULT_MESSAGE_CACHE_MS, 1, 600_000),
    maxCachedMessages: pick('maxCachedMessages', DEFAULT_MAX_CACHED_MESSAGES, 1, 100_000),
    maxCacheBytes: pick('maxCacheBytes', DEFAULT_MAX_CACHE_BYTES, 1, 2 ** 30),
    iwantTimeoutMs: pick('iwantTimeoutMs', DEFAULT_IWANT_TIMEOUT_MS, 1, 60_000),
    maxPendingWants: pick('maxPendingWants', DEFAULT_MAX_PENDING_WANTS, 1, 65_536),
    maxServedPerIwant: pick('maxServedPerIwant', DEFAULT_MAX_SERVED_PER_IWANT, 1, MAX_MESSAGE_REFS),
  }
}

/** Recent-path entries a publish carries: the wire's bound. */
export const PATH_WINDOW = MAX_PATH_ENTRIES
