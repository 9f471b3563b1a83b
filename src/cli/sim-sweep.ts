// A sweep: one run per combination of the swept parameters' values, and the sweep report that
// puts their figures side by side (sweep.json, sweep.md) for the charts against the parameter.

import type { SimulationReport } from '../sim/index.js'
import { DISTRIBUTION_KEYS, figureAt, isDistribution, isPerNode } from './report-figures.js'
import { chartsMarkdown, formatNumber, markdownTable } from './report-markdown.js'
import type { RunFigures } from './run-figures.js'
import type { SweptFigure, SweepPoint } from './sim-charts.js'
import { sweptFigures } from './sim-charts.js'
import { setParameter, type ParameterValue, type SweepAxis } from './sim-options.js'

export const SWEEP_FORMAT = 'wasmesh-sim-sweep/1'

/** One run a sweep asks for. */
export interface PlannedPoint {
  /** 'nodes=1000,node.relay.fanout=4': names the run and its directory. */
  readonly label: string
  readonly values: Readonly<Record<string, ParameterValue>>
  /** The scenario's parameters for this run: the fixed ones with the swept values set. */
  readonly parameters: Record<string, unknown>
}

/** Every combination of the axes' values, the first axis varying slowest. */
export function plannedPoints(fixed: Readonly<Record<string, unknown>>, axes: readonly SweepAxis[]): PlannedPoint[] {
  let combinations: { readonly path: readonly string[]; readonly value: ParameterValue }[][] = [[]]
  for (const axis of axes) combinations = combinations.flatMap((combination) => axis.values.map((value) => [...combination, { path: axis.path, value }]))
  return combinations.map((combination) => {
    const parameters = structuredClone(fixed) as Record<string, unknown>
    for (const { path, value } of combination) setParameter(parameters, path, value)
    const values = Object.fromEntries(combination.map(({ path, value }) => [path.join('.'), value]))
    return { label: combination.map(({ path, value }) => `${path.join('.')}=${value}`).join(','), values, parameters }
  })
}

export interface SweepReport {
  readonly format: typeof SWEEP_FORMAT
  readonly scenario: string
  /** The parameters every run shared, as given on the command line. */
  readonly parameters: Readonly<Record<string, unknown>>
  readonly sweep: readonly { readonly parameter: string; readonly values: readonly ParameterValue[] }[]
  /** False while runs are still to come (or when the sweep was cut short). */
  readonly isComplete: boolean
  readonly points: readonly (SweepPoint & { readonly label: string; readonly run: RunFigures })[]
}

const ISSUE_FIGURES: readonly { readonly path: string; readonly what: string }[] = [
  { path: 'broadcast.hops', what: 'broadcast hops against N' },
  { path: 'broadcast.latencyMs', what: 'broadcast latency against N' },
  { path: 'broadcast.duplicateFactor', what: 'duplicate factor against fanout, with --sweep node.relay.fanout=...' },
  { path: 'broadcast.deliveryRatio', what: 'delivery against churn rate, with a sweep of the churn scenario\'s rate' },
  { path: 'traffic.messagesSentPerNodePerSec', what: 'load per node against N' },
  { path: 'dht', what: 'DHT lookup success, hops and latency' },
]

function figureRows(figure: SweptFigure, points: SweepReport['points']): { headers: string[]; rows: string[][] } {
  const values = points.map((point) => figureAt(point.report, figure.path))
  if (figure.kind === 'distribution') {
    return { headers: ['run', ...DISTRIBUTION_KEYS], rows: points.map((point, i) => [point.label, ...DISTRIBUTION_KEYS.map((key) => (isDistribution(values[i]) ? formatNumber(values[i][key]) : '-'))]) }
  }
  if (figure.kind === 'perNode') {
    return { headers: ['run', 'mean', 'busiest node'], rows: points.map((point, i) => [point.label, ...(isPerNode(values[i]) ? [formatNumber(values[i].mean), formatNumber(values[i].max)] : ['-', '-'])]) }
  }
  return { headers: ['run', 'value'], rows: points.map((point, i) => [point.label, typeof values[i] === 'number' ? formatNumber(values[i]) : '-']) }
}

/** sweep.md: the runs, each swept figure as a table, what the issue's charts found, and the charts. */
export function renderSweepMarkdown(sweep: SweepReport, charts: readonly string[], chartsNote: string | undefined): string {
  const parameters = sweep.sweep.map((axis) => `${axis.parameter}=${axis.values.join(',')}`).join(' and ')
  const lines = [
    `# wasmesh sim sweep: ${sweep.scenario} over ${parameters}`,
    '',
    `${sweep.points.length} runs${sweep.isComplete ? '' : ' (cut short: not every run was made)'}, each with its own report.json and report.md under points/. ` +
      `Parameters every run shared: ${JSON.stringify(sweep.parameters)}. Wall time and memory are this machine's; everything else is the same for the same parameters and seed.`,
    '',
    '## Runs',
    '',
    markdownTable(['run', 'virtual s', 'timers', 'wall s', 'peak RSS MiB', 'peak heap MiB'], sweep.points.map((point) => [
      point.label, formatNumber(point.report.virtualTimeMs / 1_000), formatNumber(point.report.events.timersFired),
      (point.run.wallMs / 1_000).toFixed(1), (point.run.peakRssBytes / 2 ** 20).toFixed(0), (point.run.peakHeapUsedBytes / 2 ** 20).toFixed(0),
    ]), [1, 2, 3, 4, 5]),
  ]
  const first = sweep.points[0]?.report as SimulationReport | undefined
  if (first !== undefined) {
    lines.push('', '## What issue 13 asks a sweep to show', '')
    for (const { path, what } of ISSUE_FIGURES) {
      const isThere = figureAt(first, path) !== undefined
      lines.push(`- \`${path}\`, ${what}: ${isThere ? 'below' : `not in these reports: the ${sweep.scenario} scenario does not produce it`}`)
    }
    for (const figure of sweptFigures(first)) {
      const { headers, rows } = figureRows(figure, sweep.points)
      lines.push('', `## ${figure.path}`, '', markdownTable(headers, rows, headers.map((_, i) => i).slice(1)))
    }
  }
  lines.push('', '## Charts', '', chartsMarkdown(charts, chartsNote), '')
  return lines.join('\n')
}
