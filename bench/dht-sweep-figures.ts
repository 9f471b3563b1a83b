// The DHT figures of docs/SCALING.md from a `wasmesh sim --scenario dht --sweep nodes=...` run:
// lookup hops and success against N beside Kademlia's log2(N)/b, the least-squares fit
// hops = a + c * log2(N) over the sweep's points, and what the run figures (run.json) bound of
// memory per node and per session. Reads the sweep's sweep.json; runs nothing itself.
//   node build/run-ts.mjs bench/dht-sweep-figures.ts <sweep dir>/sweep.json
// Prints markdown on stdout.

import { readFileSync } from 'node:fs'
import type { SweepReport } from '../src/cli/sim-sweep.js'
import type { Distribution } from '../src/sim/index.js'
import { fitLine } from './least-squares.js'

/** Bits a routing-table digit resolves: one bucket per common-prefix length (assembly/routing.ts), so b = 1. */
const BITS_PER_DIGIT = 1
const MIB = 2 ** 20

const fixed = (value: number, digits: number) => value.toFixed(digits)
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`

const path = process.argv[2]
if (path === undefined) {
  console.error('usage: node build/run-ts.mjs bench/dht-sweep-figures.ts <sweep dir>/sweep.json')
  process.exit(2)
}
const sweep = JSON.parse(readFileSync(path, 'utf8')) as SweepReport
if (sweep.scenario !== 'dht' || sweep.sweep.length !== 1 || sweep.sweep[0].parameter !== 'nodes') {
  console.error(`${path}: expected a dht sweep over nodes alone, got ${sweep.scenario} over ${sweep.sweep.map((axis) => axis.parameter).join(', ')}`)
  process.exit(2)
}
const points = [...sweep.points].sort((a, b) => Number(a.values.nodes) - Number(b.values.nodes))
const dhtOf = (point: (typeof points)[number]) => {
  const dht = point.report.dht
  if (dht === undefined) throw new Error(`${point.label}: the report has no dht section`)
  return dht
}

const lines: string[] = []
lines.push(row(['N', 'gets found', 'success', 'hops mean', 'hops p50 / p95 / p99 / max', 'hops counted (unattributed)', 'log2(N)/b, b = 1', 'get latency p50 / p99 ms']))
lines.push(row(['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']))
for (const point of points) {
  const dht = dhtOf(point)
  const hops: Distribution = dht.getHops
  const n = Number(point.values.nodes)
  lines.push(row([
    n, `${dht.getsFound}/${dht.gets}`, `${fixed(100 * dht.getSuccessRatio, 2)}%`, fixed(hops.mean, 3),
    `${hops.p50} / ${hops.p95} / ${hops.p99} / ${hops.max}`, `${hops.count} (${dht.getHopsUnattributed})`,
    fixed(Math.log2(n) / BITS_PER_DIGIT, 2), `${fixed(dht.getLatencyMs.p50, 1)} / ${fixed(dht.getLatencyMs.p99, 1)}`,
  ]))
}

const log2N = points.map((point) => Math.log2(Number(point.values.nodes)))
lines.push('', `Least squares of hops = a + c * log2(N) over N = ${points.map((point) => point.values.nodes).join(', ')}:`, '')
lines.push(row(['figure', 'a', 'c', 'worst residual', 'at N = 10^4', 'at N = 10^5', 'at N = 10^6']))
lines.push(row(['---', '---:', '---:', '---:', '---:', '---:', '---:']))
for (const statistic of ['mean', 'p50', 'p99'] as const) {
  const fit = fitLine(log2N, points.map((point) => dhtOf(point).getHops[statistic]))
  const at = (n: number) => fixed(fit.intercept + fit.slope * Math.log2(n), 2)
  lines.push(row([`hops ${statistic}`, fixed(fit.intercept, 3), fixed(fit.slope, 4), fixed(fit.worstResidual, 3), at(1e4), at(1e5), at(1e6)]))
}

lines.push('', 'Memory the run figures bound (run.json: the whole process, sampled, garbage included):', '')
lines.push(row(['N', 'sessions per node (mean)', 'sessions in all', 'peak heap used MiB', 'peak RSS MiB', 'heap / node KiB', 'heap / session KiB']))
lines.push(row(['---:', '---:', '---:', '---:', '---:', '---:', '---:']))
for (const point of points) {
  const n = Number(point.values.nodes)
  const sessions = point.report.join.peers.mean * point.report.join.started
  const heap = point.run.peakHeapUsedBytes
  lines.push(row([n, fixed(point.report.join.peers.mean, 2), fixed(sessions, 0), fixed(heap / MIB, 1), fixed(point.run.peakRssBytes / MIB, 1), fixed(heap / n / 1_024, 1), fixed(heap / sessions / 1_024, 2)]))
}
const heapFit = fitLine(points.map((point) => Number(point.values.nodes)), points.map((point) => point.run.peakHeapUsedBytes))
const sessionsPerNode = points[points.length - 1].report.join.peers.mean
lines.push('', `Peak heap = ${fixed(heapFit.intercept / MIB, 1)} MiB + ${fixed(heapFit.slope / 1_024, 1)} KiB * N (least squares, worst residual ${fixed(heapFit.worstResidual / MIB, 1)} MiB): ` +
  `${fixed(heapFit.slope / sessionsPerNode / 1_024, 2)} KiB per session at the largest run's ${fixed(sessionsPerNode, 2)} sessions a node, if every byte of the slope were session state.`)
console.log(lines.join('\n'))
