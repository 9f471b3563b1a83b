// Every registered scenario is a function of its parameters and seed (issue 13: "the same seed
// and parameters give the same report.json, bit for bit, wall-clock fields aside"): a tiny run
// of each, twice with one seed and once with another. Sizes are tens of nodes and seconds of
// virtual time, so the whole file stays cheap.

import { describe, expect, it } from 'vitest'
import { deterministicPart, runScenario, scenarioNames, type ScenarioName, type ScenarioParameters, type SimulationReport } from '../../src/sim/index.js'

const POPULATION = { nodes: 16, bootstrapNodes: 2, settleMs: 5_000 }
const PHASE = { messages: 3, drainMs: 2_000 }
const CHURN = { ...PHASE, puts: 3, gets: 6 }

/** A tiny run of each scenario; the type makes a scenario added to the registry fail to compile here until it has one. */
const TINY: { readonly [Name in ScenarioName]: ScenarioParameters[Name] } = {
  join: POPULATION,
  broadcast: { ...POPULATION, ...PHASE, publishRatePerSec: 5 },
  dht: { ...POPULATION, puts: 3, gets: 6 },
  churn: { ...POPULATION, ...CHURN, churnPerMinute: 0.5, churnMs: 30_000 },
  partition: { ...POPULATION, messages: 3, partitionMs: 20_000, maxRecoveryMs: 30_000, drainMs: 1_000 },
  'bootstrap-failure': { ...POPULATION, ...PHASE, bootstrapNodes: 3, latecomers: 2 },
  storm: { ...POPULATION, ...PHASE, attackers: 1, stormMs: 200 },
  turnover: { ...CHURN, ...POPULATION, turnoverMs: 10_000 },
  hotspot: { ...POPULATION, getsPerReader: 2, readMs: 2_000 },
}

/** What each tiny run did, which must not be nothing (a run that did nothing is trivially deterministic). */
const WORK_DONE: { readonly [Name in ScenarioName]: (report: SimulationReport) => number } = {
  join: (report) => report.join.started,
  broadcast: (report) => report.broadcast!.deliveries,
  dht: (report) => report.dht!.getsFound,
  churn: (report) => report.churn!.replacement.left + report.churn!.replacement.crashed,
  partition: (report) => report.partition!.duringSplit.deliveries,
  'bootstrap-failure': (report) => report.bootstrapFailure!.diedDuringJoin + report.bootstrapFailure!.diedAfterJoin,
  storm: (report) => report.storm!.attackerPublishes,
  turnover: (report) => report.turnover!.replacement.left + report.turnover!.replacement.crashed,
  hotspot: (report) => report.hotspot!.dht.getsFound,
}

const SEED = 11
const OTHER_SEED = 12

function run(name: ScenarioName, seed: number): Promise<SimulationReport> {
  return runScenario(name, { ...TINY[name], seed } as never)
}

/** report.json as written, but for its wall-clock fields. */
const deterministicJson = (report: SimulationReport) => JSON.stringify(deterministicPart(report), null, 2)

describe('every scenario is deterministic: same seed, same report; another seed, another', () => {
  it('has a tiny run for every registered scenario', () => {
    expect(Object.keys(TINY).sort()).toEqual([...scenarioNames].sort())
    expect(Object.keys(WORK_DONE).sort()).toEqual([...scenarioNames].sort())
  })

  it.each(scenarioNames.map((name) => [name]))('%s', async (name) => {
    const first = await run(name, SEED)
    const second = await run(name, SEED)
    const other = await run(name, OTHER_SEED)
    expect(first.scenario).toBe(name)
    expect(WORK_DONE[name](first)).toBeGreaterThan(0)
    // Bit for bit: the JSON text, and the values themselves (Object.is: -0 and NaN included).
    expect(deterministicJson(second)).toBe(deterministicJson(first))
    expect(deterministicPart(second)).toStrictEqual(deterministicPart(first))
    // Another seed changes the run itself, not only the seed the report quotes.
    const { parameters: _first, ...firstRun } = deterministicPart(first)
    const { parameters: _other, ...otherRun } = deterministicPart(other)
    expect(JSON.stringify(otherRun)).not.toBe(JSON.stringify(firstRun))
    expect(other.events.timersFired).not.toBe(first.events.timersFired)
    expect(first.shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })
  }, 120_000)
})
