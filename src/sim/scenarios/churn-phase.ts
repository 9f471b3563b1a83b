// The measured phase of churn and turnover: records put first, then nodes replaced at a rate
// while random nodes publish to everyone and read the records back. What the phase delivered
// and found is what the population keeps working through the replacement.

import type { MeshNode } from '../../node.js'
import { pick } from '../../util/random.js'
import { WasmeshError } from '../../util/wasmesh-error.js'
import { BroadcastTracker, type BroadcastSummary } from '../broadcast-tracker.js'
import { DhtTracker, type DhtSummary } from '../dht-tracker.js'
import type { ReplacementSummary } from '../scenario-reports.js'
import type { Simulation } from '../simulation.js'
import { settleOperations } from './operations.js'
import { Replacement, type ReplacementPlan } from './replacement.js'

const TOPIC = 'sim/churn'
const PAYLOAD_BYTES = 64
const VALUE_BYTES = 64
/** Virtual ms between the puts before the replacement starts. */
const PUT_GAP_MS = 100

export interface ChurnPhasePlan extends ReplacementPlan {
  /** Publishes spread over the replacement (Poisson). */
  readonly messages: number
  /** Records put before the replacement. */
  readonly puts: number
  /** Gets of those records spread over the replacement, from random running nodes. */
  readonly gets: number
  /** A node that leaves within this long of a publish it has not received is not owed it. */
  readonly graceMs: number
  /** Virtual ms run after the replacement, for the last publishes to spread. */
  readonly drainMs: number
}

export interface ChurnPhaseResult {
  readonly replacement: ReplacementSummary
  readonly broadcast: BroadcastSummary
  readonly dht: DhtSummary
}

function unlessNodeError(error: unknown): void {
  // A publish or get refused by the node is a result (counted by the trackers); anything else is a bug.
  if (!(error instanceof WasmeshError)) throw error
}

export class ChurnPhase {
  readonly #sim: Simulation
  readonly #broadcasts: BroadcastTracker

  /** Subscribes every node created from now on; construct before the population joins. */
  constructor(sim: Simulation) {
    this.#sim = sim
    this.#broadcasts = new BroadcastTracker(TOPIC, () => sim.nowMs)
    sim.setupEachNode((node) => this.#broadcasts.follow(node))
  }

  async run(plan: ChurnPhasePlan): Promise<ChurnPhaseResult> {
    const sim = this.#sim
    const running = (): MeshNode[] => sim.runningNodes().map((entry) => entry.node)
    const records = new DhtTracker(() => sim.nowMs, sim.random)
    for (let i = 0; i < plan.puts; i++) {
      sim.at(i * PUT_GAP_MS, () => {
        const origin = pick(running(), sim.random)
        if (origin !== undefined) void records.put(origin, VALUE_BYTES)
      })
    }
    await settleOperations(sim, records, plan.puts * PUT_GAP_MS)

    const replacement = new Replacement(sim, plan, (entry) => this.#broadcasts.noteDeparture(entry.node, plan.graceMs))
    // `count` events at uniform times over the replacement: a Poisson process given its count.
    const spread = (count: number, action: () => void) => {
      for (let i = 0; i < count; i++) sim.at(sim.random.nextFloat() * plan.durationMs, action)
    }
    spread(plan.messages, () => {
      const nodes = running()
      const origin = pick(nodes, sim.random)
      if (origin !== undefined) this.#broadcasts.publish(origin, nodes, PAYLOAD_BYTES).catch(unlessNodeError)
    })
    spread(plan.gets, () => {
      const reader = pick(running(), sim.random)
      if (reader !== undefined) records.getRandom(reader, sim.random)?.catch(unlessNodeError)
    })
    await settleOperations(sim, records, plan.durationMs + plan.drainMs)
    return { replacement: replacement.summary(), broadcast: this.#broadcasts.summary(), dht: records.summary() }
  }
}
