import { describe, expect, it } from 'vitest'
import {
  EVICTION_PROTECTED_BY_BUCKET,
  EVICTION_PROTECTED_BY_PREFIX,
  EVICTION_PROTECTED_BY_TRAFFIC,
  inboundPerPrefix,
  inboundToEvict,
  protectedFromEviction,
  type EvictionCandidate,
} from '../../src/peers/inbound-eviction.js'

const LOCAL_ID = new Uint8Array(32)

interface Fake extends EvictionCandidate {
  readonly name: string
}

let nextKey = 0

/**
 * A session named `name` from `prefix`, connected at `connectedAt`, its peer id in XOR bucket
 * `bucket` of LOCAL_ID (the count of leading bits it shares with the all-zero id, 0 to 7).
 */
function session(name: string, prefix: string | undefined, connectedAt: number, options: { bucket?: number; deliveredAt?: number; score?: number; isRemoteTransient?: boolean; direction?: 'inbound' | 'outbound' } = {}): Fake {
  const peerId = new Uint8Array(32)
  peerId[0] = 0x80 >> (options.bucket ?? 0)
  const key = nextKey++
  peerId[31] = key & 0xff
  peerId[30] = key >> 8
  return {
    name,
    peerId,
    peerKey: Array.from(peerId, (byte) => byte.toString(16).padStart(2, '0')).join(''),
    direction: options.direction ?? 'inbound',
    connectedAt,
    prefix,
    lastDeliveredAt: options.deliveredAt ?? connectedAt,
    isRemoteTransient: options.isRemoteTransient ?? false,
    score: () => options.score ?? 100,
  }
}

/** `count` sessions from `prefix`, connected at `from`, `from + 1`, ... */
const crowd = (prefix: string, count: number, from: number) => Array.from({ length: count }, (_, i) => session(`${prefix}#${i}`, prefix, from + i))

/** Honest peers, each alone in its prefix, connected long before. */
const loners = (count: number) => Array.from({ length: count }, (_, i) => session(`honest-${i}`, `62.${i}`, i))

const evict = (sessions: Fake[], newcomerPrefix: string | undefined, prefixKey = 7) => inboundToEvict(sessions, { localId: LOCAL_ID, prefixKey, newcomerPrefix })?.name

describe('inboundToEvict: who goes', () => {
  it('the youngest unprotected session of the most crowded prefix goes for a newcomer from another prefix', () => {
    const sessions = [...loners(8), ...crowd('45.1', 6, 1_000), ...crowd('45.2', 4, 2_000)]
    expect(evict(sessions, '81.0')).toBe('45.1#5')
    // Once 45.1 is no fuller than 45.2, the tie goes to the prefix with the youngest candidate.
    const fewer = sessions.filter((s) => s.name !== '45.1#5' && s.name !== '45.1#4')
    expect(evict(fewer, '81.0')).toBe('45.2#3')
  })

  it('a peer alone in its prefix is never evicted this way: with only loners (an attacker with a prefix per identity), nobody goes', () => {
    expect(evict(loners(30), '81.0')).toBeUndefined()
    expect(evict(loners(30), undefined)).toBeUndefined()
  })

  it('a newcomer never pushes out a peer from a prefix no fuller than its own would be: colocated identities replace only each other', () => {
    const sessions = [...loners(8), ...crowd('45.1', 6, 1_000), ...crowd('45.2', 4, 2_000)]
    // From 45.1 (6, it would be 7): nobody is fuller.
    expect(evict(sessions, '45.1')).toBeUndefined()
    // From 45.2 (4, it would be 5): 45.1 holds 6.
    expect(evict(sessions, '45.2')).toBe('45.1#5')
    // From 45.2 with 5 already (it would be 6): 45.1's 6 is not more.
    expect(evict([...sessions, session('45.2#4', '45.2', 3_000)], '45.2')).toBeUndefined()
  })

  it('outbound sessions are never offered, however crowded their prefix', () => {
    const outbound = Array.from({ length: 10 }, (_, i) => session(`own-${i}`, '45.9', 5_000 + i, { direction: 'outbound' }))
    expect(evict([...loners(4), ...outbound], '81.0')).toBeUndefined()
    expect(inboundPerPrefix(outbound).size).toBe(0)
  })

  it('one-off sessions and those that lost half their score go first, youngest first, even alone in their prefix', () => {
    const sessions = [...loners(8), ...crowd('45.1', 6, 1_000)]
    sessions.push(session('penalized', '62.50', 50, { score: 40 }))
    expect(evict(sessions, '81.0')).toBe('penalized')
    sessions.push(session('one-off', '62.51', 60, { isRemoteTransient: true }))
    expect(evict(sessions, '81.0')).toBe('one-off')
    // A score that dipped a little (a rate slip) changes nothing.
    expect(evict([...loners(8), session('slipped', '62.52', 70, { score: 90 }), ...crowd('45.1', 6, 1_000)], '81.0')).toBe('45.1#5')
  })

  it('exempt sessions (loopback, private ranges) each count as a prefix of their own', () => {
    const local = Array.from({ length: 10 }, (_, i) => session(`local-${i}`, undefined, 100 + i))
    expect(evict(local, undefined)).toBeUndefined()
    expect(evict([...local, ...crowd('45.1', 3, 1_000)], undefined)).toBe('45.1#2')
  })
})

