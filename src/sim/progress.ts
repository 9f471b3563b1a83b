// Progress of every running Simulation, for whoever watches (the `wasmesh sim` progress line).
// A channel rather than an option, after Node's diagnostics_channel: scenarios create their
// Simulation inside, so a watcher subscribes once and hears every simulation of the thread,
// whichever scenario made it. With nobody subscribed, publishing costs one size check.

import { describeValue } from '../util/validate.js'
import type { DriverCounts } from './driver.js'
import { SimulationError } from './errors.js'
import type { Simulation } from './simulation.js'

/** Where one simulation stands: sent when a stretch of virtual time begins and ends, and every 1,000 timers in between. */
export interface SimulationProgress extends DriverCounts {
  /** The simulation reporting (several may run in one thread). */
  readonly simulation: Simulation
  readonly nowMs: number
  /** Virtual time the stretch being run goes to, at most (a stretch waiting for a condition may end before it). */
  readonly untilMs: number
  /** Nodes created so far. */
  readonly nodes: number
  /** Whether the simulation is inside stop(), shutting its nodes down. */
  readonly isStopping: boolean
}

/** Receives progress; an error it throws ends the simulation's current run() (and so its scenario) with that error. */
export type SimulationProgressListener = (progress: SimulationProgress) => void

const listeners = new Set<SimulationProgressListener>()

/** Subscribes `listener` (SimulationError SIM_INVALID_ARGUMENT if it is not a function) to the progress of every simulation in this thread; returns the unsubscribe function. */
export function onSimulationProgress(listener: SimulationProgressListener): () => void {
  if (typeof listener !== 'function') throw new SimulationError('SIM_INVALID_ARGUMENT', `listener must be a function, got ${describeValue(listener)}`)
  // Wrapped, so subscribing the same function twice gives two subscriptions, each removed by its own unsubscribe.
  const subscription: SimulationProgressListener = (progress) => listener(progress)
  listeners.add(subscription)
  return () => void listeners.delete(subscription)
}

/** Whether anyone listens: the engine builds a SimulationProgress only then. */
export function hasProgressListeners(): boolean {
  return listeners.size > 0
}

export function publishProgress(progress: SimulationProgress): void {
  for (const listener of listeners) listener(progress)
}
