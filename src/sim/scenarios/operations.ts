// Running a phase of scheduled DHT operations to its end: virtual time up to the last one's
// start, then on until every operation has settled (or a bound passed: a get still pending is
// a result, reported as 'still-pending', not a hang of the run).

import type { Simulation } from '../simulation.js'

/** Virtual time the last operations may take to settle after the last one started. */
export const OPERATION_DRAIN_BOUND_MS = 120_000

/** Runs `sim` until `lastStartMs` from now, then until `tracker` has nothing pending, for at most OPERATION_DRAIN_BOUND_MS more. */
export async function settleOperations(sim: Simulation, tracker: { readonly pending: number }, lastStartMs: number): Promise<void> {
  await sim.run(lastStartMs)
  await sim.runUntil(() => tracker.pending === 0, OPERATION_DRAIN_BOUND_MS)
}
