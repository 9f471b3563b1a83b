// The charts of `wasmesh sim` as Vega-Lite specs: plain data, built here and rendered to SVG
// by chart-renderer.ts. One run: each distribution's percentiles as bars, and the drops by
// reason. A sweep: each distribution (p50, p95, p99), each per-node figure (mean and busiest
// node) and each ratio or factor against the swept parameter, one line per combination of the
// other swept parameters.

import type { SimulationReport } from '../sim/index.js'
import { figureAt, isDistribution, isPerNode, reportSections, unitOf } from './report-figures.js'

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json'

export interface FieldEncoding {
  readonly field: string
  readonly type: 'quantitative' | 'ordinal' | 'nominal'
  readonly title: string | null
  readonly sort?: readonly string[]
  readonly scale?: { readonly type: 'log' | 'linear'; readonly zero?: boolean }
  readonly axis?: { readonly labelAngle: number }
  readonly legend?: { readonly labelLimit: number }
}

/** The subset of a Vega-Lite unit spec these charts use. */
export interface ChartSpec {
  readonly $schema: typeof VEGA_LITE_SCHEMA
  readonly title: { readonly text: string; readonly subtitle?: string }
  readonly width: number
  readonly height: number
  readonly data: { readonly values: readonly Readonly<Record<string, number | string>>[] }
  readonly mark: { readonly type: 'bar' | 'line'; readonly point?: boolean; readonly tooltip: boolean }
  readonly encoding: { readonly x: FieldEncoding; readonly y: FieldEncoding; readonly color?: FieldEncoding }
}

/** A chart and the file it goes to (relative to the output directory). */
export interface NamedChart {
  readonly file: string
  readonly spec: ChartSpec
}

const PERCENTILE_BARS = ['min', 'p50', 'p95', 'p99', 'max'] as const
const SWEPT_PERCENTILES = ['p50', 'p95', 'p99'] as const
const WIDTH = 420
const HEIGHT = 260

const fileName = (name: string) => `charts/${name.replace(/[^A-Za-z0-9.=_-]+/g, '_')}.svg`

/** Bars of one distribution: min, p50, p95, p99 and max, with its count and mean in the subtitle. */
export function distributionChart(section: string, name: string, value: { count: number; mean: number; min: number; p50: number; p95: number; p99: number; max: number }, scenario: string): ChartSpec {
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: `${section}.${name}`, subtitle: `${scenario}: ${value.count} values, mean ${Number(value.mean.toPrecision(4))}` },
    width: WIDTH,
    height: HEIGHT,
    data: { values: PERCENTILE_BARS.map((statistic) => ({ statistic, value: value[statistic] })) },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'statistic', type: 'ordinal', title: 'statistic', sort: [...PERCENTILE_BARS], axis: { labelAngle: 0 } },
      y: { field: 'value', type: 'quantitative', title: unitOf(name) },
    },
  }
}

/** Horizontal bars of the drops the nodes counted, by 'layer.reason'. */
export function dropsChart(drops: Readonly<Record<string, number>>, scenario: string): ChartSpec {
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: 'drops by reason', subtitle: `${scenario}: every node, the whole run` },
    width: WIDTH,
    height: Math.max(60, 22 * Object.keys(drops).length),
    data: { values: Object.entries(drops).map(([reason, count]) => ({ reason, count })) },
    mark: { type: 'bar', tooltip: true },
    encoding: {
      x: { field: 'count', type: 'quantitative', title: 'frames or messages dropped' },
      y: { field: 'reason', type: 'nominal', title: 'layer.reason', sort: Object.keys(drops) },
    },
  }
}

/** The charts of one run's report. */
export function reportCharts(report: SimulationReport): NamedChart[] {
  const charts: NamedChart[] = []
  for (const section of reportSections(report)) {
    for (const figure of section.figures) {
      if (figure.kind === 'distribution' && figure.value.count > 0) {
        charts.push({ file: fileName(`${section.name}.${figure.name}`), spec: distributionChart(section.name, figure.name, figure.value, report.scenario) })
      }
    }
  }
  if (Object.keys(report.drops).length > 0) charts.push({ file: fileName('drops'), spec: dropsChart(report.drops, report.scenario) })
  return charts
}

/** One run of a sweep: the swept parameters' values, and its report. */
export interface SweepPoint {
  /** Swept parameter (dotted camelCase path) to its value in this run. */
  readonly values: Readonly<Record<string, number | string | boolean>>
  readonly report: SimulationReport
}

