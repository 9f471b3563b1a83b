// The WebRTC transport in a real Chromium (Debian's, never downloaded): two transports in one
// page connect through MemorySignaling over the page's own RTCPeerConnection, carry frames
// both ways (a large one split and reassembled), and close with the goodbye on both sides; then
// a Node transport (node-datachannel) and one in the page connect, each way, through a
// signaling bridged over the page.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import type { Connection } from '../../src/transport/index.js'
import { WebRtcTransport, type Signaling } from '../../src/transport/webrtc/index.js'
import { openChromium, type BrowserBench } from '../browser/chromium-page.js'

const BUNDLE = '.cache/browser-test/wasmesh-webrtc.js'

const scenario = `async (wasmesh) => {
  const hub = new wasmesh.MemorySignaling()
  const server = new wasmesh.WebRtcTransport({ signaling: hub.connect('server') })
  const client = new wasmesh.WebRtcTransport({ signaling: hub.connect('client') })
  const accepted = []
  await server.listen((connection) => accepted.push(connection))
  const outbound = await client.dial(server.localAddress, { timeoutMs: 20000 })
  while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
  const inbound = accepted[0]
  const sizes = []
  const done = new Promise((resolve) => inbound.onMessage((frame) => { sizes.push(frame.length); if (sizes.length === 3) resolve() }))
  const echoed = new Promise((resolve) => outbound.onMessage((frame) => resolve(Array.from(frame))))
  outbound.send(new Uint8Array(10))
  outbound.send(new Uint8Array(100000).fill(7))
  outbound.send(Uint8Array.of(1, 2, 3))
  inbound.send(Uint8Array.of(42))
  await done
  const echo = await echoed
  const closed = new Promise((resolve) => inbound.onClose(resolve))
  outbound.close('bye')
  const info = await closed
  await Promise.all([client.close(), server.close()])
  hub.close()
  return { kind: server.kind, directions: [outbound.direction, inbound.direction], sizes, echo, info, created: client.stats().peerConnectionsCreated, budget: client.stats().peerConnectionBudget, left: [client.stats().connections, server.stats().connections] }
}`

