// WebRTC through a real TURN server: coturn on 127.0.0.1 (test/transport/turn-server.ts), and
// peers with iceTransportPolicy 'relay', so no host candidate is gathered and the only path
// is the server's relay. Two transports connect and trade frames; a wrong credential gets no
// path at all; two mesh nodes join and deliver a publish through it.
//
// The peers run in a child process (the built library) and the server in this one: a native
// deadlock of libdatachannel over a relay, rare and upstream, would otherwise stall the whole
// test run; a child that hangs is killed and run again, and what it reports is asserted here
// (see runGuardedAgainstHangs).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { lastJsonLine, runGuardedAgainstHangs } from './built-child.js'
import { startTurnServer, type TurnServer } from './turn-server.js'

let turn: TurnServer
beforeAll(async () => {
  turn = await startTurnServer()
})
afterAll(async () => {
  await turn?.stop()
})

/** The child's preamble: the relay-only settings over `servers`, and a wait with a deadline. */
function preamble(credential: string, connectTimeoutMs: number): string {
  const servers = [{ urls: turn.url, username: turn.username, credential }]
  return `
    const relayOnly = { iceServers: ${JSON.stringify(servers)}, iceTransportPolicy: 'relay', connectTimeoutMs: ${connectTimeoutMs} }
    const text = (frame) => new TextDecoder().decode(frame)
    const bytes = (value) => new TextEncoder().encode(value)
    async function waitFor(isDone, what) {
      const deadline = Date.now() + 40_000
      while (!isDone()) {
        if (Date.now() > deadline) throw new Error('timed out waiting for ' + what)
        await new Promise((done) => setTimeout(done, 20))
      }
    }
  `
}

const allocations = () => (turn.log().match(/ALLOCATE processed, success/g) ?? []).length
const refusals = () => (turn.log().match(/user wasmesh credentials are incorrect/g) ?? []).length

async function runPeers(body: string): Promise<unknown> {
  const result = await runGuardedAgainstHangs(body, { timeoutMs: 90_000 })
  expect(result.stderr, 'the child wrote to stderr').toBe('')
  expect(result.status, result.stdout).toBe(0)
  return lastJsonLine(result)
}

// Three attempts of up to 90 s each, should every one hang.
describe('WebRTC through a TURN server (coturn on 127.0.0.1)', { timeout: 300_000 }, () => {
  it("with iceTransportPolicy 'relay', two transports connect through the server's relay and trade frames both ways", async () => {
    const allocatedBefore = allocations()
    const report = await runPeers(`${preamble(turn.credential, 10_000)}
      const hub = new wasmesh.MemorySignaling()
      const a = new wasmesh.WebRtcTransport({ signaling: hub.connect('turn-a'), ...relayOnly })
      const b = new wasmesh.WebRtcTransport({ signaling: hub.connect('turn-b'), ...relayOnly })
      const atB = []
      const atA = []
      try {
        const inbound = []
        await b.listen((connection) => inbound.push(connection))
        const outbound = await a.dial(b.localAddress)
        await waitFor(() => inbound.length === 1, 'the inbound end')
        inbound[0].onMessage((frame) => atB.push(text(frame)))
        outbound.onMessage((frame) => atA.push(text(frame)))
        outbound.send(bytes('through the relay'))
        inbound[0].send(bytes('and back'))
        await waitFor(() => atB.length === 1 && atA.length === 1, 'a frame each way')
      } finally {
        await Promise.all([a.close(), b.close()])
        hub.close()
      }
      console.log(JSON.stringify({ atB, atA }))
    `)
    expect(report).toEqual({ atB: ['through the relay'], atA: ['and back'] })
    // The server allocated relay addresses for both peers and carried their traffic.
    expect(allocations() - allocatedBefore).toBeGreaterThanOrEqual(2)
  })

  it('a wrong credential gets no path: the dial fails, and the server refused the allocation', async () => {
    const [allocatedBefore, refusedBefore] = [allocations(), refusals()]
    const report = await runPeers(`${preamble('not-the-secret', 3_000)}
      const hub = new wasmesh.MemorySignaling()
      const a = new wasmesh.WebRtcTransport({ signaling: hub.connect('wrong-a'), ...relayOnly })
      const b = new wasmesh.WebRtcTransport({ signaling: hub.connect('wrong-b'), ...relayOnly })
      let code
      try {
        await b.listen(() => {})
        code = await a.dial(b.localAddress).then(() => 'connected', (error) => error.code)
      } finally {
        await Promise.all([a.close(), b.close()])
        hub.close()
      }
      console.log(JSON.stringify({ code }))
    `)
    expect(report).toEqual({ code: 'TRANSPORT_TIMEOUT' })
    expect(allocations()).toBe(allocatedBefore)
    expect(refusals()).toBeGreaterThan(refusedBefore)
  })

  it('two mesh nodes whose only path is the TURN relay join and deliver a publish', async () => {
    const report = await runPeers(`${preamble(turn.credential, 10_000)}
      const hub = new wasmesh.MemorySignaling()
      const nodes = []
      const inbox = []
      try {
        const alice = await wasmesh.createMeshNode({ seed: 8_101, transport: new wasmesh.WebRtcTransport({ signaling: hub.connect('mesh-a'), ...relayOnly }) })
        nodes.push(alice)
        await alice.start()
        const bob = await wasmesh.createMeshNode({ seed: 8_102, bootstrap: ['webrtc://mesh-a'], transport: new wasmesh.WebRtcTransport({ signaling: hub.connect('mesh-b'), ...relayOnly }) })
        nodes.push(bob)
        await bob.start()
        alice.subscribe('turn', (message) => inbox.push(text(message.data)))
        await bob.waitForSubscribers('turn', { timeoutMs: 20_000 })
        await bob.publish('turn', bytes('relayed by coturn'))
        await waitFor(() => inbox.length === 1, 'the publish at alice')
      } finally {
        await Promise.all(nodes.map((node) => node.stop()))
        hub.close()
      }
      console.log(JSON.stringify({ inbox }))
    `)
    expect(report).toEqual({ inbox: ['relayed by coturn'] })
  })
})
