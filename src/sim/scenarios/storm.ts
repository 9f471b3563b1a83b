// Scenario "storm": after the join, a few nodes publish on the shared topic at a multiple (100x
// by default) of the per-peer rate limit, while honest nodes go on publishing at a normal rate.
// The report says what share of the flood got through, what load it put on each honest node,
// and whether honest delivery held: the rate limiter and the score doing their work.

import type { MeshNode } from '../../node.js'
import { DEFAULT_RATE_LIMIT_PER_PEER } from '../../peers/options.js'
import { pick, shuffle } from '../../util/random.js'
import { WasmeshError } from '../../util/wasmesh-error.js'
import { BroadcastTracker } from '../broadcast-tracker.js'
import { perNode } from '../distribution.js'
import { dropsByReason } from '../drops.js'
import { integerOption, invalidOption, numberOption } from '../options.js'
import type { SimulationReport } from '../report.js'
import type { StormReport } from '../scenario-reports.js'
import { Simulation } from '../simulation.js'
import { TrafficMeter } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'
import { finish } from './finish.js'
import { populate, POPULATION_OPTION_NAMES, reportedPopulation, resolvePopulation, simulationOptionsOf, type PopulationParameters } from './population.js'

export interface StormParameters extends PopulationParameters {
  /** Attacking nodes (newcomers drawn at random), 1 to nodes - bootstrapNodes - 1. DEFAULT 3. */
  attackers?: number
  /** Each attacker's publish rate as a multiple of the per-peer rate limit (node.peers.rateLimitPerPeer), 1 to 10,000. DEFAULT 100. */
  multiplier?: number
  /**
   * Each attacker's publish rate in publishes a virtual second, 1 to 10,000,000, instead of
   * `multiplier`: for a storm against nodes whose limits are raised out of its way (the storm
   * without rate limits), where a multiple of the limit would rise with them. DEFAULT multiplier x rateLimitPerPeer.
   */
  attackerRatePerSec?: number
  /** Virtual ms the storm lasts, 100 to 3,600,000. DEFAULT 2,000. */
  stormMs?: number
  /** Honest publishes during the storm, from random honest nodes, 0 to 100,000. DEFAULT 10. */
  messages?: number
  /** Virtual ms run after the storm for the last publishes to spread (and the queues to drain), 0 to 3,600,000. DEFAULT 10,000. */
  drainMs?: number
}

const TOPIC = 'sim/storm'
const PAYLOAD_BYTES = 64
/** Attacker payloads start with this instead of a broadcast number, so the tracker ignores them. */
const ATTACK_MARKER = 0xffff_ffff
/** The attackers publish in batches every tick: one timer per tick, not one per publish. */
const TICK_MS = 10
const RATE_LIMIT_DROPS = ['peers.rate-limit', 'peers.relay-rate-limit', 'relay.origin-rate-limit']
const NAMES: ReadonlySet<string> = new Set([...POPULATION_OPTION_NAMES, 'attackers', 'multiplier', 'attackerRatePerSec', 'stormMs', 'messages', 'drainMs'])

function unlessNodeError(error: unknown): void {
  // A publish the attacker's own node refused (its queue full) is part of the storm; anything else is a bug.
  if (!(error instanceof WasmeshError)) throw error
}

