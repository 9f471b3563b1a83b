// A peer's standing: it starts at INITIAL_SCORE, each misbehaviour costs points, and time
// earns them back, so a peer that slipped once recovers while one that keeps misbehaving
// falls below the threshold and is banned. Computed lazily: no timers.

import type { Misbehaviour } from './session.js'

export const INITIAL_SCORE = 100
/** Points regained per second of good behaviour, up to INITIAL_SCORE. */
export const SCORE_RECOVERY_PER_SEC = 1

/**
 * What each misbehaviour costs. Undecodable bytes and forged signatures are never honest
 * mistakes; going over the rate is charged at most once a second (RATE_LIMIT_PENALTY_INTERVAL_MS),
 * weighted by how far over (MAX_PENALTY_TIMES), and a flood (a rate's worth over in one frame)
 * every time, so a peer whose frames each carry a rate's worth over is banned within about 2 s,
 * a bursty one not at all. Drops are weighed a frame at a time: a peer whose excess comes in
 * smaller frames (a coalescing sender's few dozen messages each) loses 5 points a second
 * against 1 earned back, about 25 s to a ban at the defaults; its excess is dropped meanwhile.
 */
export const PENALTIES: { readonly [R in Misbehaviour]: number } = Object.freeze({
  'invalid-frame': 20,
  'bad-signature': 50,
  'rate-limit': 5,
  'invalid-message': 10,
  unwanted: 2,
})

export const RATE_LIMIT_PENALTY_INTERVAL_MS = 1_000
/**
 * A rate-limit penalty counts once for every rateLimitPerPeer messages over the limit, up to
 * this many times (10 x 5 = 50 points), weighed over the drops of one frame: a peer whose frames
 * carry ten times its rate is banned within two seconds, one that slips over by a few messages
 * loses 5 points.
 */
export const MAX_PENALTY_TIMES = 10

export class PeerScore {
  #score = INITIAL_SCORE
  #updatedAt: number
  #lastRateLimitAt = -Infinity

  constructor(nowMs: number) {
    this.#updatedAt = nowMs
  }

  /** The score at `nowMs`, recovery included. */
  value(nowMs: number): number {
    this.#recover(nowMs)
    return this.#score
  }

  /**
   * Charges a misbehaviour `times` times over (1 to MAX_PENALTY_TIMES; a rate-limit penalty
   * grows with how far over the rate the peer went); false when it was not charged
   * (rate-limit within its interval).
   */
  penalize(reason: Misbehaviour, nowMs: number, times = 1): boolean {
    this.#recover(nowMs)
    // A slip over the rate is charged at most once an interval; going over by a rate's worth
    // or more (times >= 2) is a flood, charged every time.
    if (reason === 'rate-limit' && times < 2) {
      if (nowMs - this.#lastRateLimitAt < RATE_LIMIT_PENALTY_INTERVAL_MS) return false
      this.#lastRateLimitAt = nowMs
    }
    this.#score -= PENALTIES[reason] * Math.min(MAX_PENALTY_TIMES, Math.max(1, Math.floor(times)))
    return true
  }

  #recover(nowMs: number): void {
    const elapsedMs = nowMs - this.#updatedAt
    if (elapsedMs <= 0) return
    this.#updatedAt = nowMs
    this.#score = Math.min(INITIAL_SCORE, this.#score + (elapsedMs / 1_000) * SCORE_RECOVERY_PER_SEC)
  }
}
