// Issue 10, attack 8, in real time: what a flood of tiny messages does to an honest
// neighbour's latency. A victim and an honest node on a MemoryNetwork (1 ms links, the system
// clock, real Ed25519); the honest node publishes 50 a second to a topic the victim follows,
// and each publish's latency is the time from publish() to the victim's handler. Measured
// quiet, then while attackers (each a fresh identity that speaks the real handshake,
// test/node/attacker.ts) send frames of 1,024 pings as fast as the link takes them, a new one
// dialling in as soon as the last was banned, so the flood never stops. Twice: once with
// everything in this process over a MemoryNetwork, and once over WebSockets on 127.0.0.1 with
// the attackers in a process of their own (bench/flood-attacker.ts), so their sending does
// not run on the victim's event loop. Time lives here, not in the tests:
// test/node/hostile-flood.test.ts asserts the counted work (the ban, the budget).

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { createMeshNode, type MeshNode } from '../src/node.js'
import { MemoryNetwork } from '../src/transport/memory/index.js'
import { WebSocketTransport } from '../src/transport/websocket/index.js'
import { MAX_MESSAGES_PER_FRAME } from '../src/wire/index.js'
import { Attacker } from '../test/node/attacker.js'
import { flood, FRAMES_PER_TURN, type FloodCount } from './flood-loop.js'
import type { Context } from './harness.js'
import type { Ratio, Section } from './report.js'

// 400 samples put about four of them past the p99 mark: with 150 it was the second-largest alone.
const PUBLISHES = 400
const PUBLISH_EVERY_MS = 20

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

