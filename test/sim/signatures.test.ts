// The signature stand-in changes nothing but the cost of a run. With the same virtual CPU
// charged per signature, a broadcast run with real Ed25519 and one with the stand-in give the
// same report, figure for figure, but for the scheme's own description: the scheme's bytes
// never steer the nodes. (bench/sim-signatures.ts runs the 300-node version, and the version
// without any CPU charge, for docs/SCALING.md.) And every signature a node makes or checks,
// in the handshake, the relay, the router and the DHT, goes through the stand-in.

import { describe, expect, it } from 'vitest'
import { verifySignature } from '../../src/peers/identity.js'
import { deterministicPart, dropsByReason, runScenario, Simulation, type SimulationReport } from '../../src/sim/index.js'

const NODES = 60
const MESSAGES = 20

function withoutScheme(report: SimulationReport) {
  const { engine, ...rest } = deterministicPart(report)
  const { signatures, ...otherEngine } = engine
  return { ...rest, engine: otherEngine, signatureCostsMs: [signatures.signCostMs, signatures.verifyCostMs] }
}

describe(`Ed25519 and the stand-in give the same broadcast: ${NODES} nodes, ${MESSAGES} publishes`, () => {
  it('same delivery (all of it), hops, duplicates, latency, traffic and events', async () => {
    const parameters = { nodes: NODES, messages: MESSAGES, publishRatePerSec: 4, seed: 12 }
    const ed25519 = await runScenario('broadcast', { ...parameters, signatures: 'ed25519' })
    const standIn = await runScenario('broadcast', { ...parameters, signatures: 'stand-in' })
    expect(ed25519.engine.signatures.scheme).toBe('ed25519')
    expect(standIn.engine.signatures.scheme).toBe('stand-in')
    for (const report of [ed25519, standIn]) {
      expect(report.broadcast!.deliveries).toBe(MESSAGES * (NODES - 1))
      expect(report.broadcast!.deliveryRatio).toBe(1)
      expect(report.join.atTargetPeers).toBe(NODES)
    }
    expect(withoutScheme(standIn)).toEqual(withoutScheme(ed25519))
    console.log(`${NODES}-node broadcast, wall: ed25519 ${(ed25519.wallClock.wallMs / 1000).toFixed(1)} s, stand-in ${(standIn.wallClock.wallMs / 1000).toFixed(1)} s`)
  }, 120_000)
})

describe('the stand-in at every signature a node makes', () => {
  it('handshakes, direct messages with their acks and signed DHT records work, and none of it is Ed25519', async () => {
    const sim = await Simulation.create({ seed: 5, latencyMs: 20, jitterMs: 5 })
    await sim.addBootstrapNodes(1)
    await sim.run(sim.scheduleArrivals(4, 10) - sim.nowMs + 10_000)
    const [, a, , , b] = sim.nodes.map((entry) => entry.node)
    const received: string[] = []
    b.onDirect((message) => received.push(new TextDecoder().decode(message.data)))
    const sent = await sim.driver.runPromise(a.send(b.id, new TextEncoder().encode('hello b')), 30_000)
    expect(sent?.status).toBe('fulfilled')
    expect(received).toEqual(['hello b'])
    const put = await sim.driver.runPromise(a.dht.put('a-key', new Uint8Array([1, 2, 3])), 30_000)
    expect(put?.status).toBe('fulfilled')
    // A mutable record is signed by its owner: b asks for a's, and checks a's signature.
    const got = await sim.driver.runPromise(b.dht.get('a-key', { owner: a.publicKey }), 30_000)
    expect(got?.status).toBe('fulfilled')
    expect([...((got as PromiseFulfilledResult<Uint8Array | undefined>).value ?? [])]).toEqual([1, 2, 3])
    const refusals = Object.keys(dropsByReason(sim.nodes.map((entry) => entry.node))).filter((reason) => /signature|verify|forged/.test(reason))
    expect(refusals).toEqual([])
    expect(sim.nodes.map((entry) => entry.node.stats().layers.peers.handshakeFailures)).toEqual(sim.nodes.map(() => 0))
    for (const entry of sim.nodes) expect(entry.node.stats().peers).toBeGreaterThan(0)
    // The identities sign with the stand-in: Ed25519 refuses what they sign, so any check left on Ed25519 would have refused them.
    const signature = await sim.driver.runPromise(a.identity.sign(new Uint8Array([7])), 1_000)
    expect(signature?.status).toBe('fulfilled')
    expect(await verifySignature(a.publicKey, new Uint8Array([7]), (signature as PromiseFulfilledResult<Uint8Array>).value)).toBe(false)
    // Each node's virtual CPU was charged for its handshakes, at least.
    for (const entry of sim.nodes) expect(entry.cpu.busyMs).toBeGreaterThan(0)
    await sim.stop()
  }, 60_000)
})
