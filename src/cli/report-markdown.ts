// report.md: a simulation report for people. Every section of report.json, as tables (its
// numbers and texts; its distributions with their percentiles; its per-node figures as mean
// and busiest node), then what this machine measured and the charts. Nothing in it is not in
// report.json or run.json.

import type { SimulationReport } from '../sim/index.js'
import { DISTRIBUTION_KEYS, reportSections, type Figure } from './report-figures.js'
import type { RunFigures } from './run-figures.js'

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })
const precise = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 4 })

/** A figure as the tables show it: integers in full, grouped; others to 4 significant digits (1 decimal from 1,000). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value) || Math.abs(value) >= 1_000) return grouped.format(value)
  return precise.format(value)
}

const cell = (text: string) => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []): string {
  const align = headers.map((_, column) => (numeric.includes(column) ? '---:' : '---'))
  return [headers, align, ...rows].map((row, i) => `| ${(i === 1 ? row : row.map(cell)).join(' | ')} |`).join('\n')
}

function valueText(figure: Figure & { kind: 'number' | 'text' }): string {
  if (figure.kind === 'text') return figure.value
  const text = formatNumber(figure.value)
  return /Ratio$/.test(figure.name) ? `${text} (${(figure.value * 100).toFixed(2)}%)` : text
}

/** One section's tables: its numbers and texts, its distributions, its per-node figures. */
export function sectionMarkdown(figures: readonly Figure[]): string {
  const parts: string[] = []
  const scalars = figures.filter((figure): figure is Figure & { kind: 'number' | 'text' } => figure.kind === 'number' || figure.kind === 'text')
  const distributions = figures.filter((figure): figure is Figure & { kind: 'distribution' } => figure.kind === 'distribution')
  const perNode = figures.filter((figure): figure is Figure & { kind: 'perNode' } => figure.kind === 'perNode')
  if (scalars.length > 0) parts.push(markdownTable(['figure', 'value'], scalars.map((figure) => [figure.name, valueText(figure)]), [1]))
  if (distributions.length > 0) {
    parts.push(markdownTable(['distribution', ...DISTRIBUTION_KEYS], distributions.map((figure) => [figure.name, ...DISTRIBUTION_KEYS.map((key) => formatNumber(figure.value[key]))]), [1, 2, 3, 4, 5, 6, 7]))
  }
  if (perNode.length > 0) parts.push(markdownTable(['per node', 'mean', 'busiest node'], perNode.map((figure) => [figure.name, formatNumber(figure.value.mean), formatNumber(figure.value.max)]), [1, 2]))
  return parts.length === 0 ? 'none' : parts.join('\n\n')
}

export interface ReportMarkdownExtras {
  /** What this machine measured (run.json). */
  readonly run: RunFigures
  /** Chart files, relative to report.md. */
  readonly charts: readonly string[]
  /** Why there are no charts, when there are none. */
  readonly chartsNote?: string
}

export function runFiguresMarkdown(run: RunFigures): string {
  return markdownTable(['on this machine', 'value'], [
    ['wall time', `${(run.wallMs / 1_000).toFixed(1)} s`],
    ['CPU (user + system)', `${((run.cpuUserMs + run.cpuSystemMs) / 1_000).toFixed(1)} s`],
    ['timers a wall second', formatNumber(run.timersPerWallSec)],
    ['peak RSS', `${(run.peakRssBytes / 2 ** 20).toFixed(0)} MiB`],
    ['peak JS heap used (sampled)', `${(run.peakHeapUsedBytes / 2 ** 20).toFixed(0)} MiB`],
    ['Node', run.node],
  ], [1])
}

export function chartsMarkdown(charts: readonly string[], note: string | undefined): string {
  if (charts.length === 0) return note ?? 'none'
  return charts.map((file) => `![${file}](${file})`).join('\n\n')
}

export function renderReportMarkdown(report: SimulationReport, extras: ReportMarkdownExtras): string {
  const nodes = report.parameters.nodes
  const lines = [
    `# wasmesh sim: ${report.scenario}${nodes === undefined ? '' : `, ${formatNumber(nodes)} nodes`}, seed ${report.parameters.seed ?? '?'}`,
    '',
    `${formatNumber(report.virtualTimeMs / 1_000)} s of virtual time, ${formatNumber(report.events.timersFired)} timers fired. ` +
      'Every figure is in report.json, in these units; all but `wallClock` are the same for the same parameters and seed. ' +
      'Distributions are nearest-rank percentiles over the values measured; "busiest node" is the largest value among the nodes.',
  ]
  for (const section of reportSections(report)) lines.push('', `## ${section.name}`, '', sectionMarkdown(section.figures))
  lines.push('', '## This run on this machine (run.json)', '', runFiguresMarkdown(extras.run))
  lines.push('', '## Charts', '', chartsMarkdown(extras.charts, extras.chartsNote), '')
  return lines.join('\n')
}
