// The discrete-event loop of the simulator: real node code on one ManualClock, stepped one
// timer at a time, with every promise callback the timer set off settled before the next one.
// Nothing waits on wall time: when nothing is runnable, virtual time jumps to the next timer.

import { ManualClock } from '../util/clock.js'
import { checkInteger } from '../util/validate.js'
import { SimulationError } from './errors.js'

const invalidArgument = (message: string) => new SimulationError('SIM_INVALID_ARGUMENT', message)

// One macrotask turn: the platform drains the whole microtask (and Node's nextTick) queue
// before running it. Node code on a ManualClock with deterministic Ed25519 does no I/O, so
// once the turn comes every promise chain a timer started has run as far as it can without
// another timer. setImmediate in Node; a MessageChannel in browsers, which have no
// setImmediate and clamp nested setTimeout(0) to 4 ms.
const queueTurn: (callback: () => void) => void = typeof setImmediate === 'function' ? (callback) => void setImmediate(callback) : messageChannelTurns()
const macrotaskTurn = (): Promise<void> => new Promise<void>((resolve) => queueTurn(resolve))

function messageChannelTurns(): (callback: () => void) => void {
  const channel = new MessageChannel()
  const waiting: (() => void)[] = []
  channel.port1.onmessage = () => waiting.shift()?.()
  return (callback) => {
    waiting.push(callback)
    channel.port2.postMessage(undefined)
  }
}

// Turns queued at once while timers run. Each is a macrotask of its own, so the microtask
// queue drains between any two, as between two awaited turns; but Node runs all the
// immediates queued before its check phase in that one phase, so a batch costs one pass of
// the event loop (and its poll for I/O) instead of one per timer, and no promise per timer.
// That pass was 12% of a 300-node run's profile (idle and program time, one per timer).
const TURNS_PER_BATCH = 256

/** Counts of the work a run did: deterministic for a seed, unlike its wall time. */
export interface DriverCounts {
  /** Timer callbacks run (frame deliveries, node timeouts, scenario actions). */
  readonly timersFired: number
  /** Macrotask turns taken to let promise callbacks settle. */
  readonly settleTurns: number
}

/** A listener of a driver's progress: called with the virtual time the current runUntil() runs to (at most). */
export type DriverProgressListener = (untilMs: number) => void

export interface EventDriverOptions {
  /**
   * Called when a runUntil() begins and ends, and after every `progressEveryTimers` timers in
   * between; reads the driver's clock and counts. An error it throws ends the runUntil() with
   * that error (a way to interrupt a run). DEFAULT none.
   */
  readonly onProgress?: DriverProgressListener
  /** Timers between two progress calls, 1 or more. DEFAULT 1,000. */
  readonly progressEveryTimers?: number
}

const DEFAULT_PROGRESS_EVERY_TIMERS = 1_000

export class EventDriver {
  readonly clock: ManualClock
  #timersFired = 0
  #settleTurns = 0
  readonly #onProgress: DriverProgressListener | undefined
  readonly #progressEveryTimers: number

  constructor(clock = new ManualClock(), options: EventDriverOptions = {}) {
    this.clock = clock
    this.#onProgress = options.onProgress
    this.#progressEveryTimers = checkInteger('progressEveryTimers', options.progressEveryTimers ?? DEFAULT_PROGRESS_EVERY_TIMERS, 1, Number.MAX_SAFE_INTEGER, invalidArgument)
  }

  get counts(): DriverCounts {
    return { timersFired: this.#timersFired, settleTurns: this.#settleTurns }
  }

  /** Lets every pending promise callback run, without moving virtual time. */
  async settle(): Promise<void> {
    await macrotaskTurn()
    this.#settleTurns++
  }

  /**
   * Runs timers in time order up to `untilMs` (virtual), settling promise callbacks after
   * each, then moves the clock to `untilMs`. Returns early, at the time it became true, once
   * `isDone` holds (checked after each settle). Returns whether `isDone` held.
   */
  async runUntil(untilMs: number, isDone: () => boolean = () => false): Promise<boolean> {
    const clock = this.clock
    const onProgress = this.#onProgress
    await this.settle()
    onProgress?.(untilMs)
    if (await this.#runTimers(untilMs, isDone)) {
      onProgress?.(untilMs)
      return true
    }
    if (untilMs > clock.now()) clock.advanceTo(untilMs)
    await this.settle()
    onProgress?.(untilMs)
    return isDone()
  }

  /**
   * Runs timers due by `untilMs` one a turn, in batches of turns (TURNS_PER_BATCH), so every
   * promise callback a timer set off settles before the next one fires. Resolves true when
   * `isDone` held (checked before each timer), false when no timer is left by `untilMs`.
   */
  #runTimers(untilMs: number, isDone: () => boolean): Promise<boolean> {
    const clock = this.clock
    const onProgress = this.#onProgress
    const progressEvery = this.#progressEveryTimers
    return new Promise<boolean>((resolve, reject) => {
      let isEnded = false
      let hasFired = false
      let turnsLeft = 0
      const end = (outcome: boolean | { error: unknown }) => {
        isEnded = true
        if (typeof outcome === 'boolean') resolve(outcome)
        else reject(outcome.error)
      }
      const turn = () => {
        if (isEnded) return
        try {
          if (hasFired) {
            // The turn after a timer: what it set off has settled.
            this.#settleTurns++
            if (onProgress !== undefined && this.#timersFired % progressEvery === 0) onProgress(untilMs)
          }
          if (isDone()) return end(true)
          const next = clock.nextTimerAt
          if (next === undefined || next > untilMs) return end(false)
          clock.runNext()
          this.#timersFired++
          hasFired = true
        } catch (error) {
          return end({ error })
        }
        if (--turnsLeft === 0) queueBatch()
      }
      const queueBatch = () => {
        turnsLeft = TURNS_PER_BATCH
        for (let i = 0; i < TURNS_PER_BATCH; i++) queueTurn(turn)
      }
      // The first check comes at once, as it did after the settle before it.
      turnsLeft = 1
      turn()
    })
  }

  /** Settles `promise` while running virtual time, for at most `maxMs` of it; undefined when it did not settle by then. */
  async runPromise<T>(promise: Promise<T>, maxMs: number): Promise<PromiseSettledResult<T> | undefined> {
    let outcome: PromiseSettledResult<T> | undefined
    promise.then(
      (value) => (outcome = { status: 'fulfilled', value }),
      (reason: unknown) => (outcome = { status: 'rejected', reason }),
    )
    await this.runUntil(this.clock.now() + maxMs, () => outcome !== undefined)
    return outcome
  }
}
