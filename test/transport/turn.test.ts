// WebRTC through a real TURN server: coturn on 127.0.0.1 (test/transport/turn-server.ts), and
// peers with iceTransportPolicy 'relay', so no host candidate is gathered and the only path
// is the server's relay. Two transports connect and trade frames; a wrong credential gets no
// path at all; two mesh nodes join and deliver a publish through it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createMeshNode, type MeshNode } from '../../src/node.js'
import { MemorySignaling, WebRtcTransport, type Connection, type IceServer } from '../../src/transport/index.js'
import { bytes, text, waitFor } from './real-time.js'
import { startTurnServer, type TurnServer } from './turn-server.js'

let turn: TurnServer
beforeAll(async () => {
  turn = await startTurnServer()
})
afterAll(async () => {
  await turn?.stop()
})

const relayOnly = (iceServers: IceServer[]) => ({ iceServers, iceTransportPolicy: 'relay' as const, connectTimeoutMs: 10_000 })

describe('WebRTC through a TURN server (coturn on 127.0.0.1)', () => {
  it("with iceTransportPolicy 'relay', two transports connect through the server's relay and trade frames both ways", async () => {
    const hub = new MemorySignaling()
    const servers = [{ urls: turn.url, username: turn.username, credential: turn.credential }]
    const a = new WebRtcTransport({ signaling: hub.connect('turn-a'), ...relayOnly(servers) })
    const b = new WebRtcTransport({ signaling: hub.connect('turn-b'), ...relayOnly(servers) })
    try {
      const inbound: Connection[] = []
      await b.listen((connection) => inbound.push(connection))
      const outbound = await a.dial(b.localAddress)
      await waitFor(() => inbound.length === 1, 'the inbound end')
      const atB: string[] = []
      const atA: string[] = []
      inbound[0].onMessage((frame) => atB.push(text(frame)))
      outbound.onMessage((frame) => atA.push(text(frame)))
      outbound.send(bytes('through the relay'))
      inbound[0].send(bytes('and back'))
      await waitFor(() => atB.length === 1 && atA.length === 1, 'a frame each way')
      expect([atB, atA]).toEqual([['through the relay'], ['and back']])
      // The server allocated relay addresses for both peers and carried their traffic.
      expect((turn.log().match(/ALLOCATE processed, success/g) ?? []).length).toBeGreaterThanOrEqual(2)
    } finally {
      await Promise.all([a.close(), b.close()])
      hub.close()
    }
  })

  it('a wrong credential gets no path: the dial fails, and the server refused the allocation', async () => {
    const hub = new MemorySignaling()
    const wrong = [{ urls: turn.url, username: turn.username, credential: 'not-the-secret' }]
    const a = new WebRtcTransport({ signaling: hub.connect('wrong-a'), ...relayOnly(wrong), connectTimeoutMs: 3_000 })
    const b = new WebRtcTransport({ signaling: hub.connect('wrong-b'), ...relayOnly(wrong), connectTimeoutMs: 3_000 })
    const allocations = () => (turn.log().match(/ALLOCATE processed, success/g) ?? []).length
    const refusals = () => (turn.log().match(/user wasmesh credentials are incorrect/g) ?? []).length
    const [allocatedBefore, refusedBefore] = [allocations(), refusals()]
    try {
      await b.listen(() => {})
      const error = await a.dial(b.localAddress).catch((caught: unknown) => caught)
      expect(error).toMatchObject({ code: 'TRANSPORT_TIMEOUT' })
      expect(allocations()).toBe(allocatedBefore)
      expect(refusals()).toBeGreaterThan(refusedBefore)
    } finally {
      await Promise.all([a.close(), b.close()])
      hub.close()
    }
  })

  it('two mesh nodes whose only path is the TURN relay join and deliver a publish', async () => {
    const hub = new MemorySignaling()
    const servers = [{ urls: turn.url, username: turn.username, credential: turn.credential }]
    const nodes: MeshNode[] = []
    try {
      const alice = await createMeshNode({ seed: 8_101, transport: new WebRtcTransport({ signaling: hub.connect('mesh-a'), ...relayOnly(servers) }) })
      nodes.push(alice)
      await alice.start()
      const bob = await createMeshNode({ seed: 8_102, bootstrap: ['webrtc://mesh-a'], transport: new WebRtcTransport({ signaling: hub.connect('mesh-b'), ...relayOnly(servers) }) })
      nodes.push(bob)
      await bob.start()
      const inbox: string[] = []
      alice.subscribe('turn', (message) => inbox.push(text(message.data)))
      await bob.waitForSubscribers('turn', { timeoutMs: 20_000 })
      await bob.publish('turn', bytes('relayed by coturn'))
      await waitFor(() => inbox.length === 1, 'the publish at alice')
      expect(inbox).toEqual(['relayed by coturn'])
    } finally {
      await Promise.all(nodes.map((node) => node.stop()))
      hub.close()
    }
  })
})
