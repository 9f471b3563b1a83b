// The population every scenario starts from: a few bootstrap nodes that know each other, and
// newcomers given all their addresses, arriving at a rate (join, section "Scenarios" of
// issue 13). Its parameters are shared by the scenarios built on top of it.

import { DEFAULT_TARGET_PEERS } from '../../peers/options.js'
import { checkKnownNames, integerOption, numberOption, resolveSimulationOptions, type SimulationOptions } from '../options.js'
import type { Simulation } from '../simulation.js'

export interface PopulationParameters extends SimulationOptions {
  /** Nodes in all, bootstrap nodes included; 2 to 100,000. DEFAULT 100. */
  nodes?: number
  /** Bootstrap nodes, 1 to 64 and fewer than nodes. DEFAULT 3. */
  bootstrapNodes?: number
  /** Newcomers arriving a virtual second, on average (a Poisson process); 0.01 to 100,000. DEFAULT 20. */
  arrivalRatePerSec?: number
  /** Virtual ms run after the last arrival, for the joins to finish and the mesh to settle; 0 to 86,400,000. DEFAULT 30,000. */
  settleMs?: number
}

export interface ResolvedPopulation {
  readonly nodes: number
  readonly bootstrapNodes: number
  readonly arrivalRatePerSec: number
  readonly settleMs: number
  readonly targetPeers: number
}

export const POPULATION_OPTION_NAMES = ['seed', 'latencyMs', 'jitterMs', 'loss', 'regions', 'bandwidthBytesPerSec', 'node', 'signatures', 'signCostMs', 'verifyCostMs', 'nodes', 'bootstrapNodes', 'arrivalRatePerSec', 'settleMs'] as const

/** Checks the population's parameters (SIM_INVALID_OPTION), refusing names outside `names`. */
export function resolvePopulation(parameters: PopulationParameters, names: ReadonlySet<string>): ResolvedPopulation {
  checkKnownNames('scenario', parameters, names)
  const nodes = integerOption('nodes', parameters.nodes, 100, 2, 100_000)
  return {
    nodes,
    bootstrapNodes: integerOption('bootstrapNodes', parameters.bootstrapNodes, 3, 1, Math.min(64, nodes - 1)),
    arrivalRatePerSec: numberOption('arrivalRatePerSec', parameters.arrivalRatePerSec, 20, 0.01, 100_000),
    settleMs: numberOption('settleMs', parameters.settleMs, 30_000, 0, 86_400_000),
    targetPeers: parameters.node?.peers?.targetPeers ?? DEFAULT_TARGET_PEERS,
  }
}

/** The simulation options among a scenario's parameters. */
export function simulationOptionsOf(parameters: PopulationParameters): SimulationOptions {
  const { seed, latencyMs, jitterMs, loss, regions, bandwidthBytesPerSec, node, signatures, signCostMs, verifyCostMs } = parameters
  return { seed, latencyMs, jitterMs, loss, regions, bandwidthBytesPerSec, node, signatures, signCostMs, verifyCostMs }
}

/**
 * Starts the bootstrap nodes of a new simulation, lets the newcomers arrive and runs until
 * settleMs after the last one.
 */
export async function populate(sim: Simulation, population: ResolvedPopulation): Promise<void> {
  await sim.addBootstrapNodes(population.bootstrapNodes)
  const lastArrivalMs = sim.scheduleArrivals(population.nodes - population.bootstrapNodes, population.arrivalRatePerSec)
  await sim.run(lastArrivalMs - sim.nowMs + population.settleMs)
}

/** The resolved parameters as the report lists them (node sections are reported by what they change: targetPeers). */
export function reportedPopulation(parameters: PopulationParameters, population: ResolvedPopulation): Record<string, number> {
  const simulation = resolveSimulationOptions(simulationOptionsOf(parameters))
  return { seed: simulation.seed, latencyMs: simulation.latencyMs, jitterMs: simulation.jitterMs, loss: simulation.loss, ...population }
}
