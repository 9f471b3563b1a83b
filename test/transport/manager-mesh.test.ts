// Mesh nodes over a TransportManager of real WebRTC (node-datachannel) and real WebSockets
// on 127.0.0.1, on the system clock. Nodes that speak both meet over WebRTC; a node whose
// WebRTC cannot connect (its signaling loses every message, both ways) is reached over its
// WebSocket address after its WebRTC one failed; a node with WebRTC disabled joins over
// WebSocket only; and a failed WebRTC attempt never drops the WebSocket session that works.
// Real time, so only behaviour is asserted, with generous deadlines.

import { describe, expect, it } from 'vitest'
import { createMeshNode, type MeshNode } from '../../src/node.js'
import { MemorySignaling, TransportManager, WebRtcTransport, WebSocketTransport, type Signaling, type Transport } from '../../src/transport/index.js'
import { bytes, text, waitFor } from './real-time.js'

const scheme = (address: string) => address.slice(0, address.indexOf(':'))

type Kind = 'both' | 'webrtc-fails' | 'websocket-only'

/** Known to the hub (so nobody is told it is unreachable), but every signal to or from it is lost: each WebRTC attempt times out. */
function losingEverything(hub: MemorySignaling, id: string): Signaling {
  const inner = hub.connect(id)
  inner.onMessage(() => {})
  return { localId: inner.localId, send: () => {}, onMessage: () => {}, close: () => inner.close() }
}

