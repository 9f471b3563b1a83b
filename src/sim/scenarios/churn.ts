// Scenario "churn": after the join, x% of the newcomers leave a virtual minute and as many
// arrive, some leaving without a goodbye; meanwhile random nodes publish to everyone and read
// records put before the churn. The report says what delivery and gets held up under it.

import { integerOption, numberOption } from '../options.js'
import type { SimulationReport } from '../report.js'
import { Simulation } from '../simulation.js'
import { TrafficMeter } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'
import { ChurnPhase } from './churn-phase.js'
import { finish } from './finish.js'
import { populate, POPULATION_OPTION_NAMES, reportedPopulation, resolvePopulation, simulationOptionsOf, type PopulationParameters } from './population.js'

export interface ChurnParameters extends PopulationParameters {
  /** Share of the newcomers that leave a virtual minute (as many arrive), 0 to 1. DEFAULT 0.1. */
  churnPerMinute?: number
  /** Share of departures without a goodbye, 0 to 1. DEFAULT 0.5. */
  crashShare?: number
  /** Virtual ms the churn lasts, 1,000 to 86,400,000. DEFAULT 120,000. */
  churnMs?: number
  /** Publishes during the churn, 0 to 1,000,000. DEFAULT 20. */
  messages?: number
  /** Records put before the churn, 1 to 100,000. DEFAULT 20. */
  puts?: number
  /** Gets of them during the churn, 0 to 1,000,000. DEFAULT 100. */
  gets?: number
  /** A node leaving within this many virtual ms of a publish it has not received is not owed it; 0 to 60,000. DEFAULT 5,000. */
  graceMs?: number
  /** Virtual ms run after the churn for the last publishes to spread, 0 to 3,600,000. DEFAULT 10,000. */
  drainMs?: number
}

export const CHURN_PHASE_OPTION_NAMES = ['crashShare', 'messages', 'puts', 'gets', 'graceMs', 'drainMs'] as const
const NAMES: ReadonlySet<string> = new Set([...POPULATION_OPTION_NAMES, ...CHURN_PHASE_OPTION_NAMES, 'churnPerMinute', 'churnMs'])

/** The options churn and turnover share, checked. */
export function resolveChurnPhase(parameters: ChurnParameters) {
  return {
    crashShare: numberOption('crashShare', parameters.crashShare, 0.5, 0, 1),
    messages: integerOption('messages', parameters.messages, 20, 0, 1_000_000),
    puts: integerOption('puts', parameters.puts, 20, 1, 100_000),
    gets: integerOption('gets', parameters.gets, 100, 0, 1_000_000),
    graceMs: numberOption('graceMs', parameters.graceMs, 5_000, 0, 60_000),
    drainMs: numberOption('drainMs', parameters.drainMs, 10_000, 0, 3_600_000),
  }
}

/** Runs the churn scenario; SimulationError SIM_INVALID_OPTION for bad parameters. */
export async function runChurn(parameters: ChurnParameters = {}): Promise<SimulationReport> {
  const wallStartMs = wallClockNowMs()
  const population = resolvePopulation(parameters, NAMES)
  const fractionPerMinute = numberOption('churnPerMinute', parameters.churnPerMinute, 0.1, 0, 1)
  const durationMs = numberOption('churnMs', parameters.churnMs, 120_000, 1_000, 86_400_000)
  const shared = resolveChurnPhase(parameters)

  const sim = await Simulation.create(simulationOptionsOf(parameters))
  const phase = new ChurnPhase(sim)
  await populate(sim, population)
  const meter = new TrafficMeter(sim.runningNodes().map((entry) => entry.node), sim.nowMs)
  const result = await phase.run({ ...shared, fractionPerMinute, durationMs })
  return finish(sim, {
    scenario: 'churn',
    parameters: { ...reportedPopulation(parameters, population), churnPerMinute: fractionPerMinute, churnMs: durationMs, ...shared },
    targetPeers: population.targetPeers,
    wallStartMs,
    // Every node that ran during the churn, the ones that left and the newcomers included.
    traffic: meter.summary(sim.nodes.map((entry) => entry.node), sim.nowMs),
    sections: { churn: result },
  })
}
