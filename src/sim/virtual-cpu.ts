// One simulated node's processor, in virtual time: work charged to it runs one piece after
// another, so a node that must verify many signatures at once answers the last one late, as a
// real node would. The simulator charges Ed25519's measured cost here (node-signatures.ts).

import type { Clock } from '../util/clock.js'

export class VirtualCpu {
  readonly #clock: Pick<Clock, 'now' | 'setTimeout'>
  /** Virtual time the work charged so far is done; in the past when the processor is idle. */
  #freeAtMs = 0
  #busyMs = 0

  constructor(clock: Pick<Clock, 'now' | 'setTimeout'>) {
    this.#clock = clock
  }

  /** Virtual CPU time charged so far. */
  get busyMs(): number {
    return this.#busyMs
  }

  /**
   * Queues `costMs` of work behind what is already charged, and resolves when it is done: by a
   * timer of the clock, so the simulation's driver runs it in virtual-time order with every
   * other event, and the same run charges the same work at the same times.
   */
  charge(costMs: number): Promise<void> {
    const now = this.#clock.now()
    this.#freeAtMs = Math.max(now, this.#freeAtMs) + costMs
    this.#busyMs += costMs
    const delayMs = this.#freeAtMs - now
    return new Promise<void>((resolve) => this.#clock.setTimeout(resolve, delayMs))
  }
}
