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
 * so a peer that floods steadily at 10x is banned within about 20 s, a bursty one not at all.
 */
export const PENALTIES: { readonly [R in Misbehaviour]: number } = Object.freeze({
  'invalid-frame': 20,
  'bad-signature': 50,
  'rate-limit': 5,
  'invalid-message': 10,
  unwanted: 2,
})

export const RATE_LIMIT_PENALTY_INTERVAL_MS = 1_000

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

  /** Charges a misbehaviour; false when it was not charged (rate-limit within its interval). */
  penalize(reason: Misbehaviour, nowMs: number): boolean {
    this.#recover(nowMs)
    if (reason === 'rate-limit') {
      if (nowMs - this.#lastRateLimitAt < RATE_LIMIT_PENALTY_INTERVAL_MS) return false
      this.#lastRateLimitAt = nowMs
    }
    this.#score -= PENALTIES[reason]
    return true
  }

  #recover(nowMs: number): void {
    const elapsedMs = nowMs - this.#updatedAt
    if (elapsedMs <= 0) return
    this.#updatedAt = nowMs
    this.#score = Math.min(INITIAL_SCORE, this.#score + (elapsedMs / 1_000) * SCORE_RECOVERY_PER_SEC)
  }
}
