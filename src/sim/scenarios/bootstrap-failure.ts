// Scenario "bootstrap-failure": the bootstrap nodes die (crash, no goodbye), some halfway
// through the newcomers' arrivals and the rest after the join has settled; then latecomers
// arrive knowing only the dead bootstrap addresses, and the survivors publish to each other.
// The report says who could still join, and whether the mesh holds together without its seeds.

import { pick } from '../../util/random.js'
import { BroadcastTracker } from '../broadcast-tracker.js'
import { integerOption, numberOption } from '../options.js'
import type { SimulationReport } from '../report.js'
import type { BootstrapFailureReport } from '../scenario-reports.js'
import { Simulation, type SimulatedNode } from '../simulation.js'
import { TrafficMeter } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'
import { finish } from './finish.js'
import { sessionComponents } from '../components.js'
import { POPULATION_OPTION_NAMES, reportedPopulation, resolvePopulation, simulationOptionsOf, type PopulationParameters } from './population.js'

export interface BootstrapFailureParameters extends PopulationParameters {
  /** Bootstrap nodes that die halfway through the arrivals, 0 to bootstrapNodes. DEFAULT 1. */
  diedDuringJoin?: number
  /** Bootstrap nodes that die once the join has settled, 0 to bootstrapNodes - diedDuringJoin. DEFAULT the rest. */
  diedAfterJoin?: number
  /** Newcomers (of `nodes`) that arrive after the last deaths, 0 to nodes - bootstrapNodes - 1. DEFAULT 5. */
  latecomers?: number
  /** Publishes among the survivors after the deaths, 0 to 100,000. DEFAULT 10. */
  messages?: number
  /** Virtual ms run after the last publish, 0 to 3,600,000. DEFAULT 10,000. */
  drainMs?: number
}

const TOPIC = 'sim/bootstrap-failure'
const PAYLOAD_BYTES = 64
const NAMES: ReadonlySet<string> = new Set([...POPULATION_OPTION_NAMES, 'diedDuringJoin', 'diedAfterJoin', 'latecomers', 'messages', 'drainMs'])

/** Runs the bootstrap-failure scenario; SimulationError SIM_INVALID_OPTION for bad parameters. */
export async function runBootstrapFailure(parameters: BootstrapFailureParameters = {}): Promise<SimulationReport> {
  const wallStartMs = wallClockNowMs()
  const population = resolvePopulation(parameters, NAMES)
  const { bootstrapNodes, nodes, arrivalRatePerSec, settleMs } = population
  const diedDuringJoin = integerOption('diedDuringJoin', parameters.diedDuringJoin, Math.min(1, bootstrapNodes), 0, bootstrapNodes)
  const diedAfterJoin = integerOption('diedAfterJoin', parameters.diedAfterJoin, bootstrapNodes - diedDuringJoin, 0, bootstrapNodes - diedDuringJoin)
  const newcomers = nodes - bootstrapNodes
  const latecomers = integerOption('latecomers', parameters.latecomers, Math.min(5, newcomers - 1), 0, newcomers - 1)
  const messages = integerOption('messages', parameters.messages, 10, 0, 100_000)
  const drainMs = numberOption('drainMs', parameters.drainMs, 10_000, 0, 3_600_000)

  const sim = await Simulation.create(simulationOptionsOf(parameters))
  const broadcasts = new BroadcastTracker(TOPIC, () => sim.nowMs)
  sim.setupEachNode((node) => broadcasts.follow(node))
  const seeds = await sim.addBootstrapNodes(bootstrapNodes)
  const startMs = sim.nowMs
  const lastArrivalMs = sim.scheduleArrivals(newcomers - latecomers, arrivalRatePerSec)
  const diedDuringJoinAtMs = (lastArrivalMs - startMs) / 2
  const crash = (entries: readonly SimulatedNode[]) => {
    for (const entry of entries) void sim.crash(entry)
  }
  sim.at(diedDuringJoinAtMs, () => crash(seeds.slice(0, diedDuringJoin)))
  await sim.run(lastArrivalMs - startMs + settleMs)
  const diedAfterJoinAtMs = sim.nowMs - startMs
  crash(seeds.slice(diedDuringJoin, diedDuringJoin + diedAfterJoin))
  // Long enough for the peers of the dead to notice (keepalive interval and timeout) before anyone arrives again.
  await sim.run(settleMs)
  const latecomersFromMs = sim.nowMs - startMs
  const lastLatecomerMs = sim.scheduleArrivals(latecomers, arrivalRatePerSec)
  await sim.run(lastLatecomerMs - sim.nowMs + settleMs)

  const survivors = sim.runningNodes().map((entry) => entry.node)
  const componentsAfterDeaths = sessionComponents(survivors)
  const meter = new TrafficMeter(survivors, sim.nowMs)
  let atMs = 0
  for (let i = 0; i < messages; i++) {
    atMs += 1_000
    sim.at(atMs, () => {
      const running = sim.runningNodes().map((entry) => entry.node)
      const origin = pick(running, sim.random)
      if (origin !== undefined) void broadcasts.publish(origin, running, PAYLOAD_BYTES)
    })
  }
  await sim.run(atMs + drainMs)

  const newNodes = sim.nodes.filter((entry) => !entry.isBootstrap)
  const arrivedIn = (fromMs: number, toMs: number) => newNodes.filter((entry) => entry.arrivedAtMs - startMs >= fromMs && entry.arrivedAtMs - startMs < toMs)
  const started = (entries: readonly SimulatedNode[]) => entries.filter((entry) => entry.joinedAtMs !== undefined).length
  const before = arrivedIn(0, diedDuringJoinAtMs)
  const during = arrivedIn(diedDuringJoinAtMs, latecomersFromMs)
  const after = arrivedIn(latecomersFromMs, Infinity)
  const failuresAfterAllDied: Record<string, number> = {}
  for (const entry of after) if (entry.startFailure !== undefined) failuresAfterAllDied[entry.startFailure] = (failuresAfterAllDied[entry.startFailure] ?? 0) + 1
  const bootstrapFailure: BootstrapFailureReport = {
    diedDuringJoinAtMs,
    diedAfterJoinAtMs,
    diedDuringJoin,
    diedAfterJoin,
    arrivedBeforeDeaths: before.length,
    arrivedDuringDeaths: during.length,
    arrivedAfterAllDied: after.length,
    startedBeforeDeaths: started(before),
    startedDuringDeaths: started(during),
    startedAfterAllDied: started(after),
    failuresAfterAllDied,
    componentsAfterDeaths,
    broadcastAfterDeaths: broadcasts.summary(),
  }
  return finish(sim, {
    scenario: 'bootstrap-failure',
    parameters: { ...reportedPopulation(parameters, population), diedDuringJoin, diedAfterJoin, latecomers, messages, drainMs },
    targetPeers: population.targetPeers,
    wallStartMs,
    traffic: meter.summary(survivors, sim.nowMs),
    sections: { bootstrapFailure },
  })
}
