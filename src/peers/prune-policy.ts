// Which sessions a node lets go when it has too many, and whom it offers instead: the
// connection manager's pruning and redirect policy, as pure functions over its sessions (the
// numbers are documented in README.md, "Connections").

import { sample, type RandomSource } from '../util/random.js'
import { commonPrefixBits, compareDistance } from '../util/xor-distance.js'
import { MAX_ADDRESSES_PER_PEER } from '../wire/limits.js'
import type { PeerInfo } from '../wire/messages.js'
import { inboundPerPrefix } from './inbound-eviction.js'
import type { ManagedSession } from './peer-session.js'
import type { PeerSession } from './session.js'

/**
 * How much an upper layer wants to keep a session (the relay: topics shared; the node may add
 * more). Summed over advisors; pruning closes the sessions with the lowest sums first.
 */
export type RetentionAdvisor = (session: PeerSession) => number

/** Peers a redirect offers: this many closest to the newcomer's id, and as many more at random. */
export const REDIRECT_CLOSEST_PEERS = 10
export const REDIRECT_RANDOM_PEERS = 10
/** An inbound session its dialler marked transient may be pruned once idle this long, grace period or not. */
export const TRANSIENT_PRUNE_IDLE_MS = 1_000
/** Per bucket of XOR distance, this many of the oldest sessions are never pruned (DHT coverage). */
export const PRUNE_PROTECTED_PER_BUCKET = 1
/**
 * An inbound session loses this much value times the square of how many other inbound sessions
 * its address prefix holds (gossipsub v1.1's IP colocation factor, with a threshold of 1): many
 * identities from one network are pruned before peers alone in theirs.
 */
export const PRUNE_COLOCATION_WEIGHT = 1
/** Age adds to a session's value up to 1, reached at this age. */
const FULL_AGE_MS = 600_000

export interface PruneContext {
  readonly localId: Uint8Array
  readonly nowMs: number
  readonly pruneGraceMs: number
  readonly targetPeers: number
  readonly advisors: Iterable<RetentionAdvisor>
  /**
   * Also offer the one-off sessions still busy with their request (most idle first): the last
   * resort when this node cannot otherwise make room for its own dial or an authenticated
   * newcomer. Their dialler's request fails at once and its lookup moves on.
   */
  readonly isMakingRoom?: boolean
  /**
   * Room for one of this node's own dials while it has fewer than targetPeers of them: its
   * slots are reserved, so inbound sessions are offered even within their grace period (a
   * flood of fresh inbound connections must not lock the node out of its own choices).
   */
  readonly isReservedDial?: boolean
}

/**
 * Who a refused or pruned peer may dial instead: the sessions closest to its id (they know
 * its neighbourhood of the DHT) and as many at random (so newcomers spread over the mesh).
 */
export function redirectSample(sessions: Iterable<ManagedSession>, forId: Uint8Array, exceptKey: string, random: RandomSource): PeerInfo[] {
  const others: ManagedSession[] = []
  for (const session of sessions) {
    if (session.isOpen && session.peerKey !== exceptKey && session.listenAddresses.length > 0) others.push(session)
  }
  others.sort((a, b) => compareDistance(forId, a.peerId, b.peerId))
  const chosen = others.slice(0, REDIRECT_CLOSEST_PEERS)
  chosen.push(...sample(others.slice(REDIRECT_CLOSEST_PEERS), REDIRECT_RANDOM_PEERS, random))
  return chosen.map((session) => ({ id: session.peerId, addresses: session.listenAddresses.slice(0, MAX_ADDRESSES_PER_PEER) }))
}

/**
 * The sessions pruning may close, the first to go first. Never pruned: sessions younger than
 * pruneGraceMs (unless inbound and sharing their address prefix with another inbound session),
 * this node's own oldest dials up to targetPeers, and the oldest
 * PRUNE_PROTECTED_PER_BUCKET sessions of each XOR-distance bucket (the DHT's coverage of the
 * id space). Inbound sessions whose dialler marked them transient go first once idle, grace
 * or not. The rest go lowest value first: what the retention advisors say, plus score / 100,
 * plus age up to 1 at 10 minutes (long-lived peers are the likeliest to stay: Kademlia, 2.2),
 * minus, for an inbound session, PRUNE_COLOCATION_WEIGHT x (the other inbound sessions of its
 * address prefix)^2.
 */
export function pruneOrder(all: Iterable<ManagedSession>, context: PruneContext): ManagedSession[] {
  const { nowMs, pruneGraceMs, targetPeers } = context
  const sessions = [...all].sort((a, b) => a.connectedAt - b.connectedAt)
  const kept = new Set<ManagedSession>()
  let ownLinks = 0
  const perBucket = new Map<number, number>()
  for (const session of sessions) {
    if (session.isRemoteTransient) continue // a one-off request of the dialler's: covers nothing
    if (session.direction === 'outbound' && !session.isTransient && ownLinks < targetPeers) {
      ownLinks++
      kept.add(session)
    }
    const bucket = commonPrefixBits(context.localId, session.peerId)
    const inBucket = perBucket.get(bucket) ?? 0
    if (inBucket < PRUNE_PROTECTED_PER_BUCKET) kept.add(session)
    perBucket.set(bucket, inBucket + 1)
  }
  const perPrefix = inboundPerPrefix(sessions)
  const candidates: { session: ManagedSession; value: number }[] = []
  for (const session of sessions) {
    if (kept.has(session)) continue
    const idleMs = nowMs - session.lastUseAt
    const isOneOffPrunable = session.isRemoteTransient && (idleMs >= TRANSIENT_PRUNE_IDLE_MS || context.isMakingRoom === true)
    // Colocated identities get no grace: a flood of fresh ones from a few networks must not
    // shield itself while older peers are pruned in its place.
    const isColocated = session.direction === 'inbound' && session.prefix !== undefined && (perPrefix.get(session.prefix) ?? 0) > 1
    const isGraceWaived = (context.isReservedDial === true && session.direction === 'inbound') || isColocated
    if (!isOneOffPrunable && !isGraceWaived && nowMs - session.connectedAt < pruneGraceMs) continue
    // One-off sessions first, the most idle of them first.
    const oneOff = session.isRemoteTransient ? 2 + Math.min(1, idleMs / 10_000) : 0
    let value = session.score() / 100 + Math.min(1, (nowMs - session.connectedAt) / FULL_AGE_MS) - oneOff
    for (const advisor of context.advisors) value += advisor(session)
    if (session.direction === 'inbound' && session.prefix !== undefined) value -= PRUNE_COLOCATION_WEIGHT * ((perPrefix.get(session.prefix) ?? 1) - 1) ** 2
    candidates.push({ session, value })
  }
  candidates.sort((a, b) => a.value - b.value || b.session.connectedAt - a.session.connectedAt)
  return candidates.map((candidate) => candidate.session)
}
