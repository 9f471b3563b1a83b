// The simulator's charts as data: which figures of a report become charts, with which data
// rows and encodings; the sweep's lines against each swept parameter; and one real render to
// SVG through vega (and what happens when vega is not installed).

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHARTS_HINT, loadChartRenderer } from '../../src/cli/chart-renderer.js'
import { distributionChart, dropsChart, reportCharts, sweepAxis, sweepCharts, VEGA_LITE_SCHEMA, type SweepPoint } from '../../src/cli/sim-charts.js'
import { runScenario, type SimulationReport } from '../../src/sim/index.js'

const HOPS = { count: 40, mean: 2.5, min: 1, p50: 2, p95: 4, p99: 5, max: 6 }

let report: SimulationReport
beforeAll(async () => {
  report = await runScenario('broadcast', { nodes: 16, messages: 3, settleMs: 4_000, drainMs: 2_000, seed: 2 })
})

/** A report with other figures, as another run of a sweep would give. */
function variant(base: SimulationReport, hops: typeof HOPS, duplicateFactor: number): SimulationReport {
  return { ...base, broadcast: { ...base.broadcast!, hops, duplicateFactor } }
}

describe('charts of one run', () => {
  it('a distribution becomes bars of min, p50, p95, p99 and max, titled with its path, its unit on the y axis', () => {
    const spec = distributionChart('broadcast', 'hops', HOPS, 'broadcast')
    expect(spec.$schema).toBe(VEGA_LITE_SCHEMA)
    expect(spec.title).toEqual({ text: 'broadcast.hops', subtitle: 'broadcast: 40 values, mean 2.5' })
    expect(spec.data.values).toEqual([
      { statistic: 'min', value: 1 }, { statistic: 'p50', value: 2 }, { statistic: 'p95', value: 4 }, { statistic: 'p99', value: 5 }, { statistic: 'max', value: 6 },
    ])
    expect(spec.mark.type).toBe('bar')
    expect(spec.encoding.x).toMatchObject({ field: 'statistic', type: 'ordinal', sort: ['min', 'p50', 'p95', 'p99', 'max'] })
    expect(spec.encoding.y).toMatchObject({ field: 'value', type: 'quantitative', title: 'hops' })
    expect(distributionChart('broadcast', 'latencyMs', HOPS, 'broadcast').encoding.y.title).toBe('ms (virtual)')
  })

  it('the drops are bars by reason, in report order', () => {
    const spec = dropsChart({ 'relay.duplicate': 30, 'wire.truncated': 2 }, 'join')
    expect(spec.data.values).toEqual([{ reason: 'relay.duplicate', count: 30 }, { reason: 'wire.truncated', count: 2 }])
    expect(spec.encoding.y).toMatchObject({ field: 'reason', type: 'nominal', sort: ['relay.duplicate', 'wire.truncated'] })
  })

  it('a report gives a chart per distribution with values, and one of its drops', () => {
    const charts = reportCharts(report)
    expect(charts.map((chart) => chart.file)).toEqual(['charts/join.peers.svg', 'charts/join.joinTimeMs.svg', 'charts/broadcast.latencyMs.svg', 'charts/broadcast.hops.svg', 'charts/drops.svg'])
    const hops = charts.find((chart) => chart.file === 'charts/broadcast.hops.svg')!
    expect(hops.spec.data.values.find((row) => row.statistic === 'p99')?.value).toBe(report.broadcast!.hops.p99)
    // An empty distribution (no deliveries) is not charted.
    const empty = { count: 0, mean: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 }
    expect(reportCharts({ ...report, broadcast: { ...report.broadcast!, hops: empty } }).map((chart) => chart.file)).not.toContain('charts/broadcast.hops.svg')
  })
})

