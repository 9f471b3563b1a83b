// The mesh page (examples/mesh) in a real Chromium (Debian's, never downloaded), served by a
// BootstrapServer on 127.0.0.1 as `wasmesh demo --serve` serves it, beside two Node nodes
// (node-datachannel) on the same server's signaling: two pages join over the browser's own
// WebRTC, and everything is done through the page as a user would, typing and clicking. A
// chat line typed in one page appears in the other and at a Node node; a DHT record put in one
// page is read in the other, and one put from Node is read in a page; no page shows an error;
// a closed page's node says goodbye.
// A screenshot of each page is kept in .cache/browser-test/. Needs dist/ built (npm test does).

import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BootstrapServer, BootstrapServerDiscovery, WebSocketSignaling } from '../../src/discovery/index.js'
import { createMeshNode, type MeshNode } from '../../src/node.js'
import { WebRtcTransport } from '../../src/transport/index.js'
import { toHex } from '../../src/util/hex.js'
import { launchChromium } from './chromium-page.js'

const ARTIFACTS = '.cache/browser-test'
/** Generous: joining over WebRTC on a busy 2-core machine; only conditions are awaited, never a duration. */
const WAIT = { timeout: 60_000 }
const CHAT = 'wasmesh/chat'

describe('the mesh page in Chromium', () => {
  let server: BootstrapServer | undefined
  let browser: Browser | undefined
  const nodes: MeshNode[] = []
  const transports: WebRtcTransport[] = []
  const nodeInbox: string[] = []
  /** Sessions node 0 saw close: where the peer was, and why. */
  const nodeGoodbyes: { address: string; reason: string }[] = []

  beforeAll(async () => {
    if (!existsSync('dist/wasmesh.min.js')) throw new Error('dist/ is not built: run npm run build (npm test does)')
    await mkdir(ARTIFACTS, { recursive: true })
    server = new BootstrapServer({ listenAddress: 'ws://127.0.0.1:0', staticFiles: { '/': 'examples/mesh', '/dist/': 'dist' } })
    const url = await server.start()
    for (const index of [0, 1]) {
      const id = `node-${index}`
      const signaling = await WebSocketSignaling.connect(url, { id })
      const transport = new WebRtcTransport({ signaling })
      transports.push(transport)
      // Listed at the server with their peer ids, as the pages are; node-1 finds node-0 there.
      const node = await createMeshNode({ seed: 7_100 + index, transport, discovery: [new BootstrapServerDiscovery({ servers: [url], signaling })] })
      nodes.push(node)
      if (index === 0) node.addEventListener('peer:disconnect', (event) => nodeGoodbyes.push({ address: event.detail.remoteAddress, reason: event.detail.reason }))
      node.subscribe(CHAT, (message) => index === 0 && nodeInbox.push(new TextDecoder().decode(message.data)))
      await node.start()
    }
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await Promise.allSettled(nodes.map((node) => node.stop()))
    await Promise.allSettled(transports.map((transport) => transport.close()))
    await server?.close()
  })

  /** Opens the page and waits until its node runs with at least `peers` peers; collects uncaught errors. */
  async function open(peers: number): Promise<{ page: Page; uncaught: string[] }> {
    const page = await browser!.newPage()
    const uncaught: string[] = []
    page.on('pageerror', (error) => uncaught.push(String(error)))
    await page.goto(server!.url.replace('ws://', 'http://') + '/')
    await page.waitForFunction(() => document.body.dataset.status === 'running' || document.body.dataset.status === 'failed', undefined, WAIT)
    expect(await page.textContent('#errors')).toBe('')
    await page.waitForFunction((min) => Number(document.querySelector('#peer-count')?.textContent) >= min, peers, WAIT)
    return { page, uncaught }
  }

  it('two pages join the Node nodes over WebRTC; chat reaches the other page and Node; DHT records cross pages and from Node', async () => {
    const a = await open(2)
    const b = await open(3)
    try {
      // What each page shows of itself and its peers.
      const nodeIdA = (await a.page.textContent('#node-id'))!
      expect(nodeIdA).toMatch(/^[0-9a-f]{64}$/)
      expect(await a.page.textContent('#signaling-id')).toMatch(/^page-[0-9a-f]{8}$/)
      const peersOfB = await b.page.$$eval('#peers li', (items) => items.map((item) => item.textContent ?? ''))
      expect(peersOfB.some((line) => line.includes('webrtc://node-'))).toBe(true)
      expect(peersOfB.some((line) => line.includes('webrtc://page-'))).toBe(true) // B dialled A, whom /peers listed
      await b.page.waitForFunction(() => document.querySelectorAll('#topology .node').length >= 4, undefined, WAIT)
      await a.page.waitForFunction(() => document.querySelector('#chart-peers output')?.textContent?.endsWith('peers') === true, undefined, WAIT)

      // Chat: typed and sent in A, shown in B and received at node 0.
      await a.page.fill('#chat-input', 'hello from page A')
      await a.page.click('#chat-send')
      await b.page.waitForFunction(() => Array.from(document.querySelectorAll('#chat-log li')).some((item) => item.textContent?.endsWith('hello from page A')), undefined, WAIT)
      expect(await b.page.textContent('#chat-log li')).toBe(`${nodeIdA.slice(0, 8)} hello from page A`)
      await expect.poll(() => nodeInbox, WAIT).toContain('hello from page A')
      expect(await a.page.textContent('#chat-log li.own')).toBe('me hello from page A')

      // DHT: put in A, read in B with A's public key as the owner.
      await a.page.fill('#dht-key', 'greeting')
      await a.page.fill('#dht-value', 'hi, signed by A')
      await a.page.click('#dht-put')
      await a.page.waitForFunction(() => document.querySelector('#dht-result')?.textContent?.startsWith('put "greeting": stored on') === true, undefined, WAIT)
      await b.page.fill('#dht-key', 'greeting')
      await b.page.fill('#dht-owner', (await a.page.textContent('#public-key'))!)
      await b.page.click('#dht-get')
      await b.page.waitForFunction(() => /^(got|not found)/.test(document.querySelector('#dht-result')?.textContent ?? ''), undefined, WAIT)
      expect(await b.page.textContent('#dht-result')).toBe('got "greeting": hi, signed by A')

      // A record put from Node, read in page B.
      await nodes[1]!.dht.put('from-node', new TextEncoder().encode('written in Node'))
      await b.page.fill('#dht-key', 'from-node')
      await b.page.fill('#dht-owner', toHex(nodes[1]!.publicKey))
      await b.page.click('#dht-get')
      await b.page.waitForFunction(() => /^(got "from-node"|not found)/.test(document.querySelector('#dht-result')?.textContent ?? ''), undefined, WAIT)
      expect(await b.page.textContent('#dht-result')).toBe('got "from-node": written in Node')

      // A get of nothing says so, and is no error.
      await b.page.fill('#dht-key', 'never-put')
      await b.page.click('#dht-get')
      await b.page.waitForFunction(() => document.querySelector('#dht-result')?.textContent?.startsWith('not found') === true, undefined, WAIT)

      await a.page.screenshot({ path: `${ARTIFACTS}/mesh-page-a.png`, fullPage: true })
      await b.page.screenshot({ path: `${ARTIFACTS}/mesh-page-b.png`, fullPage: true })
      for (const { page, uncaught } of [a, b]) {
        expect(await page.$$eval('#errors li', (items) => items.map((item) => item.textContent))).toEqual([])
        expect(uncaught).toEqual([])
      }

      // Closing a page stops its node (pagehide): its peers get its goodbye, not a dead link.
      const idA = await a.page.textContent('#signaling-id')
      await a.page.close()
      await expect.poll(() => nodeGoodbyes, WAIT).toContainEqual({ address: `webrtc://${idA}`, reason: expect.stringContaining('SHUTDOWN') })
    } finally {
      await Promise.all([a.page.close(), b.page.close()])
    }
  }, 240_000)

  it('a server that does not answer is an error written on the page, not an uncaught exception', async () => {
    const page = await browser!.newPage()
    const uncaught: string[] = []
    page.on('pageerror', (error) => uncaught.push(String(error)))
    try {
      // Port 1 on loopback: nothing listens there, so the signaling's WebSocket is refused.
      await page.goto(server!.url.replace('ws://', 'http://') + '/?server=ws://127.0.0.1:1')
      await page.waitForFunction(() => document.body.dataset.status === 'failed', undefined, WAIT)
      expect(await page.textContent('#server')).toBe('ws://127.0.0.1:1')
      expect(await page.isVisible('#errors-box')).toBe(true)
      expect(await page.textContent('#errors li')).toMatch(/DISCOVERY_UNREACHABLE: no bootstrap server answered at ws:\/\/127\.0\.0\.1:1/)
      expect(uncaught).toEqual([])
    } finally {
      await page.close()
    }
  }, 120_000)
})
