// The Simulation's boundary and lifecycle: options refused with SIM_INVALID_OPTION naming what
// was wrong, scenarios by name, and a stop that leaves no timer, connection or transport.

import { describe, expect, it } from 'vitest'
import { runScenario, Simulation, SimulationError } from '../../src/sim/index.js'

async function rejection(promise: Promise<unknown>): Promise<SimulationError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason)
  expect(error).toBeInstanceOf(SimulationError)
  return error as SimulationError
}

describe('Simulation options', () => {
  it.each([
    [{ seed: 1.5 }, /seed must be a safe integer, got 1.5/],
    [{ latencyMs: -1 }, /latencyMs must be a finite number from 0 to 10000, got -1/],
    [{ jitterMs: Number.NaN }, /jitterMs must be a finite number/],
    [{ loss: 2 }, /loss must be a finite number from 0 to 1, got 2/],
    [{ latencyMS: 5 }, /unknown simulation option "latencyMS"/],
    [{ node: 3 }, /node must be an object of node options, got 3/],
    [{ signatures: 'hmac' }, /signatures must be "ed25519" or "stand-in", got "hmac"/],
    [{ signCostMs: -0.1 }, /signCostMs must be a finite number from 0 to 1000, got -0.1/],
    [{ verifyCostMs: 1_001 }, /verifyCostMs must be a finite number from 0 to 1000, got 1001/],
  ])('%j is refused with SIM_INVALID_OPTION', async (options, message) => {
    const error = await rejection(Simulation.create(options as never))
    expect(error.code).toBe('SIM_INVALID_OPTION')
    expect(error.message).toMatch(message)
  })

  it('scenario parameters are checked before anything runs', async () => {
    expect((await rejection(runScenario('join', { nodes: 1 }))).message).toMatch(/nodes must be an integer from 2 to 100000, got 1/)
    expect((await rejection(runScenario('join', { nodes: 5, bootstrapNodes: 5 }))).message).toMatch(/bootstrapNodes must be an integer from 1 to 4, got 5/)
    expect((await rejection(runScenario('broadcast', { payloadBytes: 2 }))).message).toMatch(/payloadBytes must be an integer from 4 to 65536/)
    expect((await rejection(runScenario('join', { messages: 3 } as never))).message).toMatch(/unknown scenario option "messages"/)
    // The node sections are the node's own options: the node refuses them, with its own code, at the first node.
    await expect(runScenario('join', { nodes: 4, bootstrapNodes: 1, node: { maxPeers: 0 } })).rejects.toMatchObject({ code: 'NODE_INVALID_OPTION', message: expect.stringMatching(/maxPeers/) })
    const unknown = await rejection(runScenario('gossip' as never))
    expect(unknown.code).toBe('SIM_UNKNOWN_SCENARIO')
    expect(unknown.message).toMatch(/expected one of join, broadcast/)
  })
})

describe('Simulation lifecycle', () => {
  it('newcomers arrive at the rate through the bootstrap nodes; stop() leaves nothing behind and refuses further use', async () => {
    const sim = await Simulation.create({ seed: 3, latencyMs: 20, jitterMs: 5 })
    await sim.addBootstrapNodes(2)
    expect(sim.nodes.map((entry) => entry.node.stats().peers)).toEqual([1, 1])
    // 6 arrivals at 2 a second: the last one lands a few seconds in, never all at once.
    expect(() => sim.scheduleArrivals(6, 0)).toThrow(/ratePerSec must be a finite number/)
    expect(() => sim.at(-1, () => undefined)).toThrow(/delayMs must be a finite, non-negative time/)
    await expect(sim.addBootstrapNodes(63)).rejects.toMatchObject({ code: 'SIM_INVALID_ARGUMENT', message: expect.stringMatching(/at most 64 bootstrap addresses; 2 exist, 63 more/) })
    const lastArrivalMs = sim.scheduleArrivals(6, 2)
    expect(lastArrivalMs).toBeGreaterThan(sim.nowMs)
    await sim.run(lastArrivalMs - sim.nowMs + 10_000)
    expect(sim.nodes).toHaveLength(8)
    const arrivals = sim.nodes.filter((entry) => !entry.isBootstrap).map((entry) => entry.arrivedAtMs)
    expect(arrivals).toEqual([...arrivals].sort((a, b) => a - b))
    expect(new Set(arrivals).size).toBe(6)
    for (const entry of sim.nodes) {
      expect(entry.startFailure).toBeUndefined()
      expect(entry.node.stats().peers).toBeGreaterThan(0)
    }
    // Arrivals and actions still scheduled at stop() never come.
    sim.scheduleArrivals(3, 1)
    let isActionRun = false
    sim.at(500, () => (isActionRun = true))
    const shutdown = await sim.stop()
    expect(shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })
    expect(sim.nodes).toHaveLength(8)
    expect(isActionRun).toBe(false)
    expect(sim.nodes.every((entry) => !entry.node.isRunning)).toBe(true)
    await expect(sim.run(1_000)).rejects.toMatchObject({ code: 'SIM_INVALID_STATE' })
    expect(() => sim.scheduleArrivals(1, 1)).toThrow(/scheduleArrivals\(\) needs a simulation that is not stopped/)
  })
})
