// Scenario "partition": after the join, the nodes are split at random into groups that cannot
// reach each other; random nodes publish inside their groups; then the split heals, and a probe
// is published every probeIntervalMs until one reaches every running node. The report says
// how long after the heal full delivery came back, and what the split did to the sessions.

import type { MeshNode } from '../../node.js'
import { toHex } from '../../util/hex.js'
import { pick, shuffle } from '../../util/random.js'
import { BroadcastTracker } from '../broadcast-tracker.js'
import { integerOption, numberOption } from '../options.js'
import type { SimulationReport } from '../report.js'
import type { PartitionReport } from '../scenario-reports.js'
import { Simulation, type SimulatedNode } from '../simulation.js'
import { TrafficMeter } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'
import { finish } from './finish.js'
import { populate, POPULATION_OPTION_NAMES, reportedPopulation, resolvePopulation, simulationOptionsOf, type PopulationParameters } from './population.js'

export interface PartitionParameters extends PopulationParameters {
  /** Groups the nodes are split into, of as equal sizes as can be; 2 to 16. DEFAULT 2 (50/50). */
  groups?: number
  /** Virtual ms the split lasts, 1,000 to 86,400,000. DEFAULT 60,000 (past the keepalive timeout: the sessions across it die). */
  partitionMs?: number
  /** Publishes during the split, each owed to its origin's group; 0 to 100,000. DEFAULT 10. */
  messages?: number
  /** Virtual ms between the probes after the heal, 100 to 600,000. DEFAULT 2,000. */
  probeIntervalMs?: number
  /** Virtual ms after the heal to wait for full delivery before reporting it never came, 1,000 to 86,400,000. DEFAULT 300,000. */
  maxRecoveryMs?: number
  /** Virtual ms run after the recovery for the last probes to spread, 0 to 600,000. DEFAULT 5,000. */
  drainMs?: number
}

const PAYLOAD_BYTES = 64
const NAMES: ReadonlySet<string> = new Set([...POPULATION_OPTION_NAMES, 'groups', 'partitionMs', 'messages', 'probeIntervalMs', 'maxRecoveryMs', 'drainMs'])

/** Sessions whose two ends are in different groups, each counted once. */
function crossSessions(nodes: readonly MeshNode[], groupOf: ReadonlyMap<string, number>): number {
  let ends = 0
  for (const node of nodes) {
    if (!node.isRunning) continue
    const own = groupOf.get(toHex(node.id))
    for (const peer of node.peers()) {
      const other = groupOf.get(peer.peerKey)
      if (other !== undefined && other !== own) ends++
    }
  }
  return ends / 2
}

/** Runs the partition scenario; SimulationError SIM_INVALID_OPTION for bad parameters. */
export async function runPartition(parameters: PartitionParameters = {}): Promise<SimulationReport> {
  const wallStartMs = wallClockNowMs()
  const population = resolvePopulation(parameters, NAMES)
  const groupCount = integerOption('groups', parameters.groups, 2, 2, Math.min(16, population.nodes))
  const partitionMs = numberOption('partitionMs', parameters.partitionMs, 60_000, 1_000, 86_400_000)
  const messages = integerOption('messages', parameters.messages, 10, 0, 100_000)
  const probeIntervalMs = numberOption('probeIntervalMs', parameters.probeIntervalMs, 2_000, 100, 600_000)
  const maxRecoveryMs = numberOption('maxRecoveryMs', parameters.maxRecoveryMs, 300_000, 1_000, 86_400_000)
  const drainMs = numberOption('drainMs', parameters.drainMs, 5_000, 0, 600_000)

  const sim = await Simulation.create(simulationOptionsOf(parameters))
  const duringSplit = new BroadcastTracker('sim/partition/split', () => sim.nowMs)
  const probes = new BroadcastTracker('sim/partition/probe', () => sim.nowMs)
  sim.setupEachNode((node) => {
    duringSplit.follow(node)
    probes.follow(node)
  })
  await populate(sim, population)
  const nodes = sim.runningNodes()
  const meter = new TrafficMeter(nodes.map((entry) => entry.node), sim.nowMs)
  const groups: SimulatedNode[][] = Array.from({ length: groupCount }, () => [])
  shuffle([...nodes], sim.random).forEach((entry, i) => groups[i % groupCount].push(entry))
  const groupOf = new Map<string, number>()
  groups.forEach((group, index) => group.forEach((entry) => groupOf.set(toHex(entry.node.id), index)))
  const allNodes = () => sim.nodes.map((entry) => entry.node)
  const crossSessionsBeforeSplit = crossSessions(allNodes(), groupOf)

  sim.partition(groups)
  for (let i = 0; i < messages; i++) {
    sim.at(sim.random.nextFloat() * partitionMs, () => {
      const origin = pick(sim.runningNodes(), sim.random)
      if (origin === undefined) return
      const group = groups[groupOf.get(toHex(origin.node.id)) as number]
      void duringSplit.publish(origin.node, group.filter((entry) => entry.node.isRunning).map((entry) => entry.node), PAYLOAD_BYTES)
    })
  }
  await sim.run(partitionMs)
  const crossSessionsAtHeal = crossSessions(allNodes(), groupOf)
  sim.healPartition()
  const healedAtMs = sim.nowMs

  const probe = () => {
    const running = sim.runningNodes().map((entry) => entry.node)
    const origin = pick(running, sim.random)
    if (origin !== undefined) void probes.publish(origin, running, PAYLOAD_BYTES)
    sim.at(probeIntervalMs, probe)
  }
  probe()
  const firstComplete = (): { index: number; atMs: number } | undefined => {
    let best: { index: number; atMs: number } | undefined
    for (let i = 0; i < probes.messages; i++) {
      const atMs = probes.completedAtMs(i)
      if (atMs !== undefined && (best === undefined || atMs < best.atMs)) best = { index: i, atMs }
    }
    return best
  }
  await sim.runUntil(() => firstComplete() !== undefined, maxRecoveryMs)
  await sim.run(drainMs)
  const recovered = firstComplete()
  const partition: PartitionReport = {
    groupSizes: groups.map((group) => group.length),
    crossSessionsBeforeSplit,
    crossSessionsAtHeal,
    crossSessionsAtEnd: crossSessions(allNodes(), groupOf),
    duringSplit: duringSplit.summary(),
    afterHeal: probes.summary(),
    isRecovered: recovered !== undefined,
    recoveryMs: recovered === undefined ? null : recovered.atMs - healedAtMs,
    probesBeforeRecovery: recovered === undefined ? null : recovered.index,
  }
  return finish(sim, {
    scenario: 'partition',
    parameters: { ...reportedPopulation(parameters, population), groups: groupCount, partitionMs, messages, probeIntervalMs, maxRecoveryMs, drainMs },
    targetPeers: population.targetPeers,
    wallStartMs,
    traffic: meter.summary(nodes.map((entry) => entry.node), sim.nowMs),
    sections: { partition },
  })
}
