// fetchPeers: GET /peers of bootstrap servers in turn, against a real BootstrapServer on
// 127.0.0.1, a port where nothing listens, and hostile or silent fetch stand-ins.

import { afterEach, describe, expect, it } from 'vitest'
import { BootstrapServer, DiscoveryError, fetchPeers, FetchPeersError, WebSocketSignaling, type FetchPeersOptions } from '../../src/discovery/index.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'resolved', (error: unknown) => (error instanceof DiscoveryError ? error.code : `other: ${String(error)}`))
const answering = (body: unknown): FetchPeersOptions['fetch'] => () => Promise.resolve({ ok: true, status: 200, json: () => Promise.resolve(body) })

describe('fetchPeers', () => {
  it('goes past a server that is down to one that answers, and returns its peers', async () => {
    const server = new BootstrapServer()
    await server.start()
    closers.push(() => server.close())
    for (const id of ['a', 'b']) {
      const signaling = await WebSocketSignaling.connect(server.url, { id, announce: [`webrtc://${id}`] })
      closers.push(() => signaling.closed())
    }
    // The announces follow the registrations over the same socket.
    const deadline = Date.now() + 10_000
    let result = await fetchPeers(['ws://127.0.0.1:1', server.url], { backoffMs: 10 })
    while (result.peers.length < 2 && Date.now() < deadline) result = await fetchPeers([server.url])
    expect(result.server).toBe(server.url)
    expect([...result.peers].sort((x, y) => x.id.localeCompare(y.id))).toEqual([{ id: 'a', addresses: ['webrtc://a'] }, { id: 'b', addresses: ['webrtc://b'] }])
    expect((await fetchPeers(['ws://127.0.0.1:1', server.url], { backoffMs: 10 })).attempts).toBe(2)
  })

  it('rejects with DISCOVERY_UNREACHABLE naming each server after its rounds, and a silent server costs only its timeout', async () => {
    let calls = 0
    const silent: FetchPeersOptions['fetch'] = (_url, init) => {
      calls++
      return new Promise((_resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)))
    }
    const error = await fetchPeers(['ws://one.invalid:1', 'wss://two.invalid:2'], { rounds: 2, backoffMs: 5, timeoutMs: 30, fetch: silent }).catch((caught: unknown) => caught)
    expect((error as DiscoveryError).code).toBe('DISCOVERY_UNREACHABLE')
    expect((error as Error).message).toMatch(/ws:\/\/one\.invalid:1: no answer in 30 ms; wss:\/\/two\.invalid:2: no answer in 30 ms/)
    expect(calls).toBe(4)
    let asked = ''
    await fetchPeers(['wss://secure.example:443'], { fetch: (url) => ((asked = url), answering({ peers: [] })!(url, { signal: new AbortController().signal })) })
    expect(asked).toBe('https://secure.example:443/peers?count=20')
  })

  it('keeps only well-formed entries, at most maxPeers, and counts what it left out', async () => {
    const good = (i: number) => ({ id: `peer-${i}`, addresses: [`webrtc://peer-${i}`] })
    const junk = [null, 7, { id: 'has space', addresses: [] }, { id: 'x', addresses: 'ws://a:1' }, { id: 'y', addresses: ['a'.repeat(257)] }, { id: 'z', addresses: Array(9).fill('ws://a:1') }]
    const result = await fetchPeers(['ws://directory.example:1'], { maxPeers: 3, fetch: answering({ peers: [good(1), ...junk, good(2), good(3), good(4)] }) })
    expect(result.peers).toEqual([good(1), good(2), good(3)])
    expect(result.leftOut).toBe(junk.length + 1)
    const notAList = await fetchPeers(['ws://directory.example:1'], { rounds: 1, fetch: answering('not an object') }).catch((caught: unknown) => caught)
    expect((notAList as FetchPeersError).failures).toEqual([{ server: 'ws://directory.example:1', reason: 'malformed', message: expect.stringMatching(/peers array/) }])
    const withIds = await fetchPeers(['http://directory.example:1'], { fetch: answering({ peers: [{ ...good(5), peerId: 'ab'.repeat(32) }, { ...good(6), peerId: 'AB'.repeat(32) }] }) })
    expect([withIds.peers, withIds.leftOut]).toEqual([[{ ...good(5), peerId: 'ab'.repeat(32) }], 1])
    const refused: FetchPeersOptions['fetch'] = () => Promise.resolve({ ok: false, status: 503, json: () => Promise.resolve({}) })
    await expect(fetchPeers(['ws://down.example:1'], { rounds: 1, fetch: refused })).rejects.toThrow(/HTTP 503/)
  })

  it('stops with DISCOVERY_CLOSED when aborted, during a request or a backoff', async () => {
    const controller = new AbortController()
    const pending = fetchPeers(['ws://127.0.0.1:1'], { rounds: 5, backoffMs: 60_000, signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    expect(await codeOf(pending)).toBe('DISCOVERY_CLOSED')
  })

  it('refuses bad input with DISCOVERY_INVALID_OPTION', async () => {
    for (const [servers, options] of [[[], {}], [['ftp://x:1'], {}], [['http://x:1/peers'], {}], [['ws://x:1'], { maxBodyBytes: 1 }], [['ws://x:1'], { rounds: 0 }], [['ws://x:1'], { maxPeers: 101 }], [['ws://x:1'], { timeoutMs: -1 }]] as const) {
      expect(await codeOf(fetchPeers(servers as never, options as never)), JSON.stringify([servers, options])).toBe('DISCOVERY_INVALID_OPTION')
    }
  })
})
