// Six mesh nodes over real WebSockets on 127.0.0.1, on the system clock: they join, and a
// publish reaches every other subscriber exactly once, and stopping them closes every socket. Real time, so only behaviour is
// asserted, with generous deadlines.

import { describe, expect, it } from 'vitest'
import { createMeshNode, type MeshNode } from '../../src/node.js'
import { WebSocketTransport } from '../../src/transport/index.js'
import { waitFor } from './real-time.js'

describe('MeshNode over WebSocketTransport', () => {
  it('six nodes on 127.0.0.1 join and a publish is delivered to every other node exactly once', async () => {
    const nodes: MeshNode[] = []
    const inboxes: string[][] = []
    try {
      for (let i = 0; i < 6; i++) {
        const bootstrap = nodes.slice(0, 2).flatMap((node) => node.addresses)
        const node = await createMeshNode({ seed: 1_000 + i, bootstrap, transport: new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' }) })
        const inbox: string[] = []
        node.subscribe('chat', (message) => inbox.push(new TextDecoder().decode(message.data)))
        await node.start()
        expect(node.addresses[0]).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*$/)
        nodes.push(node)
        inboxes.push(inbox)
      }
      await waitFor(() => nodes.every((node) => node.peers().length >= 1), 'every node to have a peer')
      await waitFor(() => nodes.every((node) => node.stats().layers.relay.peersWithTopics === node.peers().length), 'subscriptions to reach every neighbour')
      const publisher = nodes[5]
      await publisher.publish('chat', new TextEncoder().encode('over ws'))
      await waitFor(() => inboxes.slice(0, 5).every((inbox) => inbox.length >= 1), 'the publish to reach every node')
      await new Promise((resolve) => setTimeout(resolve, 300)) // room for any duplicate to arrive
      expect(inboxes.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => ['over ws']))
      expect(inboxes[5]).toEqual([])
      expect(nodes.reduce((sum, node) => sum + node.stats().messages.delivered, 0)).toBe(5)
    } finally {
      await Promise.all(nodes.map((node) => node.stop()))
    }
    // Stopping a node closes its transport: no server or socket is left behind.
    await waitFor(() => !process.getActiveResourcesInfo().some((kind) => kind === 'TCPServerWrap' || kind === 'TCPSocketWrap'), 'every socket to close')
  }, 60_000)
})