describe('charts of a sweep', () => {
  it('the x axis is logarithmic when the values span 20x or more, linear otherwise, ordinal for names', () => {
    expect(sweepAxis('nodes', [1_000, 10_000, 100_000])).toMatchObject({ type: 'quantitative', title: 'nodes', scale: { type: 'log' } })
    expect(sweepAxis('node.relay.fanout', [2, 4, 8])).toMatchObject({ type: 'quantitative', scale: { type: 'linear', zero: false } })
    expect(sweepAxis('signatures', ['stand-in', 'ed25519'])).toMatchObject({ type: 'ordinal', sort: ['stand-in', 'ed25519'] })
  })

  it('each figure against each swept parameter: distributions as p50/p95/p99 lines, ratios and factors as one, per-node figures as mean and busiest', () => {
    const points: SweepPoint[] = [
      { values: { nodes: 100, 'node.relay.fanout': 4 }, report: variant(report, HOPS, 4.5) },
      { values: { nodes: 100, 'node.relay.fanout': 8 }, report: variant(report, { ...HOPS, p50: 3 }, 8.25) },
    ]
    const charts = sweepCharts(points, ['nodes', 'node.relay.fanout'], 'broadcast')
    const byFile = new Map(charts.map((chart) => [chart.file, chart.spec]))
    const duplicates = byFile.get('charts/broadcast.duplicateFactor-vs-node.relay.fanout.svg')!
    expect(duplicates.title.text).toBe('broadcast.duplicateFactor against node.relay.fanout')
    expect(duplicates.data.values).toEqual([{ x: 4, line: 'duplicateFactor, nodes=100', value: 4.5 }, { x: 8, line: 'duplicateFactor, nodes=100', value: 8.25 }])
    expect(duplicates.encoding).toMatchObject({ x: { field: 'x', title: 'node.relay.fanout' }, y: { field: 'value', title: 'copies per delivery' }, color: { field: 'line' } })
    const hops = byFile.get('charts/broadcast.hops-vs-node.relay.fanout.svg')!
    expect(hops.data.values.filter((row) => row.line === 'p50, nodes=100').map((row) => [row.x, row.value])).toEqual([[4, 2], [8, 3]])
    expect(new Set(hops.data.values.map((row) => row.line))).toEqual(new Set(['p50, nodes=100', 'p95, nodes=100', 'p99, nodes=100']))
    const load = byFile.get('charts/traffic.messagesSentPerNodePerSec-vs-nodes.svg')!
    expect(load.encoding.y.title).toBe('messages per virtual s')
    expect(load.data.values.map((row) => row.line)).toEqual([
      'mean, node.relay.fanout=4', 'busiest node, node.relay.fanout=4', 'mean, node.relay.fanout=8', 'busiest node, node.relay.fanout=8',
    ])
    expect(load.data.values[1].value).toBe(report.traffic.messagesSentPerNodePerSec.max)
    // Against each parameter the same figures; none of the parameters and no text.
    expect(charts.length % 2).toBe(0)
    expect(charts.some((chart) => chart.file.includes('parameters.') || chart.file.includes('engine.'))).toBe(false)
  })

  it('a figure one run lacks is not charted', () => {
    const { broadcast: _broadcast, ...joinOnly } = report
    const charts = sweepCharts([{ values: { nodes: 10 }, report }, { values: { nodes: 20 }, report: joinOnly as SimulationReport }], ['nodes'], 'broadcast')
    expect(charts.some((chart) => chart.file.includes('broadcast.'))).toBe(false)
    expect(charts.some((chart) => chart.file === 'charts/join.peers-vs-nodes.svg')).toBe(true)
  })
})

describe('rendering', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmesh-charts-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('vega renders a report chart and a sweep chart to SVG files with their titles and axis titles', async () => {
    const renderer = await loadChartRenderer()
    if ('missing' in renderer) throw new Error(renderer.missing)
    const hops = reportCharts(report).find((chart) => chart.file === 'charts/broadcast.hops.svg')!
    const path = join(dir, 'hops.svg')
    writeFileSync(path, await renderer.toSvg(hops.spec))
    const svg = readFileSync(path, 'utf8')
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* width="\d+" height="\d+"/)
    for (const text of ['broadcast.hops', '>hops<', '>statistic<', '>p99<']) expect(svg).toContain(text)
    // One bar per statistic, each labelled with its value (vega writes the encoded fields into aria-label).
    const bars = [...svg.matchAll(/<path aria-label="statistic: (\w+); hops: ([\d.]+)"/g)].map((match) => [match[1], Number(match[2])])
    const hopsFigures = report.broadcast!.hops
    expect(bars).toEqual((['min', 'p50', 'p95', 'p99', 'max'] as const).map((statistic) => [statistic, hopsFigures[statistic]]))
    const sweep = sweepCharts([{ values: { nodes: 10 }, report }, { values: { nodes: 1_000 }, report }], ['nodes'], 'broadcast')[0]
    const sweepSvg = await renderer.toSvg(sweep.spec)
    expect(sweepSvg).toContain(`${sweep.spec.title.text}`)
    expect(sweepSvg).toContain('>nodes<')
  })

  it('without vega installed the renderer says what is missing and how to add it; other load failures are thrown', async () => {
    const missing = Object.assign(new Error("Cannot find package 'vega' imported from /x/cli.js"), { code: 'ERR_MODULE_NOT_FOUND' })
    const renderer = await loadChartRenderer(() => Promise.reject(missing))
    expect(renderer).toEqual({ missing: `no charts: vega and vega-lite are not installed (Cannot find package 'vega' imported from /x/cli.js); \`${CHARTS_HINT}\` adds them` })
    await expect(loadChartRenderer(() => Promise.reject(new SyntaxError('broken')))).rejects.toThrow('broken')
  })
})
