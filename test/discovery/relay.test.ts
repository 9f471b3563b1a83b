// Relaying through the bootstrap server (RelayTransport, relay frames) against a real server
// on 127.0.0.1: what a hostile client can do to it (malformed frames, a flood past its byte
// budget, a stream past its window, a target that stops reading), and two mesh nodes that
// cannot listen and have no WebRTC path joining and talking through it.

import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket as WsWebSocket } from 'ws'
import { RelayTransport, type BootstrapServer } from '../../src/discovery/index.js'
import { decodeRelayFrame, encodeRelayFrame, relayCloseReason, type RelayFrame } from '../../src/discovery/relay-frame.js'
import { RELAY_WINDOW_BROKEN } from '../../src/discovery/relay-stream.js'
import { createMeshNode, type MeshNode } from '../../src/node.js'
import { TransportManager, WebRtcTransport } from '../../src/transport/index.js'
import { waitFor } from '../transport/real-time.js'
import { serverFixture } from './server-fixture.js'

const { serve, signalingAt, cleanup } = serverFixture()
const closers: (() => unknown)[] = []

async function relayAt(server: BootstrapServer, id: string, options: { windowBytes?: number } = {}): Promise<RelayTransport> {
  const transport = new RelayTransport({ signaling: await signalingAt(server, id), ...options })
  closers.push(() => transport.close())
  return transport
}

/** A client that speaks relay frames by hand, as a hostile one would: what the server forwards to it lands in `frames`. */
async function handRelay(server: BootstrapServer, id: string) {
  const signaling = await signalingAt(server, id)
  const frames: RelayFrame[] = []
  signaling.onRelayFrame((bytes) => {
    const frame = decodeRelayFrame(bytes)
    if (frame !== undefined) frames.push(frame)
  })
  return { signaling, frames }
}

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
  await cleanup()
})

