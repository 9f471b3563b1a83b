// ChannelConnection over Chromium's own RTCDataChannel: two RTCPeerConnections in one page,
// wired to each other directly, one channel wrapped at both ends, the connection bundled for
// the browser as a page would load it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openChromium, type BrowserBench } from '../browser/chromium-page.js'

const BUNDLE = '.cache/browser-test/channel.js'

// Runs in the page; returns what it observed.
const scenario = `async ({ ChannelConnection }) => {
  const a = new RTCPeerConnection()
  const b = new RTCPeerConnection()
  const ready = { a: null, b: null }
  const waitFor = (side) => new Promise((resolve) => (ready[side] = resolve))
  const aReady = waitFor('a'), bReady = waitFor('b')
  a.onicecandidate = (e) => e.candidate && bReady.then(() => b.addIceCandidate(e.candidate))
  b.onicecandidate = (e) => e.candidate && aReady.then(() => a.addIceCandidate(e.candidate))
  const offerer = a.createDataChannel('wasmesh')
  const opened = new Promise((resolve) => offerer.addEventListener('open', resolve, { once: true }))
  const answered = new Promise((resolve) => (b.ondatachannel = (e) => e.channel.readyState === 'open' ? resolve(e.channel) : e.channel.addEventListener('open', () => resolve(e.channel), { once: true })))
  await a.setLocalDescription(await a.createOffer())
  await b.setRemoteDescription(a.localDescription); ready.b()
  await b.setLocalDescription(await b.createAnswer())
  await a.setRemoteDescription(b.localDescription); ready.a()
  const answerer = await answered
  await opened
  const here = new ChannelConnection(offerer, { direction: 'outbound' })
  const there = new ChannelConnection(answerer, { direction: 'inbound' })
  const frameOf = (index, size) => { const f = new Uint8Array(size); for (let i = 0; i < size; i++) f[i] = (index * 31 + i * 7) & 255; return f }
  const sizes = [0, 100, 16383, 16384, 16385, 100000, 1048576]
  for (let i = 0; i < 3000; i++) sizes.push((i * 37) % 300)
  const got = []
  const all = new Promise((resolve) => there.onMessage((frame) => got.push(frame) === sizes.length && resolve()))
  let refused = 0
  sizes.forEach((size, i) => { if (!here.send(frameOf(i, size))) refused++ })
  await all
  let wrong = 0
  sizes.forEach((size, i) => { const want = frameOf(i, size); const have = got[i]; if (have.length !== size || have.some((byte, j) => byte !== want[j])) wrong++ })
  const closed = new Promise((resolve) => there.onClose(resolve))
  here.close('page done')
  const info = await closed
  await Promise.all([here.gone, there.gone])
  const result = { frames: got.length, wrong, refused, info, chunks: here.traffic.chunksSent, framesSent: here.traffic.framesSent, state: offerer.readyState }
  a.close(); b.close()
  return result
}`

describe('ChannelConnection in Chromium', () => {
  let bench: BrowserBench | undefined
  beforeAll(async () => {
    bench = await openChromium('src/transport/channel/index.ts', BUNDLE)
  }, 60_000)
  afterAll(() => bench?.close())

  it('carries small, split and 1 MiB frames over the browser\'s RTCDataChannel, and the far side reads the goodbye', async () => {
    const { browser, origin } = bench!
    const page = await browser.newPage()
    try {
      await page.goto(origin + '/')
      const result = await page.evaluate(`import('/channel.js').then((channel) => (${scenario})(channel))`) as Record<string, unknown>
      expect(result).toMatchObject({ frames: 3_007, wrong: 0, info: { initiator: 'remote', reason: 'page done' }, state: 'closed' })
      expect(result.chunks).toBeLessThan((result.framesSent as number) / 4)
      expect(result.refused).toBeGreaterThan(0)
    } finally {
      await page.close()
    }
  }, 60_000)
})
