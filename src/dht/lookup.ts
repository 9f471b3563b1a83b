// The iterative Kademlia lookup (FIND_NODE and FIND_VALUE): keep a shortlist ordered by XOR
// distance to the target, keep up to alpha requests in flight to the nearest peers not yet
// asked, and stop when the k nearest that did not fail have all answered. Each peer carries
// the hop at which it was learned (seeds are hop 1), so the lookup reports how many hops
// away its result was.

import type { DhtRecord, PeerInfo } from '../wire/messages.js'
import { compareDistance, toHex } from './ids.js'

export interface LookupPeer {
  readonly id: Uint8Array
  readonly key: string
  readonly addresses: readonly string[]
  /** 1 for a seed from the routing table, parent's hop + 1 for a peer learned from a reply. */
  readonly hop: number
}

export interface LookupReply {
  readonly peers: readonly PeerInfo[]
  readonly record?: DhtRecord
}

export interface LookupParams {
  readonly target: Uint8Array
  readonly localId: Uint8Array
  readonly k: number
  readonly alpha: number
  readonly seeds: readonly { readonly id: Uint8Array; readonly addresses: readonly string[] }[]
  /** Asks one peer; rejects when it fails (timeout, unreachable). */
  query(peer: LookupPeer): Promise<LookupReply>
  /** Value lookups: judges a record a peer returned; true ends the lookup at once. */
  onRecord?(record: DhtRecord, from: LookupPeer): Promise<boolean>
  /** Checked before each new request: an error ends the lookup with it. */
  shouldAbort(): Error | undefined
  /** Ends the lookup at once, rejecting with the signal's reason (an AbortError by default). */
  readonly signal?: AbortSignal
}

export interface LookupResult {
  /** The k nearest peers that answered, nearest first. */
  readonly closest: readonly LookupPeer[]
  /** Hop of the nearest peer that answered (or of the peer that returned the value that ended it); 0 when none answered. */
  readonly hops: number
  /** Requests sent, and how many of them failed. */
  readonly queried: number
  readonly failed: number
  /** True when onRecord ended the lookup early. */
  readonly isEndedByValue: boolean
}

type State = 'new' | 'pending' | 'done' | 'failed'
interface Candidate {
  readonly peer: LookupPeer
  state: State
}

/** Runs one lookup to completion; rejects only with shouldAbort()'s error or the signal's reason. */
export function iterativeLookup(params: LookupParams): Promise<LookupResult> {
  const { target, localId, k, alpha } = params
  const localKey = toHex(localId)
  const shortlist: Candidate[] = []
  const known = new Set<string>()
  let inFlight = 0
  let queried = 0
  let failed = 0
  let valueHop = 0

  const insert = (id: Uint8Array, addresses: readonly string[], hop: number) => {
    const key = toHex(id)
    if (key === localKey || known.has(key)) return
    known.add(key)
    const candidate: Candidate = { peer: { id, key, addresses, hop }, state: 'new' }
    let low = 0
    let high = shortlist.length
    while (low < high) {
      const mid = (low + high) >> 1
      if (compareDistance(target, shortlist[mid].peer.id, id) < 0) low = mid + 1
      else high = mid
    }
    shortlist.splice(low, 0, candidate)
    // Only the nearest few k can ever be asked; farther ones are forgotten to bound memory.
    if (shortlist.length > 4 * k) shortlist.length = 4 * k
  }
  for (const seed of params.seeds) insert(seed.id, seed.addresses, 1)

  return new Promise<LookupResult>((resolve, reject) => {
    let isFinished = false
    const signal = params.signal
    const onAbort = () => {
      if (isFinished) return
      isFinished = true
      reject(abortReason(signal as AbortSignal))
    }
    const finish = (isEndedByValue: boolean) => {
      if (isFinished) return
      isFinished = true
      signal?.removeEventListener('abort', onAbort)
      const closest: LookupPeer[] = []
      for (const c of shortlist) {
        if (c.state === 'done') closest.push(c.peer)
        if (closest.length === k) break
      }
      const hops = isEndedByValue ? valueHop : closest.length > 0 ? closest[0].hop : 0
      resolve({ closest, hops, queried, failed, isEndedByValue })
    }

    const pump = () => {
      if (isFinished) return
      const abort = params.shouldAbort()
      if (abort !== undefined) {
        isFinished = true
        signal?.removeEventListener('abort', onAbort)
        reject(abort)
        return
      }
      let considered = 0
      for (const candidate of shortlist) {
        if (candidate.state === 'failed') continue
        if (considered++ >= k || inFlight >= alpha) break
        if (candidate.state === 'new') start(candidate)
      }
      if (inFlight === 0) finish(false)
    }

    const start = (candidate: Candidate) => {
      candidate.state = 'pending'
      inFlight++
      queried++
      params.query(candidate.peer).then(
        async (reply) => {
          if (isFinished) return
          if (reply.record !== undefined && params.onRecord !== undefined) {
            const isEnough = await params.onRecord(reply.record, candidate.peer).catch(() => false)
            if (isEnough && !isFinished) {
              inFlight--
              candidate.state = 'done'
              valueHop = candidate.peer.hop
              finish(true)
              return
            }
          }
          inFlight--
          candidate.state = 'done'
          for (const info of reply.peers) insert(info.id, info.addresses, candidate.peer.hop + 1)
          pump()
        },
        () => {
          inFlight--
          failed++
          candidate.state = 'failed'
          pump()
        },
      )
    }

    if (signal?.aborted === true) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    pump()
  })
}

/** The error an aborted operation rejects with: the signal's reason, else a DOMException named AbortError. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason
  return reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError')
}
