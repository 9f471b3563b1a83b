// report.md, sweep.md and the --expect checks of `wasmesh sim`, from the report's figures as
// found by their shape: every section tabled, distributions with their percentiles, per-node
// figures as mean and busiest, a section no scenario has yet tabled as well.

import { beforeAll, describe, expect, it } from 'vitest'
import { missedExpectations, uncleanShutdown } from '../../src/cli/expectations.js'
import { figureAt, reportSections } from '../../src/cli/report-figures.js'
import { formatNumber, renderReportMarkdown, sectionMarkdown } from '../../src/cli/report-markdown.js'
import { RUN_FORMAT, type RunFigures } from '../../src/cli/run-figures.js'
import { plannedPoints, renderSweepMarkdown, SWEEP_FORMAT } from '../../src/cli/sim-sweep.js'
import { runScenario, type SimulationReport } from '../../src/sim/index.js'

const RUN: RunFigures = {
  format: RUN_FORMAT, command: ['wasmesh', 'sim'], node: 'v20.0.0', platform: 'linux x64', wallMs: 1_500, cpuUserMs: 1_000, cpuSystemMs: 200,
  timersPerWallSec: 3_000, peakRssBytes: 200 * 2 ** 20, processPeakRssBytes: 210 * 2 ** 20, peakHeapUsedBytes: 50 * 2 ** 20,
}

let report: SimulationReport
beforeAll(async () => {
  report = await runScenario('join', { nodes: 12, bootstrapNodes: 2, settleMs: 3_000, seed: 5 })
})

