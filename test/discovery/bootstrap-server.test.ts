// The bootstrap and signaling server on 127.0.0.1, for real: WebRTC transports signal through
// it and connect; ids are exclusive; bad input gets error frames and is counted; a flood from
// one client is dropped and the others are served; the HTTP routes answer; nothing is left
// open after close(). Real time, so only behaviour is asserted, with generous deadlines.

import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket as WsWebSocket } from 'ws'
import { BootstrapServer, DiscoveryError, WebSocketSignaling, type BootstrapServerOptions } from '../../src/discovery/index.js'
import { serverFixture } from './server-fixture.js'
import { createMeshNode } from '../../src/node.js'
import { WebRtcTransport, type Connection } from '../../src/transport/index.js'
import { bytes, text, waitFor } from '../transport/real-time.js'

const { serve, signalingAt, cleanup } = serverFixture()
const others: { close(): unknown }[] = []

/** A plain ws client, as a hostile one would be; `frames` collects what the server sends. */
async function raw(server: BootstrapServer): Promise<{ socket: WsWebSocket; frames: Record<string, unknown>[]; closed: Promise<void> }> {
  const socket = new WsWebSocket(server.url)
  others.push({ close: () => socket.terminate() })
  const frames: Record<string, unknown>[] = []
  socket.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>))
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve)
    socket.once('error', reject)
  })
  return { socket, frames, closed }
}

const http = (server: BootstrapServer, path: string) => fetch(server.url.replace('ws://', 'http://') + path)

afterEach(async () => {
  for (const other of others.splice(0)) other.close()
  await cleanup()
})

