// Scenario "join": N nodes join through a few bootstrap nodes, arriving at a rate; the report
// says who ended with peers, how many, and what the join cost in traffic.

import type { SimulationReport } from '../report.js'
import { TrafficMeter } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'
import { finish } from './finish.js'
import { Simulation } from '../simulation.js'
import { populate, POPULATION_OPTION_NAMES, reportedPopulation, resolvePopulation, simulationOptionsOf, type PopulationParameters } from './population.js'

export type JoinParameters = PopulationParameters

const NAMES: ReadonlySet<string> = new Set(POPULATION_OPTION_NAMES)

/** Runs the join scenario; SimulationError SIM_INVALID_OPTION for bad parameters. */
export async function runJoin(parameters: JoinParameters = {}): Promise<SimulationReport> {
  const wallStartMs = wallClockNowMs()
  const population = resolvePopulation(parameters, NAMES)
  const sim = await Simulation.create(simulationOptionsOf(parameters))
  await populate(sim, population)
  // The whole run is the phase: every node's counters started at zero.
  const traffic = new TrafficMeter([], 0).summary(sim.nodes.map((entry) => entry.node), sim.nowMs)
  return finish(sim, {
    scenario: 'join',
    parameters: reportedPopulation(parameters, population),
    targetPeers: population.targetPeers,
    wallStartMs,
    traffic,
  })
}