/** A swept figure: a distribution, a per-node figure or a number, at a dotted path of the report. */
export interface SweptFigure {
  readonly path: string
  readonly kind: 'distribution' | 'perNode' | 'number'
}

/** Figures worth a line against a parameter: every distribution and per-node figure, each ratio and factor, and the work done. */
export function sweptFigures(report: SimulationReport): SweptFigure[] {
  const figures: SweptFigure[] = []
  for (const section of reportSections(report)) {
    if (section.name === 'run' || section.name === 'parameters') continue
    for (const figure of section.figures) {
      const path = `${section.name}.${figure.name}`
      if (figure.kind === 'distribution' || figure.kind === 'perNode') figures.push({ path, kind: figure.kind })
      else if (figure.kind === 'number' && (/(Ratio|Factor)$/.test(figure.name) || path === 'events.timersFired' || path === 'wallClock.wallMs')) figures.push({ path, kind: 'number' })
    }
  }
  return figures
}

const isNumeric = (values: readonly unknown[]) => values.every((value) => typeof value === 'number')

/** The x encoding of a swept parameter: logarithmic when its values span 20x or more, ordinal when they are not numbers. */
export function sweepAxis(parameter: string, values: readonly (number | string | boolean)[]): FieldEncoding {
  if (!isNumeric(values)) return { field: 'x', type: 'ordinal', title: parameter, sort: values.map(String), axis: { labelAngle: 0 } }
  const numbers = values as number[]
  const min = Math.min(...numbers)
  const max = Math.max(...numbers)
  const isLog = min > 0 && max / min >= 20
  return { field: 'x', type: 'quantitative', title: parameter, scale: isLog ? { type: 'log' } : { type: 'linear', zero: false } }
}

/** Label of a point's other swept parameters, for its line's name ('' with one swept parameter). */
function othersLabel(point: SweepPoint, parameter: string): string {
  return Object.entries(point.values).filter(([name]) => name !== parameter).map(([name, value]) => `${name}=${value}`).join(', ')
}

/** One figure against the first swept parameter. */
export function sweepChart(figure: SweptFigure, points: readonly SweepPoint[], parameter: string, scenario: string): ChartSpec {
  const values: Record<string, number | string>[] = []
  for (const point of points) {
    const value = figureAt(point.report, figure.path)
    const x = point.values[parameter]
    const others = othersLabel(point, parameter)
    const line = (statistic: string) => (others === '' ? statistic : `${statistic}, ${others}`)
    const xValue = typeof x === 'number' ? x : String(x)
    if (figure.kind === 'distribution' && isDistribution(value)) for (const statistic of SWEPT_PERCENTILES) values.push({ x: xValue, line: line(statistic), value: value[statistic] })
    else if (figure.kind === 'perNode' && isPerNode(value)) {
      values.push({ x: xValue, line: line('mean'), value: value.mean }, { x: xValue, line: line('busiest node'), value: value.max })
    } else if (figure.kind === 'number' && typeof value === 'number') values.push({ x: xValue, line: line(figure.path.slice(figure.path.lastIndexOf('.') + 1)), value })
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: { text: `${figure.path} against ${parameter}`, subtitle: `${scenario}: one run per value` },
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    mark: { type: 'line', point: true, tooltip: true },
    encoding: {
      x: sweepAxis(parameter, points.map((point) => point.values[parameter])),
      y: { field: 'value', type: 'quantitative', title: unitOf(figure.path) },
      color: { field: 'line', type: 'nominal', title: null, legend: { labelLimit: 400 } },
    },
  }
}

/** The charts of a sweep: each figure of the first run's report that every run has, against each swept parameter in turn. */
export function sweepCharts(points: readonly SweepPoint[], parameters: readonly string[], scenario: string): NamedChart[] {
  if (points.length === 0) return []
  const kindMatches = (figure: SweptFigure, value: unknown) =>
    figure.kind === 'distribution' ? isDistribution(value) : figure.kind === 'perNode' ? isPerNode(value) : typeof value === 'number'
  const figures = sweptFigures(points[0].report).filter((figure) => points.every((point) => kindMatches(figure, figureAt(point.report, figure.path))))
  return parameters.flatMap((parameter) => figures.map((figure) => ({ file: fileName(`${figure.path}-vs-${parameter}`), spec: sweepChart(figure, points, parameter, scenario) })))
}
