// Scenario "hotspot": after the join, one node puts one immutable record and then every other
// running node reads it, all within a short stretch of virtual time. The report says what share
// of the gets found it, how many nodes held it, and what the reads cost the holders next to
// everyone else: the load a key everybody wants puts on the k nodes closest to it.

import type { MeshNode } from '../../node.js'
import { pick } from '../../util/random.js'
import { DhtTracker } from '../dht-tracker.js'
import { integerOption, numberOption } from '../options.js'
import type { SimulationReport } from '../report.js'
import type { HotspotReport } from '../scenario-reports.js'
import { Simulation } from '../simulation.js'
import { TrafficMeter } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'
import { finish } from './finish.js'
import { settleOperations } from './operations.js'
import { populate, POPULATION_OPTION_NAMES, reportedPopulation, resolvePopulation, simulationOptionsOf, type PopulationParameters } from './population.js'

export interface HotspotParameters extends PopulationParameters {
  /** Gets of the hot record each reader makes, 1 to 1,000. DEFAULT 1. */
  getsPerReader?: number
  /** Virtual ms the gets are spread over (each at a uniform random time), 1,000 to 86,400,000. DEFAULT 60,000. */
  readMs?: number
  /** Bytes of the hot record's value, 4 to 16,384. DEFAULT 64. */
  valueBytes?: number
}

const NAMES: ReadonlySet<string> = new Set([...POPULATION_OPTION_NAMES, 'getsPerReader', 'readMs', 'valueBytes'])
/** The hot record is the only one put, so it is record 0 of the tracker. */
const HOT_RECORD = 0

/** Records in a node's DHT store: what it answers peers' lookups from (its own published copy is not among them). */
const recordsHeld = (node: MeshNode) => node.stats().layers.dht.records

/** Runs the hotspot scenario; SimulationError SIM_INVALID_OPTION for bad parameters. */
export async function runHotspot(parameters: HotspotParameters = {}): Promise<SimulationReport> {
  const wallStartMs = wallClockNowMs()
  const population = resolvePopulation(parameters, NAMES)
  const getsPerReader = integerOption('getsPerReader', parameters.getsPerReader, 1, 1, 1_000)
  const readMs = numberOption('readMs', parameters.readMs, 60_000, 1_000, 86_400_000)
  const valueBytes = integerOption('valueBytes', parameters.valueBytes, 64, 4, 16_384)

  const sim = await Simulation.create(simulationOptionsOf(parameters))
  await populate(sim, population)
  const tracker = new DhtTracker(() => sim.nowMs, sim.random)
  const running = sim.runningNodes()
  const nodes = running.map((entry) => entry.node)
  const recordsBefore = new Map(nodes.map((node) => [node, recordsHeld(node)]))
  // A newcomer puts it (the bootstrap nodes are infrastructure, not users).
  const origin = pick(running.filter((entry) => !entry.isBootstrap), sim.random)?.node ?? nodes[0]
  void tracker.put(origin, valueBytes)
  await settleOperations(sim, tracker, 0)

  const readers = nodes.filter((node) => node !== origin)
  const meter = new TrafficMeter(nodes, sim.nowMs)
  let lastStartMs = 0
  if (tracker.storedRecords > 0) {
    for (const reader of readers) {
      for (let i = 0; i < getsPerReader; i++) {
        const atMs = sim.random.nextFloat() * readMs
        lastStartMs = Math.max(lastStartMs, atMs)
        sim.at(atMs, () => {
          if (reader.isRunning) void tracker.get(reader, HOT_RECORD)
        })
      }
    }
  }
  await settleOperations(sim, tracker, lastStartMs)

  const traffic = meter.summary(nodes, sim.nowMs)
  const holders = nodes.filter((node) => recordsHeld(node) > (recordsBefore.get(node) ?? 0))
  const others = nodes.filter((node) => !holders.includes(node))
  const hotspot: HotspotReport = {
    readers: readers.length,
    getsPerReader,
    holders: holders.length,
    dht: tracker.summary(),
    holderMessagesReceivedPerSec: meter.summary(holders, sim.nowMs).messagesReceivedPerNodePerSec,
    otherMessagesReceivedPerSec: meter.summary(others, sim.nowMs).messagesReceivedPerNodePerSec,
  }
  return finish(sim, {
    scenario: 'hotspot',
    parameters: { ...reportedPopulation(parameters, population), getsPerReader, readMs, valueBytes },
    targetPeers: population.targetPeers,
    wallStartMs,
    traffic,
    sections: { hotspot },
  })
}
