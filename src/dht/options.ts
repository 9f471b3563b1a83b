// The Dht's options: each a named default, validated once at the constructor.

import type { Core } from '../core/contracts.js'
import type { PeerNetwork } from '../peers/session.js'
import { checkInteger } from '../util/validate.js'
import { DEFAULT_MAX_CLOCK_SKEW_MS, MAX_TIMESTAMP_WINDOW_MS } from '../util/timestamp-window.js'
import { MAX_PEERS_PER_REPLY } from '../wire/limits.js'
import { DhtError } from './errors.js'
import type { VerifyFn } from './records.js'

export interface DhtOptions {
  /** The authenticated neighbourhood the DHT talks through. */
  network: PeerNetwork
  /** The core whose RoutingTable holds the contacts. Default: loadCoreSync(). */
  core?: Core
  /** Bucket size, lookup width and replication factor, 1 to 20. Default 20. */
  k?: number
  /** Parallel requests of a lookup, 1 to 16. Default 3. */
  alpha?: number
  /** A request (connect included) unanswered this long fails, 1 to 600,000 ms. Default 5,000. */
  requestTimeoutMs?: number
  /** Bytes of records this node holds for others, 1 KiB to 2**31. Default 10 MB. */
  quotaBytes?: number
  /** Bytes one storing peer may take of the quota; at most quotaBytes. Default quotaBytes / 10. */
  perPeerShareBytes?: number
  /**
   * Bytes all storing peers of one address prefix (an IPv4 /16, an IPv6 /32; loopback and
   * private ranges exempt, each peer a prefix of its own) may take of the quota, 1 to
   * quotaBytes. Default quotaBytes / 5.
   */
  perPrefixShareBytes?: number
  /**
   * Bytes of the records this node put itself that it keeps (to republish them and answer its
   * own gets), 1 KiB to 2**31; a put past it rejects with DHT_QUOTA_EXCEEDED. Default 10 MB.
   */
  maxPublishedBytes?: number
  /** Lifetime of records this node puts, 1 ms to 2**32 - 1. Default 24 h. */
  recordTtlMs?: number
  /** Longest lifetime granted to a record stored here, whatever it asks. Default 48 h. */
  maxRecordTtlMs?: number
  /**
   * How often this node re-stores the records it put, 1 ms to 2**31 - 1. Default 1 h. A record
   * stored here that nobody re-stores within 1.5 x republishMs goes, whatever its ttl.
   */
  republishMs?: number
  /** A bucket with no lookup in this long is refreshed by looking up a random id in it. Default 15 min. */
  refreshMs?: number
  /** How often expired records are swept. Default 60 s. */
  sweepMs?: number
  /**
   * How far ahead of this node's clock a mutable record's signed time may be, stored or read
   * (a record expires at its signed time plus its ttl, by its owner's word); 0 to 86,400,000 ms.
   * Default 30,000.
   */
  maxClockSkewMs?: number
  /** Signature check for mutable records. Default verifySignature (WebCrypto, else noble). */
  verify?: VerifyFn
}

export interface ResolvedDhtOptions {
  readonly k: number
  readonly alpha: number
  readonly requestTimeoutMs: number
  readonly quotaBytes: number
  readonly perPeerShareBytes: number
  readonly perPrefixShareBytes: number
  readonly maxPublishedBytes: number
  readonly recordTtlMs: number
  readonly maxRecordTtlMs: number
  readonly republishMs: number
  readonly refreshMs: number
  readonly sweepMs: number
  readonly maxClockSkewMs: number
}

export const DHT_DEFAULTS = Object.freeze({
  k: 20,
  alpha: 3,
  requestTimeoutMs: 5_000,
  quotaBytes: 10_000_000,
  maxPublishedBytes: 10_000_000,
  recordTtlMs: 24 * 3_600_000,
  maxRecordTtlMs: 48 * 3_600_000,
  republishMs: 3_600_000,
  refreshMs: 15 * 60_000,
  sweepMs: 60_000,
  maxClockSkewMs: DEFAULT_MAX_CLOCK_SKEW_MS,
})

const MAX_TIMER_MS = 2 ** 31 - 1
const MAX_TTL_MS = 0xffff_ffff
const invalid = (message: string) => new DhtError('DHT_INVALID_OPTION', message)

export function resolveDhtOptions(options: DhtOptions): ResolvedDhtOptions {
  if (typeof options !== 'object' || options === null) throw invalid(`Dht options must be an object, got ${String(options)}`)
  const { network } = options
  if (typeof network !== 'object' || network === null || typeof network.on !== 'function' || typeof network.connect !== 'function') {
    throw invalid('network must be a PeerNetwork (peers(), peer(), connect(), on())')
  }
  const int = (name: keyof typeof DHT_DEFAULTS, min: number, max: number, fallback?: number): number => {
    const value = options[name]
    return value === undefined ? (fallback ?? DHT_DEFAULTS[name]) : checkInteger(name, value, min, max, invalid)
  }
  const quotaBytes = int('quotaBytes', 1_024, 2 ** 31)
  const perPeerShareBytes =
    options.perPeerShareBytes === undefined ? Math.floor(quotaBytes / 10) : checkInteger('perPeerShareBytes', options.perPeerShareBytes, 1, quotaBytes, invalid)
  const perPrefixShareBytes =
    options.perPrefixShareBytes === undefined ? Math.floor(quotaBytes / 5) : checkInteger('perPrefixShareBytes', options.perPrefixShareBytes, 1, quotaBytes, invalid)
  if (options.verify !== undefined && typeof options.verify !== 'function') throw invalid('verify must be a function (publicKey, message, signature) => Promise<boolean>')
  return {
    k: int('k', 1, MAX_PEERS_PER_REPLY),
    alpha: int('alpha', 1, 16),
    requestTimeoutMs: int('requestTimeoutMs', 1, 600_000),
    quotaBytes,
    perPeerShareBytes,
    perPrefixShareBytes,
    maxPublishedBytes: int('maxPublishedBytes', 1_024, 2 ** 31),
    recordTtlMs: int('recordTtlMs', 1, MAX_TTL_MS),
    maxRecordTtlMs: int('maxRecordTtlMs', 1, MAX_TTL_MS),
    republishMs: int('republishMs', 1, MAX_TIMER_MS),
    refreshMs: int('refreshMs', 1, MAX_TIMER_MS),
    sweepMs: int('sweepMs', 1, MAX_TIMER_MS),
    maxClockSkewMs: int('maxClockSkewMs', 0, MAX_TIMESTAMP_WINDOW_MS),
  }
}
