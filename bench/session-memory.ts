// Memory per peer session of a running MeshNode: what one more neighbour costs a node. Full
// nodes on a MemoryNetwork in virtual time open 4,000 sessions (each of 100 "spokes" connects
// to 20 of 100 "hubs"); the JavaScript heap grown by that, less the same links opened bare on
// the transport, is the nodes' own per-session state (session, coalescer, score, relay and DHT
// entries). The WebAssembly side (outgoing queue, rate-limiter share) is read from byteLength.

import { createMeshNode, type MeshNode } from '../src/node.js'
import { useDeterministicEd25519, usePlatformEd25519 } from '../src/peers/identity-crypto.js'
import { MemoryNetwork } from '../src/transport/index.js'
import type { Connection } from '../src/transport/transport.js'
import { ManualClock } from '../src/util/clock.js'
import { SESSION_BOOKKEEPING_BYTES } from '../src/node/stats.js'
import { wasmInstance } from '../src/core/wasm-instance.js'
import { heapDelta, progress, settledHeap, type Context } from './harness.js'
import type { Section } from './report.js'

const HUBS = 100
const SPOKES = 100
const LINKS_PER_SPOKE = 20

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** Runs promise callbacks and virtual time until `promise` settles. */
async function settle<T>(clock: ManualClock, promise: Promise<T>): Promise<T> {
  let isDone = false
  promise.then(() => (isDone = true), () => (isDone = true))
  while (!isDone) {
    for (let i = 0; i < 3; i++) await turn()
    clock.advance(1)
  }
  return promise
}

export async function runSessionMemory(ctx: Context): Promise<Section> {
  // Virtual time, so crypto that resolves at once; the sections after this one get the platform's back.
  useDeterministicEd25519()
  try {
    return await measureSessionMemory(ctx)
  } finally {
    usePlatformEd25519()
  }
}