describe('protectedFromEviction: who is protected', () => {
  const context = { localId: LOCAL_ID, prefixKey: 7 }
  const names = (set: Set<Fake>) => [...set].map((s) => s.name).sort()

  it('the older half of what is left stays, so the peers that came before an attack outlast it', () => {
    // One prefix, one bucket: the prefix and bucket protections take the oldest; of the 11
    // others the older 5 stay too.
    const sessions = crowd('45.1', 12, 1_000)
    const kept = protectedFromEviction(sessions, context)
    expect(names(kept)).toEqual(['45.1#0', '45.1#1', '45.1#2', '45.1#3', '45.1#4', '45.1#5'])
    expect(evict(sessions, '81.0')).toBe('45.1#11')
  })

  it('the most recently useful sessions stay, at most EVICTION_PROTECTED_BY_TRAFFIC, however young', () => {
    const sessions = crowd('45.1', 20, 1_000)
    const chatty = sessions.slice(12).map((s, i) => ({ ...s, name: `chatty-${i}`, lastDeliveredAt: 5_000 + i }))
    const all = [...sessions.slice(0, 12), ...chatty]
    const kept = protectedFromEviction(all, context)
    expect(chatty.filter((s) => kept.has(s)).map((s) => s.name)).toEqual(['chatty-4', 'chatty-5', 'chatty-6', 'chatty-7'])
    expect(EVICTION_PROTECTED_BY_TRAFFIC).toBe(4)
    expect(evict(all, '81.0')).toBe('chatty-3')
  })

  it('the oldest of each XOR bucket no kept session covers stays, at most EVICTION_PROTECTED_BY_BUCKET of them', () => {
    const sessions = crowd('45.1', 10, 1_000)
    const rare = [1, 2, 3, 4, 5, 6].map((bucket) => session(`bucket-${bucket}`, '45.1', 2_000 + bucket, { bucket }))
    // An outbound session covers bucket 1 already.
    const own = session('own', '91.0', 0, { bucket: 1, direction: 'outbound' })
    const kept = protectedFromEviction([...sessions, ...rare, own], context)
    expect(rare.filter((s) => kept.has(s)).map((s) => s.name)).toEqual(['bucket-2', 'bucket-3', 'bucket-4', 'bucket-5'])
    expect(EVICTION_PROTECTED_BY_BUCKET).toBe(4)
    expect(kept.has(own)).toBe(false)
  })

  it('the oldest of EVICTION_PROTECTED_BY_PREFIX prefixes stays, which ones depending on a key the remote does not know', () => {
    // 16 loners in bucket 0, nobody talking: uptime keeps at most the older half of the rest,
    // so one of the 8 youngest is kept only when its prefix is one the key picks.
    const sessions = Array.from({ length: 16 }, (_, i) => session(`loner-${i}`, `62.${i}`, 1_000 + i))
    const youngest = sessions.slice(8)
    const picked = new Set<string>()
    for (const prefixKey of [1, 2, 3, 4]) {
      const kept = protectedFromEviction(sessions, { localId: LOCAL_ID, prefixKey })
      const young = youngest.filter((s) => kept.has(s))
      expect(young.length).toBeLessThanOrEqual(EVICTION_PROTECTED_BY_PREFIX)
      for (const s of young) picked.add(s.name)
    }
    // Four keys do not all pick the same prefixes.
    expect(picked.size).toBeGreaterThan(EVICTION_PROTECTED_BY_PREFIX)
  })

  it('one-off sessions are never protected', () => {
    const sessions = [session('one-off', '62.0', 0, { isRemoteTransient: true, bucket: 5, deliveredAt: 9_000 }), ...crowd('45.1', 3, 1_000)]
    expect(protectedFromEviction(sessions, context).has(sessions[0]!)).toBe(false)
  })
})
