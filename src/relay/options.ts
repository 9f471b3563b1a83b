// The relay's options, their defaults and why, validated once at the public boundary.

import type { Core } from '../core/contracts.js'
import type { PeerNetwork } from '../peers/session.js'
import { MAX_DATA_BYTES, MAX_PATH_ENTRIES } from '../wire/limits.js'
import { checkInteger } from '../util/validate.js'
import { RelayError } from './errors.js'

/** Checks an origin's signature; may answer synchronously (the simulator) or not (WebCrypto). */
export type SignatureVerifier = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean | Promise<boolean>

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
  /** DEFAULT verifySignature (WebCrypto, else noble). The simulator passes a synchronous one. */
  verify?: SignatureVerifier
}

/** The largest payload a publish can carry: the wire's data limit less the origin-key prefix. */
export const MAX_PAYLOAD_BYTES = MAX_DATA_BYTES

/**
 * Measured on 200-node random meshes (each node dials 3 or 5 others), all nodes subscribed,
 * 40 messages per cell (2 seeds x 20), 5% loss = each message on each link lost with p 0.05
 * (test/relay/fanout.test.ts, WASMESH_MEASURE=1). "copies" = publish messages a node receives
 * per message it delivers: the duplicate factor.
 *
 *   fanout | degree 6: delivered 0% / 5% loss, copies | degree 10: delivered 0% / 5% loss, copies
 *      2   |   78.08% /  64.45%   1.6                 |   74.74% /  65.84%   1.6
 *      3   |   98.34% /  97.50%   2.9                 |   97.22% /  96.32%   3.0
 *      4   |   99.66% /  99.43%   3.7                 |   99.47% /  99.05%   4.0
 *      5   |   99.87% /  99.85%   4.3                 |   99.92% /  99.85%   5.0
 *      6   |   99.99% /  99.91%   4.7                 |   99.99% /  99.99%   6.0
 *      8   |  100.00% /  99.99%   5.0                 |  100.00% / 100.00%   7.6
 *    all   |  100.00% / 100.00%   5.0                 |  100.00% / 100.00%   9.1
 *
 * 6 is the smallest fanout that delivers >= 99.9% at 5% loss on both meshes; 8 adds under
 * 0.1% for ~1.6 more copies per node at degree 10, and with a full pool of 100 peers
 * flooding would cost ~99 copies per node where fanout 6 costs ~6. Below the degree, a random
 * subset is probabilistic even without loss (a few misses in 10,000); closing that gap needs
 * a repair mechanism (gossip of recent ids, as gossipsub's IHAVE), not a larger fanout.
 */
export const DEFAULT_FANOUT = 6
export const DEFAULT_TTL = 8
export const DEFAULT_DEDUP_CAPACITY = 65_536
export const DEFAULT_DEDUP_TTL_MS = 120_000
export const DEFAULT_MAX_TOPICS_PER_PEER = 256
export const DEFAULT_MAX_SUBSCRIPTIONS = 1_024
export const DEFAULT_MAX_PENDING_VERIFICATIONS = 1_024

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
  readonly verify: SignatureVerifier | undefined
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
  }
}

/** Recent-path entries a publish carries: the wire's bound. */
export const PATH_WINDOW = MAX_PATH_ENTRIES
