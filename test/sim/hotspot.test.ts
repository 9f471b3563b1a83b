// Scenario "hotspot" at 200 nodes: one newcomer puts one record, then each of the other 199
// nodes reads it 5 times within 10 virtual seconds (about 100 gets a second over the mesh).
// Every get must find it, the record must sit on the k = 20 nodes closest to its key and no
// more (lookups do not cache it along the way), and those holders carry the reads: several
// times the load of everyone else, the closest of them the most.

import { describe, expect, it } from 'vitest'
import { runScenario, type SimulationReport } from '../../src/sim/index.js'
import type { HotspotReport } from '../../src/sim/scenario-reports.js'

const NODES = 200
const GETS_PER_READER = 5
const K = 20

describe(`scenario hotspot: ${NODES} nodes, every one reads one key ${GETS_PER_READER} times in 10 s`, () => {
  let report: SimulationReport
  let hotspot: HotspotReport
  it('runs', async () => {
    report = await runScenario('hotspot', { nodes: NODES, getsPerReader: GETS_PER_READER, readMs: 10_000, seed: 4 })
    hotspot = report.hotspot!
    const { dht, holderMessagesReceivedPerSec: holder, otherMessagesReceivedPerSec: other } = hotspot
    console.log(
      `hotspot ${NODES}: ${hotspot.readers} readers x ${hotspot.getsPerReader}, found ${dht.getsFound}/${dht.gets}, hops p50 ${dht.getHops.p50} max ${dht.getHops.max}, ` +
        `latency p50 ${dht.getLatencyMs.p50.toFixed(0)} p99 ${dht.getLatencyMs.p99.toFixed(0)} ms; ${hotspot.holders} holders; received/s holders mean ${holder.mean.toFixed(2)} max ${holder.max.toFixed(2)}, ` +
        `others mean ${other.mean.toFixed(2)} max ${other.max.toFixed(2)} over ${report.traffic.durationMs.toFixed(0)} ms; wall ${(report.wallClock.wallMs / 1000).toFixed(1)} s`,
    )
  }, 120_000)

  it('every node but the one that put it read it, and every get found exactly the value put', () => {
    const { dht } = hotspot
    expect(hotspot.readers).toBe(NODES - 1)
    expect(hotspot.getsPerReader).toBe(GETS_PER_READER)
    expect(dht.putsStored).toBe(1)
    expect(dht.gets).toBe((NODES - 1) * GETS_PER_READER)
    expect(dht.getsWrong).toBe(0)
    expect(dht.getFailures).toEqual({})
    expect(dht.getSuccessRatio).toBeGreaterThanOrEqual(0.99)
    // Found at the first or second hop (measured: p50 1, p99 2, max 4 since newcomers dial one
    // bootstrap node, not all three; max 2 before); a lookup that wandered would show here.
    expect(dht.getHops.p50).toBeLessThanOrEqual(1)
    expect(dht.getHops.p99).toBeLessThanOrEqual(2)
    expect(dht.getHops.max).toBeLessThanOrEqual(4)
  })

  it('the record sits on the k closest nodes only: reads do not copy it anywhere else', () => {
    expect(hotspot.holders).toBe(K)
  })

  it('the holders carry the reads: over 3x the messages a second of everyone else, the busiest holder over 2x the busiest other node', () => {
    const { holderMessagesReceivedPerSec: holder, otherMessagesReceivedPerSec: other } = hotspot
    // Measured: holders mean 13.4/s, others 3.0/s (4.5x); busiest holder 64.8/s, busiest other 18.1/s (3.6x).
    expect(holder.mean).toBeGreaterThan(3 * other.mean)
    expect(holder.max).toBeGreaterThan(2 * other.max)
    // But a get costs the holders a bounded few messages: a lookup stops at the first holder
    // that answers (alpha = 3 requests in flight), it does not ask all k of them. Measured: the
    // holders' excess over the others' background (keepalives) is 2.1 messages a get.
    const excessPerGet = ((holder.mean - other.mean) * hotspot.holders * report.traffic.durationMs) / 1_000 / hotspot.dht.gets
    expect(excessPerGet).toBeGreaterThan(1)
    expect(excessPerGet).toBeLessThan(4)
    expect(report.shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })
  })
})
