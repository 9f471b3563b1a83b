// Scenario "dht": after the join, random nodes put immutable records, then random nodes read
// them back; the report says what share of gets found the value, after how many hops and how
// long, and what the lookups cost each node in traffic.

import { pick } from '../../util/random.js'
import { DhtTracker } from '../dht-tracker.js'
import { integerOption, numberOption } from '../options.js'
import { poissonGapMs } from '../poisson.js'
import type { SimulationReport } from '../report.js'
import { Simulation } from '../simulation.js'
import { TrafficMeter } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'
import { finish } from './finish.js'
import { settleOperations } from './operations.js'
import { populate, POPULATION_OPTION_NAMES, reportedPopulation, resolvePopulation, simulationOptionsOf, type PopulationParameters } from './population.js'

export interface DhtParameters extends PopulationParameters {
  /** Records put, 1 to 100,000. DEFAULT 20. */
  puts?: number
  /** Gets, 1 to 1,000,000, each of a random stored record from a random running node. DEFAULT 100. */
  gets?: number
  /** Puts and gets a virtual second over the whole mesh (Poisson), 0.001 to 100,000. DEFAULT 10. */
  operationRatePerSec?: number
  /** Bytes of each value, 4 to 16,384. DEFAULT 64. */
  valueBytes?: number
}

const NAMES: ReadonlySet<string> = new Set([...POPULATION_OPTION_NAMES, 'puts', 'gets', 'operationRatePerSec', 'valueBytes'])

/** Runs the dht scenario; SimulationError SIM_INVALID_OPTION for bad parameters. */
export async function runDht(parameters: DhtParameters = {}): Promise<SimulationReport> {
  const wallStartMs = wallClockNowMs()
  const population = resolvePopulation(parameters, NAMES)
  const puts = integerOption('puts', parameters.puts, 20, 1, 100_000)
  const gets = integerOption('gets', parameters.gets, 100, 1, 1_000_000)
  const operationRatePerSec = numberOption('operationRatePerSec', parameters.operationRatePerSec, 10, 0.001, 100_000)
  const valueBytes = integerOption('valueBytes', parameters.valueBytes, 64, 4, 16_384)

  const sim = await Simulation.create(simulationOptionsOf(parameters))
  await populate(sim, population)
  const phaseNodes = sim.runningNodes().map((entry) => entry.node)
  const meter = new TrafficMeter(phaseNodes, sim.nowMs)
  const tracker = new DhtTracker(() => sim.nowMs, sim.random)
  const running = () => sim.runningNodes().map((entry) => entry.node)

  let atMs = 0
  for (let i = 0; i < puts; i++) {
    atMs += poissonGapMs(sim.random, operationRatePerSec)
    sim.at(atMs, () => {
      const origin = pick(running(), sim.random)
      if (origin !== undefined) void tracker.put(origin, valueBytes)
    })
  }
  await settleOperations(sim, tracker, atMs)
  atMs = 0
  for (let i = 0; i < gets; i++) {
    atMs += poissonGapMs(sim.random, operationRatePerSec)
    sim.at(atMs, () => {
      const reader = pick(running(), sim.random)
      if (reader !== undefined) void tracker.getRandom(reader, sim.random)
    })
  }
  await settleOperations(sim, tracker, atMs)
  return finish(sim, {
    scenario: 'dht',
    parameters: { ...reportedPopulation(parameters, population), puts, gets, operationRatePerSec, valueBytes },
    targetPeers: population.targetPeers,
    wallStartMs,
    traffic: meter.summary(phaseNodes, sim.nowMs),
    sections: { dht: tracker.summary() },
  })
}
