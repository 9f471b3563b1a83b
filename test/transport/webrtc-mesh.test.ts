// Mesh nodes over real WebRTC data channels (node-datachannel) in this process, signaling
// through the in-process hub, on the system clock: they join, a publish reaches every other
// subscriber exactly once, a DHT record written by one is read by others, a direct send
// arrives, and stopping them leaves no peer connection or timer of theirs. Real time, so only
// behaviour is asserted, with generous deadlines.

import { describe, expect, it } from 'vitest'
import { createMeshNode, type MeshNode } from '../../src/node.js'
import { MemorySignaling, WebRtcTransport } from '../../src/transport/webrtc/index.js'
import { bytes, text, waitFor } from './real-time.js'


/** Two nodes first, then the rest in groups of six that join at once, each through the first two. */
async function meshOf(size: number, hub: MemorySignaling, transports: WebRtcTransport[]) {
  const nodes: MeshNode[] = []
  const inboxes: string[][] = []
  const add = async (i: number, bootstrap: string[]) => {
    const transport = new WebRtcTransport({ signaling: hub.connect(`node-${i}`) })
    transports.push(transport)
    const node = await createMeshNode({ seed: 2_000 + i, bootstrap, transport })
    const inbox: string[] = []
    node.subscribe('chat', (message) => inbox.push(text(message.data)))
    await node.start()
    nodes[i] = node
    inboxes[i] = inbox
  }
  await add(0, [])
  await add(1, nodes[0].addresses)
  for (let first = 2; first < size; first += 6) {
    const bootstrap = nodes.slice(0, 2).flatMap((node) => node.addresses)
    await Promise.all(Array.from({ length: Math.min(6, size - first) }, (_, j) => add(first + j, bootstrap)))
  }
  return { nodes, inboxes }
}

for (const size of [6, 20]) {
  describe(`MeshNode over WebRtcTransport, ${size} nodes`, () => {
    it('join; a publish reaches every other node exactly once; a DHT get and a direct send work; stop releases everything', async () => {
      const hub = new MemorySignaling()
      const transports: WebRtcTransport[] = []
      const { nodes, inboxes } = await meshOf(size, hub, transports).catch(async (error: unknown) => {
        await Promise.all(transports.map((transport) => transport.close()))
        throw error
      })
      try {
        expect(nodes.map((node) => node.addresses)).toEqual(nodes.map((_, i) => [`webrtc://node-${i}`]))
        await waitFor(() => nodes.every((node) => node.peers().length >= 1), 'every node to have a peer')
        await waitFor(() => nodes.every((node) => node.stats().layers.relay.peersWithTopics === node.peers().length), 'subscriptions to reach every neighbour')

        const publisher = nodes[size - 1]
        await publisher.publish('chat', bytes('over webrtc'))
        await waitFor(() => inboxes.slice(0, size - 1).every((inbox) => inbox.length >= 1), 'the publish to reach every node')
        await new Promise((resolve) => setTimeout(resolve, 300)) // room for any duplicate to arrive
        expect(inboxes.slice(0, size - 1)).toEqual(Array.from({ length: size - 1 }, () => ['over webrtc']))
        expect(inboxes[size - 1]).toEqual([])
        expect(nodes.reduce((sum, node) => sum + node.stats().messages.delivered, 0)).toBe(size - 1)

        const writer = nodes[1]
        await writer.dht.put('status', bytes('v1'))
        for (const reader of [nodes[0], nodes[size - 2], nodes[size - 1]]) {
          expect(text((await reader.dht.get('status', { owner: writer.publicKey })) ?? bytes('(none)'))).toBe('v1')
        }

        const target = nodes[0]
        const direct: string[] = []
        target.onDirect((message) => direct.push(text(message.data)))
        await nodes[size - 1].send(target.id, bytes('hello, node 0'))
        await waitFor(() => direct.length === 1, 'the direct message')
        expect(direct).toEqual(['hello, node 0'])

        const created = transports.reduce((sum, transport) => sum + transport.stats().peerConnectionsCreated, 0)
        const dropped = transports.reduce((sum, transport) => sum + transport.stats().signalsMalformed + transport.stats().signalsOversized, 0)
        expect(created).toBeGreaterThanOrEqual(size - 1)
        expect(dropped).toBe(0)
      } finally {
        await Promise.all(nodes.map((node) => node.stop()))
        await Promise.all(transports.map((transport) => transport.close()))
        hub.close()
      }
      // Stopping a node closes its transport: no peer connection is left negotiating or open.
      expect(transports.map((transport) => transport.stats().connections + transport.stats().negotiating)).toEqual(transports.map(() => 0))
    }, 120_000)
  })
}
