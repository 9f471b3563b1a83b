// Scenario "turnover": after the join, newcomers are replaced (a share of them without a
// goodbye) until as many have left as there were, within less time than the DHT's bucket
// refresh; meanwhile random nodes publish and read records put before. The report says what
// delivery and gets held up when routing tables fill with peers that are gone.

import { DHT_DEFAULTS } from '../../dht/options.js'
import { numberOption } from '../options.js'
import type { SimulationReport } from '../report.js'
import type { TurnoverReport } from '../scenario-reports.js'
import { Simulation } from '../simulation.js'
import { TrafficMeter } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'
import { ChurnPhase } from './churn-phase.js'
import { CHURN_PHASE_OPTION_NAMES, resolveChurnPhase, type ChurnParameters } from './churn.js'
import { finish } from './finish.js'
import { populate, POPULATION_OPTION_NAMES, reportedPopulation, resolvePopulation, simulationOptionsOf } from './population.js'

export interface TurnoverParameters extends Omit<ChurnParameters, 'churnPerMinute' | 'churnMs'> {
  /** Departures over the turnover as a share of the newcomers (1: as many as there were), 0.01 to 10. DEFAULT 1. */
  replaced?: number
  /** Virtual ms the turnover takes, 1,000 to 86,400,000. DEFAULT 300,000 (a third of the default 15-minute bucket refresh). */
  turnoverMs?: number
}

const NAMES: ReadonlySet<string> = new Set([...POPULATION_OPTION_NAMES, ...CHURN_PHASE_OPTION_NAMES, 'replaced', 'turnoverMs'])

/** Runs the turnover scenario; SimulationError SIM_INVALID_OPTION for bad parameters. */
export async function runTurnover(parameters: TurnoverParameters = {}): Promise<SimulationReport> {
  const wallStartMs = wallClockNowMs()
  const population = resolvePopulation(parameters, NAMES)
  const replaced = numberOption('replaced', parameters.replaced, 1, 0.01, 10)
  const durationMs = numberOption('turnoverMs', parameters.turnoverMs, 300_000, 1_000, 86_400_000)
  const shared = resolveChurnPhase(parameters)
  const bucketRefreshMs = parameters.node?.dht?.refreshMs ?? DHT_DEFAULTS.refreshMs

  const sim = await Simulation.create(simulationOptionsOf(parameters))
  const phase = new ChurnPhase(sim)
  await populate(sim, population)
  const originals = sim.runningNodes().filter((entry) => !entry.isBootstrap)
  const nodesBefore = sim.runningNodes().map((entry) => entry.node)
  const timeoutsBefore = nodesBefore.reduce((sum, node) => sum + node.stats().layers.dht.requestTimeouts, 0)
  const meter = new TrafficMeter(nodesBefore, sim.nowMs)
  // A replaced share per minute that adds up to `replaced` over the turnover (of the newcomers at its start).
  const result = await phase.run({ ...shared, fractionPerMinute: (replaced * 60_000) / durationMs, durationMs })
  const everyNode = sim.nodes.map((entry) => entry.node)
  const turnover: TurnoverReport = {
    ...result,
    bucketRefreshMs,
    originalsLeft: originals.filter((entry) => entry.node.isRunning).length,
    dhtRequestTimeouts: everyNode.reduce((sum, node) => sum + node.stats().layers.dht.requestTimeouts, 0) - timeoutsBefore,
  }
  return finish(sim, {
    scenario: 'turnover',
    parameters: { ...reportedPopulation(parameters, population), replaced, turnoverMs: durationMs, bucketRefreshMs, ...shared },
    targetPeers: population.targetPeers,
    wallStartMs,
    traffic: meter.summary(everyNode, sim.nowMs),
    sections: { turnover },
  })
}