describe('MeshNode over a TransportManager (WebRTC first, WebSocket fallback)', () => {
  it('dual nodes meet over WebRTC, a node whose WebRTC fails and one without WebRTC join over WebSocket, and all exchange messages', async () => {
    const hub = new MemorySignaling()
    const transports: Transport[] = []
    const nodes: MeshNode[] = []
    const inboxes: string[][] = []
    const kinds: Kind[] = ['both', 'both', 'both', 'webrtc-fails', 'websocket-only', 'both']
    const makeTransport = (kind: Kind, i: number): Transport => {
      const ws = new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' })
      if (kind === 'websocket-only') return ws
      const signaling = kind === 'webrtc-fails' ? losingEverything(hub, `node-${i}`) : hub.connect(`node-${i}`)
      const webrtc = new WebRtcTransport({ signaling, connectTimeoutMs: 2_000 })
      return new TransportManager({ transports: [webrtc, ws] })
    }
    try {
      for (const [i, kind] of kinds.entries()) {
        const transport = makeTransport(kind, i)
        transports.push(transport)
        // Everyone knows only the first node's WebSocket address: the rest comes from the mesh.
        const bootstrap = i === 0 ? [] : nodes[0].addresses.filter((address) => address.startsWith('ws://'))
        const node = await createMeshNode({ seed: 3_000 + i, bootstrap, transport, peers: { targetPeers: 5 } })
        const inbox: string[] = []
        node.subscribe('chat', (message) => inbox.push(text(message.data)))
        await node.start()
        nodes.push(node)
        inboxes.push(inbox)
      }
      expect(nodes[0].addresses.map(scheme)).toEqual(['webrtc', 'ws'])
      expect(nodes[4].addresses.map(scheme)).toEqual(['ws'])

      const everyoneConnected = () => nodes.every((node) => node.peers().length === nodes.length - 1)
      await waitFor(everyoneConnected, 'every node to reach every other')
      const schemesBetween = (a: number, b: number) => nodes[a].peers().filter((peer) => peer.peerKey === nodes[b].peerKey).map((peer) => scheme(peer.remoteAddress))
      // Dual nodes dialled each other over WebRTC, the dial they tried first…
      expect(schemesBetween(1, 2)).toEqual(['webrtc'])
      expect(schemesBetween(2, 5)).toEqual(['webrtc'])
      // …and every session of the two others is over WebSocket.
      for (const other of [0, 1, 2, 5]) {
        expect(schemesBetween(3, other)).toEqual(['ws'])
        expect(schemesBetween(4, other)).toEqual(['ws'])
      }
      // Node 3 was dialled at its WebRTC address first (those dials failed), and got in through its WebSocket one.
      const webrtcDialsFailed = transports.map((transport) => (transport instanceof TransportManager ? transport.stats().transports[0].dialsFailed : 0))
      expect(webrtcDialsFailed.reduce((sum, failed) => sum + failed, 0)).toBeGreaterThanOrEqual(1)
      // Its knocks were never answered and nobody heard its own, so it spent no peer connection on all those failed attempts.
      expect(nodes[3].stats().transport.peerConnectionsCreated).toBe(0)
      expect(nodes[4].stats().transport.peerConnectionsCreated).toBe(0)

      await waitFor(() => nodes.every((node) => node.stats().layers.relay.peersWithTopics === node.peers().length), 'subscriptions to reach every neighbour')
      await nodes[4].publish('chat', bytes('from the WebSocket-only node'))
      await nodes[3].publish('chat', bytes('from the node without working WebRTC'))
      await waitFor(() => inboxes.every((inbox, i) => inbox.length >= (i === 3 || i === 4 ? 1 : 2)), 'both publishes to reach every node')
      await new Promise((resolve) => setTimeout(resolve, 300)) // room for any duplicate to arrive
      expect(inboxes.map((inbox) => inbox.length)).toEqual([2, 2, 2, 1, 1, 2])

      const direct: string[] = []
      nodes[3].onDirect((message) => direct.push(text(message.data)))
      await nodes[4].send(nodes[3].id, bytes('direct, over WebSocket'))
      await waitFor(() => direct.length === 1, 'the direct message')
      expect(direct).toEqual(['direct, over WebSocket'])

    } finally {
      await Promise.all(nodes.map((node) => node.stop()))
      await Promise.all(transports.map((transport) => transport.close()))
      hub.close()
    }
    const webrtcLeft = transports.flatMap((transport) => (transport instanceof TransportManager ? transport.transports : [transport]))
      .filter((transport): transport is WebRtcTransport => transport instanceof WebRtcTransport)
      .map((transport) => transport.stats().connections + transport.stats().negotiating)
    expect(webrtcLeft).toEqual(webrtcLeft.map(() => 0))
    await waitFor(() => !process.getActiveResourcesInfo().some((kind) => kind === 'TCPServerWrap' || kind === 'TCPSocketWrap'), 'every socket to close')
  }, 120_000)

  it('two nodes that connect to each other at the same moment (glare) share one WebRTC connection: both connects resolve with it, and neither falls back to WebSocket', async () => {
    const hub = new MemorySignaling()
    const make = (id: string) => new TransportManager({
      transports: [new WebRtcTransport({ signaling: hub.connect(id) }), new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' })],
    })
    const a = await createMeshNode({ seed: 3_200, transport: make('glare-a') })
    const b = await createMeshNode({ seed: 3_201, transport: make('glare-b') })
    try {
      await Promise.all([a.start(), b.start()])
      // One side knows the other's id, the other only its address: the one that made way finds the session either way.
      const [fromA, fromB] = await Promise.all([a.connect('webrtc://glare-b', { expectedPeerId: b.id }), b.connect('webrtc://glare-a')])
      expect([fromA.peerKey, fromB.peerKey]).toEqual([b.peerKey, a.peerKey])
      expect([a.peers(), b.peers()].map((peers) => peers.map((peer) => scheme(peer.remoteAddress)))).toEqual([['webrtc'], ['webrtc']])
      expect([a.stats().transport.peerConnectionsCreated, b.stats().transport.peerConnectionsCreated]).toEqual([1, 1])
      expect(a.stats().layers.peers.glareWaits + b.stats().layers.peers.glareWaits).toBe(1)
      const direct: string[] = []
      a.onDirect((message) => direct.push(text(message.data)))
      await b.send(a.id, bytes('one connection'))
      await waitFor(() => direct.length === 1, 'a direct message over it')
      expect(direct).toEqual(['one connection'])
    } finally {
      await Promise.all([a.stop(), b.stop()])
      hub.close()
    }
  }, 60_000)

  it('a WebRTC attempt that fails never drops the WebSocket session that works', async () => {
    const hub = new MemorySignaling()
    const make = (id: string, signaling: Signaling) => new TransportManager({
      transports: [new WebRtcTransport({ signaling, connectTimeoutMs: 2_000 }), new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' })],
    })
    const a = await createMeshNode({ seed: 3_100, transport: make('a', hub.connect('a')) })
    const b = await createMeshNode({ seed: 3_101, transport: make('b', losingEverything(hub, 'b')) })
    try {
      await Promise.all([a.start(), b.start()])
      const dropped: string[] = []
      a.addEventListener('peer:disconnect', (event) => dropped.push(event.detail.reason))
      const overWs = await a.connect(b.addresses[1], { expectedPeerId: b.id })
      expect(scheme(overWs.remoteAddress)).toBe('ws')
      // Dialled by id this time: the session with b is open, so it is the one returned, and no dial happens.
      expect((await a.connect('webrtc://b', { expectedPeerId: b.id })).remoteAddress).toBe(overWs.remoteAddress)
      // By address alone it is a new connection to make, and it cannot be made: each attempt times out after 2 s
      // (connect() would retry with backoff for longer; the first attempts are enough here).
      await expect(a.connect('webrtc://b', { signal: AbortSignal.timeout(5_000) })).rejects.toThrow()
      const webrtc = (a.stats().transport.details as { transports: { kind: string; dialsFailed: number }[] }).transports[0]
      expect(webrtc.kind).toBe('webrtc')
      expect(webrtc.dialsFailed).toBeGreaterThanOrEqual(1)
      expect(dropped).toEqual([])
      expect(a.peers().map((peer) => peer.remoteAddress)).toEqual([overWs.remoteAddress])
      const direct: string[] = []
      b.onDirect((message) => direct.push(text(message.data)))
      await a.send(b.id, bytes('still here'))
      await waitFor(() => direct.length === 1, 'a direct message after the failed attempt')
      expect(direct).toEqual(['still here'])
    } finally {
      await Promise.all([a.stop(), b.stop()])
      hub.close()
    }
  }, 60_000)
})
