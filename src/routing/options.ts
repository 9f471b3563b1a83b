// The router's options, their defaults and why, validated once at the public boundary.

import type { Core } from '../core/contracts.js'
import { DEFAULT_MAX_RATE_LIMITED_ORIGINS, DEFAULT_ORIGIN_RATE_LIMIT } from '../peers/origin-limits.js'
import type { PeerNetwork } from '../peers/session.js'
import { MAX_DATA_BYTES } from '../wire/limits.js'
import { checkInteger } from '../util/validate.js'
import { DEFAULT_MAX_CLOCK_SKEW_MS, DEFAULT_MAX_MESSAGE_AGE_MS, MAX_TIMESTAMP_WINDOW_MS } from '../util/timestamp-window.js'
import { RoutingError } from './errors.js'
import { MAX_ATTEMPTS } from './message-id.js'

import type { SignatureVerifier } from '../util/signature-verifier.js'

export type { SignatureVerifier }

/**
 * Ids of known peers closest to `target` by XOR, nearest first, at most `count`: the DHT's
 * local routing table (`dht.localClosest`), plugged in by the node. Routing sits below the
 * DHT and does not import it. Ids without an open session are skipped.
 */
export type ClosestPeers = (target: Uint8Array, count: number) => readonly Uint8Array[]

export interface RouterOptions {
  /** The authenticated neighbourhood to route over. Create the router before peers connect. */
  network: PeerNetwork
  /** Where next hops come from. DEFAULT every open session (greedy over the neighbourhood only). */
  closestPeers?: ClosestPeers
  /** Ids asked of closestPeers per forwarding decision, 1 to 100. DEFAULT 20 (Kademlia's k). */
  candidates?: number
  /** Where the dedup set comes from. DEFAULT loadCoreSync(). */
  core?: Core
  /** DEFAULT verifySignature (WebCrypto, else noble). The simulator passes a synchronous one. */
  verify?: SignatureVerifier
  /** How long one attempt waits for its ack, 1 to 600,000 ms. DEFAULT 5,000. */
  ackTimeoutMs?: number
  /** Attempts after the first, 0 to 127. DEFAULT 3 (DESIGN.md's maxRetries). */
  maxRetries?: number
  /** Wait before retry i (1-based) is retryBaseMs * 2**(i - 1); 0 to 600,000 ms. DEFAULT 1,000. */
  retryBaseMs?: number
  /**
   * Attempts sent directly or along the DHT-greedy path before the router floods, 1 to 128.
   * DEFAULT 1: the first retry already floods (with floodTtl), since a greedy path that lost
   * one message has most likely lost its route. An attempt floods at once, whatever this
   * says, when the origin itself has no connected peer closer to the target.
   */
  greedyAttempts?: number
  /** TTL of flooded messages and most a relay lets a flooded message keep, 1 to 255. DEFAULT 3. */
  floodTtl?: number
  /** TTL of greedy messages and most a relay lets one keep, 1 to 255. DEFAULT 16 (log2 of 65,536 nodes). */
  maxTtl?: number
  /** Largest application payload, 0 to MAX_DATA_BYTES. DEFAULT MAX_DATA_BYTES (1 MiB less 1 KiB). */
  maxMessageBytes?: number
  /** Sends waiting for their ack at once, 1 to 65,536. DEFAULT 1,024. */
  maxPendingSends?: number
  /** Signature checks in flight at once; beyond it messages are dropped ('overload'). 1 to 65,536. DEFAULT 1,024. */
  maxPendingVerifications?: number
  /**
   * Direct messages a second one origin may have routed through or to this node, 1 to
   * 1,000,000; the burst is the same. Charged to the origin once its signature verifies,
   * never to the neighbour that passed the message on; past it the message is dropped
   * ('origin-rate-limit'). DEFAULT 100.
   */
  originRateLimit?: number
  /** Origins whose rate is tracked at once, the least recently heard from forgotten first; 1 to 1,000,000. DEFAULT 4,096. */
  maxRateLimitedOrigins?: number
  /** Message ids remembered for dedup, 1 to 16,777,215. DEFAULT 65,536. */
  dedupCapacity?: number
  /**
   * How long an id is remembered for forwarding, 1 to 2**31 - 1 ms. DEFAULT 120,000. (Which
   * sends were delivered is remembered apart, for maxMessageAgeMs: maxDeliveredSends.)
   */
  dedupTtlMs?: number
  /**
   * A direct message whose signed timestamp is more than this before this node's clock is
   * refused at every hop ('stale'): a captured message can be replayed only this long. It must
   * cover the time one attempt takes to arrive plus how far an origin's clock may run behind
   * this node's (each attempt is signed afresh). 1,000 to 86,400,000 ms. DEFAULT 120,000.
   */
  maxMessageAgeMs?: number
  /** One whose timestamp is more than this after this node's clock is refused ('future'). 0 to 86,400,000 ms. DEFAULT 30,000. */
  maxClockSkewMs?: number
  /**
   * Sends delivered to this node that it remembers until their newest attempt is older than
   * maxMessageAgeMs, so none is delivered twice; 1 to 1,000,000. DEFAULT 16,384 (~100 bytes
   * each): more than 100 sends a second delivered here for 2 minutes. Past it, the oldest is
   * pushed out and raises a floor: a send not remembered and signed at or before it is
   * refused unacked ('forgotten-send'), and its origin's next attempt (signed later) gets in.
   */
  maxDeliveredSends?: number
}

