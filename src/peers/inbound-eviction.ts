// Which inbound session a full node lets go so that an authenticated newcomer gets in, and
// when the newcomer is refused instead: Bitcoin Core's inbound eviction (SelectNodeToEvict),
// adapted. A few sessions are protected by each of several traits that are hard to fake all
// at once (a secret-keyed choice of prefixes, DHT bucket coverage, recent useful traffic, and
// uptime for half of the rest), and the one to go comes from the address prefix holding the
// most inbound sessions, the youngest of it. So identities that cost nothing to make, from a
// few prefixes, can push out only each other: a newcomer from another prefix always finds one
// of them to replace, and honest peers alone in their prefix are never the ones to go.
//
// The limit: an attacker with a prefix for every identity looks like as many honest peers.
// Eviction then frees nothing for anyone, and newcomers wait for the grace period of the
// sessions ahead of them (pruning by value, prune-policy.ts).

import { mix32 } from '../util/random.js'
import { commonPrefixBits } from '../util/xor-distance.js'
import { INITIAL_SCORE } from './score.js'

/** Sessions kept, each from a different prefix chosen by a keyed hash the attacker cannot predict. */
export const EVICTION_PROTECTED_BY_PREFIX = 4
/** Sessions kept for DHT coverage: the oldest of each XOR-distance bucket, at most this many (the oldest first). */
export const EVICTION_PROTECTED_BY_BUCKET = 4
/** Sessions kept that most recently sent a message an upper layer took (pings aside). */
export const EVICTION_PROTECTED_BY_TRAFFIC = 4
/** A session whose score fell this low (it lost half its standing lately) goes before any other. */
export const EVICTION_PREFERRED_BELOW_SCORE = INITIAL_SCORE / 2

/** What the choice looks at in a session (ManagedSession has it all). */
export interface EvictionCandidate {
  readonly peerId: Uint8Array
  readonly peerKey: string
  readonly direction: 'inbound' | 'outbound'
  readonly connectedAt: number
  /** prefixOf() of its remote address; undefined when exempt (loopback, private ranges): a prefix of its own. */
  readonly prefix: string | undefined
  /** When it last sent a message an upper layer took; connectedAt when none yet. */
  readonly lastDeliveredAt: number
  /** The dialler said its session is for a request only (a DHT lookup step). */
  readonly isRemoteTransient: boolean
  score(): number
}

export interface EvictionContext {
  readonly localId: Uint8Array
  /** A per-node secret (32 bits) keying the choice of protected prefixes. */
  readonly prefixKey: number
  /** prefixOf() of the newcomer's remote address. */
  readonly newcomerPrefix: string | undefined
}

/** Inbound sessions per prefix (exempt ones not counted: each is a prefix of its own). */
export function inboundPerPrefix(sessions: Iterable<EvictionCandidate>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const session of sessions) {
    if (session.direction === 'inbound' && session.prefix !== undefined) counts.set(session.prefix, (counts.get(session.prefix) ?? 0) + 1)
  }
  return counts
}

/**
 * The inbound session to close for a newcomer from `context.newcomerPrefix`, or undefined when
 * the newcomer should be refused. Outbound sessions are never offered (this node's own choices).
 * In order:
 *   1. one-off sessions (remote transient) and those with a score below
 *      EVICTION_PREFERRED_BELOW_SCORE go first, the youngest first;
 *   2. otherwise protected: EVICTION_PROTECTED_BY_PREFIX sessions (the oldest of each prefix
 *      with the highest keyed hash), EVICTION_PROTECTED_BY_BUCKET (the oldest of each XOR
 *      bucket), EVICTION_PROTECTED_BY_TRAFFIC (the most recently useful), then the older half
 *      of the rest;
 *   3. of the rest, the youngest session of the prefix holding the most inbound sessions (all of
 *      them counted, protected or not; ties: the prefix whose candidate is youngest), but only
 *      if that prefix holds more than the newcomer's would with it: a newcomer never pushes out
 *      a peer from a prefix no fuller than its own, so colocated identities replace only each
 *      other, and a peer alone in its prefix is never evicted this way.
 */
