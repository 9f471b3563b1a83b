// Issue 10, attack 8, in real time: what a flood of tiny messages does to an honest
// neighbour's latency. A victim and an honest node on a MemoryNetwork (1 ms links, the system
// clock, real Ed25519); the honest node publishes 50 a second to a topic the victim follows,
// and each publish's latency is the time from publish() to the victim's handler. Measured
// quiet, then while attackers (each a fresh identity that speaks the real handshake,
// test/node/attacker.ts) send frames of 1,024 pings as fast as the link takes them, a new one
// dialling in as soon as the last was banned, so the flood never stops. Time lives here, not
// in the tests: test/node/hostile-flood.test.ts asserts the counted work (the ban, the budget).

import { createMeshNode, type MeshNode } from '../src/node.js'
import { MemoryNetwork } from '../src/transport/memory/index.js'
import { encodeFrame, MAX_MESSAGES_PER_FRAME, type DecodedMessage } from '../src/wire/index.js'
import { Attacker, type AttackerLink } from '../test/node/attacker.js'
import type { Context } from './harness.js'
import type { Ratio, Section } from './report.js'

const PUBLISHES = 150
const PUBLISH_EVERY_MS = 20
/** Frames each attacker sends per turn of the event loop. */
const FRAMES_PER_TURN = 10

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

export async function runFloodLatency(_ctx: Context): Promise<Section> {
  const net = new MemoryNetwork({ latencyMs: 1 })
  const nodes: MeshNode[] = []
  let flooding = true
  let attackers = 0
  let framesSent = 0
  try {
    const victim = await createMeshNode({ network: net, seed: 71 })
    nodes.push(victim)
    await victim.start()
    const honest = await createMeshNode({ network: net, seed: 72, bootstrap: victim.addresses })
    nodes.push(honest)
    await honest.start()
    const quiet = await latencies(honest, victim, 'quiet')

    const frame = encodeFrame(Array.from({ length: MAX_MESSAGES_PER_FRAME }, (_, i): DecodedMessage => ({ type: 'ping', requestId: i + 1 })))
    const flood = (async () => {
      while (flooding) {
        const attacker = new Attacker(net, `flood-${++attackers}`, 9_000 + attackers)
        let link: AttackerLink
        try {
          link = await attacker.dial(victim.addresses[0]!)
        } catch {
          await attacker.close()
          continue
        }
        while (flooding && link.closed === undefined) {
          if (link.isRemoteAuthenticated) {
            for (let i = 0; i < FRAMES_PER_TURN; i++) link.sendBytes(frame)
            framesSent += FRAMES_PER_TURN
          }
          await new Promise((resolve) => setImmediate(resolve))
        }
        await attacker.close()
      }
    })()
    const flooded = await latencies(honest, victim, 'flooded')
    flooding = false
    await flood
    const bans = victim.stats().layers.peers.bans
    const overBudget = victim.stats().layers.peers.dropped['over-budget'] ?? 0
    const row = (name: string, sorted: readonly number[]) => [name, String(sorted.length), quantile(sorted, 0.5).toFixed(2), quantile(sorted, 0.9).toFixed(2), quantile(sorted, 0.99).toFixed(2), sorted[sorted.length - 1].toFixed(2)]
    const ratios: Ratio[] = [{
      label: `honest publish latency p50: quiet (${quantile(quiet, 0.5).toFixed(2)} ms) vs under a flood (${quantile(flooded, 0.5).toFixed(2)} ms)`,
      measures: 'quiet p50 / flooded p50: at least 0.5 means the flood at most doubles an honest neighbour\'s latency (issue 10, attack 8)',
      value: quantile(quiet, 0.5) / quantile(flooded, 0.5),
      target: 0.5,
    }, {
      label: 'the same at p99',
      measures: 'quiet p99 / flooded p99 (context: the tail also holds the victim\'s handshakes with each new attacker)',
      value: quantile(quiet, 0.99) / quantile(flooded, 0.99),
      noTarget: 'context',
    }]
    return {
      id: 'flood-latency',
      title: 'An honest neighbour\'s latency while attackers flood tiny messages',
      notes: [
        `A victim and an honest node on a MemoryNetwork (1 ms links) on the system clock, real Ed25519. The honest node publishes ${PUBLISHES} messages, one every ${PUBLISH_EVERY_MS} ms; ` +
          'latency is publish() to the victim\'s handler. First quiet, then under the flood.',
        `Flood: attackers that speak the real handshake, each sending frames of ${MAX_MESSAGES_PER_FRAME} pings, ${FRAMES_PER_TURN} a turn of the event loop, as fast as the link takes them; ` +
          `a fresh identity dials in as soon as the last is banned. This run: ${attackers} attackers, ${framesSent.toLocaleString('en-US')} frames sent, ` +
          `${bans} bans, ${overBudget.toLocaleString('en-US')} frames dropped undecoded (over-budget).`,
        'Both nodes and the attackers share this process and its event loop, so the flood\'s own sending costs the honest side too: the figure is an upper bound on what a remote attacker would do.',
      ],
      tables: [{
        caption: 'Honest publish latency, ms',
        headers: ['phase', 'delivered', 'p50', 'p90', 'p99', 'max'],
        numeric: [1, 2, 3, 4, 5],
        rows: [row('quiet', quiet), row('under a flood', flooded)],
      }],
      ratios,
    }
  } finally {
    flooding = false
    await Promise.all(nodes.map((node) => node.stop()))
    await net.close()
  }
}
