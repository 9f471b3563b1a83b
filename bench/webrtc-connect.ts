// Connect time of node-datachannel peers on loopback, both in this process: from creating the
// offerer's RTCPeerConnection to its data channel opening, `count` connects one after another.
//
//   node build/run-ts.mjs bench/webrtc-connect.ts [--count 100] [--latency 0] [--json] [--memory 50]
//   npm run bench (section webrtc-connect: 100 connects, 20 with --quick, and the memory of 50)
//
// - plain:       the textbook path: each side trickles every candidate the moment it has it.
// - held:        the same, but the offerer holds its candidates until it applied the answer
//                (what WebRtcTransport does; see src/transport/webrtc/peer.ts for why).
// - transport:   WebRtcTransport.dial() through MemorySignaling, until the dial resolves.
//
// --memory N opens N connections between two transports instead, and reports the growth of
// RSS and of the JavaScript heap per open connection end (each connection has two).
//
// Signals cross one timer turn (setTimeout 0), as MemorySignaling delivers them; --latency ms
// delays each by that much instead, as a signaling server would. Connects
// slower than 500 ms are counted apart: they are the DTLS retransmit (1 s) the race costs; a
// connect not open after 10 s is counted as failed and left out of the percentiles.

import { parseArgs } from 'node:util'
import { MemorySignaling, WebRtcTransport, type PeerConnectionConstructor, type PeerConnectionLike } from '../src/transport/webrtc/index.js'
import type { Context } from './harness.js'
import type { Section } from './report.js'

interface Summary {
  mode: string
  count: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  over500Ms: number
  /** Connects that had not opened after FAIL_AFTER_MS (left out of the percentiles). */
  failed: number
}

const FAIL_AFTER_MS = 10_000

/** Signaling delay each way, in ms (--latency). */
let latencyMs = 0

const hop = (fn: () => void) => void setTimeout(fn, latencyMs)

async function polyfillClass(): Promise<PeerConnectionConstructor> {
  return (await import('node-datachannel/polyfill')).RTCPeerConnection as unknown as PeerConnectionConstructor
}

/** Resolves `undefined` if `promise` has not settled after FAIL_AFTER_MS. */
function orGiveUp<T>(promise: Promise<T>): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const giveUp = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), FAIL_AFTER_MS)))
  return Promise.race([promise, giveUp]).finally(() => clearTimeout(timer))
}

/** One connect between two bare peer connections, in ms (undefined if it never opened); `isHeld` makes the offerer wait for the answer before trickling. */
async function bareConnect(Class: PeerConnectionConstructor, isHeld: boolean): Promise<number | undefined> {
  const start = performance.now()
  const config = { iceServers: [], iceTransportPolicy: 'all' as const }
  const offerer: PeerConnectionLike = new Class(config)
  const answerer: PeerConnectionLike = new Class(config)
  let answererReady = false
  let offererReady = false
  const toAnswerer: { candidate: string; sdpMid: string | null }[] = []
  const toOfferer: { candidate: string; sdpMid: string | null }[] = []
  const held: { candidate: string; sdpMid: string | null }[] = []
  const ignore = () => {}
  const deliverToAnswerer = (c: { candidate: string; sdpMid: string | null }) => hop(() => (answererReady ? void answerer.addIceCandidate(c).catch(ignore) : void toAnswerer.push(c)))
  const deliverToOfferer = (c: { candidate: string; sdpMid: string | null }) => hop(() => (offererReady ? void offerer.addIceCandidate(c).catch(ignore) : void toOfferer.push(c)))
  offerer.addEventListener('icecandidate', (event: { candidate?: { candidate: string; sdpMid?: string | null } | null }) => {
    if (!event.candidate?.candidate) return
    const c = { candidate: event.candidate.candidate, sdpMid: event.candidate.sdpMid ?? null }
    if (isHeld && !offererReady) held.push(c)
    else deliverToAnswerer(c)
  })
  answerer.addEventListener('icecandidate', (event: { candidate?: { candidate: string; sdpMid?: string | null } | null }) => {
    if (event.candidate?.candidate) deliverToOfferer({ candidate: event.candidate.candidate, sdpMid: event.candidate.sdpMid ?? null })
  })
  const answererChannels: { close(): void }[] = []
  answerer.addEventListener('datachannel', (event: { channel: { close(): void } }) => void answererChannels.push(event.channel))
  const channel = offerer.createDataChannel('bench', { ordered: true })
  const opened = new Promise<void>((resolve) => channel.addEventListener('open', () => resolve()))
  const offer = await offerer.createOffer()
  await offerer.setLocalDescription(offer)
  hop(async () => {
    await answerer.setRemoteDescription({ type: 'offer', sdp: offer.sdp })
    answererReady = true
    for (const c of toAnswerer.splice(0)) void answerer.addIceCandidate(c).catch(ignore)
    const answer = await answerer.createAnswer()
    await answerer.setLocalDescription(answer)
    hop(async () => {
      await offerer.setRemoteDescription({ type: 'answer', sdp: answer.sdp })
      offererReady = true
      for (const c of toOfferer.splice(0)) void offerer.addIceCandidate(c).catch(ignore)
      for (const c of held.splice(0)) deliverToAnswerer(c)
    })
  })
  const isOpen = await orGiveUp(opened.then(() => true))
  const elapsed = performance.now() - start
  // Channels are closed before their peer connections: node-datachannel keeps the process alive
  // for a channel that never opened and was not closed (the full run's failed connects hung it).
  channel.close()
  for (const incoming of answererChannels) incoming.close()
  offerer.close()
  answerer.close()
  return isOpen === true ? elapsed : undefined
}

