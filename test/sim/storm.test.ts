// Scenario "storm" at 50 nodes: one node publishes at 100x the per-peer rate limit (10,000 a
// second) for half a virtual second while honest nodes publish as usual. Honest delivery must
// hold, and the flood must be cut down to a few per cent by the limiters.

import { describe, expect, it } from 'vitest'
import { runScenario, type SimulationReport } from '../../src/sim/index.js'
import type { StormReport } from '../../src/sim/scenario-reports.js'

const NODES = 50

describe(`scenario storm: ${NODES} nodes, 1 attacker at 100x the rate limit for 500 ms`, () => {
  let report: SimulationReport
  let storm: StormReport
  it('runs', async () => {
    report = await runScenario('storm', { nodes: NODES, attackers: 1, stormMs: 500, messages: 10, drainMs: 5_000, seed: 2 })
    storm = report.storm!
    console.log(
      `storm ${NODES}: ${storm.attackerPublishes} attacker publishes, ${(storm.attackerDeliveryShare * 100).toFixed(2)}% delivered; ` +
        `attacker deliveries per honest node per s mean ${storm.attackerDeliveriesPerHonestNodePerSec.mean.toFixed(1)} max ${storm.attackerDeliveriesPerHonestNodePerSec.max.toFixed(1)}; ` +
        `honest delivery ${(storm.honest.deliveryRatio * 100).toFixed(2)}%, p99 ${storm.honest.latencyMs.p99.toFixed(0)} ms; ` +
        `honest received per node per s mean ${storm.honestMessagesReceivedPerNodePerSec.mean.toFixed(0)} max ${storm.honestMessagesReceivedPerNodePerSec.max.toFixed(0)}; ` +
        `rate-limit drops ${storm.rateLimitDrops}, bans ${storm.bansHeldByHonestNodes}; wall ${(report.wallClock.wallMs / 1000).toFixed(1)} s`,
    )
  }, 120_000)

  it('the attacker published at 100x the limit', () => {
    expect(storm.attackerRatePerSec).toBe(100 * 100)
    expect(storm.attackerPublishes).toBe(5_000)
  })

  it('honest publishes still reach >= 99.9% of the honest nodes, each once', () => {
    expect(storm.honest.messages).toBe(10)
    expect(storm.honest.expectedDeliveries).toBe(10 * (NODES - 2))
    expect(storm.honest.deliveryRatio).toBeGreaterThanOrEqual(0.999)
    expect(storm.honest.repeatedDeliveries).toBe(0)
  })

  it('the limiters cut the flood: a few per cent of it reaches the honest nodes, the rest is dropped as over the limit', () => {
    expect(storm.attackerDeliveries).toBeGreaterThan(0)
    expect(storm.attackerDeliveryShare).toBeLessThan(0.1)
    expect(storm.rateLimitDrops).toBeGreaterThan(storm.attackerPublishes / 2)
    expect(report.drops['peers.rate-limit']).toBeGreaterThan(0)
    // No honest node handed its subscribers more of the flood than its neighbours' limits let through over the phase.
    const phaseSec = report.traffic.durationMs / 1_000
    expect(storm.attackerDeliveriesPerHonestNodePerSec.max * phaseSec).toBeLessThan(storm.attackerPublishes * 0.2)
    expect(report.shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })
  })
})

describe(`scenario storm without rate limits: ${NODES} nodes, an attacker at 20x the default limit against limits raised out of its way`, () => {
  const unlimited = { peers: { rateLimitPerPeer: 1e9, relayRateLimitPerPeer: 1e9 }, relay: { originRateLimit: 1_000_000 } }
  let report: SimulationReport
  let storm: StormReport
  it('runs', async () => {
    report = await runScenario('storm', { nodes: NODES, attackers: 1, attackerRatePerSec: 2_000, stormMs: 500, messages: 10, drainMs: 5_000, seed: 2, node: unlimited })
    storm = report.storm!
  }, 120_000)

  it('the attacker published at the rate it was given, whatever the limits', () => {
    expect(storm.attackerRatePerSec).toBe(2_000)
    expect(storm.attackerPublishes).toBe(1_000)
    expect(report.parameters).toMatchObject({ attackerRatePerSec: 2_000 })
    expect(report.parameters).not.toHaveProperty('multiplier')
  })

  it('nothing is dropped as over a limit, so far more of the flood reaches the honest nodes than with the limits', () => {
    expect(storm.rateLimitDrops).toBe(0)
    expect(report.drops['peers.rate-limit'] ?? 0).toBe(0)
    // With the limits, the first storm got 3.8% of 5,000 through; here nearly all of it arrives.
    expect(storm.attackerDeliveryShare).toBeGreaterThan(0.9)
    expect(storm.honest.deliveryRatio).toBeGreaterThanOrEqual(0.999)
  })

  it('refuses a rate given both ways, and a rate out of range', async () => {
    await expect(runScenario('storm', { nodes: NODES, multiplier: 10, attackerRatePerSec: 1_000 })).rejects.toMatchObject({ code: 'SIM_INVALID_OPTION', message: expect.stringMatching(/not both/) })
    await expect(runScenario('storm', { nodes: NODES, attackerRatePerSec: 0 })).rejects.toMatchObject({ code: 'SIM_INVALID_OPTION', message: expect.stringMatching(/attackerRatePerSec/) })
  })
})
