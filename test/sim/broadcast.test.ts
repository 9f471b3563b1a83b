// Scenario "broadcast" at 200 nodes with no faults: every running node subscribed, 20
// publishes from random nodes. The design promises delivery to every subscriber (selective
// flooding with ihave/iwant repair, test/relay/fanout.test.ts): >= 99.9% is the target.

import { describe, expect, it } from 'vitest'
import { DEFAULT_FANOUT } from '../../src/relay/options.js'
import { runScenario, type BroadcastReport, type SimulationReport } from '../../src/sim/index.js'

const NODES = 200
const MESSAGES = 20
const DEFAULT_TTL = 8

describe(`scenario broadcast: ${NODES} nodes, ${MESSAGES} publishes from random nodes`, () => {
  let report: SimulationReport
  let broadcast: BroadcastReport
  it('runs', async () => {
    report = await runScenario('broadcast', { nodes: NODES, messages: MESSAGES, publishRatePerSec: 4, seed: 12 })
    broadcast = report.broadcast!
    const { latencyMs, hops } = broadcast
    console.log(
      `broadcast ${NODES} nodes x ${MESSAGES}: delivery ${(broadcast.deliveryRatio * 100).toFixed(2)}% (${broadcast.deliveries}/${broadcast.expectedDeliveries}); ` +
        `duplicate factor ${broadcast.duplicateFactor.toFixed(2)}; hops mean ${hops.mean.toFixed(2)} p50 ${hops.p50} p99 ${hops.p99} max ${hops.max}; ` +
        `latency p50 ${latencyMs.p50.toFixed(0)} p95 ${latencyMs.p95.toFixed(0)} p99 ${latencyMs.p99.toFixed(0)} ms; ` +
        `sent per node mean ${report.traffic.messagesSentPerNode.mean.toFixed(0)} max ${report.traffic.messagesSentPerNode.max}; ` +
        `drops ${JSON.stringify(report.drops)}; ${report.events.timersFired} timers; wall ${(report.wallClock.wallMs / 1000).toFixed(1)} s`,
    )
  }, 180_000)

  it('the join left every node with peers', () => {
    expect(report.join).toMatchObject({ started: NODES, withPeers: NODES, atTargetPeers: NODES })
  })

  it('delivers at least 99.9% of the owed deliveries, each once', () => {
    expect(broadcast.messages).toBe(MESSAGES)
    expect(broadcast.notSent).toBe(0)
    expect(broadcast.expectedDeliveries).toBe(MESSAGES * (NODES - 1))
    expect(broadcast.deliveryRatio).toBeGreaterThanOrEqual(0.999)
    expect(broadcast.repeatedDeliveries).toBe(0)
    // The nodes' own count of deliveries agrees with the tracker's.
    expect(broadcast.uniqueDelivered).toBe(broadcast.deliveries)
  })

  it('a delivery costs at least one copy and about fanout copies, no more than fanout + 1', () => {
    expect(broadcast.duplicateFactor).toBeGreaterThanOrEqual(1)
    expect(broadcast.duplicateFactor).toBeLessThanOrEqual(DEFAULT_FANOUT + 1)
    // Every copy past the first a node got was dropped as a duplicate there.
    expect(report.drops['relay.duplicate']).toBe(broadcast.copiesReceived - broadcast.uniqueDelivered)
  })

  it('hops are within the TTL, and latency is at least one link delay per hop', () => {
    const { hops, latencyMs } = broadcast
    expect(hops.count).toBe(broadcast.deliveries)
    expect(hops.min).toBe(1)
    expect(hops.max).toBeLessThanOrEqual(DEFAULT_TTL)
    expect(latencyMs.min).toBeGreaterThanOrEqual(report.parameters.latencyMs!)
    expect(latencyMs.p50).toBeGreaterThanOrEqual(hops.p50 * report.parameters.latencyMs! * 0.5)
    expect(latencyMs.p50).toBeLessThanOrEqual(latencyMs.p95)
    expect(latencyMs.p95).toBeLessThanOrEqual(latencyMs.p99)
    expect(latencyMs.max).toBeLessThan(report.parameters.drainMs!)
  })

  it('with no faults the relay drops nothing but duplicate copies, the sessions nothing at all, and the stop is clean', () => {
    // DHT drops are left out: from ~150 nodes on, lookups dialling full bootstrap nodes count connect failures
    // (refused as PEER_TOO_MANY_PEERS, or as a duplicate of a connection dialled the other way: refusals, not faults).
    const unexpected = Object.keys(report.drops).filter((reason) => /^(relay|peers|routing)\./.test(reason) && reason !== 'relay.duplicate' && reason !== 'relay.loop')
    expect(unexpected).toEqual([])
    expect(report.shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })
  })
})

describe('scenario broadcast with a topic only some nodes follow (subscriberShare)', () => {
  const nodes = 80
  const messages = 10
  let report: SimulationReport
  let broadcast: BroadcastReport
  it('runs', async () => {
    report = await runScenario('broadcast', { nodes, messages, publishRatePerSec: 4, seed: 5, subscriberShare: 0.5 })
    broadcast = report.broadcast!
  }, 120_000)

  it('owes deliveries to the subscribers alone, about the share of the nodes, and only they deliver', () => {
    expect(report.parameters).toMatchObject({ subscriberShare: 0.5 })
    expect(broadcast.notSent).toBe(0)
    expect(broadcast.expectedDeliveries % messages).toBe(0)
    const subscribers = broadcast.expectedDeliveries / messages + 1
    // 80 draws at one half: 40 +- 4.5 (one standard deviation); 25 to 55 is past three.
    expect(subscribers).toBeGreaterThanOrEqual(25)
    expect(subscribers).toBeLessThanOrEqual(55)
    expect(broadcast.deliveries).toBeLessThanOrEqual(broadcast.expectedDeliveries)
    expect(broadcast.deliveries).toBeGreaterThan(0)
    // Every node's own count of deliveries: a node that does not subscribe delivered nothing.
    expect(broadcast.uniqueDelivered).toBe(broadcast.deliveries)
    expect(broadcast.repeatedDeliveries).toBe(0)
  })

  it('draws the same subscribers for the same seed, and a share of 1 is the run without the option', async () => {
    const again = await runScenario('broadcast', { nodes, messages, publishRatePerSec: 4, seed: 5, subscriberShare: 0.5 })
    expect(again.broadcast!.expectedDeliveries).toBe(broadcast.expectedDeliveries)
    expect(again.broadcast!.deliveries).toBe(broadcast.deliveries)
    const all = await runScenario('broadcast', { nodes: 30, messages: 3, seed: 5, subscriberShare: 1 })
    const without = await runScenario('broadcast', { nodes: 30, messages: 3, seed: 5 })
    expect({ ...all, wallClock: undefined }).toEqual({ ...without, wallClock: undefined })
  }, 180_000)

  it('refuses a share outside (0, 1]', async () => {
    for (const subscriberShare of [0, -0.5, 1.5, Number.NaN, '0.5' as unknown as number]) {
      await expect(runScenario('broadcast', { nodes: 30, subscriberShare })).rejects.toMatchObject({ code: 'SIM_INVALID_OPTION', message: expect.stringMatching(/^subscriberShare must be a number above 0 and at most 1, got /) })
    }
  })
})
