// `wasmesh demo` (what `npm start` runs): a bootstrap server and a mesh of nodes in this
// process, on 127.0.0.1 over real WebRTC data channels signaled through the server. Each node
// joins through the server as an app's users would (BootstrapServerDiscovery: listed in its
// GET /peers, and asking it for peers while it has fewer than its target). Then
// traffic: publishes from random nodes, direct messages between random pairs (routed through
// the mesh when they are not neighbours) and DHT puts read back from other nodes, with a live
// progress line on stderr and a summary on stdout. The server also serves the mesh page
// (examples/mesh): browser tabs opened on it join these nodes over WebRTC, and the nodes follow
// the page's topics so its chat and presence travel through them. Everything it starts it stops.

import { BootstrapServer, BootstrapServerDiscovery, WebSocketSignaling } from '../discovery/index.js'
import { createMeshNode, type MeshNode } from '../node.js'
import { WebRtcTransport } from '../transport/index.js'
import { seededRandom } from '../util/random.js'
import { toHex } from '../util/hex.js'
import type { DemoOptions } from './demo-options.js'
import { DemoTally } from './demo-tally.js'
import { meshPageFiles, PAGE_CHAT_TOPIC, PAGE_PRESENCE_TOPIC } from './mesh-page.js'
import { renderProgress, renderSummary, type DemoNodeRow, type DemoSummary } from './demo-report.js'

/** Where the demo writes: progress and logs go to `err`, the summary to `out`. */
export interface DemoOutput {
  out(text: string): void
  err(text: string): void
  /** Whether `err` is a terminal, so the progress line can redraw itself in place. */
  readonly isErrTty: boolean
}

const TOPIC = 'demo/chat'
/** Peers each node should have before traffic starts (all others, in a small mesh). */
const WANTED_PEERS = 4
const FORM_TIMEOUT_MS = 30_000
const SETTLE_TIMEOUT_MS = 10_000
const DIRECT_EVERY_MS = 250
const DHT_EVERY_MS = 1_000
const PROGRESS_EVERY_MS = 500
/** How often each node tells the page's presence topic who its neighbours are (the page draws them). */
const PRESENCE_EVERY_MS = 1_000
const MAX_CHAT_LOG_CHARS = 200

interface DemoNode {
  readonly index: number
  readonly node: MeshNode
  readonly transport: WebRtcTransport
  received: number
  directIn: number
  /** Presence publishes for the page (--serve), left out of the summary's publishes. */
  presencePublished: number
}

/** A stranger's text made safe for a terminal: control characters (escape sequences among them) become spaces. */
const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

async function waitFor(isDone: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (!isDone()) {
    if (signal.aborted || performance.now() > deadline) return false
    await sleep(50)
  }
  return true
}