async function measureSessionMemory(_ctx: Context): Promise<Section> {
  // A few real turns first: what earlier sections closed (sockets, peer connections, their
  // promises) is released asynchronously, and a release landing inside a measurement made
  // its delta negative (-8.9 MB in two full runs).
  const heap = async (): Promise<number> => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 20))
    return settledHeap(() => process.memoryUsage().heapUsed)
  }
  const pairs = (): [number, number][] => {
    const out: [number, number][] = []
    for (let s = 0; s < SPOKES; s++) for (let j = 0; j < LINKS_PER_SPOKE; j++) out.push([s, (s + j) % HUBS])
    return out
  }

  // The transport alone: the same links, bare connections kept open.
  const bareClock = new ManualClock()
  const bare = new MemoryNetwork({ latencyMs: 1, seed: 3, clock: bareClock })
  const hubTransports = Array.from({ length: HUBS }, (_, i) => bare.createTransport(`hub-${i}`))
  const spokeTransports = Array.from({ length: SPOKES }, (_, i) => bare.createTransport(`spoke-${i}`))
  const accepted: Connection[] = []
  for (const transport of hubTransports) await transport.listen((connection) => accepted.push(connection))
  let base = await heap()
  const dialled = await settle(bareClock, Promise.all(pairs().map(([s, h]) => spokeTransports[s].dial(hubTransports[h].localAddress))))
  const bareBytes = heapDelta(await heap(), base, 'session memory: bare links')
  if (dialled.length !== SPOKES * LINKS_PER_SPOKE || accepted.length !== dialled.length) throw new Error('session memory: bare links did not all open')
  for (const transport of [...hubTransports, ...spokeTransports]) await transport.close()

  progress(`session memory: starting ${HUBS + SPOKES} nodes`)
  const clock = new ManualClock()
  const net = new MemoryNetwork({ latencyMs: 1, seed: 7, clock })
  const make = (seed: number) => createMeshNode({ seed, network: net, clock, maxPeers: 100 })
  // One node made first (never started), so code compiled on first use is not counted per node.
  await make(99_999)
  const instance = await wasmInstance()
  const nodesBase = await heap()
  const nodesWasmBase = instance.memoryBytes
  const hubs: MeshNode[] = []
  const spokes: MeshNode[] = []
  for (let i = 0; i < HUBS; i++) hubs.push(await make(i + 1))
  for (let i = 0; i < SPOKES; i++) spokes.push(await make(10_000 + i))
  for (const node of [...hubs, ...spokes]) {
    node.subscribe('news', () => {})
    await settle(clock, node.start())
  }
  const perNodeJs = heapDelta(await heap(), nodesBase, 'session memory: nodes') / (HUBS + SPOKES)
  const perNodeWasm = (instance.memoryBytes - nodesWasmBase) / (HUBS + SPOKES)
  base = await heap()
  progress(`session memory: opening ${SPOKES * LINKS_PER_SPOKE} links`)
  await settle(clock, Promise.all(pairs().map(([s, h]) => spokes[s].connect(hubs[h].addresses[0]))))
  // Let subscriptions and DHT contacts settle, as they would on a live link.
  for (let i = 0; i < 200; i++) {
    for (let j = 0; j < 3; j++) await turn()
    clock.advance(5)
  }
  const nodeBytes = heapDelta(await heap(), base, 'session memory: sessions')
  const all = [...hubs, ...spokes]
  const sessions = all.reduce((sum, node) => sum + node.stats().peers, 0)
  if (sessions !== 2 * SPOKES * LINKS_PER_SPOKE) throw new Error(`session memory: expected ${2 * SPOKES * LINKS_PER_SPOKE} sessions, got ${sessions}`)
  const memory = hubs[0].stats().memory
  const queueBytes = all.reduce((sum, node) => sum + node.stats().layers.peers.queueBytes, 0) / sessions
  await settle(clock, Promise.all(all.map((node) => node.stop())))

  const jsPerSession = (nodeBytes - bareBytes) / sessions
  const wasmPerSession = queueBytes + memory.rateLimiterBytesPerPeer
  const row = (what: string, bytes: number, how: string) => [what, Math.round(bytes).toLocaleString('en-US'), how]
  return {
    id: 'session-memory',
    title: 'Memory per peer session of a MeshNode',
    notes: [
      `${HUBS + SPOKES} full nodes on a MemoryNetwork in virtual time; each of ${SPOKES} spokes connects to ${LINKS_PER_SPOKE} hubs: ` +
        `${sessions.toLocaleString('en-US')} sessions (two per link), all subscribed to one topic.`,
      'JavaScript: heapUsed after two full garbage collections, before and after opening the links, less the heap the same links take ' +
        'opened bare on the transport (their connection objects belong to the transport, not to the node).',
      `WebAssembly: the sessions' outgoing priority queues by byteLength (made only when a link pushes back, so idle sessions hold none), plus one peer's share of the rate limiter. ` +
        `stats().memory's bookkeeping allowance is SESSION_BOOKKEEPING_BYTES = ${SESSION_BOOKKEEPING_BYTES}, set from this measurement.`,
      'Per node (context, for simulations of many nodes in one process): heapUsed and the WebAssembly instance\'s linear memory grown by ' +
        `creating and starting the ${HUBS + SPOKES} nodes before any link, subscribed, with the default options. The WebAssembly row ` +
        'is left out when the nodes fit in linear memory that earlier sections grew and freed (run --only=session-memory to see it).',
    ],
    tables: [{
      headers: ['per session', 'bytes', 'measured as'],
      numeric: [1],
      rows: [
        row('transport link end (context)', bareBytes / sessions, 'heap delta of bare MemoryNetwork links / connection ends'),
        row('node state in JavaScript', jsPerSession, '(heap delta with nodes - bare links) / sessions'),
        row('outgoing queue (WebAssembly)', queueBytes, 'mean byteLength of the sessions\' queues'),
        row('rate limiter share (WebAssembly)', memory.rateLimiterBytesPerPeer, '3 limiters (own, relayed, frames) x byteLength / maxPeers'),
        row('total node state', jsPerSession + wasmPerSession, 'JavaScript + WebAssembly'),
      ],
    }, {
      headers: ['per started node, no peers (context)', 'bytes', 'measured as'],
      numeric: [1],
      rows: [
        row('JavaScript', perNodeJs, 'heap delta of creating and starting the nodes / nodes'),
        // Linear memory never shrinks: after other sections freed theirs, the nodes may fit in it and show no growth.
        ...(perNodeWasm > 0 ? [row('WebAssembly', perNodeWasm, 'linear memory growth / nodes (dedup sets, rate limiter, routing table)')] : []),
      ],
    }],
    ratios: [
      { label: 'session memory: node state per session vs the 1 KB design target (context; below 1 is within it)', value: (jsPerSession + wasmPerSession) / 1_024 },
    ],
  }
}
