// The named scenarios, each a function of its parameters that resolves with a report.

import { SimulationError } from '../errors.js'
import type { SimulationReport } from '../report.js'
import { runBroadcast, type BroadcastParameters } from './broadcast.js'
import { runJoin, type JoinParameters } from './join.js'
import { runDht, type DhtParameters } from './dht.js'
import { runChurn, type ChurnParameters } from './churn.js'
import { runPartition, type PartitionParameters } from './partition.js'
import { runBootstrapFailure, type BootstrapFailureParameters } from './bootstrap-failure.js'
import { runStorm, type StormParameters } from './storm.js'
import { runTurnover, type TurnoverParameters } from './turnover.js'
import { runHotspot, type HotspotParameters } from './hotspot.js'

export { runBroadcast, type BroadcastParameters } from './broadcast.js'
export { runJoin, type JoinParameters } from './join.js'
export { runDht, type DhtParameters } from './dht.js'
export { runChurn, type ChurnParameters } from './churn.js'
export { runPartition, type PartitionParameters } from './partition.js'
export { runBootstrapFailure, type BootstrapFailureParameters } from './bootstrap-failure.js'
export { runStorm, type StormParameters } from './storm.js'
export { runTurnover, type TurnoverParameters } from './turnover.js'
export { runHotspot, type HotspotParameters } from './hotspot.js'
export type { PopulationParameters } from './population.js'

/** Each scenario's parameters, by name. */
export interface ScenarioParameters {
  join: JoinParameters
  broadcast: BroadcastParameters
  dht: DhtParameters
  churn: ChurnParameters
  partition: PartitionParameters
  'bootstrap-failure': BootstrapFailureParameters
  storm: StormParameters
  turnover: TurnoverParameters
  hotspot: HotspotParameters
}

export type ScenarioName = keyof ScenarioParameters

const SCENARIOS: { readonly [Name in ScenarioName]: (parameters: ScenarioParameters[Name]) => Promise<SimulationReport> } = {
  join: runJoin,
  broadcast: runBroadcast,
  dht: runDht,
  churn: runChurn,
  partition: runPartition,
  'bootstrap-failure': runBootstrapFailure,
  storm: runStorm,
  turnover: runTurnover,
  hotspot: runHotspot,
}

/** The scenarios runScenario() knows. */
export const scenarioNames: readonly ScenarioName[] = Object.freeze(Object.keys(SCENARIOS) as ScenarioName[])

/** Runs the scenario `name`; SimulationError SIM_UNKNOWN_SCENARIO for a name not in scenarioNames. */
export function runScenario<Name extends ScenarioName>(name: Name, parameters: ScenarioParameters[Name] = {}): Promise<SimulationReport> {
  if (!Object.hasOwn(SCENARIOS, name)) {
    return Promise.reject(new SimulationError('SIM_UNKNOWN_SCENARIO', `unknown scenario ${JSON.stringify(name)}; expected one of ${scenarioNames.join(', ')}`))
  }
  return SCENARIOS[name](parameters)
}
