// The report is a function of the scenario, its parameters and the seed: two runs with the
// same seed give the same report.json, wall-clock fields aside; another seed gives another.

import { describe, expect, it } from 'vitest'
import { deterministicPart, runScenario, toReportJson, type SimulationReport } from '../../src/sim/index.js'

const small = (seed: number) => runScenario('broadcast', { nodes: 30, messages: 5, publishRatePerSec: 5, settleMs: 10_000, drainMs: 5_000, seed })
const withoutWallClock = (report: SimulationReport) => JSON.stringify(deterministicPart(report))

describe('report.json', () => {
  it('the same seed gives the same report, bit for bit, but for wallClock; another seed another report', async () => {
    const first = await small(5)
    const second = await small(5)
    const other = await small(6)
    expect(withoutWallClock(second)).toBe(withoutWallClock(first))
    expect(withoutWallClock(other)).not.toBe(withoutWallClock(first))
    // The seeds made different meshes, not just different labels.
    expect(other.events.timersFired).not.toBe(first.events.timersFired)
    // wallClock is the only part left out, and the JSON holds everything else.
    expect(Object.keys(first).filter((key) => !(key in deterministicPart(first)))).toEqual(['wallClock'])
    const parsed = JSON.parse(toReportJson(first)) as SimulationReport
    expect(parsed.parameters).toMatchObject({ seed: 5, nodes: 30, messages: 5 })
    expect(parsed.broadcast?.deliveries).toBe(first.broadcast?.deliveries)
    expect(parsed.events.timersFired).toBeGreaterThan(0)
  }, 180_000)
})