/** Runs the demo; resolves with the exit code (0: every message and record arrived). Aborting `signal` (Ctrl-C) ends it early, cleanly. */
export async function runDemo(options: DemoOptions, output: DemoOutput, signal: AbortSignal): Promise<number> {
  const now = () => performance.now()
  const startedAtMs = now()
  const random = seededRandom(options.seed)
  const tally = new DemoTally(options.nodes, now)
  const page = meshPageFiles()
  const server = new BootstrapServer({ listenAddress: `ws://127.0.0.1:${options.port}`, ...('staticFiles' in page ? { staticFiles: page.staticFiles } : {}) })
  const members: DemoNode[] = []
  const timers = new Set<ReturnType<typeof setInterval>>()
  const inFlight = new Set<Promise<unknown>>()
  let lastProgressLength = 0
  const progress = (line: string) => {
    if (output.isErrTty) {
      output.err(`\r${line.padEnd(lastProgressLength)}`)
      lastProgressLength = line.length
    } else {
      output.err(`${line}\n`)
    }
  }
  const endProgress = () => {
    if (output.isErrTty && lastProgressLength > 0) output.err('\n')
    lastProgressLength = 0
  }
  const track = (work: Promise<unknown>) => {
    inFlight.add(work)
    void work.finally(() => inFlight.delete(work))
  }
  const elapsedSec = () => (now() - startedAtMs) / 1_000
  const meanPeers = () => members.reduce((sum, member) => sum + member.node.stats().peers, 0) / Math.max(1, members.length)

  try {
    const url = await server.start()
    output.err(`bootstrap server at ${url} (GET ${url.replace(/^ws/, 'http')}/peers, /health, /metrics)\n`)

    // Joining: one node at a time, each through the peers the server lists (none for the first).
    for (let index = 0; index < options.nodes && !signal.aborted; index++) {
      const id = `demo-node-${index}`
      const signaling = await WebSocketSignaling.connect(url, { id, signal })
      const transport = new WebRtcTransport({ signaling })
      // The node announces itself through its signaling and asks the server's /peers itself, while it is short of peers.
      const discovery = new BootstrapServerDiscovery({ servers: [url], signaling, maxPeers: 8, random: seededRandom(options.seed * 1_000 + index) })
      const node = await createMeshNode({ transport, seed: options.seed * 1_000 + index, discovery: [discovery] })
      const member: DemoNode = { index, node, transport, received: 0, directIn: 0, presencePublished: 0 }
      members.push(member)
      node.subscribe(TOPIC, (message) => {
        member.received++
        tally.received(index, new DataView(message.data.buffer, message.data.byteOffset, message.data.byteLength).getUint32(0), message.hops)
      })
      node.onDirect(() => {
        member.directIn++
        tally.directReceived()
      })
      // The page's topics: followed, so the mesh carries them between browser tabs; one node logs the chat.
      node.subscribe(PAGE_CHAT_TOPIC, (message) => {
        if (index === 0 && options.isServing) output.err(`chat from ${toHex(message.origin).slice(0, 8)}: ${printable(new TextDecoder().decode(message.data).slice(0, MAX_CHAT_LOG_CHARS))}\n`)
      })
      node.subscribe(PAGE_PRESENCE_TOPIC, () => undefined)
      await node.start({ signal })
      progress(`[${elapsedSec().toFixed(1)}s] joining: ${index + 1}/${options.nodes} nodes up, ${meanPeers().toFixed(1)} peers each on average`)
    }
    const wanted = Math.min(options.nodes - 1, WANTED_PEERS)
    const isFormed = await waitFor(() => members.every((member) => member.node.stats().peers >= wanted && member.node.stats().layers.relay.peersWithTopics > 0), FORM_TIMEOUT_MS, signal)
    endProgress()
    if (signal.aborted) return 1
    if (!isFormed) output.err(`the mesh did not form in ${FORM_TIMEOUT_MS / 1_000} s: some nodes have fewer than ${wanted} peers; running anyway\n`)
    output.err(`mesh formed in ${elapsedSec().toFixed(1)} s: ${options.nodes} nodes, ${meanPeers().toFixed(1)} peers each on average; traffic for ${options.durationSec} s\n`)

    // Traffic.
    const pick = () => members[random.nextInt(members.length)]!
    const pickOther = (not: DemoNode) => members[(not.index + 1 + random.nextInt(members.length - 1)) % members.length]!
    const every = (ms: number, act: () => void) => timers.add(setInterval(act, ms))
    tally.startTraffic()
    every(1_000 / options.publishesPerSec, () => {
      const from = pick()
      const data = new Uint8Array(64)
      new DataView(data.buffer).setUint32(0, tally.published(from.index))
      track(from.node.publish(TOPIC, data).catch(() => undefined))
    })
    every(DIRECT_EVERY_MS, () => {
      const from = pick()
      const to = pickOther(from)
      const done = tally.sendingDirect()
      track(from.node.send(to.node.id, new TextEncoder().encode(`hello from node ${from.index}`)).then(done, (error: Error) => done(error)))
    })
    let nextKey = 0
    every(DHT_EVERY_MS, () => {
      const writer = pick()
      const reader = pickOther(writer)
      const key = `demo/record-${nextKey++}`
      const value = new TextEncoder().encode(`${key} written by node ${writer.index}`)
      const putDone = tally.putting()
      track(writer.node.dht.put(key, value).then(
        async () => {
          putDone('ok')
          const getDone = tally.getting()
          try {
            const read = await reader.node.dht.get(key, { owner: writer.node.publicKey })
            getDone(read !== undefined && read.length === value.length && read.every((byte, i) => byte === value[i]) ? 'found' : 'missing')
          } catch (error) {
            getDone(error as Error)
          }
        },
        (error: Error) => putDone(error),
      ))
    })
    const showProgress = () => progress(renderProgress(elapsedSec(), options.nodes, meanPeers(), tally.figures()))
    every(PROGRESS_EVERY_MS, showProgress)
    if (options.isServing) {
      // For the page's drawing only (a timed run's summary counts the demo's own publishes).
      every(PRESENCE_EVERY_MS, () => {
        for (const member of members) {
          const neighbours = new TextEncoder().encode(JSON.stringify({ peers: member.node.peers().map((peer) => peer.peerKey) }))
          // Counted as the node counts its publishes: every one that was not cut short by stop().
          track(member.node.publish(PAGE_PRESENCE_TOPIC, neighbours).then((result) => {
            if (result.notSentReason !== 'stopped') member.presencePublished++
          }, () => undefined))
        }
      })
      endProgress()
      output.err(`serving: the mesh stays up and keeps its traffic going; the server is at ${url}. Ctrl-C stops it.\n`)
      if ('missing' in page) output.err(`the mesh page is not served: ${page.missing} is missing (npm run build makes dist/)\n`)
      else output.err(`open ${url.replace(/^ws/, 'http')}/ in a browser: the mesh page joins these nodes over WebRTC\n`)
      await waitFor(() => false, Number.POSITIVE_INFINITY, signal)
    } else {
      await waitFor(() => false, options.durationSec * 1_000, signal)
    }
    for (const timer of timers) clearInterval(timer)
    timers.clear()
    tally.endTraffic()
    // What is still on its way gets a little time to arrive before it counts as lost.
    await waitFor(() => tally.missingDeliveries === 0 && tally.pendingOperations === 0, SETTLE_TIMEOUT_MS, new AbortController().signal)
    showProgress()
    endProgress()

    const figures = tally.figures()
    const rows: DemoNodeRow[] = members.map((member) => {
      const stats = member.node.stats()
      return {
        node: member.index, id: toHex(member.node.id).slice(0, 8), peers: stats.peers, published: stats.messages.published - member.presencePublished,
        received: member.received, relayed: stats.messages.relayed, directIn: member.directIn,
        bytesIn: stats.bytes.in, bytesOut: stats.bytes.out,
      }
    })
    const summary: DemoSummary = { nodes: options.nodes, seed: options.seed, durationSec: options.durationSec, wallSec: elapsedSec(), isFormed, figures, rows }
    output.out(options.isJson ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary))
    const isComplete = figures.broadcast.deliveryRatio === 1 && figures.broadcast.duplicates === 0 && figures.direct.failed === 0 &&
      figures.direct.acknowledged === figures.direct.sent && figures.dht.putFailures === 0 && figures.dht.found === figures.dht.gets
    // Ctrl-C is how a --serve run ends; in a timed run it cut the traffic short.
    const isCutShort = signal.aborted && !options.isServing
    return isFormed && isComplete && !isCutShort ? 0 : 1
  } finally {
    for (const timer of timers) clearInterval(timer)
    endProgress()
    // Stopping a node settles what it still had in flight (rejected), so nothing is left waiting.
    await Promise.allSettled(members.map((member) => member.node.stop()))
    await Promise.allSettled(members.map((member) => member.transport.close()))
    await Promise.allSettled([...inFlight])
    await server.close()
  }
}