describe('relaying through the bootstrap server', () => {
  it('a malformed relay frame, or one before register, is dropped and counted with an error frame; the client stays and relays after', async () => {
    const server = await serve()
    const socket = new WsWebSocket(server.url)
    closers.push(() => socket.terminate())
    const errors: string[] = []
    socket.on('message', (data: Buffer) => {
      const frame = data[0] === 0x7b ? (JSON.parse(data.toString('utf8')) as { type: string; code?: string }) : undefined
      if (frame !== undefined) errors.push(frame.code ?? frame.type)
    })
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
    socket.send(encodeRelayFrame('open', true, 'bob', 1, 65_536))
    await waitFor(() => errors.length === 1, 'the not-registered error')
    socket.send(Buffer.from(JSON.stringify({ type: 'register', id: 'mallory' })))
    for (const bytes of [Uint8Array.of(0), Uint8Array.of(0, 9, 3, 98, 111, 98, 0, 0, 0, 1), Uint8Array.of(0, 1, 0, 0, 0, 0, 1, 0), Uint8Array.of(0, 1, 3, 0xff, 0xfe, 0xfd, 0, 0, 0, 1, 0, 0, 0, 1)]) socket.send(bytes)
    await waitFor(() => errors.length === 6, 'the registration and four errors')
    expect(errors).toEqual(['not-registered', 'registered', 'malformed', 'malformed', 'malformed', 'malformed'])
    expect(server.stats().dropped).toMatchObject({ 'not-registered': 1, malformed: 4 })
    // Still served: a stream to a listening transport opens.
    const bob = await relayAt(server, 'bob')
    await bob.listen(() => {})
    socket.send(encodeRelayFrame('open', true, 'bob', 7, 65_536))
    const accepted: RelayFrame[] = []
    socket.on('message', (data: Buffer) => {
      const frame = decodeRelayFrame(new Uint8Array(data))
      if (frame !== undefined) accepted.push(frame)
    })
    await waitFor(() => accepted.length === 1, 'the accept')
    expect(accepted[0]).toMatchObject({ kind: 'accept', peer: 'bob', stream: 7, isFromOpener: false, amount: 65_536 })
  })

  it('a stream to an id nobody holds is closed by the server as unreachable', async () => {
    const server = await serve()
    const alice = await relayAt(server, 'alice')
    const error = await alice.dial('relay://nobody').catch((caught: unknown) => caught)
    expect(error).toMatchObject({ code: 'TRANSPORT_UNREACHABLE', message: expect.stringContaining('unreachable') })
    expect(server.stats().dropped.unreachable).toBe(1)
    expect(alice.stats()).toMatchObject({ dials: 1, dialsFailed: 1, connections: 0, opening: 0 })
  })

  it('when a client leaves the server, the streams others had with it close at once (initiator network)', async () => {
    const server = await serve()
    const bob = await relayAt(server, 'bob')
    const closes: { initiator: string; reason: string }[] = []
    const frames: Uint8Array[] = []
    await bob.listen((connection) => {
      connection.onMessage((frame) => frames.push(frame))
      connection.onClose((info) => closes.push(info))
    })
    const aliceSignaling = await signalingAt(server, 'alice')
    const alice = new RelayTransport({ signaling: aliceSignaling })
    const connection = await alice.dial('relay://bob')
    connection.send(Uint8Array.of(1))
    await waitFor(() => frames.length === 1, 'the frame at bob')
    // Alice's WebSocket goes (her machine slept, say): no goodbye on the relayed connection.
    await aliceSignaling.closed()
    await waitFor(() => closes.length === 1, "bob's connection closing")
    expect(closes[0]).toMatchObject({ initiator: 'network' })
    expect(bob.stats()).toMatchObject({ connections: 0, opening: 0 })
    await alice.close()
  })

  it('a client past relayBytesPerSecond is not read until its budget refills, and another pair is relayed meanwhile', async () => {
    const server = await serve({ relayBytesPerSecond: 65_536 })
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((id) => relayAt(server, id)))
    let atBob = 0
    const atDave: Uint8Array[] = []
    await bob.listen((connection) => connection.onMessage((frame) => (atBob += frame.length)))
    await dave.listen((connection) => connection.onMessage((frame) => atDave.push(frame)))
    const flood = await alice.dial('relay://bob')
    // 384 KiB: the burst (128 KiB) and then four seconds' worth of budget.
    const sent = 384 * 1_024
    for (let i = 0; i < sent / 16_384; i++) flood.send(new Uint8Array(16_384))
    await waitFor(() => server.stats().relayReadPauses > 0, 'a read pause')
    const honest = await carol.dial('relay://dave')
    honest.send(Uint8Array.of(1, 2, 3))
    await waitFor(() => atDave.length === 1, "carol's frame at dave")
    expect([...atDave[0]]).toEqual([1, 2, 3])
    await waitFor(() => atBob === sent, 'the whole flood at bob (paced, nothing lost)')
    expect(server.stats().relayReadPauses).toBeGreaterThan(0)
    expect(server.stats().relayBytesForwarded).toBeGreaterThan(sent)
  })

  it('a peer that sends past the window it was granted has its stream cut; the transport serves others', async () => {
    const server = await serve()
    const bob = await relayAt(server, 'bob', { windowBytes: 16_384 })
    const closes: string[] = []
    await bob.listen((connection) => connection.onClose((info) => closes.push(info.reason)))
    const mallory = await handRelay(server, 'mallory')
    mallory.signaling.sendRelayFrame(encodeRelayFrame('open', true, 'bob', 1, 65_536))
    await waitFor(() => mallory.frames.some((frame) => frame.kind === 'accept'), "bob's accept")
    // 16 KiB granted; 20 KiB sent in one go, credit never waited for.
    mallory.signaling.sendRelayFrame(encodeRelayFrame('data', true, 'bob', 1, 0, new Uint8Array(20_480)))
    await waitFor(() => mallory.frames.some((frame) => frame.kind === 'close'), 'the close sent to mallory')
    const close = mallory.frames.find((frame) => frame.kind === 'close')!
    expect(relayCloseReason(close)).toBe(RELAY_WINDOW_BROKEN)
    await waitFor(() => closes.length === 1, "bob's connection closing")
    expect(bob.stats().connections).toBe(0)
    const alice = await relayAt(server, 'alice')
    const connection = await alice.dial('relay://bob')
    expect([connection.isOpen, bob.stats().connections]).toEqual([true, 1])
  })

  it('a target that stops reading gets its streams closed by the server (target-slow), not its connection', async () => {
    const server = await serve({ relayBytesPerSecond: 256 * 1_048_576, relayTargetBufferBytes: 65_536 })
    // The sink registers and then never reads: its socket is paused, so the server's send buffer for it fills.
    const sink = new WsWebSocket(server.url)
    closers.push(() => sink.terminate())
    await new Promise((resolve, reject) => sink.once('open', resolve).once('error', reject))
    const registered = new Promise((resolve) => sink.once('message', resolve))
    sink.send(Buffer.from(JSON.stringify({ type: 'register', id: 'sink' })))
    await registered
    ;(sink as unknown as { _socket: { pause(): void } })._socket.pause()
    const mallory = await handRelay(server, 'mallory')
    const chunk = new Uint8Array(32_768)
    for (let sent = 0; server.stats().dropped['target-slow'] === 0 && sent < 4_000; sent++) {
      mallory.signaling.sendRelayFrame(encodeRelayFrame('data', true, 'sink', 1, 0, chunk))
      if (sent % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await waitFor(() => server.stats().dropped['target-slow'] > 0, 'a target-slow drop')
    await waitFor(() => mallory.frames.some((frame) => frame.kind === 'close' && relayCloseReason(frame) === 'target-slow'), 'the close sent to mallory')
    // The sink is slow, not gone: still registered, never disconnected for it.
    expect(server.stats()).toMatchObject({ registered: 2, clientsDisconnected: 0 })
  })

  it('mesh nodes that cannot listen and whose WebRTC cannot connect join and talk through the relay, falling back to it dial by dial', async () => {
    const server = await serve()
    const nodes: MeshNode[] = []
    const managers: TransportManager[] = []
    closers.push(() => Promise.all(nodes.map((node) => node.stop())))
    const make = async (id: string, bootstrap: string[]) => {
      // TURN only, with no TURN server: ICE never finds a path, so a WebRTC dial times out and the relay address is next.
      const signaling = await signalingAt(server, id, [`webrtc://${id}`, `relay://${id}`])
      const transport = new TransportManager({
        transports: [
          new WebRtcTransport({ signaling, iceTransportPolicy: 'relay', connectTimeoutMs: 1_500 }),
          new RelayTransport({ signaling }),
        ],
      })
      const node = await createMeshNode({ transport, bootstrap, seed: nodes.length + 41 })
      nodes.push(node)
      managers.push(transport)
      return node
    }
    const alice = await make('alice', [])
    await alice.start()
    const bob = await make('bob', ['relay://alice'])
    await bob.start()
    expect(bob.peers().map((peer) => [peer.remoteAddress, peer.addresses])).toEqual([['relay://alice', ['webrtc://alice', 'relay://alice']]])
    // Carol joins through alice; she and bob learn of each other in the mesh, and one dials the other: WebRTC first, then the relay.
    const carol = await make('carol', ['relay://alice'])
    await carol.start()
    await waitFor(() => carol.stats().peers === 2, 'carol connected to bob too')
    // The WebRTC dial between them failed, and a relayed one opened instead.
    const [webrtc, relay] = [0, 1].map((index) => managers.slice(1).reduce((sum, manager) => sum + manager.stats().transports[index].dialsFailed, 0))
    const relayDials = managers.slice(1).reduce((sum, manager) => sum + manager.stats().transports[1].dialsStarted, 0)
    expect([webrtc >= 1, relay, relayDials >= 3]).toEqual([true, 0, true])
    // Whichever side dialled, the far end of carol's session with bob is bob's relay address.
    expect(carol.peers().map((peer) => peer.remoteAddress).sort()).toEqual(['relay://alice', 'relay://bob'])
    const inbox: string[] = []
    alice.subscribe('news', (message) => inbox.push(new TextDecoder().decode(message.data)))
    await carol.waitForSubscribers('news', { timeoutMs: 10_000 })
    await carol.publish('news', new TextEncoder().encode('through the server'))
    const direct: string[] = []
    bob.onDirect((message) => direct.push(new TextDecoder().decode(message.data)))
    const result = await alice.send(bob.id, new TextEncoder().encode('and to bob'))
    await waitFor(() => inbox.length === 1 && direct.length === 1, 'the publish and the direct message')
    expect([inbox, direct, result.hops]).toEqual([['through the server'], ['and to bob'], 1])
    expect(server.stats().relayFramesForwarded).toBeGreaterThan(0)
  }, 60_000)
})
