// Scenario "partition" at 80 nodes: a 50/50 split for 40 virtual seconds (past the keepalive
// timeout, so the sessions across it die), publishes inside the groups, then the heal. The
// target: full delivery again, with the time it took reported.

import { describe, expect, it } from 'vitest'
import { runScenario, type SimulationReport } from '../../src/sim/index.js'
import type { PartitionReport } from '../../src/sim/scenario-reports.js'

const NODES = 80

describe(`scenario partition: ${NODES} nodes split 50/50 for 40 s, then healed`, () => {
  let report: SimulationReport
  let partition: PartitionReport
  it('runs', async () => {
    report = await runScenario('partition', { nodes: NODES, partitionMs: 40_000, messages: 10, seed: 2 })
    partition = report.partition!
    console.log(
      `partition ${NODES}: cross sessions ${partition.crossSessionsBeforeSplit} -> ${partition.crossSessionsAtHeal} at heal -> ${partition.crossSessionsAtEnd}; ` +
        `delivery in split ${(partition.duringSplit.deliveryRatio * 100).toFixed(2)}%; recovered ${partition.isRecovered} after ${partition.recoveryMs?.toFixed(0)} ms ` +
        `(${partition.probesBeforeRecovery} probes before); wall ${(report.wallClock.wallMs / 1000).toFixed(1)} s`,
    )
  }, 120_000)

  it('the split is 50/50, and no session survives across it', () => {
    expect(partition.groupSizes).toEqual([NODES / 2, NODES / 2])
    expect(partition.crossSessionsBeforeSplit).toBeGreaterThan(0)
    expect(partition.crossSessionsAtHeal).toBe(0)
    expect(report.network.framesDropped.cut).toBeGreaterThan(0)
  })

  it('each group keeps delivering inside itself during the split', () => {
    const { duringSplit } = partition
    expect(duringSplit.messages).toBe(10)
    // Owed to the origin's group only: 39 other nodes each.
    expect(duringSplit.expectedDeliveries).toBe(10 * (NODES / 2 - 1))
    expect(duringSplit.deliveryRatio).toBeGreaterThanOrEqual(0.99)
  })

  it('after the heal the halves reconnect and a probe reaches every node; the time it took is reported', () => {
    expect(partition.isRecovered).toBe(true)
    expect(partition.recoveryMs).toBeGreaterThan(0)
    expect(partition.recoveryMs!).toBeLessThan(report.parameters.maxRecoveryMs!)
    expect(partition.crossSessionsAtEnd).toBeGreaterThan(0)
    expect(partition.afterHeal.messages).toBeGreaterThan(partition.probesBeforeRecovery!)
    expect(report.shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })
  })
})
