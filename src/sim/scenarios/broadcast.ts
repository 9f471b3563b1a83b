// Scenario "broadcast": after the join, publishes from random running nodes at a rate, every
// node subscribed to one topic (or a share of them, drawn at random: a topic that only some
// follow); the report says what share of the owed deliveries arrived, how late, after how
// many hops, and how many copies each delivery cost.

import type { MeshNode } from '../../node.js'
import { pick } from '../../util/random.js'
import { BroadcastTracker } from '../broadcast-tracker.js'
import { integerOption, invalidOption, numberOption } from '../options.js'
import { describeValue } from '../../util/validate.js'
import type { BroadcastReport, SimulationReport } from '../report.js'
import { TrafficMeter } from '../traffic.js'
import { wallClockNowMs } from '../wall-clock.js'
import { finish } from './finish.js'
import { poissonGapMs } from '../poisson.js'
import { Simulation } from '../simulation.js'
import { populate, POPULATION_OPTION_NAMES, reportedPopulation, resolvePopulation, simulationOptionsOf, type PopulationParameters } from './population.js'

export interface BroadcastParameters extends PopulationParameters {
  /** Publishes in all, 1 to 1,000,000. DEFAULT 20. */
  messages?: number
  /** Publishes a virtual second over the whole mesh, on average (a Poisson process); 0.001 to 100,000. DEFAULT 2. */
  publishRatePerSec?: number
  /** Payload of each publish, 4 to 65,536 bytes (the first 4 number it). DEFAULT 64. */
  payloadBytes?: number
  /** Virtual ms run after the last publish for it to spread; 0 to 3,600,000. DEFAULT 10,000. */
  drainMs?: number
  /**
   * Share of the nodes that subscribe to the topic, each drawn at random as it is created,
   * above 0 to 1; publishers are drawn among the running subscribers, and only they are owed
   * deliveries. A topic that few follow shows whether its subscribers find each other in the
   * mesh (the relay forwards a topic among subscribers only). DEFAULT 1.
   */
  subscriberShare?: number
}

const TOPIC = 'sim/broadcast'
const NAMES: ReadonlySet<string> = new Set([...POPULATION_OPTION_NAMES, 'messages', 'publishRatePerSec', 'payloadBytes', 'drainMs', 'subscriberShare'])

interface PublishCounters {
  readonly received: number
  readonly delivered: number
}

function publishCounters(nodes: readonly MeshNode[]): PublishCounters {
  let received = 0
  let delivered = 0
  for (const node of nodes) {
    const { messages } = node.stats()
    received += messages.received
    delivered += messages.delivered
  }
  return { received, delivered }
}

/** Runs the broadcast scenario; SimulationError SIM_INVALID_OPTION for bad parameters. */
export async function runBroadcast(parameters: BroadcastParameters = {}): Promise<SimulationReport> {
  const wallStartMs = wallClockNowMs()
  const population = resolvePopulation(parameters, NAMES)
  const messages = integerOption('messages', parameters.messages, 20, 1, 1_000_000)
  const publishRatePerSec = numberOption('publishRatePerSec', parameters.publishRatePerSec, 2, 0.001, 100_000)
  const payloadBytes = integerOption('payloadBytes', parameters.payloadBytes, 64, 4, 65_536)
  const drainMs = numberOption('drainMs', parameters.drainMs, 10_000, 0, 3_600_000)
  const subscriberShare = parameters.subscriberShare ?? 1
  if (typeof subscriberShare !== 'number' || !(subscriberShare > 0 && subscriberShare <= 1)) {
    throw invalidOption(`subscriberShare must be a number above 0 and at most 1, got ${describeValue(subscriberShare)}`)
  }

  const sim = await Simulation.create(simulationOptionsOf(parameters))
  const broadcasts = new BroadcastTracker(TOPIC, () => sim.nowMs)
  const subscribers = new Set<MeshNode>()
  // A stream of its own for the draws, and none at all when every node subscribes, so the
  // default run draws exactly what it drew before the option existed.
  const subscriberRandom = subscriberShare < 1 ? sim.random.fork() : undefined
  sim.setupEachNode((node) => {
    if (subscriberRandom !== undefined && subscriberRandom.nextFloat() >= subscriberShare) return
    subscribers.add(node)
    broadcasts.follow(node)
  })
  await populate(sim, population)
  const phaseNodes = sim.runningNodes().map((entry) => entry.node)
  const meter = new TrafficMeter(phaseNodes, sim.nowMs)
  const before = publishCounters(phaseNodes)
  const publishes: Promise<void>[] = []
  let atMs = 0
  for (let i = 0; i < messages; i++) {
    atMs += poissonGapMs(sim.random, publishRatePerSec)
    sim.at(atMs, () => {
      // Drawn when it fires: the publisher is one of the nodes running then.
      const running = sim.runningNodes().map((entry) => entry.node).filter((node) => subscribers.has(node))
      const origin = pick(running, sim.random)
      if (origin !== undefined) publishes.push(broadcasts.publish(origin, running, payloadBytes))
    })
  }
  await sim.run(atMs + drainMs)
  await Promise.all(publishes)
  const after = publishCounters(phaseNodes)
  const copiesReceived = after.received - before.received
  const uniqueDelivered = after.delivered - before.delivered
  const broadcast: BroadcastReport = {
    ...broadcasts.summary(),
    copiesReceived,
    uniqueDelivered,
    duplicateFactor: uniqueDelivered === 0 ? 0 : copiesReceived / uniqueDelivered,
  }
  return finish(sim, {
    scenario: 'broadcast',
    parameters: { ...reportedPopulation(parameters, population), messages, publishRatePerSec, payloadBytes, drainMs, ...(subscriberShare < 1 ? { subscriberShare } : {}) },
    targetPeers: population.targetPeers,
    wallStartMs,
    traffic: meter.summary(phaseNodes, sim.nowMs),
    broadcast,
  })
}