async function transportConnects(total: number): Promise<(number | undefined)[]> {
  const hub = new MemorySignaling({ latencyMs })
  const server = new WebRtcTransport({ signaling: hub.connect('server') })
  const client = new WebRtcTransport({ signaling: hub.connect('client') })
  const accepted: { close(): void }[] = []
  await server.listen((connection) => accepted.push(connection))
  const times: (number | undefined)[] = []
  for (let i = 0; i < total; i++) {
    const start = performance.now()
    const connection = await client.dial(server.localAddress, { timeoutMs: FAIL_AFTER_MS }).catch(() => undefined)
    times.push(connection === undefined ? undefined : performance.now() - start)
    connection?.close()
  }
  await Promise.all([client.close(), server.close()])
  hub.close()
  return times
}

function summarize(mode: string, all: (number | undefined)[]): Summary {
  const sorted = all.filter((ms): ms is number => ms !== undefined).sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
  const round = (ms: number) => Math.round(ms * 10) / 10
  return { mode, count: sorted.length, p50Ms: round(at(0.5)), p90Ms: round(at(0.9)), p99Ms: round(at(0.99)), maxMs: round(sorted[sorted.length - 1]), over500Ms: sorted.filter((ms) => ms > 500).length, failed: all.length - sorted.length }
}

/** RSS and heap growth per connection end with `total` connections open between two transports. */
async function memoryPerConnection(total: number): Promise<{ connections: number; rssBytesPerEnd: number; heapBytesPerEnd: number }> {
  const hub = new MemorySignaling()
  const server = new WebRtcTransport({ signaling: hub.connect('server') })
  const client = new WebRtcTransport({ signaling: hub.connect('client') })
  await server.listen(() => {})
  await client.dial(server.localAddress) // loads the native module and makes the certificate before the baseline
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      ;(globalThis as { gc?: () => void }).gc?.()
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return process.memoryUsage()
  }
  const before = await settle()
  for (let i = 0; i < total; i++) await client.dial(server.localAddress, { timeoutMs: FAIL_AFTER_MS })
  const after = await settle()
  await Promise.all([client.close(), server.close()])
  hub.close()
  const ends = 2 * total
  return { connections: total, rssBytesPerEnd: Math.round((after.rss - before.rss) / ends), heapBytesPerEnd: Math.round((after.heapUsed - before.heapUsed) / ends) }
}

/** The three paths, `count` connects each. */
export async function measureConnects(count: number): Promise<Summary[]> {
  const Class = await polyfillClass()
  const results: Summary[] = []
  for (const [mode, isHeld] of [['plain', false], ['held', true]] as const) {
    const times: (number | undefined)[] = []
    for (let i = 0; i < count; i++) times.push(await bareConnect(Class, isHeld))
    results.push(summarize(mode, times))
  }
  results.push(summarize('transport', await transportConnects(count)))
  return results
}

const MODE_NAMES: Record<string, string> = {
  plain: 'plain trickle (every candidate sent at once)',
  held: 'offerer holds its candidates until the answer',
  transport: 'WebRtcTransport.dial() through MemorySignaling',
}

/** The bench section: connect percentiles of the three paths, and memory per open connection. */
export async function runWebRtcConnect(ctx: Context): Promise<Section> {
  const count = ctx.settings.quick ? 20 : 100
  const results = await measureConnects(count)
  const memory = await memoryPerConnection(ctx.settings.quick ? 10 : 50)
  return {
    id: 'webrtc-connect',
    title: 'WebRTC connect time and memory',
    notes: [
      `${count} connects one after another per path, both node-datachannel peers in this process on loopback; signals cross one timer turn. From creating the offerer's RTCPeerConnection to its data channel opening (for the transport: dial() resolving).`,
      'Connects over 500 ms are the DTLS retransmit (1 s) after the answerer\'s ClientHello was dropped; see docs/dependencies.md.',
      `Memory: ${memory.connections} connections opened between two transports in this process after the other sections ran, so RSS is approximate; node --expose-gc build/run-ts.mjs bench/webrtc-connect.ts --memory 50 measures it alone.`,
    ],
    tables: [
      {
        caption: 'connect time',
        headers: ['path', 'opened', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'over 500 ms', 'not open after 10 s'],
        numeric: [1, 2, 3, 4, 5, 6, 7],
        rows: results.map((r) => [MODE_NAMES[r.mode], String(r.count), String(r.p50Ms), String(r.p90Ms), String(r.p99Ms), String(r.maxMs), String(r.over500Ms), String(r.failed)]),
      },
      {
        caption: 'memory per open connection end',
        headers: ['connections', 'RSS KiB per end', 'JS heap KiB per end'],
        numeric: [0, 1, 2],
        rows: [[String(memory.connections), (memory.rssBytesPerEnd / 1024).toFixed(0), (memory.heapBytesPerEnd / 1024).toFixed(1)]],
      },
    ],
    ratios: [],
  }
}

// Run directly (node build/run-ts.mjs bench/webrtc-connect.ts), not when bench/index.ts bundles it.
if (process.argv[1]?.endsWith('webrtc-connect.mjs')) {
  const { values } = parseArgs({ options: { count: { type: 'string', default: '100' }, json: { type: 'boolean', default: false }, memory: { type: 'string' }, latency: { type: 'string', default: '0' } } })
  latencyMs = Number(values.latency)
  if (values.memory !== undefined) {
    console.log(JSON.stringify(await memoryPerConnection(Number(values.memory))))
  } else {
    const results = await measureConnects(Number(values.count))
    if (values.json) {
      console.log(JSON.stringify(results, null, 2))
    } else {
      console.log('| mode | opened | p50 ms | p90 ms | p99 ms | max ms | over 500 ms | not open after 10 s |')
      console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
      for (const r of results) console.log(`| ${r.mode} | ${r.count} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.over500Ms} | ${r.failed} |`)
    }
  }
}