describe('BootstrapServer and WebSocketSignaling', () => {
  it('two WebRTC transports signal through the server, connect and carry frames; an unknown id is unreachable at once', async () => {
    const server = await serve()
    expect(server.url).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*$/)
    const alice = new WebRtcTransport({ signaling: await signalingAt(server, 'alice') })
    const bob = new WebRtcTransport({ signaling: await signalingAt(server, 'bob') })
    others.push(alice, bob)
    const accepted: Connection[] = []
    await bob.listen((connection) => accepted.push(connection))
    const outbound = await alice.dial('webrtc://bob', { timeoutMs: 20_000 })
    await waitFor(() => accepted.length === 1, 'the inbound connection')
    const got: string[] = []
    accepted[0].onMessage((frame) => got.push(text(frame)))
    outbound.send(bytes('through the bootstrap server'))
    await waitFor(() => got.length === 1, 'the frame')
    expect(got).toEqual(['through the bootstrap server'])
    expect(server.stats().signalsRelayed).toBeGreaterThanOrEqual(4) // knock, ready, offer, answer, candidates
    const error = await alice.dial('webrtc://nobody', { timeoutMs: 20_000 }).catch((caught: unknown) => caught)
    expect((error as { code: string }).code).toBe('TRANSPORT_UNREACHABLE')
    expect(server.stats().dropped.unreachable).toBe(1)
    await Promise.all([alice.close(), bob.close()])
  })

  it('an id is held by one client at a time: a second registration is refused with DISCOVERY_ID_TAKEN, and the id is free once its holder left', async () => {
    const server = await serve()
    const first = await signalingAt(server, 'carol')
    const error = await WebSocketSignaling.connect(server.url, { id: 'carol' }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(DiscoveryError)
    expect((error as DiscoveryError).code).toBe('DISCOVERY_ID_TAKEN')
    await first.closed()
    await waitFor(() => server.stats().registered === 0, 'the id to be released')
    expect((await signalingAt(server, 'carol')).isOpen).toBe(true)
    expect((await WebSocketSignaling.connect('ws://127.0.0.1:1', { id: 'dave' }).catch((caught: unknown) => caught) as DiscoveryError).code).toBe('DISCOVERY_UNREACHABLE')
  })

  it('bad input gets an error frame and is counted, a client that keeps at it is disconnected, and the server serves the others', async () => {
    const server = await serve({ maxDropsBeforeClose: 20 })
    const honest = await signalingAt(server, 'honest')
    const heard: unknown[] = []
    honest.onMessage((from, message) => heard.push([from, message]))
    const bad = await raw(server)
    bad.socket.send(Buffer.from('not json'))
    bad.socket.send(Buffer.from(JSON.stringify({ type: 'signal', to: 'honest', message: {} }))) // before register
    bad.socket.send(Buffer.from(JSON.stringify({ type: 'register', id: 'has space' })))
    bad.socket.send(Buffer.from(JSON.stringify({ type: 'warp' })))
    bad.socket.send(Buffer.from(JSON.stringify({ type: 'register', id: 'mallory' })))
    bad.socket.send(Buffer.from(JSON.stringify({ type: 'announce', addresses: Array.from({ length: 9 }, () => 'ws://x:1') })))
    bad.socket.send(Buffer.from(JSON.stringify({ type: 'signal', to: 'honest', message: [] })))
    bad.socket.send(Buffer.from(JSON.stringify({ type: 'signal', to: 'honest', message: { type: 'knock', connectionId: 'abcdefgh12345678' } })))
    await waitFor(() => heard.length === 1, 'the one good signal')
    expect(heard).toEqual([['mallory', { type: 'knock', connectionId: 'abcdefgh12345678' }]])
    const codes = bad.frames.map((frame) => frame.code ?? frame.type)
    expect(codes).toContain('registered')
    expect(codes.filter((code) => code === 'malformed').length).toBeGreaterThanOrEqual(5)
    expect(codes).toContain('not-registered')
    for (let i = 0; i < 30; i++) bad.socket.send(Buffer.from('{'))
    await bad.closed
    expect(server.stats().clientsDisconnected).toBe(1)
    // Cut off at its 20th dropped frame (maxDropsBeforeClose): 19 malformed and the signal before register.
    expect([server.stats().dropped.malformed, server.stats().dropped['not-registered']]).toEqual([19, 1])
    // A text frame is no frame of ours: the transport closes that connection at once.
    const texter = await raw(server)
    texter.socket.send('a text frame')
    await texter.closed
    const again = await signalingAt(server, 'after-the-noise')
    expect(again.isOpen).toBe(true)
  })

  it('a flood from one client is dropped past its rate and disconnects it, while another pair signals without loss', async () => {
    const server = await serve({ messagesPerSecond: 50, maxDropsBeforeClose: 500 })
    const sink = await signalingAt(server, 'sink')
    const fromFlood: unknown[] = []
    const fromHonest: unknown[] = []
    sink.onMessage((from, message) => (from === 'flooder' ? fromFlood : fromHonest).push(message))
    const flooder = await raw(server)
    flooder.socket.send(Buffer.from(JSON.stringify({ type: 'register', id: 'flooder' })))
    await waitFor(() => flooder.frames.length === 1, 'the flooder to register')
    const honest = await signalingAt(server, 'honest-peer')
    const signal = (i: number) => ({ type: 'candidate' as const, connectionId: 'abcdefgh12345678', candidate: `c${i}`, sdpMid: '0', sdpMLineIndex: 0 })
    for (let i = 0; i < 2_000; i++) flooder.socket.send(Buffer.from(JSON.stringify({ type: 'signal', to: 'sink', message: signal(i) })))
    for (let i = 0; i < 40; i++) honest.send('sink', signal(i))
    await waitFor(() => fromHonest.length === 40, "the honest client's 40 signals")
    await flooder.closed
    const stats = server.stats()
    // At most its burst (2 x 50) and what a second of refill adds got through; the rest was dropped until it was cut off.
    expect(fromFlood.length).toBeLessThanOrEqual(200)
    expect(stats.dropped['rate-limited']).toBeGreaterThanOrEqual(499)
    expect(stats.clientsDisconnected).toBe(1)
    expect(flooder.frames.some((frame) => frame.code === 'rate-limited')).toBe(true)
    expect(honest.stats().errors).toEqual({})
  })

  it('GET /peers samples clients that announced, /health and /metrics answer, other paths are 404', async () => {
    const server = await serve({ peersSampleSize: 3 })
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) await signalingAt(server, id, [`webrtc://${id}`, `ws://127.0.0.1:${1_000 + Number(id.slice(1))}`])
    await signalingAt(server, 'quiet') // announces nothing: never listed
    await waitFor(() => server.stats().registered === 6, 'every client to register')
    await new Promise((resolve) => setTimeout(resolve, 100)) // the announces follow the registrations
    const peers = (await (await http(server, '/peers')).json()) as { peers: { id: string; addresses: string[] }[] }
    expect(peers.peers).toHaveLength(3)
    for (const peer of peers.peers) expect(peer.addresses).toEqual([`webrtc://${peer.id}`, `ws://127.0.0.1:${1_000 + Number(peer.id.slice(1))}`])
    expect(new Set(peers.peers.map((peer) => peer.id)).size).toBe(3)
    expect(((await (await http(server, '/peers?count=1')).json()) as { peers: unknown[] }).peers).toHaveLength(1)
    const health = await http(server, '/health')
    expect(health.headers.get('access-control-allow-origin')).toBe('*')
    expect(await health.json()).toMatchObject({ status: 'ok', clients: 6, registered: 6 })
    const metrics = await http(server, '/metrics')
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const body = await metrics.text()
    expect(body).toMatch(/^# HELP wasmesh_bootstrap_clients /m)
    expect(body).toMatch(/^# TYPE wasmesh_bootstrap_signals_relayed_total counter$/m)
    expect(body).toMatch(/^wasmesh_bootstrap_registered_clients 6$/m)
    expect(body).toMatch(/^wasmesh_bootstrap_http_requests_total\{path="\/peers"\} 2$/m)
    expect(body).toMatch(/^wasmesh_bootstrap_frames_dropped_total\{reason="rate-limited"\} 0$/m)
    expect((await http(server, '/nothing')).status).toBe(404)
    expect((await fetch(server.url.replace('ws://', 'http://') + '/peers', { method: 'POST' })).status).toBe(405)
  })

  it('a connection that never registers is disconnected after registerTimeoutMs; close() leaves no socket', async () => {
    const server = await serve({ registerTimeoutMs: 200 })
    const idle = await raw(server)
    await idle.closed
    expect(idle.frames).toEqual([{ type: 'error', code: 'too-slow', message: 'disconnected: no register within 200 ms' }])
    await signalingAt(server, 'someone')
    await cleanup()
    await waitFor(() => !process.getActiveResourcesInfo().some((kind) => kind === 'TCPServerWrap' || kind === 'TCPSocketWrap'), 'every socket to close')
  })

  it('two mesh nodes over WebRTC, signaling through the server, join and deliver a publish', async () => {
    const server = await serve()
    const a = await createMeshNode({ seed: 6_001, transport: new WebRtcTransport({ signaling: await signalingAt(server, 'node-a') }) })
    await a.start()
    const b = await createMeshNode({ seed: 6_002, bootstrap: ['webrtc://node-a'], transport: new WebRtcTransport({ signaling: await signalingAt(server, 'node-b') }) })
    const inbox: string[] = []
    b.subscribe('chat', (message) => inbox.push(text(message.data)))
    try {
      await b.start()
      await a.waitForSubscribers('chat', { timeoutMs: 20_000 })
      await a.publish('chat', bytes('signaled by the bootstrap server'))
      await waitFor(() => inbox.length === 1, 'the publish')
      expect(inbox).toEqual(['signaled by the bootstrap server'])
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })

  it('refuses bad options with DISCOVERY_INVALID_OPTION', async () => {
    for (const options of [{ maxClients: 0 }, { messagesPerSecond: -1 }, { peersSampleSize: 101 }, { registerTimeoutMs: Number.NaN }, { listenAddress: 'http://x:1' }, { clock: {} }] as BootstrapServerOptions[]) {
      expect(() => new BootstrapServer(options), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_OPTION' }))
    }
    for (const options of [{ id: '' }, { id: 'a b' }, { id: 'ok', announce: 'ws://x:1' }, { id: 'ok', timeoutMs: -5 }]) {
      const error = await WebSocketSignaling.connect('ws://127.0.0.1:1', options as never).catch((caught: unknown) => caught)
      expect((error as DiscoveryError).code, JSON.stringify(options)).toBe('DISCOVERY_INVALID_OPTION')
    }
    const server = await serve()
    await expect(server.start()).rejects.toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_STATE' }))
  })
})
