// The budget of RTCPeerConnections (src/transport/webrtc/budget.ts): counted, rationed in its
// last quarter, refused past it. The transport's use of it is in webrtc.test.ts.

import { describe, expect, it } from 'vitest'
import { RATION_BASE_MS, RATION_MAX_MS, PeerConnectionBudget } from '../../src/transport/webrtc/budget.js'
import { ManualClock } from '../../src/util/clock.js'

describe('PeerConnectionBudget', () => {
  it('makes freely up to 3/4 of max, then one per spacing, and none past max', () => {
    const clock = new ManualClock()
    const budget = new PeerConnectionBudget(8, clock)
    for (let i = 0; i < 5; i++) {
      expect(budget.refusal()).toBeUndefined()
      budget.made(false)
    }
    // The 6th lands in the last quarter: made, and the next waits RATION_BASE_MS.
    expect(budget.refusal()).toBeUndefined()
    budget.made(false)
    expect(budget.refusal()).toMatch(/rationing the last of its 8 .* the next in 5000 ms/)
    clock.advance(RATION_BASE_MS - 1)
    expect(budget.refusal()).toMatch(/rationing/)
    clock.advance(1)
    expect(budget.refusal()).toBeUndefined()
    budget.made(false)
    budget.settled(false) // it did not open: the next spacing doubles
    clock.advance(RATION_BASE_MS)
    budget.reserve() // promised to a knock, made later
    expect(budget.used).toBe(8)
    expect(budget.refusal()).toBe('its budget of 8 RTCPeerConnections is spent')
    budget.release()
    expect(budget.used).toBe(7)
    expect(budget.refusal()).toMatch(/rationing/) // the reservation's spacing (doubled) still runs
    clock.advance(2 * RATION_BASE_MS)
    expect(budget.refusal()).toBeUndefined()
    budget.made(false)
    expect([budget.created, budget.used]).toEqual([8, 8])
    clock.advance(RATION_MAX_MS)
    expect(budget.refusal()).toBe('its budget of 8 RTCPeerConnections is spent')
  })

  it('doubles the spacing with each failure in a row, up to RATION_MAX_MS, and starts over after one that opened', () => {
    const clock = new ManualClock()
    const budget = new PeerConnectionBudget(1_000, clock)
    for (let i = 0; i < 750; i++) budget.made(false)
    const waitAfterOne = () => {
      budget.made(false)
      const match = /the next in (\d+) ms/.exec(budget.refusal() ?? '')
      clock.advance(RATION_MAX_MS)
      return Number(match?.[1])
    }
    expect(waitAfterOne()).toBe(RATION_BASE_MS)
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      budget.settled(false)
      waits.push(waitAfterOne())
    }
    expect(waits).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000])
    budget.settled(true)
    expect(waitAfterOne()).toBe(RATION_BASE_MS)
  })

  it('with max Infinity never refuses', () => {
    const budget = new PeerConnectionBudget(Number.POSITIVE_INFINITY, new ManualClock())
    for (let i = 0; i < 10_000; i++) budget.made(false)
    expect(budget.refusal()).toBeUndefined()
  })
})