describe('WebRtcTransport in Chromium', () => {
  let bench: BrowserBench | undefined
  beforeAll(async () => {
    bench = await openChromium('src/index.ts', BUNDLE)
  }, 60_000)
  afterAll(() => bench?.close())

  it("connects two transports in a page over the page's RTCPeerConnection, carries frames both ways and closes cleanly", async () => {
    const page = await bench!.browser.newPage()
    try {
      await page.goto(bench!.origin + '/')
      // A source string, so vitest's transform does not rewrite the page's dynamic import.
      const result = await page.evaluate(`import('/wasmesh-webrtc.js').then((wasmesh) => (${scenario})(wasmesh))`)
      expect(result).toEqual({
        kind: 'webrtc',
        directions: ['outbound', 'inbound'],
        sizes: [10, 100_000, 3],
        echo: [42],
        info: { initiator: 'remote', reason: 'bye' },
        created: 1,
        budget: 400, // the browser's default: Chrome allows a tab about 500
        left: [0, 0],
      })
    } finally {
      await page.close()
    }
  }, 60_000)

  /** A page-side transport 'page' and a Node-side one 'node', their signals carried as JSON across the page boundary. */
  async function bridged(page: Page) {
    let nodeHandler: ((fromId: string, message: unknown) => void) | undefined
    await page.exposeFunction('toNode', (json: string) => void setTimeout(() => nodeHandler?.('page', JSON.parse(json)), 0))
    await page.evaluate(`import('/wasmesh-webrtc.js').then((wasmesh) => {
      let handler
      window.fromNode = (json) => setTimeout(() => handler?.('node', JSON.parse(json)), 0)
      const signaling = { localId: 'page', send: (to, message) => window.toNode(JSON.stringify(message)), onMessage: (h) => (handler = h), close: () => (handler = undefined) }
      window.transport = new wasmesh.WebRtcTransport({ signaling })
      window.frames = []
      window.keep = (connection) => { window.connection = connection; connection.onMessage((frame) => { window.frames.push(frame.length); connection.send(frame) }) }
    })`)
    const signaling: Signaling = {
      localId: 'node',
      send: (_to, message) => void page.evaluate(`window.fromNode(${JSON.stringify(JSON.stringify(message))})`).catch(() => {}),
      onMessage: (handler) => (nodeHandler = handler),
      close: () => (nodeHandler = undefined),
    }
    return new WebRtcTransport({ signaling })
  }

  /** Sends frames from Node, which the page echoes, and checks they all came back whole. */
  async function echoes(connection: Connection): Promise<number[]> {
    const back: number[] = []
    connection.onMessage((frame) => back.push(frame.length))
    for (const size of [5, 70_000, 1]) connection.send(new Uint8Array(size))
    const deadline = Date.now() + 20_000
    while (back.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
    return back
  }

  it('a Node transport dials one in the page, and the page dials Node, over a signaling bridged across the page', async () => {
    const page = await bench!.browser.newPage()
    await page.goto(bench!.origin + '/')
    const node = await bridged(page)
    try {
      await page.evaluate('window.transport.listen(window.keep)')
      const outbound = await node.dial('webrtc://page', { timeoutMs: 20_000 })
      expect(await echoes(outbound)).toEqual([5, 70_000, 1])
      outbound.close()

      const inbound: Connection[] = []
      await node.listen((connection) => inbound.push(connection))
      await page.evaluate("window.transport.dial('webrtc://node', { timeoutMs: 20000 }).then(window.keep)")
      // The page's dial resolves when its end of the channel opens; Node's end may open a moment later.
      const deadline = Date.now() + 20_000
      while (inbound.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(inbound.length).toBe(1)
      expect(inbound[0].direction).toBe('inbound')
      expect(await echoes(inbound[0])).toEqual([5, 70_000, 1])
      expect(await page.evaluate('window.frames')).toEqual([5, 70_000, 1, 5, 70_000, 1])
      expect(node.stats().signalsMalformed + node.stats().signalsRejected).toBe(0)
    } finally {
      await node.close()
      await page.evaluate('window.transport.close()')
      await page.close()
    }
  }, 60_000)

  it("an ICE restart in Chromium renegotiates ICE for real (new credentials on both sides) and the connection carries on", async () => {
    const page = await bench!.browser.newPage()
    try {
      await page.goto(bench!.origin + '/')
      const result = await page.evaluate(`import('/wasmesh-webrtc.js').then(async (wasmesh) => {
        const pcs = []
        // The page's RTCPeerConnection, with an ICE state the test can force; restartIce() is the real one.
        class Flaky extends RTCPeerConnection {
          constructor(configuration) { super(configuration); pcs.push(this) }
          get iceConnectionState() { return this.forced ?? super.iceConnectionState }
          force(state) { this.forced = state; this.dispatchEvent(new Event('iceconnectionstatechange')) }
          restartIce() { this.forced = undefined; this.restarts = (this.restarts ?? 0) + 1; return super.restartIce() }
        }
        const ufrag = (description) => /a=ice-ufrag:(\\S+)/.exec(description?.sdp ?? '')?.[1]
        const hub = new wasmesh.MemorySignaling()
        const server = new wasmesh.WebRtcTransport({ signaling: hub.connect('server'), RTCPeerConnection: Flaky })
        const client = new wasmesh.WebRtcTransport({ signaling: hub.connect('client'), RTCPeerConnection: Flaky, maxIceRestarts: 2, iceRestartTimeoutMs: 15000 })
        const accepted = []
        await server.listen((connection) => accepted.push(connection))
        const outbound = await client.dial(server.localAddress, { timeoutMs: 20000 })
        while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
        const [dialler, listener] = pcs
        const before = [ufrag(dialler.localDescription), ufrag(listener.remoteDescription)]
        dialler.force('disconnected')
        const deadline = Date.now() + 20000
        while ((ufrag(listener.remoteDescription) === before[1] || !['connected', 'completed'].includes(dialler.iceConnectionState)) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
        const after = [ufrag(dialler.localDescription), ufrag(listener.remoteDescription)]
        const got = new Promise((resolve) => accepted[0].onMessage((frame) => resolve(frame.length)))
        outbound.send(new Uint8Array(1234))
        const length = await got
        const stats = client.stats()
        const result = {
          restarts: dialler.restarts, iceRestarts: stats.iceRestarts, gaveUp: stats.iceGaveUp, rejected: stats.signalsRejected + server.stats().signalsRejected,
          changed: before[0] !== after[0] && before[1] !== after[1] && after[0] === after[1], state: dialler.iceConnectionState, open: outbound.isOpen, length,
        }
        await Promise.all([client.close(), server.close()])
        hub.close()
        return result
      })`)
      expect(result).toEqual({ restarts: 1, iceRestarts: 1, gaveUp: 0, rejected: 0, changed: true, state: expect.stringMatching(/^(connected|completed)$/), open: true, length: 1234 })
    } finally {
      await page.close()
    }
  }, 60_000)
})
