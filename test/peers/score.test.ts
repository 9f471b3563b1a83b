import { describe, expect, it } from 'vitest'
import { INITIAL_SCORE, MAX_PENALTY_TIMES, PENALTIES, PeerScore, RATE_LIMIT_PENALTY_INTERVAL_MS, SCORE_RECOVERY_PER_SEC } from '../../src/peers/score.js'
import type { Misbehaviour } from '../../src/peers/session.js'

describe('PeerScore', () => {
  it('starts at 100 and each misbehaviour costs its listed penalty', () => {
    expect([INITIAL_SCORE, SCORE_RECOVERY_PER_SEC, RATE_LIMIT_PENALTY_INTERVAL_MS]).toEqual([100, 1, 1_000])
    const costs: [Misbehaviour, number][] = [['invalid-frame', 20], ['bad-signature', 50], ['rate-limit', 5], ['invalid-message', 10], ['unwanted', 2]]
    expect(Object.entries(PENALTIES).sort()).toEqual([...costs].sort())
    for (const [reason, cost] of costs) {
      const score = new PeerScore(7_000)
      expect(score.value(7_000)).toBe(100)
      expect(score.penalize(reason, 7_000)).toBe(true)
      expect(score.value(7_000)).toBe(100 - cost)
    }
  })

  it('charges going over the rate at most once a second: refused within the interval, charged again at exactly 1,000 ms', () => {
    const score = new PeerScore(0)
    expect(score.penalize('rate-limit', 0)).toBe(true)
    expect(score.penalize('rate-limit', 500)).toBe(false)
    expect(score.value(500)).toBe(95.5) // the refused charge cost nothing; half a second recovered
    expect(score.penalize('rate-limit', 999)).toBe(false)
    expect(score.penalize('rate-limit', 1_000)).toBe(true)
    expect(score.value(1_000)).toBe(95 + 1 - 5)
    // Other misbehaviours are charged every time, and do not restart the rate-limit interval.
    expect(score.penalize('unwanted', 1_500)).toBe(true)
    expect(score.penalize('unwanted', 1_500)).toBe(true)
    expect(score.value(1_500)).toBe(91.5 - 4)
    expect(score.penalize('rate-limit', 1_999)).toBe(false)
    expect(score.penalize('rate-limit', 2_000)).toBe(true)
  })

  it('earns back one point a second from the time it was created or last updated, up to 100', () => {
    const score = new PeerScore(5_000)
    expect(score.penalize('bad-signature', 5_000)).toBe(true)
    expect(score.value(5_000)).toBe(50)
    expect(score.value(15_000)).toBe(60)
    expect(score.value(15_000)).toBe(60) // reading twice does not count the same seconds twice
    expect(score.value(35_500)).toBe(80.5)
    expect(score.penalize('invalid-frame', 35_500)).toBe(true)
    expect(score.value(40_500)).toBe(65.5)
    expect(score.value(1_000_000)).toBe(100)
  })

  it('a time earlier than the latest seen neither costs nor earns points, and does not move the recovery clock back', () => {
    const score = new PeerScore(10_000)
    expect(score.penalize('invalid-frame', 10_000)).toBe(true)
    expect(score.value(4_000)).toBe(80)
    expect(score.penalize('unwanted', 6_000)).toBe(true)
    expect(score.value(6_000)).toBe(78)
    expect(score.value(10_000)).toBe(78)
    expect(score.value(12_000)).toBe(80)
  })

  it('a penalty charged `times` over costs that many times, floored, from 1 to MAX_PENALTY_TIMES', () => {
    expect(MAX_PENALTY_TIMES).toBe(10)
    const cases: [number, number][] = [[0, 1], [-3, 1], [1, 1], [2.9, 2], [7, 7], [10, 10], [11, 10], [1_000, 10]]
    for (const [times, charged] of cases) {
      const score = new PeerScore(0)
      expect(score.penalize('invalid-message', 0, times)).toBe(true)
      expect(score.value(0)).toBe(100 - 10 * charged)
    }
  })

  it('a slip over the rate (times < 2) is charged once an interval; a flood (times >= 2) every time', () => {
    const slips = new PeerScore(0)
    expect(slips.penalize('rate-limit', 0, 1.9)).toBe(true)
    expect(slips.penalize('rate-limit', 500, 1.9)).toBe(false)
    expect(slips.penalize('rate-limit', 1_000, 1)).toBe(true)
    expect(slips.value(1_000)).toBe(100 - 5 + 1 - 5)
    const floods = new PeerScore(0)
    expect(floods.penalize('rate-limit', 0, 10)).toBe(true)
    expect(floods.penalize('rate-limit', 1, 10)).toBe(true)
    expect(floods.value(1)).toBeCloseTo(100 - 100 + 0.001, 6)
    // A flood does not reset the slip interval, nor does a slip hold back a flood.
    expect(floods.penalize('rate-limit', 2, 1)).toBe(true)
    expect(floods.penalize('rate-limit', 3, 1)).toBe(false)
    expect(floods.penalize('rate-limit', 4, 2)).toBe(true)
  })
})
