// How the demo shows what it measured: one progress line while it runs, and a summary of
// tables (or the same as JSON) when it ends.

import type { DemoFigures, LatencySummary } from './demo-tally.js'
import { renderTextTable } from './text-table.js'

export interface DemoNodeRow {
  readonly node: number
  /** The first 8 hex digits of its peer id. */
  readonly id: string
  readonly peers: number
  readonly published: number
  readonly received: number
  readonly relayed: number
  readonly directIn: number
  readonly bytesIn: number
  readonly bytesOut: number
}

export interface DemoSummary {
  readonly nodes: number
  readonly seed: number
  readonly durationSec: number
  readonly wallSec: number
  /** Every node had the peers it wanted before traffic started. */
  readonly isFormed: boolean
  readonly figures: DemoFigures
  readonly rows: readonly DemoNodeRow[]
}

const ms = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(1))
const percent = (ratio: number) => `${(ratio * 100).toFixed(ratio === 1 ? 0 : 2)}%`
const latency = (summary: LatencySummary) => `p50 ${ms(summary.p50Ms)} ms, p99 ${ms(summary.p99Ms)} ms`

export function renderProgress(elapsedSec: number, nodes: number, meanPeers: number, figures: DemoFigures): string {
  const { broadcast, direct, dht } = figures
  return `[${elapsedSec.toFixed(1)}s] ${nodes} nodes, ${meanPeers.toFixed(1)} peers each | ` +
    `published ${broadcast.published}, delivered ${broadcast.delivered}/${broadcast.expected} (${percent(broadcast.deliveryRatio)}), ${latency(broadcast.latency)} | ` +
    `direct ${direct.acknowledged}/${direct.sent} acked | dht ${dht.found}/${dht.gets} read back`
}

export function renderSummary(summary: DemoSummary): string {
  const { broadcast, direct, dht } = summary.figures
  const totals = renderTextTable({
    headers: ['what', 'count', 'outcome', 'latency p50 (ms)', 'latency p99 (ms)', 'other'],
    numeric: [1, 3, 4],
    rows: [
      ['publish -> every other node', String(broadcast.published), `${broadcast.delivered}/${broadcast.expected} delivered (${percent(broadcast.deliveryRatio)}), ${broadcast.duplicates} duplicates`,
        ms(broadcast.latency.p50Ms), ms(broadcast.latency.p99Ms), `hops mean ${ms(broadcast.meanHops)}, max ${broadcast.maxHops ?? '-'}; ${broadcast.deliveriesPerSec.toFixed(0)} deliveries/s`],
      ['direct send (acknowledged)', String(direct.sent), `${direct.acknowledged} acked, ${direct.failed} failed, ${direct.received} received`,
        ms(direct.rtt.p50Ms), ms(direct.rtt.p99Ms), `hops mean ${ms(direct.meanHops)}`],
      ['dht put', String(dht.puts), `${dht.puts - dht.putFailures} stored, ${dht.putFailures} failed`, ms(dht.putLatency.p50Ms), ms(dht.putLatency.p99Ms), ''],
      ['dht get (another node)', String(dht.gets), `${dht.found} found, ${dht.missing} missing, ${dht.getFailures} failed`, ms(dht.getLatency.p50Ms), ms(dht.getLatency.p99Ms), ''],
    ],
  })
  const nodes = renderTextTable({
    headers: ['node', 'peer id', 'peers', 'published', 'received', 'relayed', 'direct in', 'KB in', 'KB out'],
    numeric: [0, 2, 3, 4, 5, 6, 7, 8],
    rows: summary.rows.map((row) => [String(row.node), row.id, String(row.peers), String(row.published), String(row.received), String(row.relayed),
      String(row.directIn), (row.bytesIn / 1_024).toFixed(0), (row.bytesOut / 1_024).toFixed(0)]),
  })
  const formed = summary.isFormed ? '' : ' (the mesh had not fully formed when traffic started)'
  return `\nwasmesh demo: ${summary.nodes} nodes over WebRTC on 127.0.0.1, ${summary.durationSec} s of traffic, ${summary.wallSec.toFixed(1)} s in all, seed ${summary.seed}${formed}\n\n` +
    `${totals}\n\n${nodes}\n`
}