export const DEFAULT_CANDIDATES = 20
export const DEFAULT_ACK_TIMEOUT_MS = 5_000
export const DEFAULT_MAX_RETRIES = 3
export const DEFAULT_RETRY_BASE_MS = 1_000
export const DEFAULT_GREEDY_ATTEMPTS = 1
export const DEFAULT_FLOOD_TTL = 3
export const DEFAULT_MAX_TTL = 16
export const DEFAULT_MAX_PENDING_SENDS = 1_024
export const DEFAULT_MAX_PENDING_VERIFICATIONS = 1_024
export const DEFAULT_DEDUP_CAPACITY = 65_536
export const DEFAULT_DEDUP_TTL_MS = 120_000
export const DEFAULT_MAX_DELIVERED_SENDS = 16_384

export interface ResolvedRouterOptions {
  readonly network: PeerNetwork
  readonly closestPeers: ClosestPeers | undefined
  readonly candidates: number
  readonly core: Core | undefined
  readonly verify: SignatureVerifier | undefined
  readonly ackTimeoutMs: number
  readonly maxRetries: number
  readonly retryBaseMs: number
  readonly greedyAttempts: number
  readonly floodTtl: number
  readonly maxTtl: number
  readonly maxMessageBytes: number
  readonly maxPendingSends: number
  readonly maxPendingVerifications: number
  readonly originRateLimit: number
  readonly maxRateLimitedOrigins: number
  readonly dedupCapacity: number
  readonly dedupTtlMs: number
  readonly maxMessageAgeMs: number
  readonly maxClockSkewMs: number
  readonly maxDeliveredSends: number
}

const invalidOption = (message: string) => new RoutingError('ROUTING_INVALID_OPTION', message)

export function resolveRouterOptions(options: RouterOptions): ResolvedRouterOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption(`Router options must be an object, got ${String(options)}`)
  const { network, core, verify, closestPeers } = options
  if (typeof network !== 'object' || network === null || typeof network.on !== 'function' || typeof network.peers !== 'function') {
    throw invalidOption('network must be a PeerNetwork (an object with peers(), peer(), on() and identity)')
  }
  if (core !== undefined && (typeof core !== 'object' || core === null || typeof core.createDedupSet !== 'function')) {
    throw invalidOption('core must be a Core from loadCore() or loadCoreSync()')
  }
  if (verify !== undefined && typeof verify !== 'function') throw invalidOption(`verify must be a function, got ${typeof verify}`)
  if (closestPeers !== undefined && typeof closestPeers !== 'function') {
    throw invalidOption(`closestPeers must be a function (target, count) => peer ids, got ${typeof closestPeers}`)
  }
  const pick = (name: keyof RouterOptions, fallback: number, min: number, max: number): number =>
    options[name] === undefined ? fallback : checkInteger(name, options[name], min, max, invalidOption)
  return {
    network,
    core,
    verify,
    closestPeers,
    candidates: pick('candidates', DEFAULT_CANDIDATES, 1, 100),
    ackTimeoutMs: pick('ackTimeoutMs', DEFAULT_ACK_TIMEOUT_MS, 1, 600_000),
    maxRetries: pick('maxRetries', DEFAULT_MAX_RETRIES, 0, MAX_ATTEMPTS - 1),
    retryBaseMs: pick('retryBaseMs', DEFAULT_RETRY_BASE_MS, 0, 600_000),
    greedyAttempts: pick('greedyAttempts', DEFAULT_GREEDY_ATTEMPTS, 1, MAX_ATTEMPTS),
    floodTtl: pick('floodTtl', DEFAULT_FLOOD_TTL, 1, 255),
    maxTtl: pick('maxTtl', DEFAULT_MAX_TTL, 1, 255),
    maxMessageBytes: pick('maxMessageBytes', MAX_DATA_BYTES, 0, MAX_DATA_BYTES),
    maxPendingSends: pick('maxPendingSends', DEFAULT_MAX_PENDING_SENDS, 1, 65_536),
    maxPendingVerifications: pick('maxPendingVerifications', DEFAULT_MAX_PENDING_VERIFICATIONS, 1, 65_536),
    originRateLimit: pick('originRateLimit', DEFAULT_ORIGIN_RATE_LIMIT, 1, 1_000_000),
    maxRateLimitedOrigins: pick('maxRateLimitedOrigins', DEFAULT_MAX_RATE_LIMITED_ORIGINS, 1, 1_000_000),
    dedupCapacity: pick('dedupCapacity', DEFAULT_DEDUP_CAPACITY, 1, 16_777_215),
    dedupTtlMs: pick('dedupTtlMs', DEFAULT_DEDUP_TTL_MS, 1, 2 ** 31 - 1),
    maxMessageAgeMs: pick('maxMessageAgeMs', DEFAULT_MAX_MESSAGE_AGE_MS, 1_000, MAX_TIMESTAMP_WINDOW_MS),
    maxClockSkewMs: pick('maxClockSkewMs', DEFAULT_MAX_CLOCK_SKEW_MS, 0, MAX_TIMESTAMP_WINDOW_MS),
    maxDeliveredSends: pick('maxDeliveredSends', DEFAULT_MAX_DELIVERED_SENDS, 1, 1_000_000),
  }
}

/**
 * The longest a send can stay pending on virtual time before it rejects with
 * ROUTING_UNREACHABLE: every attempt's ack timeout plus every backoff,
 * (maxRetries + 1) * ackTimeoutMs + retryBaseMs * (2**maxRetries - 1). Signing each attempt
 * adds its own (wall) time on top. With the defaults: 4 * 5,000 + 1,000 * 7 = 27,000 ms.
 */
export function sendBoundMs(options: Pick<ResolvedRouterOptions, 'maxRetries' | 'ackTimeoutMs' | 'retryBaseMs'>): number {
  return (options.maxRetries + 1) * options.ackTimeoutMs + options.retryBaseMs * (2 ** options.maxRetries - 1)
}
