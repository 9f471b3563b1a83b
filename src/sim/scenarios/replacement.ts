// Nodes leaving and newcomers taking their place, at a rate, for churn and turnover: each
// departure a random running newcomer (the bootstrap nodes stay: they are the deployment's
// infrastructure), some of them without a goodbye; as many arrivals, through the bootstrap
// nodes, at the same rate. Departures and arrivals are Poisson processes from the seed.

import type { ReplacementSummary } from '../scenario-reports.js'
import type { SimulatedNode, Simulation } from '../simulation.js'
import { poissonGapMs } from '../poisson.js'
import { summarize } from '../distribution.js'

export interface ReplacementPlan {
  /** Share of the running newcomers that leave a virtual minute (and as many arrive). */
  readonly fractionPerMinute: number
  /** Share of departures without a goodbye. */
  readonly crashShare: number
  readonly durationMs: number
}

export class Replacement {
  readonly #sim: Simulation
  readonly #firstNewIndex: number
  #left = 0
  #crashed = 0

  /**
   * Schedules the plan from now on `sim`; `onDeparture` hears of each departing node just
   * before it stops. Departures are drawn from sim.random, arrivals from the arrival stream.
   */
  constructor(sim: Simulation, plan: ReplacementPlan, onDeparture: (entry: SimulatedNode) => void) {
    this.#sim = sim
    this.#firstNewIndex = sim.nodes.length
    const newcomers = sim.runningNodes().filter((entry) => !entry.isBootstrap).length
    const ratePerSec = (plan.fractionPerMinute * newcomers) / 60
    if (ratePerSec === 0) return
    let departures = 0
    for (let atMs = poissonGapMs(sim.random, ratePerSec); atMs <= plan.durationMs; atMs += poissonGapMs(sim.random, ratePerSec)) {
      departures++
      sim.at(atMs, () => {
        const candidates = sim.runningNodes().filter((entry) => !entry.isBootstrap)
        if (candidates.length === 0) return
        const entry = candidates[sim.random.nextInt(candidates.length)]
        const isCrash = sim.random.nextFloat() < plan.crashShare
        onDeparture(entry)
        if (isCrash) {
          this.#crashed++
          void sim.crash(entry)
        } else {
          this.#left++
          void sim.leave(entry)
        }
      })
    }
    sim.scheduleArrivals(departures, ratePerSec)
  }

  summary(): ReplacementSummary {
    const arrivals = this.#sim.nodes.slice(this.#firstNewIndex)
    return {
      left: this.#left,
      crashed: this.#crashed,
      arrived: arrivals.length,
      arrivedStarted: arrivals.filter((entry) => entry.joinedAtMs !== undefined).length,
      arrivedStillJoining: arrivals.filter((entry) => entry.joinedAtMs === undefined && entry.startFailure === undefined).length,
      arrivedJoinTimeMs: summarize(arrivals.flatMap((entry) => (entry.joinedAtMs === undefined ? [] : [entry.joinedAtMs - entry.arrivedAtMs]))),
      runningAtEnd: this.#sim.runningNodes().length,
    }
  }
}
