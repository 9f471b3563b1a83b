// Joining through a bootstrap server's URL (BootstrapServerDiscovery, and the http:// entries
// of the bootstrap option): a real BootstrapServer on 127.0.0.1 and real nodes over
// WebSockets; the pacing of asks on a ManualClock; a hostile HTTP server (node:http on
// 127.0.0.1) answering garbage, oversized, slow and malformed lists; nothing left after stop().

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { BootstrapServer, BootstrapServerDiscovery, MemoryKnownPeers, type BootstrapServerDiscoveryOptions, type BootstrapServerDiscoveryStats, type DiscoveredPeer, type FetchPeersOptions } from '../../src/discovery/index.js'
import { createMeshNode, type MeshNode, type MeshNodeOptions } from '../../src/node.js'
import { WebSocketTransport } from '../../src/transport/index.js'
import { ManualClock } from '../../src/util/clock.js'
import { toHex } from '../../src/util/hex.js'
import { seededRandom } from '../../src/util/random.js'
import { bytes, text, waitFor } from '../transport/real-time.js'
import { serverFixture } from './server-fixture.js'

const fixture = serverFixture()
const nodes: MeshNode[] = []
const closers: (() => Promise<void>)[] = []

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.stop()))
  for (const close of closers.splice(0).reverse()) await close()
  await fixture.cleanup()
})

const httpUrl = (wsUrl: string) => wsUrl.replace(/^ws/, 'http')

async function startNode(seed: number, options: Partial<MeshNodeOptions> & { targetPeers?: number } = {}): Promise<MeshNode> {
  const { targetPeers, ...rest } = options
  const node = await createMeshNode({
    seed, transport: new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' }),
    ...(targetPeers === undefined ? {} : { peers: { targetPeers } }), ...rest,
  })
  nodes.push(node)
  await node.start()
  return node
}

const discoveryStats = (node: MeshNode): BootstrapServerDiscoveryStats => {
  const entry = node.stats().join.discovery.find((one) => one.kind === 'bootstrap-server')
  if (entry === undefined) throw new Error('the node runs no bootstrap-server discovery')
  return entry.details as BootstrapServerDiscoveryStats
}