/** Runs the storm scenario; SimulationError SIM_INVALID_OPTION for bad parameters. */
export async function runStorm(parameters: StormParameters = {}): Promise<SimulationReport> {
  const wallStartMs = wallClockNowMs()
  const population = resolvePopulation(parameters, NAMES)
  const attackerCount = integerOption('attackers', parameters.attackers, 3, 1, population.nodes - population.bootstrapNodes - 1)
  if (parameters.multiplier !== undefined && parameters.attackerRatePerSec !== undefined) {
    throw invalidOption('give multiplier or attackerRatePerSec, not both: each sets the attackers\' rate')
  }
  const multiplier = numberOption('multiplier', parameters.multiplier, 100, 1, 10_000)
  const stormMs = numberOption('stormMs', parameters.stormMs, 2_000, 100, 3_600_000)
  const messages = integerOption('messages', parameters.messages, 10, 0, 100_000)
  const drainMs = numberOption('drainMs', parameters.drainMs, 10_000, 0, 3_600_000)
  const rateLimitPerPeer = parameters.node?.peers?.rateLimitPerPeer ?? DEFAULT_RATE_LIMIT_PER_PEER
  const attackerRatePerSec = parameters.attackerRatePerSec === undefined
    ? multiplier * rateLimitPerPeer
    : numberOption('attackerRatePerSec', parameters.attackerRatePerSec, 0, 1, 10_000_000)

  const sim = await Simulation.create(simulationOptionsOf(parameters))
  const honestBroadcasts = new BroadcastTracker(TOPIC, () => sim.nowMs)
  const attackReceived = new Map<MeshNode, number>()
  sim.setupEachNode((node) => {
    honestBroadcasts.follow(node)
    node.subscribe(TOPIC, (message) => {
      if (message.data.length >= 4 && new DataView(message.data.buffer, message.data.byteOffset, 4).getUint32(0) === ATTACK_MARKER) {
        attackReceived.set(node, (attackReceived.get(node) ?? 0) + 1)
      }
    })
  })
  await populate(sim, population)
  const newcomers = sim.runningNodes().filter((entry) => !entry.isBootstrap)
  const attackers = new Set(shuffle([...newcomers], sim.random).slice(0, attackerCount).map((entry) => entry.node))
  const honest = sim.runningNodes().map((entry) => entry.node).filter((node) => !attackers.has(node))
  const meter = new TrafficMeter(honest, sim.nowMs)

  const attack = new Uint8Array(PAYLOAD_BYTES)
  new DataView(attack.buffer).setUint32(0, ATTACK_MARKER)
  let attackerPublishes = 0
  const perTick = (attackerRatePerSec * TICK_MS) / 1_000
  let owed = 0
  for (let atMs = 0; atMs < stormMs; atMs += TICK_MS) {
    sim.at(atMs, () => {
      // Fractional rates carry over from tick to tick, so the mean rate is exact.
      owed += perTick
      const batch = Math.floor(owed)
      owed -= batch
      for (const attacker of attackers) {
        if (!attacker.isRunning) continue
        for (let i = 0; i < batch; i++) {
          attackerPublishes++
          attacker.publish(TOPIC, attack).catch(unlessNodeError)
        }
      }
    })
  }
  for (let i = 0; i < messages; i++) {
    sim.at(sim.random.nextFloat() * stormMs, () => {
      const running = honest.filter((node) => node.isRunning)
      const origin = pick(running, sim.random)
      if (origin !== undefined) honestBroadcasts.publish(origin, running, PAYLOAD_BYTES).catch(unlessNodeError)
    })
  }
  await sim.run(stormMs + drainMs)

  const traffic = meter.summary(honest, sim.nowMs)
  const perSec = (count: number) => (count * 1_000) / traffic.durationMs
  const attackerDeliveries = honest.reduce((sum, node) => sum + (attackReceived.get(node) ?? 0), 0)
  const drops = dropsByReason(sim.nodes.map((entry) => entry.node))
  const rateLimitDrops = RATE_LIMIT_DROPS.reduce((sum, name) => sum + (drops[name] ?? 0), 0)
  const storm: StormReport = {
    attackers: attackers.size,
    attackerRatePerSec,
    stormMs,
    attackerPublishes,
    attackerDeliveries,
    attackerDeliveryShare: attackerPublishes === 0 ? 0 : attackerDeliveries / (attackerPublishes * honest.length),
    attackerDeliveriesPerHonestNodePerSec: perNode(honest.map((node) => perSec(attackReceived.get(node) ?? 0))),
    honest: honestBroadcasts.summary(),
    honestMessagesReceivedPerNodePerSec: traffic.messagesReceivedPerNodePerSec,
    rateLimitDrops,
    bansHeldByHonestNodes: honest.reduce((sum, node) => sum + node.stats().layers.peers.bans, 0),
  }
  return finish(sim, {
    scenario: 'storm',
    parameters: { ...reportedPopulation(parameters, population), attackers: attackerCount, ...(parameters.attackerRatePerSec === undefined ? { multiplier } : { attackerRatePerSec }), stormMs, messages, drainMs, rateLimitPerPeer },
    targetPeers: population.targetPeers,
    wallStartMs,
    traffic,
    sections: { storm },
  })
}
