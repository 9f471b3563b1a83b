// The broadcast figures of docs/SCALING.md from a `wasmesh sim --scenario broadcast --sweep
// nodes=...` run: delivery, duplicates and hops against N, the load one global broadcast puts on
// each node (the mean node and the busiest), and the publish rate per user at which a node's
// 10,000 messages a second (100 peers x 100 msg/s, the analysis's figure) is used up, measured
// at each N and carried to 10^6 by the fitted growth. Reads the sweep's sweep.json; runs nothing.
//   node build/run-ts.mjs bench/broadcast-sweep-figures.ts <sweep dir>/sweep.json
// Prints markdown on stdout.

import { readFileSync } from 'node:fs'
import type { SweepReport } from '../src/cli/sim-sweep.js'
import { fitLine } from './least-squares.js'

/** The analysis's budget: 100 peers x 100 msg/s each. */
const NODE_BUDGET_PER_SEC = 10_000

const fixed = (value: number, digits: number) => value.toFixed(digits)
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`
/** A rate a second as "one every ..." when below one. */
const every = (perSec: number) => (perSec >= 1 ? `${fixed(perSec, 2)}/s` : perSec * 60 >= 1 ? `one every ${fixed(1 / perSec, 0)} s` : `one every ${fixed(1 / perSec / 60, 1)} min`)

const path = process.argv[2]
if (path === undefined) {
  console.error('usage: node build/run-ts.mjs bench/broadcast-sweep-figures.ts <sweep dir>/sweep.json')
  process.exit(2)
}
const sweep = JSON.parse(readFileSync(path, 'utf8')) as SweepReport
if (sweep.scenario !== 'broadcast' || sweep.sweep.length !== 1 || sweep.sweep[0].parameter !== 'nodes') {
  console.error(`${path}: expected a broadcast sweep over nodes alone, got ${sweep.scenario} over ${sweep.sweep.map((axis) => axis.parameter).join(', ')}`)
  process.exit(2)
}

interface Point {
  readonly nodes: number
  readonly messages: number
  readonly delivery: number
  readonly duplicateFactor: number
  readonly hopsMean: number
  readonly hops: string
  readonly latency: string
  /** Publish copies a node received per broadcast (the tracker's count: every copy, duplicates included). */
  readonly copiesPerNode: number
  /** Every message of every protocol a node received over the phase, per broadcast: the mean node and the busiest. */
  readonly allPerNode: number
  readonly allBusiest: number
  readonly bytesPerNode: number
  readonly phaseSec: number
  readonly peersMean: number
  readonly peersMax: number
}

const points: Point[] = [...sweep.points]
  .sort((a, b) => Number(a.values.nodes) - Number(b.values.nodes))
  .map((point) => {
    const { broadcast, traffic, join } = point.report
    if (broadcast === undefined || traffic === undefined) throw new Error(`${point.label}: the report has no broadcast or traffic section`)
    const nodes = Number(point.values.nodes)
    const messages = broadcast.messages
    return {
      nodes,
      messages,
      delivery: broadcast.deliveryRatio,
      duplicateFactor: broadcast.duplicateFactor,
      hopsMean: broadcast.hops.mean,
      hops: `${broadcast.hops.p50} / ${broadcast.hops.p99} / ${broadcast.hops.max}`,
      latency: `${fixed(broadcast.latencyMs.p50, 0)} / ${fixed(broadcast.latencyMs.p99, 0)}`,
      copiesPerNode: broadcast.copiesReceived / traffic.nodes / messages,
      allPerNode: traffic.messagesReceivedPerNode.mean / messages,
      allBusiest: traffic.messagesReceivedPerNode.max / messages,
      bytesPerNode: traffic.bytesReceivedPerNode.mean / messages,
      phaseSec: traffic.durationMs / 1_000,
      peersMean: join.peers.mean,
      peersMax: join.peers.max,
    }
  })

const lines: string[] = []
lines.push(row(['N', 'delivery', 'duplicate factor', 'hops mean', 'hops p50 / p99 / max', 'latency p50 / p99 ms', 'sessions a node mean / max']))
lines.push(row(['---:', '---:', '---:', '---:', '---:', '---:', '---:']))
for (const point of points) {
  lines.push(row([point.nodes, `${fixed(100 * point.delivery, 2)}%`, fixed(point.duplicateFactor, 3), fixed(point.hopsMean, 3), point.hops, point.latency, `${fixed(point.peersMean, 1)} / ${point.peersMax}`]))
}

lines.push('', 'What one global broadcast costs each node (received, per broadcast; "all protocols" is everything the node received over the phase divided by the broadcasts, so keepalives, gossip and DHT upkeep of the phase are in it: an upper bound):', '')
lines.push(row(['N', 'publish copies, mean node', 'all protocols, mean node', 'all protocols, busiest node', 'bytes, mean node', 'phase s']))
lines.push(row(['---:', '---:', '---:', '---:', '---:', '---:']))
for (const point of points) {
  lines.push(row([point.nodes, fixed(point.copiesPerNode, 2), fixed(point.allPerNode, 2), fixed(point.allBusiest, 1), fixed(point.bytesPerNode, 0), fixed(point.phaseSec, 1)]))
}

// The mesh-wide broadcast rate B at which a node receives its budget: B * cost = 10,000/s.
// Every broadcast reaches every node, so the cost does not fall with N and B does not rise:
// the rate each user may publish is B / N.
lines.push('', `The global broadcast rate at which a node receives ${NODE_BUDGET_PER_SEC.toLocaleString('en-US')} messages a second, and what it leaves each user (B / N):`, '')
lines.push(row(['N', 'B, by publish copies (mean node)', 'B, all protocols (busiest node)', 'per user, by copies', 'per user, busiest node']))
lines.push(row(['---:', '---:', '---:', '---:', '---:']))
for (const point of points) {
  const byCopies = NODE_BUDGET_PER_SEC / point.copiesPerNode
  const byBusiest = NODE_BUDGET_PER_SEC / point.allBusiest
  lines.push(row([point.nodes, `${fixed(byCopies, 0)}/s`, `${fixed(byBusiest, 0)}/s`, every(byCopies / point.nodes), every(byBusiest / point.nodes)]))
}

const log2N = points.map((point) => Math.log2(point.nodes))
const copiesFit = fitLine(log2N, points.map((point) => point.copiesPerNode))
const busiestFit = fitLine(log2N, points.map((point) => point.allBusiest))
const at = (fit: ReturnType<typeof fitLine>, n: number) => fit.intercept + fit.slope * Math.log2(n)
lines.push('', `Fitted growth over N = ${points.map((point) => point.nodes).join(', ')} (least squares of cost = a + c * log2(N); the columns past the sweep are the fit, not measurements):`, '')
lines.push(row(['figure', 'a', 'c', 'worst residual', 'at 10^4', 'at 10^5', 'at 10^6', 'per user at 10^6']))
lines.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:']))
for (const [name, fit] of [['publish copies, mean node', copiesFit], ['all protocols, busiest node', busiestFit]] as const) {
  const perUser = NODE_BUDGET_PER_SEC / at(fit, 1e6) / 1e6
  lines.push(row([name, fixed(fit.intercept, 3), fixed(fit.slope, 4), fixed(fit.worstResidual, 3), fixed(at(fit, 1e4), 2), fixed(at(fit, 1e5), 2), fixed(at(fit, 1e6), 2), every(perUser)]))
}
console.log(lines.join('\n'))
