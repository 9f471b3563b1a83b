// The network model: nodes placed in regions by seeded weighted draws, each link half its
// regions' round trip through the memory network's linkFor hook, the node's access rate as
// each connection's bandwidth, and bad models refused at the boundary.

import { describe, expect, it } from 'vitest'
import { EventDriver, runScenario, Simulation, SimulationError } from '../../src/sim/index.js'
import { CLOUD_6_REGIONS, NetworkModel, resolveRegions, type RegionModel } from '../../src/sim/network-model.js'
import { MemoryNetwork } from '../../src/transport/memory/index.js'
import { ManualClock } from '../../src/util/clock.js'
import { SeededRandom } from '../../src/util/random.js'

const TWO_REGIONS: RegionModel = { names: ['near', 'far'], weights: [3, 1], rttMs: [[10, 300], [300, 10]] }

describe('regions', () => {
  it('cloud-6 is a symmetric matrix with a shorter round trip inside a region than to any other', () => {
    const model = resolveRegions('cloud-6')!
    expect(model).toBe(CLOUD_6_REGIONS)
    model.rttMs.forEach((row, i) => row.forEach((rtt, j) => {
      expect(rtt).toBe(model.rttMs[j][i])
      if (i !== j) expect(rtt).toBeGreaterThan(row[i])
    }))
    expect(resolveRegions('none')).toBeUndefined()
  })

  it.each([
    [{ regions: 'mars' }, /regions must be 'none', 'cloud-6' or/],
    [{ regions: { names: [], weights: [], rttMs: [] } }, /regions.names must be 1 to 32 non-empty strings/],
    [{ regions: { names: ['a', 'a'], weights: [1, 1], rttMs: [[1, 1], [1, 1]] } }, /regions.names must be distinct/],
    [{ regions: { names: ['a', 'b'], weights: [1, 0], rttMs: [[1, 1], [1, 1]] } }, /regions.weights must be 2 positive finite numbers/],
    [{ regions: { names: ['a', 'b'], weights: [1, 1], rttMs: [[1, 1]] } }, /regions.rttMs must be a 2x2 matrix/],
    [{ regions: { names: ['a', 'b'], weights: [1, 1], rttMs: [[1, 5], [6, 1]] } }, /regions.rttMs must be symmetric: \[1\]\[0\] is 6, \[0\]\[1\] is 5/],
    [{ regions: { names: ['a'], weights: [1], rttMs: [[-1]] } }, /regions.rttMs\[0\]\[0\] must be a number from 0 to 10000, got -1/],
    [{ bandwidthBytesPerSec: 0 }, /bandwidthBytesPerSec must be a number from 1 up/],
  ])('%j is refused with SIM_INVALID_OPTION', async (options, message) => {
    const error = await Simulation.create(options as never).then(() => undefined, (reason: unknown) => reason)
    expect(error).toBeInstanceOf(SimulationError)
    expect(error).toMatchObject({ code: 'SIM_INVALID_OPTION', message: expect.stringMatching(message) })
  })

  it('placement follows the weights, and the same seed places the same way', () => {
    const place = (seed: number) => {
      const model = new NetworkModel(TWO_REGIONS, Infinity, new SeededRandom(seed))
      return Array.from({ length: 4_000 }, (_, i) => model.place([`memory://n${i}`]))
    }
    const first = place(1)
    expect(place(1)).toEqual(first)
    expect(place(2)).not.toEqual(first)
    const near = first.filter((region) => region === 0).length / first.length
    expect(near).toBeGreaterThan(0.72)
    expect(near).toBeLessThan(0.78)
  })

  it('a frame between regions takes half their round trip, one inside a region half of its own, and bandwidth adds transmission time', async () => {
    const clock = new ManualClock()
    const model = new NetworkModel(TWO_REGIONS, 1_000, new SeededRandom(1))
    const network = new MemoryNetwork({ clock, linkFor: (from, to) => model.linkFor(from, to) })
    const transports = ['a', 'b', 'c'].map((name) => network.createTransport(name))
    // Found by drawing: with this seed a and b land near, c far (asserted, so a change of draws shows).
    for (const transport of transports) model.place([transport.localAddress])
    expect(transports.map((transport) => model.regionOf(transport.localAddress))).toEqual([0, 0, 1])
    const arrivals: Record<string, number> = {}
    for (const transport of transports) await transport.listen((connection) => connection.onMessage(() => (arrivals[transport.localAddress] = clock.now())))
    const driver = new EventDriver(clock)
    const timeToArrive = async (to: string, bytes: number) => {
      const dialled = await driver.runPromise(transports[0].dial(`memory://${to}`), 10_000)
      if (dialled?.status !== 'fulfilled') throw new Error(`dial to ${to} did not connect: ${String(dialled?.status === "rejected" ? dialled.reason : "pending")}`)
      const connection = dialled.value
      const sentAt = clock.now()
      connection.send(new Uint8Array(bytes))
      await driver.runUntil(sentAt + 10_000, () => arrivals[`memory://${to}`] !== undefined)
      connection.close()
      return arrivals[`memory://${to}`] - sentAt
    }
    expect(await timeToArrive('b', 1)).toBeCloseTo(5 + 1, 6)
    expect(await timeToArrive('c', 1_000)).toBeCloseTo(150 + 1_000, 6)
    expect(model.summary()).toEqual({ latency: 'regions', regions: { names: ['near', 'far'], nodes: [2, 1], rttMs: TWO_REGIONS.rttMs }, bandwidthBytesPerSecPerNode: 1_000 })
  })

  it('a simulation on cloud-6 places every node and reports it; joins take at least the round trips of the nearest region', async () => {
    const report = await runScenario('join', { nodes: 40, regions: 'cloud-6', jitterMs: 0, settleMs: 10_000, seed: 4 })
    const regions = report.networkModel!.regions!
    expect(regions.names).toEqual(CLOUD_6_REGIONS.names)
    expect(regions.nodes.reduce((sum, count) => sum + count, 0)).toBe(40)
    expect(regions.nodes.filter((count) => count > 0).length).toBeGreaterThan(3)
    expect(report.join).toMatchObject({ started: 40, withPeers: 40 })
    // A dial and a handshake: two round trips of at least the 20 ms inside a region.
    expect(report.join.joinTimeMs.min).toBeGreaterThanOrEqual(40)
    // Some newcomer's join crossed oceans: slower than any join on one continent could be.
    expect(report.join.joinTimeMs.max).toBeGreaterThan(2 * 150)
  }, 120_000)
})