describe('the figures of a report', () => {
  it('sections are its top-level objects, the top-level numbers and texts first as "run"; figures are found by shape, nested ones by dotted name', () => {
    const sections = reportSections({
      format: 'x/1', virtualTimeMs: 5,
      dht: { gets: 10, successRatio: 0.9, hops: { count: 2, mean: 1.5, min: 1, p50: 1, p95: 2, p99: 2, max: 2 }, load: { mean: 3, max: 9 }, byOutcome: { found: 9, missing: 1 } },
    })
    expect(sections).toEqual([
      { name: 'run', figures: [{ kind: 'text', name: 'format', value: 'x/1' }, { kind: 'number', name: 'virtualTimeMs', value: 5 }] },
      { name: 'dht', figures: [
        { kind: 'number', name: 'gets', value: 10 },
        { kind: 'number', name: 'successRatio', value: 0.9 },
        { kind: 'distribution', name: 'hops', value: { count: 2, mean: 1.5, min: 1, p50: 1, p95: 2, p99: 2, max: 2 } },
        { kind: 'perNode', name: 'load', value: { mean: 3, max: 9 } },
        { kind: 'number', name: 'byOutcome.found', value: 9 },
        { kind: 'number', name: 'byOutcome.missing', value: 1 },
      ] },
    ])
    expect(figureAt(report, 'join.peers.p50')).toBe(report.join.peers.p50)
    expect([figureAt(report, 'join.nothing'), figureAt(report, 'broadcast.hops')]).toEqual([undefined, undefined])
  })

  it('a section\'s tables: numbers and texts (ratios with a percentage, pipes escaped), distributions, per-node figures', () => {
    const markdown = sectionMarkdown(reportSections({ s: { deliveryRatio: 0.99951, how: 'a || b', latencyMs: { count: 3, mean: 12.345678, min: 1, p50: 10, p95: 20, p99: 20, max: 20 }, sent: { mean: 1_234.56, max: 2_000 } } })[0].figures)
    expect(markdown).toBe([
      '| figure | value |', '| --- | ---: |', '| deliveryRatio | 0.9995 (99.95%) |', '| how | a \\|\\| b |',
      '',
      '| distribution | count | mean | min | p50 | p95 | p99 | max |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |', '| latencyMs | 3 | 12.35 | 1 | 10 | 20 | 20 | 20 |',
      '',
      '| per node | mean | busiest node |', '| --- | ---: | ---: |', '| sent | 1,234.6 | 2,000 |',
    ].join('\n'))
    expect(sectionMarkdown([])).toBe('none')
    expect([formatNumber(1_234_567), formatNumber(0.000_123_456), formatNumber(2.5)]).toEqual(['1,234,567', '0.0001235', '2.5'])
  })

  it('report.md has a title with the scenario, size and seed, every section of the report, this machine\'s figures and the charts', () => {
    const markdown = renderReportMarkdown(report, { run: RUN, charts: ['charts/join.peers.svg'] })
    expect(markdown).toMatch(/^# wasmesh sim: join, 12 nodes, seed 5\n/)
    for (const section of Object.keys(report).filter((key) => typeof (report as unknown as Record<string, unknown>)[key] === 'object')) expect(markdown).toContain(`\n## ${section}\n`)
    expect(markdown).toContain(`| peers | ${report.join.peers.count} | ${formatNumber(report.join.peers.mean)} | ${report.join.peers.min} |`)
    expect(markdown).toContain('| timersLeft | 0 |')
    expect(markdown).toContain('| peak RSS | 200 MiB |')
    expect(markdown).toContain('![charts/join.peers.svg](charts/join.peers.svg)')
    expect(renderReportMarkdown(report, { run: RUN, charts: [], chartsNote: 'no charts: vega is missing' })).toMatch(/## Charts\n\nno charts: vega is missing\n$/)
  })
})

describe('--expect and the stop', () => {
  it('a missed expectation says what the figure was; a figure the report lacks is a miss', () => {
    expect(missedExpectations(report, [{ figure: 'join.started', comparison: '==', value: 12 }, { figure: 'shutdown.timersLeft', comparison: '<=', value: 0 }])).toEqual([])
    expect(missedExpectations(report, [
      { figure: 'join.started', comparison: '>', value: 12 },
      { figure: 'broadcast.deliveryRatio', comparison: '>=', value: 0.999 },
      { figure: 'join.peers', comparison: '>=', value: 1 },
    ])).toEqual([
      'join.started>12: it is 12',
      'broadcast.deliveryRatio>=0.999: the report has no number at broadcast.deliveryRatio',
      'join.peers>=1: the report has no number at join.peers (it is an object)',
    ])
    expect(uncleanShutdown(report)).toBeUndefined()
    expect(uncleanShutdown({ shutdown: { timersLeft: 2, connectionsLeft: 1, transportsLeft: 0 } })).toBe("the nodes' stop left 2 timers, 1 connections and 0 transports behind")
  })
})

describe('sweeps', () => {
  it('plans every combination, the first parameter varying slowest, each with the fixed parameters and its values set', () => {
    const planned = plannedPoints({ seed: 3, node: { peers: { targetPeers: 6 } } }, [{ path: ['nodes'], values: [10, 20] }, { path: ['node', 'relay', 'fanout'], values: [2, 4] }])
    expect(planned.map((point) => point.label)).toEqual(['nodes=10,node.relay.fanout=2', 'nodes=10,node.relay.fanout=4', 'nodes=20,node.relay.fanout=2', 'nodes=20,node.relay.fanout=4'])
    expect(planned[1]).toEqual({ label: 'nodes=10,node.relay.fanout=4', values: { nodes: 10, 'node.relay.fanout': 4 }, parameters: { seed: 3, nodes: 10, node: { peers: { targetPeers: 6 }, relay: { fanout: 4 } } } })
    // Each run's parameters are its own copy.
    expect(planned[0].parameters.node).not.toBe(planned[1].parameters.node)
  })

  it('sweep.md lists the runs, says which of the issue\'s figures these reports lack, and tables each figure per run', () => {
    const markdown = renderSweepMarkdown({
      format: SWEEP_FORMAT, scenario: 'join', parameters: { seed: 5 }, sweep: [{ parameter: 'nodes', values: [12, 24] }], isComplete: false,
      points: [{ label: 'nodes=12', values: { nodes: 12 }, report, run: RUN }],
    }, [], 'not made (--no-charts)')
    expect(markdown).toMatch(/^# wasmesh sim sweep: join over nodes=12,24\n/)
    expect(markdown).toContain('1 runs (cut short: not every run was made)')
    expect(markdown).toContain('| nodes=12 | 3 |'.replace('3', formatNumber(report.virtualTimeMs / 1_000)))
    expect(markdown).toContain('- `broadcast.hops`, broadcast hops against N: not in these reports: the join scenario does not produce it')
    expect(markdown).toContain(`## join.peers\n\n| run | count | mean | min | p50 | p95 | p99 | max |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n| nodes=12 | 12 |`)
    expect(markdown).toMatch(/## Charts\n\nnot made \(--no-charts\)\n$/)
  })
})
