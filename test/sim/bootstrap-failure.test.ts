// Scenario "bootstrap-failure" at 80 nodes: of 3 bootstrap nodes one dies halfway through the
// arrivals and two once the join has settled; 5 latecomers then arrive knowing only the dead
// addresses, and the survivors publish to each other.

import { describe, expect, it } from 'vitest'
import { runScenario, type SimulationReport } from '../../src/sim/index.js'
import type { BootstrapFailureReport } from '../../src/sim/scenario-reports.js'

const NODES = 80

describe(`scenario bootstrap-failure: ${NODES} nodes, 1 of 3 bootstrap nodes dies during the join, 2 after`, () => {
  let report: SimulationReport
  let failure: BootstrapFailureReport
  it('runs', async () => {
    report = await runScenario('bootstrap-failure', { nodes: NODES, seed: 2 })
    failure = report.bootstrapFailure!
    const { componentsAfterDeaths: components, broadcastAfterDeaths: broadcast } = failure
    console.log(
      `bootstrap-failure ${NODES}: started before/during/after deaths ${failure.startedBeforeDeaths}/${failure.arrivedBeforeDeaths}, ${failure.startedDuringDeaths}/${failure.arrivedDuringDeaths}, ` +
        `${failure.startedAfterAllDied}/${failure.arrivedAfterAllDied} ${JSON.stringify(failure.failuresAfterAllDied)}; survivors' components ${JSON.stringify(components.sizes)}; ` +
        `delivery after ${(broadcast.deliveryRatio * 100).toFixed(2)}%; wall ${(report.wallClock.wallMs / 1000).toFixed(1)} s`,
    )
  }, 120_000)

  it('newcomers join through the bootstrap nodes left while one is dead', () => {
    expect(failure.diedDuringJoinAtMs).toBeLessThan(failure.diedAfterJoinAtMs)
    expect(failure.arrivedBeforeDeaths).toBeGreaterThan(0)
    expect(failure.arrivedDuringDeaths).toBeGreaterThan(0)
    expect(failure.startedBeforeDeaths).toBe(failure.arrivedBeforeDeaths)
    expect(failure.startedDuringDeaths).toBe(failure.arrivedDuringDeaths)
  })

  it('latecomers that know only dead bootstrap addresses fail to start with NODE_BOOTSTRAP_FAILED, not hang', () => {
    expect(failure.arrivedAfterAllDied).toBe(5)
    expect(failure.startedAfterAllDied).toBe(0)
    expect(failure.failuresAfterAllDied).toEqual({ NODE_BOOTSTRAP_FAILED: 5 })
    expect(report.join.stillJoining).toBe(0)
  })

  it('a publish after the deaths reaches its own component and no further, and the stop is clean', () => {
    const { componentsAfterDeaths: components, broadcastAfterDeaths: broadcast } = failure
    expect(components.nodes).toBe(NODES - 3 - 5)
    expect(components.sizes.reduce((sum, size) => sum + size, 0)).toBe(components.nodes)
    expect(broadcast.messages).toBe(10)
    // A message reaches at most the rest of the largest component.
    expect(broadcast.deliveries).toBeLessThanOrEqual(broadcast.messages * (components.sizes[0] - 1))
    expect(broadcast.deliveries).toBeGreaterThan(0)
    expect(report.shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })
  })

  // Every bootstrap node keeps a session with every newcomer (79 each at 80 nodes). Newcomers
  // that dialled only the contacts nearest their own id split along the ids' first bit once
  // the seeds died (seed 2: 38 + 34 survivors, 50.99% delivered); a session in each far
  // bucket (src/node/upkeep.ts, the spread) keeps them one mesh.
  it('the survivors stay one mesh and get >= 99% of the publishes', () => {
    expect(failure.componentsAfterDeaths.components).toBe(1)
    expect(failure.broadcastAfterDeaths.deliveryRatio).toBeGreaterThanOrEqual(0.99)
  })
})