/** The global fetch, counting the requests it makes. */
function countingFetch(): { requests: number; fetch: NonNullable<FetchPeersOptions['fetch']> } {
  const counter = { requests: 0, fetch: (url: string, init: { signal: AbortSignal }) => (counter.requests++, fetch(url, init)) }
  return counter
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('joining through a bootstrap server URL', () => {
  it('nodes given only the server http:// URL register, find each other through /peers, and deliver a publish', async () => {
    const server = await fixture.serve()
    const url = httpUrl(server.url)
    const a = await startNode(12_001, { bootstrap: [url] })
    const b = await startNode(12_002, { bootstrap: [url] })
    const c = await startNode(12_003, { bootstrap: [url] })
    expect(server.stats().registered).toBe(3)
    // Each of b and c got the earlier nodes from the server in its start(), and dialled them there.
    await waitFor(() => b.peers().some((peer) => peer.peerKey === a.peerKey) && c.stats().peers >= 2, 'b and c in the mesh')
    expect(discoveryStats(c)).toMatchObject({ registered: 1, registrations: 1, answers: expect.any(Number) })
    expect(discoveryStats(c).peersListed).toBeGreaterThanOrEqual(2)
    expect(c.stats().bootstrap.attempted).toBe(0) // the URL is a server to ask, not an address to dial

    const inbox: string[] = []
    c.subscribe('joined', (message) => inbox.push(text(message.data)))
    await a.waitForSubscribers('joined', { timeoutMs: 20_000 })
    await a.publish('joined', bytes('through the server'))
    await waitFor(() => inbox.length === 1, 'the publish at c')
    expect(inbox).toEqual(['through the server'])
  })

  it('goes quiet at its target of peers, and asks again when peers leave', async () => {
    const server = await fixture.serve()
    const url = httpUrl(server.url)
    const a = await startNode(12_101, { bootstrap: [url], targetPeers: 1 })
    const b = await startNode(12_102, { bootstrap: [url], targetPeers: 1 })
    const counter = countingFetch()
    const paced: BootstrapServerDiscoveryOptions = { servers: [url], minIntervalMs: 100, maxIntervalMs: 300, fetch: counter.fetch }
    const x = await startNode(12_103, { discovery: [new BootstrapServerDiscovery(paced)], targetPeers: 2 })
    await waitFor(() => x.stats().peers >= 2 && discoveryStats(x).isQuiet, 'x at its target, quiet')
    expect(x.peers().map((peer) => peer.peerKey).sort()).toEqual([a.peerKey, b.peerKey].sort())

    // Quiet: over many of its longest intervals, not one request.
    const quietAt = counter.requests
    await sleep(1_500)
    expect(counter.requests).toBe(quietAt)
    expect(discoveryStats(x)).toMatchObject({ asks: quietAt, isQuiet: true, nextAskInMs: undefined })

    // a leaves: x is below its target and asks again, paced, while the server lists nobody new.
    await a.stop()
    await waitFor(() => counter.requests >= quietAt + 3, 'x asking again')
    expect(x.stats().peers).toBe(1)
    expect(discoveryStats(x).isQuiet).toBe(false)

    // A newcomer is listed: x finds it (through the server or the mesh), has its target again, and is quiet again.
    const c = await startNode(12_104, { bootstrap: [url], targetPeers: 1 })
    await waitFor(() => x.peers().some((peer) => peer.peerKey === c.peerKey) && x.stats().peers >= 2 && discoveryStats(x).isQuiet, 'x quiet again with c')
    const againAt = counter.requests
    await sleep(1_000)
    expect(counter.requests).toBe(againAt)
    // The server saw x's requests among the others'.
    expect(server.stats().httpRequests['/peers']).toBeGreaterThanOrEqual(againAt)
  })

  it('registers again once a restarted server is back, so the directory lists the node again', async () => {
    const first = await fixture.serve()
    const port = new URL(first.url).port
    const x = await startNode(12_151, { discovery: [new BootstrapServerDiscovery({ servers: [first.url], minIntervalMs: 100, maxIntervalMs: 300 })] })
    expect(discoveryStats(x)).toMatchObject({ registered: 1, registrations: 1 })
    await first.close()
    await waitFor(() => discoveryStats(x).registered === 0, 'the registration lost')
    await waitFor(() => discoveryStats(x).registrationFailures >= 1, 'a failed attempt while the server is down')
    const second = await fixture.serve({ listenAddress: `ws://127.0.0.1:${port}` })
    await waitFor(() => second.stats().registered === 1, 'x registered at the new server')
    expect(discoveryStats(x).registrations).toBe(2)
    const listed = await waitForListing(second, x.peerKey)
    expect(listed.addresses).toEqual(x.addresses)
  })

  it('a node that rejoined through the peers it knew does not ask the server at start', async () => {
    const server = await fixture.serve()
    const url = httpUrl(server.url)
    const a = await startNode(12_171, { bootstrap: [url] })
    const store = new MemoryKnownPeers()
    store.save([{ id: a.peerKey, addresses: a.addresses }])
    const counter = countingFetch()
    const x = await startNode(12_172, { knownPeers: store, discovery: [new BootstrapServerDiscovery({ servers: [url], fetch: counter.fetch })] })
    expect(x.stats().bootstrap.fromKnownPeers).toBe(1)
    expect(counter.requests).toBe(0)
    expect(discoveryStats(x)).toMatchObject({ asks: 0, registered: 1 })
  })

  it('an unreachable server: start() resolves, asks are retried with backoff, and stop() leaves no socket or timer', async () => {
    const before = process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length
    const dead = 'http://127.0.0.1:1'
    const x = await startNode(12_201, { discovery: [new BootstrapServerDiscovery({ servers: [dead], minIntervalMs: 100, maxIntervalMs: 400, timeoutMs: 500 })] })
    expect(x.isRunning).toBe(true)
    await waitFor(() => discoveryStats(x).asks >= 4 && discoveryStats(x).registrationFailures >= 2, 'retries')
    const stats = discoveryStats(x)
    expect(stats.failures.unreachable).toBe(stats.requests)
    expect(stats.answers).toBe(0)
    expect(stats.registered).toBe(0)
    expect(stats.lastError).toMatch(/127\.0\.0\.1:1/)
    await x.stop()
    expect(discoveryStats(x)).toMatchObject({ isQuiet: false, nextAskInMs: undefined })
    await waitFor(() => !process.getActiveResourcesInfo().some((kind) => kind === 'TCPServerWrap' || kind === 'TCPSocketWrap'), 'every socket to close')
    await waitFor(() => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length <= before, 'every timer to go')
  })

  it('a hostile directory: garbage, an endless body, a trickle, an error status and bad entries are each counted, and the good entry is dialled', async () => {
    const honest = await startNode(12_301)
    const bad = ['garbage', 'endless', 'trickle', 'status', 'not-a-list', 'entries'] as const
    const served: string[] = []
    let endlessClosed = false
    const hostile = createServer((request: IncomingMessage, response: ServerResponse) => {
      if (!request.url?.startsWith('/peers')) return void response.writeHead(404).end()
      const mode = bad[Math.min(served.length, bad.length - 1)]
      served.push(mode)
      if (mode === 'garbage') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"peers": [ not json')
      if (mode === 'status') return void response.writeHead(503).end('{"peers": []}')
      if (mode === 'not-a-list') return void response.writeHead(200).end('{"peers": "everyone"}')
      if (mode === 'endless') {
        // A body with no end: the client must cut it off at maxBodyBytes.
        response.writeHead(200, { 'content-type': 'application/json' })
        response.on('close', () => (endlessClosed = true))
        const chunk = Buffer.alloc(16_384, 0x5b)
        const pump = () => {
          while (!response.destroyed && response.write(chunk));
          if (!response.destroyed) response.once('drain', pump)
        }
        return pump()
      }
      if (mode === 'trickle') {
        response.writeHead(200, { 'content-type': 'application/json' })
        const timer = setInterval(() => response.write(' '), 50)
        response.on('close', () => clearInterval(timer))
        return
      }
      const junk = [null, { id: 'has space', addresses: [] }, { id: 'x', addresses: 'ws://127.0.0.1:1' }, { id: 'y', addresses: ['ws://127.0.0.1:1'], peerId: 'zz' }, { id: 'no-peer-id', addresses: ['ws://127.0.0.1:1'] }]
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ peers: [...junk, { id: 'honest', addresses: honest.addresses, peerId: honest.peerKey }] }))
    })
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve))
    closers.push(() => closeServer(hostile))
    const url = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`
    const discovery = new BootstrapServerDiscovery({ servers: [url], minIntervalMs: 100, maxIntervalMs: 200, timeoutMs: 400, maxBodyBytes: 65_536 })
    const x = await startNode(12_302, { discovery: [discovery], targetPeers: 1 })
    await waitFor(() => x.stats().peers === 1, 'the honest entry dialled')
    expect(x.peers()[0].peerKey).toBe(honest.peerKey)
    expect(served.slice(0, bad.length)).toEqual([...bad])
    const stats = discovery.stats()
    expect(stats.failures).toEqual({ malformed: 2, 'too-large': 1, timeout: 1, 'http-status': 1, unreachable: 0 })
    expect(stats.leftOut).toBeGreaterThanOrEqual(5)
    expect(stats.peersListed).toBeGreaterThanOrEqual(1)
    // It is no BootstrapServer: registering there fails, and is counted, never fatal.
    expect(stats.registrationFailures).toBeGreaterThanOrEqual(1)
    await waitFor(() => endlessClosed, 'the endless body cut off')
    expect(x.isRunning).toBe(true)
  })
})

describe('BootstrapServerDiscovery on a ManualClock', () => {
  it('asks at doubling intervals up to the longest while short of peers, has no timer while quiet, and restarts from the shortest', async () => {
    const server = await fixture.serve()
    const signaling = await fixture.signalingAt(server, 'paced')
    const clock = new ManualClock()
    const asks: number[] = []
    const answering: FetchPeersOptions['fetch'] = () => (asks.push(clock.now()), Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve({ peers: [] }) }))
    const discovery = new BootstrapServerDiscovery({ servers: [server.url], signaling, clock, random: seededRandom(5), minIntervalMs: 1_000, maxIntervalMs: 8_000, fetch: answering })
    closers.push(() => discovery.stop())
    let isBelowTarget = true
    const id = new Uint8Array(32).fill(3)
    await discovery.start({ id, addresses: () => ['ws://127.0.0.1:9'], isBelowTarget: () => isBelowTarget }, () => undefined)
    await discovery.peersWanted()
    expect(asks).toEqual([0])
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t += 50) {
        clock.advance(50)
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    await run(40_000)
    const gaps = asks.slice(1).map((at, i) => at - asks[i])
    const expected = [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]
    expect(gaps.length).toBeGreaterThanOrEqual(expected.length)
    expected.forEach((ms, i) => expect(gaps[i], `gap ${i}`).toBeGreaterThanOrEqual(ms * 0.8 - 50))
    expected.forEach((ms, i) => expect(gaps[i], `gap ${i}`).toBeLessThanOrEqual(ms * 1.2 + 50))

    // At the target: the ask due finds it so, is not made, and leaves no timer behind.
    isBelowTarget = false
    const quietAt = asks.length
    expect(clock.pending).toBe(1)
    await run(10_000)
    expect(asks.length).toBe(quietAt)
    expect(clock.pending).toBe(0)
    expect(discovery.stats().isQuiet).toBe(true)
    await run(60_000)
    expect(asks.length).toBe(quietAt)

    // Short again: one ask at once however often it is told, then the shortest wait again.
    isBelowTarget = true
    await Promise.all(Array.from({ length: 10 }, () => discovery.peersWanted()))
    expect(asks.length).toBe(quietAt + 1)
    await run(1_300)
    expect(asks.length).toBe(quietAt + 2)
    await discovery.stop()
    expect(clock.pending).toBe(0)
    // Through the given signaling, the server lists the addresses with the peer id.
    const listed = await (await fetch(`${httpUrl(server.url)}/peers`)).json() as { peers: { id: string; addresses: string[]; peerId?: string }[] }
    expect(listed.peers).toEqual([{ id: 'paced', addresses: ['ws://127.0.0.1:9'], peerId: toHex(id) }])
  })

  it('hands the node the entries with a peer id, never its own', async () => {
    const server = await fixture.serve()
    const signaling = await fixture.signalingAt(server, 'self')
    const own = new Uint8Array(32).fill(1)
    const other = toHex(new Uint8Array(32).fill(2))
    const answering: FetchPeersOptions['fetch'] = () => Promise.resolve({
      ok: true, status: 200,
      json: () => Promise.resolve({ peers: [{ id: 'me', addresses: ['ws://127.0.0.1:2'], peerId: toHex(own) }, { id: 'other', addresses: ['ws://127.0.0.1:3'], peerId: other }, { id: 'anon', addresses: ['ws://127.0.0.1:4'] }] }),
    })
    const discovery = new BootstrapServerDiscovery({ servers: [server.url], signaling, fetch: answering })
    closers.push(() => discovery.stop())
    const found: DiscoveredPeer[] = []
    await discovery.start({ id: own, addresses: () => ['ws://127.0.0.1:2'], isBelowTarget: () => true }, (peer) => found.push(peer))
    await discovery.peersWanted()
    expect(found.map((peer) => [toHex(peer.id), peer.addresses])).toEqual([[other, ['ws://127.0.0.1:3']]])
    expect(discovery.stats()).toMatchObject({ asks: 1, requests: 1, answers: 1, peersListed: 1, leftOut: 1, registered: 1 })
  })

  it('refuses bad options with DISCOVERY_INVALID_OPTION, and the node refuses a bad server URL in bootstrap with NODE_INVALID_OPTION', async () => {
    const bad: unknown[] = [undefined, {}, { servers: [] }, { servers: ['ftp://x:1'] }, { servers: ['http://x:1/peers'] }, { servers: Array(9).fill('http://x:1') },
      { servers: ['http://x:1'], minIntervalMs: 10 }, { servers: ['http://x:1'], minIntervalMs: 5_000, maxIntervalMs: 1_000 }, { servers: ['http://x:1'], maxPeers: 0 },
      { servers: ['http://x:1'], timeoutMs: 60_001 }, { servers: ['http://x:1'], maxBodyBytes: 10 }, { servers: ['http://x:1'], signaling: {} }, { servers: ['http://x:1'], fetch: 'no' }]
    for (const options of bad) {
      expect(() => new BootstrapServerDiscovery(options as BootstrapServerDiscoveryOptions), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'DISCOVERY_INVALID_OPTION' }))
    }
    for (const bootstrap of [['http://x:1/peers'], ['https://'], Array.from({ length: 9 }, (_, i) => `http://x:${i + 1}`)]) {
      await expect(createMeshNode({ seed: 1, transport: new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' }), bootstrap }), JSON.stringify(bootstrap)).rejects.toMatchObject({ code: 'NODE_INVALID_OPTION' })
    }
  })
})

/** The server's /peers entry for `peerKey`, once it lists it. */
async function waitForListing(server: BootstrapServer, peerKey: string): Promise<{ id: string; addresses: string[]; peerId?: string }> {
  for (let i = 0; i < 200; i++) {
    const { peers } = (await (await fetch(`${httpUrl(server.url)}/peers`)).json()) as { peers: { id: string; addresses: string[]; peerId?: string }[] }
    const entry = peers.find((peer) => peer.peerId === peerKey)
    if (entry !== undefined) return entry
    await sleep(20)
  }
  throw new Error(`the server never listed ${peerKey}`)
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}