/** Publishes PUBLISHES messages from `from`, one per PUBLISH_EVERY_MS, and resolves with each one's latency to `to`'s handler, sorted. */
async function latencies(from: MeshNode, to: MeshNode, topic: string): Promise<number[]> {
  const sentAt = new Map<number, number>()
  const measured: number[] = []
  const unsubscribe = to.subscribe(topic, (message) => {
    const index = new DataView(message.data.buffer, message.data.byteOffset).getUint32(0)
    const at = sentAt.get(index)
    if (at !== undefined) measured.push(performance.now() - at)
  })
  await from.waitForSubscribers(topic, { timeoutMs: 10_000 })
  for (let i = 0; i < PUBLISHES; i++) {
    const data = new Uint8Array(64)
    new DataView(data.buffer).setUint32(0, i)
    sentAt.set(i, performance.now())
    void from.publish(topic, data)
    await new Promise((resolve) => setTimeout(resolve, PUBLISH_EVERY_MS))
  }
  const deadline = performance.now() + 10_000
  while (measured.length < PUBLISHES && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  unsubscribe()
  if (measured.length < PUBLISHES * 0.95) throw new Error(`only ${measured.length} of ${PUBLISHES} honest publishes arrived`)
  return measured.sort((x, y) => x - y)
}

interface FloodRun {
  readonly quiet: number[]
  readonly flooded: number[]
  readonly attackers: number
  readonly framesSent: number
  readonly bans: number
  readonly overBudget: number
}

/** A flood in progress; stop() ends it and says how many attackers dialled and how many frames they sent. */
interface Flood {
  stop(): Promise<{ attackers: number; framesSent: number }>
}

/** Quiet latencies, then latencies while `startFlood` floods the victim, and what the flood did. */
async function measure(victim: MeshNode, honest: MeshNode, startFlood: () => Promise<Flood>): Promise<FloodRun> {
  const quiet = await latencies(honest, victim, 'quiet')
  const attack = await startFlood()
  let flooded: number[]
  try {
    flooded = await latencies(honest, victim, 'flooded')
  } catch (error) {
    await attack.stop().catch(() => undefined)
    throw error
  }
  const sent = await attack.stop()
  return {
    quiet, flooded, ...sent,
    bans: victim.stats().layers.peers.bans,
    overBudget: victim.stats().layers.peers.dropped['over-budget'] ?? 0,
  }
}

/** Attackers on the victim's own MemoryNetwork, in this process: their sending shares the victim's event loop. */
function floodInProcess(net: MemoryNetwork, victim: MeshNode): Flood {
  let flooding = true
  const count: FloodCount = { attackers: 0, framesSent: 0 }
  const done = flood(victim.addresses[0]!, (n) => new Attacker(net, `flood-${n}`, 9_000 + n), () => flooding, () => new Promise((resolve) => setImmediate(resolve)), count)
  return {
    async stop() {
      flooding = false
      await done
      return count
    },
  }
}

/** Attackers in a child process (bench/flood-attacker.ts) over WebSockets; resolves once the victim is dropping their frames. */
async function floodFromAnotherProcess(victim: MeshNode): Promise<Flood> {
  const runTs = fileURLToPath(new URL('../build/run-ts.mjs', import.meta.url))
  const child = spawn(process.execPath, [runTs, 'bench/flood-attacker.ts', victim.addresses[0]!], {
    cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['pipe', 'pipe', 'inherit'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const summary = new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))
  const stop = async () => {
    child.stdin.end('stop\n')
    const line = await Promise.race([summary, exited.then((code) => { throw new Error(`the attacker process exited with ${code} before its summary`) })])
    await exited
    return JSON.parse(line) as { attackers: number; framesSent: number }
  }
  const deadline = performance.now() + 30_000
  while ((victim.stats().layers.peers.dropped['over-budget'] ?? 0) === 0) {
    if (performance.now() > deadline || child.exitCode !== null) {
      child.kill()
      throw new Error('the attacker process never got a frame dropped at the victim in 30 s')
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { stop }
}

async function inProcess(): Promise<FloodRun> {
  const net = new MemoryNetwork({ latencyMs: 1 })
  const nodes: MeshNode[] = []
  try {
    const victim = await createMeshNode({ network: net, seed: 71 })
    nodes.push(victim)
    await victim.start()
    const honest = await createMeshNode({ network: net, seed: 72, bootstrap: victim.addresses })
    nodes.push(honest)
    await honest.start()
    return await measure(victim, honest, async () => floodInProcess(net, victim))
  } finally {
    await Promise.all(nodes.map((node) => node.stop()))
    await net.close()
  }
}

async function overWebSockets(): Promise<FloodRun> {
  const nodes: MeshNode[] = []
  try {
    const victim = await createMeshNode({ seed: 73, transport: new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' }) })
    nodes.push(victim)
    await victim.start()
    const honest = await createMeshNode({ seed: 74, transport: new WebSocketTransport({ listenAddress: 'ws://127.0.0.1:0' }), bootstrap: victim.addresses })
    nodes.push(honest)
    await honest.start()
    return await measure(victim, honest, () => floodFromAnotherProcess(victim))
  } finally {
    await Promise.all(nodes.map((node) => node.stop()))
  }
}

export async function runFloodLatency(_ctx: Context): Promise<Section> {
  const local = await inProcess()
  const remote = await overWebSockets()
  const p = (sorted: readonly number[], q: number) => quantile(sorted, q).toFixed(2)
  const row = (name: string, sorted: readonly number[]) => [name, String(sorted.length), p(sorted, 0.5), p(sorted, 0.9), p(sorted, 0.99), sorted[sorted.length - 1].toFixed(2)]
  const describe = (run: FloodRun) => `${run.attackers} attackers, ${run.framesSent.toLocaleString('en-US')} frames sent, ${run.bans} bans, ` +
    `${run.overBudget.toLocaleString('en-US')} frames dropped undecoded (over-budget)`
  /** quiet / flooded at quantile q: at least 0.5 means the flood at most doubled the latency. */
  const ratioAt = (run: FloodRun, q: number, label: string, measures: string, target: Pick<Ratio, 'target' | 'noTarget'>): Ratio => ({
    label: `${label} (${p(run.quiet, q)} ms quiet vs ${p(run.flooded, q)} ms under a flood)`,
    measures,
    value: quantile(run.quiet, q) / quantile(run.flooded, q),
    ...target,
  })
  const ratios: Ratio[] = [
    ratioAt(remote, 0.5, 'attackers in another process, over WebSockets: honest publish latency p50',
      'quiet p50 / flooded p50: at least 0.5 means the flood at most doubles an honest neighbour\'s latency (issue 10, attack 8)', { target: 0.5 }),
    ratioAt(remote, 0.99, 'the same at p99', 'quiet p99 / flooded p99: the tail also holds the victim\'s handshake with each new attacker', { target: 0.5 }),
    ratioAt(local, 0.5, 'attackers in this process, over a MemoryNetwork: p50',
      'quiet p50 / flooded p50, the attackers\' own sending sharing the victim\'s event loop', { target: 0.5 }),
    ratioAt(local, 0.99, 'the same at p99', 'quiet p99 / flooded p99, the attackers sharing the event loop (context: their sending runs between the victim\'s turns)', { noTarget: 'context' }),
  ]
  return {
    id: 'flood-latency',
    title: 'An honest neighbour\'s latency while attackers flood tiny messages',
    notes: [
      `A victim and an honest node on the system clock, real Ed25519. The honest node publishes ${PUBLISHES} messages, one every ${PUBLISH_EVERY_MS} ms; ` +
        'latency is publish() to the victim\'s handler. First quiet, then under the flood. ' +
        'In a run of several sections this one runs in a Node process of its own, so that its tail is not that of the heaps and node-datachannel threads the sections before it leave behind.',
      `Flood: attackers that speak the real handshake, each sending frames of ${MAX_MESSAGES_PER_FRAME} pings, ${FRAMES_PER_TURN} a turn of the event loop, as fast as the link takes them; ` +
        'a fresh identity dials in as soon as the last is banned.',
      `Attackers in another process (bench/flood-attacker.ts): both nodes on WebSockets on 127.0.0.1, the attackers dialling from a child process, so their sending runs on another core. This run: ${describe(remote)}.`,
      `Attackers in this process: both nodes and the attackers on one MemoryNetwork (1 ms links) and one event loop, so the flood\'s own sending costs the honest side too. This run: ${describe(local)}.`,
    ],
    tables: [{
      caption: 'Honest publish latency, ms',
      headers: ['setup', 'delivered', 'p50', 'p90', 'p99', 'max'],
      numeric: [1, 2, 3, 4, 5],
      rows: [
        row('another process, WebSockets: quiet', remote.quiet), row('another process, WebSockets: under a flood', remote.flooded),
        row('this process, MemoryNetwork: quiet', local.quiet), row('this process, MemoryNetwork: under a flood', local.flooded),
      ],
    }],
    ratios,
  }
}
