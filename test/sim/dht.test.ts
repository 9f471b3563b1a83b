// Scenario "dht" at 100 nodes with no faults: 20 immutable records put from random nodes, then
// 100 gets of random records from random nodes. The target with no faults is >= 99% found.

import { describe, expect, it } from 'vitest'
import { runScenario, type SimulationReport } from '../../src/sim/index.js'
import type { DhtSummary } from '../../src/sim/dht-tracker.js'

const NODES = 100

describe(`scenario dht: ${NODES} nodes, 20 puts then 100 gets from random nodes`, () => {
  let report: SimulationReport
  let dht: DhtSummary
  it('runs', async () => {
    report = await runScenario('dht', { nodes: NODES, puts: 20, gets: 100, seed: 3 })
    dht = report.dht!
    console.log(
      `dht ${NODES}: gets ${dht.getsFound}/${dht.gets} found; hops mean ${dht.getHops.mean.toFixed(2)} max ${dht.getHops.max} (${dht.getHopsUnattributed} unattributed); ` +
        `get latency p50 ${dht.getLatencyMs.p50.toFixed(0)} p95 ${dht.getLatencyMs.p95.toFixed(0)} p99 ${dht.getLatencyMs.p99.toFixed(0)} ms; put p50 ${dht.putLatencyMs.p50.toFixed(0)} ms; ` +
        `received per node per s mean ${report.traffic.messagesReceivedPerNodePerSec.mean.toFixed(1)} max ${report.traffic.messagesReceivedPerNodePerSec.max.toFixed(1)}; wall ${(report.wallClock.wallMs / 1000).toFixed(1)} s`,
    )
  }, 120_000)

  it('every put stores its record, and at least 99% of gets return exactly the bytes put', () => {
    expect(dht).toMatchObject({ puts: 20, putsStored: 20, putFailures: {}, gets: 100, getsWrong: 0, getFailures: {} })
    expect(dht.getSuccessRatio).toBeGreaterThanOrEqual(0.99)
    expect(dht.getsFound + dht.getsMissing).toBe(dht.gets)
  })

  it('lookups take few hops at this size, and a get that went out to the network took at least one round trip', () => {
    const { getHops, getLatencyMs } = dht
    expect(getHops.count + dht.getHopsUnattributed).toBe(dht.gets)
    expect(getHops.count).toBeGreaterThan(dht.gets / 2)
    // log2(100) / b with b = 1 is under 7; Kademlia with k = 20 finds it sooner.
    expect(getHops.max).toBeLessThanOrEqual(4)
    // Hop 0 is a reader that holds the record itself (about k / N of them); most went out.
    expect(getHops.p50).toBeGreaterThanOrEqual(1)
    const roundTripMs = 2 * report.parameters.latencyMs!
    expect(getLatencyMs.p50).toBeGreaterThanOrEqual(roundTripMs)
    expect(getLatencyMs.p50).toBeLessThanOrEqual(getLatencyMs.p95)
    expect(getLatencyMs.p95).toBeLessThanOrEqual(getLatencyMs.p99)
  })

  it('the lookups show as traffic, and the stop is clean', () => {
    expect(report.traffic.messagesReceivedPerNodePerSec.mean).toBeGreaterThan(0)
    expect(report.traffic.messagesReceivedPerNodePerSec.max).toBeGreaterThan(report.traffic.messagesReceivedPerNodePerSec.mean)
    expect(report.shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })
  })
})
