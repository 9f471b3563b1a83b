// Scenario "churn" at 80 nodes: 20% of the newcomers leave a virtual minute for a minute and
// a half (half of them without a goodbye) and as many arrive, while random nodes publish and
// read records put before. Targets under churn: delivery >= 99%, gets >= 95%.

import { describe, expect, it } from 'vitest'
import { runScenario, type SimulationReport } from '../../src/sim/index.js'
import type { ChurnReport } from '../../src/sim/scenario-reports.js'
import { expectChurnTargets } from './churn-targets.js'

const NODES = 80

describe(`scenario churn: ${NODES} nodes, 20% a minute for 90 s`, () => {
  let report: SimulationReport
  let churn: ChurnReport
  it('runs', async () => {
    report = await runScenario('churn', { nodes: NODES, churnPerMinute: 0.2, churnMs: 90_000, messages: 20, gets: 60, seed: 5 })
    churn = report.churn!
    const { replacement, broadcast, dht } = churn
    console.log(
      `churn ${NODES} at 20%/min: left ${replacement.left}, crashed ${replacement.crashed}, arrived ${replacement.arrived} (${replacement.arrivedStarted} started); ` +
        `join p50 ${replacement.arrivedJoinTimeMs.p50.toFixed(0)} p95 ${replacement.arrivedJoinTimeMs.p95.toFixed(0)} ms (before: p50 ${report.join.joinTimeMs.p50.toFixed(0)}); delivery ${(broadcast.deliveryRatio * 100).toFixed(2)}% (${broadcast.deliveries}/${broadcast.expectedDeliveries}); gets ${dht.getsFound}/${dht.gets}; ` +
        `drops ${JSON.stringify(report.drops)}; wall ${(report.wallClock.wallMs / 1000).toFixed(1)} s`,
    )
  }, 120_000)

  it('nodes left, with and without a goodbye, and newcomers took their place', () => {
    const { replacement } = churn
    // 20% a minute of 77 newcomers for 1.5 minutes: about 23 departures.
    expect(replacement.left + replacement.crashed).toBeGreaterThan(12)
    expect(replacement.left).toBeGreaterThan(0)
    expect(replacement.crashed).toBeGreaterThan(0)
    expect(replacement.arrivedStarted).toBeGreaterThan(0)
    // None failed: the ones that had not started by the end were still joining (joins slow down under churn, see below).
    expect(replacement.arrivedStarted + replacement.arrivedStillJoining).toBe(replacement.arrived)
    expect(report.join.startFailures).toEqual({})
    expect(replacement.runningAtEnd).toBeGreaterThan(NODES * 0.8)
  })

  it('delivery holds at >= 99% of what was owed, and gets at >= 95%', () => {
    expectChurnTargets(churn, 20, 60)
  })

  it('the crashed nodes left silent sessions that the keepalives closed, and the stop is clean', () => {
    expect(report.shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })
    // What the crashed nodes sent on their way out was dropped on the silent links.
    expect(report.network.framesDropped.cut).toBeGreaterThan(0)
  })
})
