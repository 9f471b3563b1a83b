import { describe, expect, it } from 'vitest'
import type { ManagedSession } from '../../src/peers/peer-session.js'
import { pruneOrder, PRUNE_COLOCATION_WEIGHT, type PruneContext } from '../../src/peers/prune-policy.js'

const LOCAL_ID = new Uint8Array(32)
let nextKey = 0

/** The parts of a session pruneOrder reads; every peer id sits in XOR bucket 0 of LOCAL_ID. */
function session(name: string, prefix: string | undefined, connectedAt: number): ManagedSession & { name: string } {
  const peerId = new Uint8Array(32)
  peerId[0] = 0x80
  peerId[31] = nextKey++
  return {
    name, peerId, prefix, connectedAt, direction: 'inbound', isTransient: false, isRemoteTransient: false, lastUseAt: connectedAt, score: () => 100,
  } as unknown as ManagedSession & { name: string }
}

const context = (nowMs: number): PruneContext => ({ localId: LOCAL_ID, nowMs, pruneGraceMs: 30_000, targetPeers: 8, advisors: [] })
const names = (sessions: ManagedSession[]) => sessions.map((s) => (s as ManagedSession & { name: string }).name)

describe('pruneOrder: colocated inbound sessions', () => {
  it('sessions sharing an address prefix go before older and younger peers alone in theirs (gossipsub colocation: weight x others^2)', () => {
    // The oldest of the bucket is never pruned: an anchor takes that place.
    const sessions = [session('anchor', '62.0', 0), session('old-loner', '62.1', 1_000), ...[0, 1, 2].map((i) => session(`45.1#${i}`, '45.1', 2_000 + i)), session('young-loner', '62.2', 60_000)]
    expect(PRUNE_COLOCATION_WEIGHT).toBe(1)
    expect(names(pruneOrder(sessions, context(100_000)))).toEqual(['45.1#2', '45.1#1', '45.1#0', 'young-loner', 'old-loner'])
  })

  it('colocated sessions get no grace period; peers alone in their prefix keep theirs', () => {
    const sessions = [session('anchor', '62.0', 0), session('fresh-loner', '62.1', 95_000), session('45.1#0', '45.1', 96_000), session('45.1#1', '45.1', 97_000)]
    expect(names(pruneOrder(sessions, context(100_000)))).toEqual(['45.1#1', '45.1#0'])
    // Exempt sessions (loopback, private ranges) are never colocated.
    const local = [session('anchor', undefined, 0), session('local-1', undefined, 96_000), session('local-2', undefined, 97_000)]
    expect(pruneOrder(local, context(100_000))).toEqual([])
  })
})
