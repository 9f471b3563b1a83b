// The progress channel: every simulation of the thread reports to its subscribers, whichever
// scenario created it, from the first stretch to the end of stop(); unsubscribing stops it;
// a subscriber's error interrupts the run; nobody subscribed changes nothing in the report.

import { afterEach, describe, expect, it } from 'vitest'
import { deterministicPart, onSimulationProgress, runScenario, Simulation, type SimulationProgress } from '../../src/sim/index.js'

const unsubscribes: (() => void)[] = []
afterEach(() => unsubscribes.splice(0).forEach((unsubscribe) => unsubscribe()))

const PARAMETERS = { nodes: 12, bootstrapNodes: 2, settleMs: 3_000, seed: 4 }

describe('onSimulationProgress', () => {
  it('hears a scenario from its first stretch to the end of its stop(): virtual time and timers only grow, and the last report matches the report', async () => {
    const seen: SimulationProgress[] = []
    unsubscribes.push(onSimulationProgress((progress) => seen.push(progress)))
    const report = await runScenario('join', PARAMETERS)
    expect(seen.length).toBeGreaterThan(4)
    expect(new Set(seen.map((progress) => progress.simulation)).size).toBe(1)
    expect(seen[0].simulation).toBeInstanceOf(Simulation)
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].nowMs).toBeGreaterThanOrEqual(seen[i - 1].nowMs)
      expect(seen[i].timersFired).toBeGreaterThanOrEqual(seen[i - 1].timersFired)
      expect(seen[i].nowMs).toBeLessThanOrEqual(seen[i].untilMs)
    }
    const last = seen[seen.length - 1]
    expect(last.isStopping).toBe(true)
    expect(last.nodes).toBe(12)
    expect([last.timersFired, last.settleTurns]).toEqual([report.events.timersFired, report.events.settleTurns])
    expect(seen.some((progress) => !progress.isStopping && progress.nowMs >= report.virtualTimeMs - 1)).toBe(true)
  })

  it('a run with and without a subscriber gives the same report; after unsubscribing nothing more is heard', async () => {
    let heard = 0
    const unsubscribe = onSimulationProgress(() => heard++)
    const watched = await runScenario('join', PARAMETERS)
    unsubscribe()
    const heardWhileSubscribed = heard
    const unwatched = await runScenario('join', PARAMETERS)
    expect(heard).toBe(heardWhileSubscribed)
    expect(heardWhileSubscribed).toBeGreaterThan(0)
    expect(deterministicPart(unwatched)).toEqual(deterministicPart(watched))
  })

  it('a subscriber that throws interrupts the scenario with its error', async () => {
    const interrupted = new Error('interrupted')
    unsubscribes.push(onSimulationProgress((progress) => {
      if (progress.nowMs > 1_000) throw interrupted
    }))
    await expect(runScenario('join', PARAMETERS)).rejects.toBe(interrupted)
  })

  it('refuses a listener that is not a function', () => {
    expect(() => onSimulationProgress(3 as never)).toThrow(expect.objectContaining({ code: 'SIM_INVALID_ARGUMENT', message: 'listener must be a function, got 3' }))
  })
})
