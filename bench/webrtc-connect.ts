// Connect time of node-datachannel peers on loopback, both in this process: from creating the
// offerer's RTCPeerConnection to its data channel opening, `count` connects one after another.
//
//   node build/run-ts.mjs bench/webrtc-connect.ts [--count 100] [--json]
//
// - plain:       the textbook path: each side trickles every candidate the moment it has it.
// - held:        the same, but the offerer holds its candidates until it applied the answer
//                (what WebRtcTransport does; see src/transport/webrtc/peer.ts for why).
// - transport:   WebRtcTransport.dial() through MemorySignaling, until the dial resolves.
//
// Signals cross one timer turn (setTimeout 0), as MemorySignaling delivers them. Connects
// slower than 500 ms are counted apart: they are the DTLS retransmit (1 s) the race costs.

import { parseArgs } from 'node:util'
import { MemorySignaling, WebRtcTransport, type PeerConnectionConstructor, type PeerConnectionLike } from '../src/transport/webrtc/index.js'

interface Summary {
  mode: string
  count: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  over500Ms: number
}

const { values } = parseArgs({ options: { count: { type: 'string', default: '100' }, json: { type: 'boolean', default: false } } })
const count = Number(values.count)

const hop = (fn: () => void) => void setTimeout(fn, 0)

async function polyfillClass(): Promise<PeerConnectionConstructor> {
  return (await import('node-datachannel/polyfill')).RTCPeerConnection as unknown as PeerConnectionConstructor
}

/** One connect between two bare peer connections; `isHeld` makes the offerer wait for the answer before trickling. */
async function bareConnect(Class: PeerConnectionConstructor, isHeld: boolean): Promise<number> {
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
  await opened
  const elapsed = performance.now() - start
  offerer.close()
  answerer.close()
  return elapsed
}

async function transportConnects(total: number): Promise<number[]> {
  const hub = new MemorySignaling()
  const server = new WebRtcTransport({ signaling: hub.connect('server') })
  const client = new WebRtcTransport({ signaling: hub.connect('client') })
  const accepted: { close(): void }[] = []
  await server.listen((connection) => accepted.push(connection))
  const times: number[] = []
  for (let i = 0; i < total; i++) {
    const start = performance.now()
    const connection = await client.dial(server.localAddress)
    times.push(performance.now() - start)
    connection.close()
  }
  await Promise.all([client.close(), server.close()])
  hub.close()
  return times
}

function summarize(mode: string, times: number[]): Summary {
  const sorted = [...times].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
  const round = (ms: number) => Math.round(ms * 10) / 10
  return { mode, count: sorted.length, p50Ms: round(at(0.5)), p90Ms: round(at(0.9)), p99Ms: round(at(0.99)), maxMs: round(sorted[sorted.length - 1]), over500Ms: sorted.filter((ms) => ms > 500).length }
}

const Class = await polyfillClass()
const results: Summary[] = []
for (const [mode, isHeld] of [['plain', false], ['held', true]] as const) {
  const times: number[] = []
  for (let i = 0; i < count; i++) times.push(await bareConnect(Class, isHeld))
  results.push(summarize(mode, times))
}
results.push(summarize('transport', await transportConnects(count)))

if (values.json) {
  console.log(JSON.stringify(results, null, 2))
} else {
  console.log('| mode | connects | p50 ms | p90 ms | p99 ms | max ms | over 500 ms |')
  console.log('| --- | --- | --- | --- | --- | --- | --- |')
  for (const r of results) console.log(`| ${r.mode} | ${r.count} | ${r.p50Ms} | ${r.p90Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.over500Ms} |`)
}
