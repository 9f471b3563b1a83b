// WebRTC signaling through the mesh, for real: a bootstrap server on 127.0.0.1, node-datachannel
// peer connections, WebSocket listeners. Two nodes meet over WebRTC through the server; the
// server stops; a third node that knows only the first one's WebSocket address joins without
// any server, and its WebRTC connection to the second node (which it never met) is signaled
// through the first: the mesh carries the offer, the answer and the candidates. Then the
// MeshSignaling unit: what it refuses, and what it drops.

import { afterEach, describe, expect, it } from 'vitest'
import { createMeshNode, MeshSignaling, type MeshNode } from '../../src/index.js'
import { Identity } from '../../src/peers/identity.js'
import { TransportManager, WebRtcTransport, WebSocketTransport, type Signaling } from '../../src/transport/index.js'
import { toHex } from '../../src/util/hex.js'
import { SeededRandom } from '../../src/util/random.js'
import { serverFixture } from './server-fixture.js'
import { bytes, text, waitFor } from '../transport/real-time.js'

const fixture = serverFixture()
const nodes: MeshNode[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()))
  await fixture.cleanup()
})

const scheme = (address: string) => address.slice(0, address.indexOf(':'))

/** A node on WebRTC (signaling through `server` while it has no peers, through the mesh after) and a WebSocket listener. */
async function meshNode(seed: number, server: Signaling | undefined, bootstrap: string[]) {
  const identity = Identity.generate(new SeededRandom(seed))
  const signaling = new MeshSignaling({ identity, ...(server === undefined ? {} : { server }) })
  const transport = new TransportManager({ transports: [new WebRtcTransport({ signaling }), new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' })] })
  const node = await createMeshNode({ identity, transport, bootstrap, meshSignaling: signaling })
  nodes.push(node)
  await node.start()
  return { node, signaling }
}

describe('signaling through the mesh', () => {
  it('after the server stops, a node that knows one member joins without it, and its WebRTC connection to a node it never met is signaled through the mesh', async () => {
    const server = await fixture.serve()
    const idOf = (seed: number) => MeshSignaling.idOf(Identity.generate(new SeededRandom(seed)))
    const a = await meshNode(1, await fixture.signalingAt(server, idOf(1)), [])
    const b = await meshNode(2, await fixture.signalingAt(server, idOf(2)), [`webrtc://${a.node.peerKey}`])
    await waitFor(() => a.node.peers().length === 1, 'a and b to meet')
    // Their first connection was signaled through the server: neither had a peer yet.
    expect(b.node.peers().map((peer) => scheme(peer.remoteAddress))).toEqual(['webrtc'])
    expect(b.signaling.stats().sentThroughServer).toBeGreaterThan(0)

    await server.close()
    const wsOfA = a.node.addresses.find((address) => address.startsWith('ws://'))!
    const c = await meshNode(3, undefined, [wsOfA])
    const toB = await c.node.connect(`webrtc://${b.node.peerKey}`, { expectedPeerId: b.node.id })
    expect([toB.peerKey, scheme(toB.remoteAddress)]).toEqual([b.node.peerKey, 'webrtc'])
    // Every signal between them went through a: c never had a server, and b's is gone.
    expect(c.signaling.stats()).toMatchObject({ sentThroughServer: 0, unroutable: 0 })
    expect(c.signaling.stats().sentThroughMesh).toBeGreaterThanOrEqual(2) // the knock and the offer at least
    expect(b.signaling.stats().receivedThroughMesh).toBeGreaterThanOrEqual(2)
    expect(b.signaling.stats().sentThroughMesh).toBeGreaterThanOrEqual(2) // the ready and the answer at least
    expect(a.node.stats().layers.routing.forwarded).toBeGreaterThanOrEqual(4)

    // And the mesh keeps delivering, the new WebRTC link included.
    const inboxes = [a, b].map(({ node }) => {
      const inbox: string[] = []
      node.subscribe('news', (message) => inbox.push(text(message.data)))
      return inbox
    })
    await c.node.waitForSubscribers('news', { min: 2, timeoutMs: 20_000 })
    await c.node.publish('news', bytes('no server needed'))
    await waitFor(() => inboxes.every((inbox) => inbox.length === 1), 'the publish at a and b')
    const direct: string[] = []
    b.node.onDirect((message) => direct.push(text(message.data)))
    await c.node.send(b.node.id, bytes('over the link the mesh signaled'))
    await waitFor(() => direct.length === 1, 'the direct message')
  }, 120_000)
})

describe('MeshSignaling', () => {
  const identity = Identity.generate(new SeededRandom(40))
  const other = Identity.generate(new SeededRandom(41))
  const otherId = toHex(other.peerId)

  /** A router stand-in that records meshSignal sends and hands out the handler the signaling sets. */
  function fakeRouter(result: Promise<unknown> = Promise.resolve({})) {
    const sent: { to: string; json: unknown }[] = []
    let handler: ((message: { from: Uint8Array; data: Uint8Array; hops: number }) => void) | undefined
    const router = {
      sendMeshSignal: (to: Uint8Array, data: Uint8Array) => {
        sent.push({ to: toHex(to), json: JSON.parse(new TextDecoder().decode(data)) })
        return result
      },
      onMeshSignal: (next: typeof handler) => {
        handler = next
      },
    }
    return { router: router as never, sent, deliver: (data: Uint8Array) => handler?.({ from: other.peerId, data, hops: 2 }), hasHandler: () => handler !== undefined }
  }

  function recordingServer(id: string) {
    const sent: [string, unknown][] = []
    let handler: ((from: string, message: unknown) => void) | undefined
    let closed = 0
    const server: Signaling = {
      localId: id,
      send: (toId, message) => void sent.push([toId, message]),
      onMessage: (next) => void (handler = next),
      close: () => void closed++,
    }
    return { server, sent, hear: (from: string, message: unknown) => handler?.(from, message), closedCount: () => closed }
  }

  it('refuses options that cannot work, naming them: no identity, or a server registered under another id', () => {
    for (const [options, message] of [
      [undefined, /options must be an object/],
      [{}, /identity must be the node's Identity/],
      [{ identity, server: { localId: toHex(identity.peerId) } }, /server must be a Signaling/],
      [{ identity, server: recordingServer('someone-else').server }, /must use the node's peer id in hex/],
    ] as const) {
      expect(() => new MeshSignaling(options as never), String(message)).toThrow(expect.objectContaining({ code: 'NODE_INVALID_OPTION', message: expect.stringMatching(message) }))
    }
    expect(new MeshSignaling({ identity }).localId).toBe(toHex(identity.peerId))
  })

  it('createMeshNode refuses a MeshSignaling of another identity, or one another node already uses', async () => {
    const signaling = new MeshSignaling({ identity })
    await expect(createMeshNode({ identity: other, meshSignaling: signaling, transport: new WebSocketTransport({}) })).rejects.toMatchObject({ code: 'NODE_INVALID_OPTION', message: expect.stringMatching(/give both the same identity/) })
    await expect(createMeshNode({ identity, meshSignaling: {} as never, transport: new WebSocketTransport({}) })).rejects.toMatchObject({ code: 'NODE_INVALID_OPTION', message: expect.stringMatching(/must be a MeshSignaling/) })
    const first = await createMeshNode({ identity, meshSignaling: signaling, transport: new WebSocketTransport({}) })
    nodes.push(first)
    expect(signaling.isAttached).toBe(true)
    await expect(createMeshNode({ identity, meshSignaling: signaling, transport: new WebSocketTransport({}) })).rejects.toMatchObject({ code: 'NODE_INVALID_OPTION', message: expect.stringMatching(/already the meshSignaling of another node/) })
    await first.stop()
    expect(signaling.isAttached).toBe(false)
  })

  it('sends through the mesh to a peer id while the node has peers, through the server otherwise; with neither, answers with a bye, never from inside send()', async () => {
    const { server, sent: toServer } = recordingServer(toHex(identity.peerId))
    const signaling = new MeshSignaling({ identity, server })
    const heard: [string, unknown][] = []
    signaling.onMessage((from, message) => heard.push([from, message]))
    const knock = { type: 'knock', connectionId: 'abcdefgh12345678' } as const
    signaling.send(otherId, knock) // not attached yet: the server
    let hasPeers = false
    const mesh = fakeRouter()
    signaling.attach(mesh.router, () => hasPeers)
    signaling.send(otherId, knock) // no peers: the server
    hasPeers = true
    signaling.send(otherId, knock) // the mesh
    signaling.send('not-a-peer-id', knock) // only the server knows such an id
    signaling.send(otherId, { type: 'offer', connectionId: 'abcdefgh12345678', sdp: 'v'.repeat(20_000) }) // too large for the mesh
    expect(mesh.sent).toEqual([{ to: otherId, json: knock }])
    expect(toServer.map(([to, message]) => [to, (message as { type: string }).type])).toEqual([[otherId, 'knock'], [otherId, 'knock'], ['not-a-peer-id', 'knock'], [otherId, 'offer']])
    expect(signaling.stats()).toMatchObject({ sentThroughMesh: 1, sentThroughServer: 4, unroutable: 0 })

    const alone = new MeshSignaling({ identity })
    alone.onMessage((from, message) => heard.push([from, message]))
    alone.send(otherId, knock)
    expect(heard).toEqual([])
    await Promise.resolve()
    expect(heard).toEqual([[otherId, { type: 'bye', connectionId: knock.connectionId, reason: 'unreachable' }]])
    expect(alone.stats().unroutable).toBe(1)
  })

  it('hands on what arrives through the mesh by its proved sender; drops oversized and non-JSON signals and counts them; a failed mesh send is counted', async () => {
    const signaling = new MeshSignaling({ identity })
    const heard: [string, unknown][] = []
    signaling.onMessage((from, message) => heard.push([from, message]))
    const mesh = fakeRouter(Promise.reject(new Error('unreachable')))
    const detach = signaling.attach(mesh.router, () => true)
    mesh.deliver(new TextEncoder().encode(JSON.stringify({ type: 'ready', connectionId: 'abcdefgh12345678' })))
    mesh.deliver(new TextEncoder().encode('{"type": "offer", '))
    mesh.deliver(Uint8Array.of(0xff, 0xfe))
    mesh.deliver(new Uint8Array(16_385))
    expect(heard).toEqual([[otherId, { type: 'ready', connectionId: 'abcdefgh12345678' }]])
    signaling.send(otherId, { type: 'knock', connectionId: 'abcdefgh12345678' })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(signaling.stats()).toMatchObject({ receivedThroughMesh: 4, droppedMalformed: 2, droppedOversized: 1, sentThroughMesh: 1, meshSendFailures: 1 })
    detach()
    expect(mesh.hasHandler()).toBe(false)
  })

  it('close() stops both paths and closes the server signaling, once', () => {
    const { server, sent, hear, closedCount } = recordingServer(toHex(identity.peerId))
    const signaling = new MeshSignaling({ identity, server })
    const heard: unknown[] = []
    signaling.onMessage((_from, message) => heard.push(message))
    signaling.close()
    signaling.close()
    signaling.send(otherId, { type: 'knock', connectionId: 'abcdefgh12345678' })
    hear(otherId, { type: 'ready', connectionId: 'abcdefgh12345678' })
    expect([sent.length, heard.length, closedCount()]).toEqual([0, 0, 1])
  })
})