export function inboundToEvict<S extends EvictionCandidate>(sessions: Iterable<S>, context: EvictionContext): S | undefined {
  const all = [...sessions]
  const inbound = youngestInboundFirst(all)
  const preferred = inbound.find((session) => session.isRemoteTransient || session.score() < EVICTION_PREFERRED_BELOW_SCORE)
  if (preferred !== undefined) return preferred
  const kept = protectedFromEviction(all, context)
  const candidates = inbound.filter((session) => !kept.has(session))

  const counts = inboundPerPrefix(all)
  const newcomerCount = context.newcomerPrefix === undefined ? 1 : (counts.get(context.newcomerPrefix) ?? 0) + 1
  let chosen: S | undefined
  let chosenCount = newcomerCount
  // Candidates are youngest first, so the first of each prefix met is its youngest, and a tie
  // keeps the prefix met first: the one with the youngest candidate.
  for (const session of candidates) {
    const count = session.prefix === undefined ? 1 : (counts.get(session.prefix) ?? 1)
    if (count > chosenCount) {
      chosen = session
      chosenCount = count
    }
  }
  return chosen
}

/**
 * The inbound sessions step 2 of inboundToEvict keeps, whoever the newcomer: by keyed prefix,
 * by bucket, by recent useful traffic, then the older half of the rest.
 */
export function protectedFromEviction<S extends EvictionCandidate>(sessions: Iterable<S>, context: Omit<EvictionContext, 'newcomerPrefix'>): Set<S> {
  const all = [...sessions]
  const inbound = youngestInboundFirst(all)
  const kept = new Set<S>()
  for (const session of protectByPrefix(inbound, context.prefixKey)) kept.add(session)
  for (const session of protectByBucket(inbound, all, context.localId, kept)) kept.add(session)
  const byTraffic = inbound
    .filter((session) => !kept.has(session) && !session.isRemoteTransient && session.lastDeliveredAt > session.connectedAt)
    .sort((a, b) => b.lastDeliveredAt - a.lastDeliveredAt)
  for (const session of byTraffic.slice(0, EVICTION_PROTECTED_BY_TRAFFIC)) kept.add(session)
  // The older half of the rest stays: it replicates what a node without eviction keeps, and
  // defeats attacks that start after the honest peers came (Bitcoin Core's reasoning).
  const rest = inbound.filter((session) => !kept.has(session) && !session.isRemoteTransient)
  for (const session of rest.slice(rest.length - Math.floor(rest.length / 2))) kept.add(session)
  return kept
}

/** Inbound sessions, youngest first (ties by peer key): the order every choice here breaks ties in. */
function youngestInboundFirst<S extends EvictionCandidate>(all: readonly S[]): S[] {
  return all.filter((session) => session.direction === 'inbound').sort((a, b) => b.connectedAt - a.connectedAt || compareKeys(a.peerKey, b.peerKey))
}

/** The oldest session of each of the EVICTION_PROTECTED_BY_PREFIX prefixes with the highest keyed hash. */
function protectByPrefix<S extends EvictionCandidate>(youngestFirst: readonly S[], prefixKey: number): S[] {
  const oldestOf = new Map<string, S>()
  for (const session of youngestFirst) {
    if (session.isRemoteTransient) continue
    // An exempt session is a prefix of its own.
    oldestOf.set(session.prefix ?? `peer:${session.peerKey}`, session)
  }
  return [...oldestOf]
    .map(([prefix, session]) => ({ session, hash: keyedHash(prefix, prefixKey) }))
    .sort((a, b) => b.hash - a.hash)
    .slice(0, EVICTION_PROTECTED_BY_PREFIX)
    .map((entry) => entry.session)
}

/**
 * The oldest session of each XOR bucket that no kept session covers yet (this node's own dials
 * stay, and so do the sessions protected already), the oldest EVICTION_PROTECTED_BY_BUCKET of those.
 */
function protectByBucket<S extends EvictionCandidate>(youngestFirst: readonly S[], all: readonly S[], localId: Uint8Array, already: ReadonlySet<S>): S[] {
  const covered = new Set<number>()
  for (const session of all) if (session.direction === 'outbound' || already.has(session)) covered.add(commonPrefixBits(localId, session.peerId))
  const oldestOf = new Map<number, S>()
  for (const session of youngestFirst) {
    if (session.isRemoteTransient || already.has(session)) continue
    const bucket = commonPrefixBits(localId, session.peerId)
    if (!covered.has(bucket)) oldestOf.set(bucket, session)
  }
  return [...oldestOf.values()].sort((a, b) => a.connectedAt - b.connectedAt).slice(0, EVICTION_PROTECTED_BY_BUCKET)
}

/**
 * FNV-1a over the prefix under a 32-bit key, then a bijective mixer. Not a cryptographic PRF:
 * it only has to keep a remote from choosing prefixes that win protection, and nothing it
 * computes is ever sent.
 */
function keyedHash(text: string, key: number): number {
  let hash = (0x811c9dc5 ^ key) >>> 0
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return mix32(hash)
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
