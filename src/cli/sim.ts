// `wasmesh sim`: runs a scenario of the simulator (or a sweep of them) in this process, with a
// progress line on stderr, and writes what it measured into --out: report.json (the engine's
// deterministic report), run.json (this machine's wall time and memory), report.md and SVG
// charts; for a sweep, a run per value under points/ and sweep.json, sweep.md and its charts.

import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { onSimulationProgress, runScenario, toReportJson, type SimulationReport } from '../sim/index.js'
import { WasmeshError } from '../util/wasmesh-error.js'
import { loadChartRenderer } from './chart-renderer.js'
import { missedExpectations, uncleanShutdown } from './expectations.js'
import { reportSections } from './report-figures.js'
import { formatNumber, renderReportMarkdown } from './report-markdown.js'
import { RunMeter, type RunFigures } from './run-figures.js'
import { reportCharts, sweepCharts, type NamedChart } from './sim-charts.js'
import { flagOf, type SimOptions } from './sim-options.js'
import { SimProgress, Throttle } from './sim-progress.js'
import { plannedPoints, renderSweepMarkdown, SWEEP_FORMAT, type SweepReport } from './sim-sweep.js'
import { UsageError } from './usage-error.js'

/** Where the command writes: progress and problems to `err`, the results to `out`. */
export interface SimOutput {
  out(text: string): void
  err(text: string): void
  /** Whether `err` is a terminal, so the progress line can redraw itself in place. */
  readonly isErrTty: boolean
}

/** Wall ms between two redraws of the progress line on a terminal, and between two memory samples. */
const REDRAW_EVERY_MS = 250
/** Wall ms between two progress lines when stderr is not a terminal (a log). */
const LOG_EVERY_MS = 10_000

export const EXIT_INTERRUPTED = 130

/** Thrown from the progress listener when the run is interrupted: it ends the scenario's run. */
class Interrupted extends Error {
  override readonly name = 'Interrupted'
}

/** A scenario's refusal of its parameters as a usage error naming the flag. */
function usageErrorOf(error: WasmeshError, options: SimOptions): UsageError | undefined {
  const scenario = options.scenario
  if (error.code === 'NODE_INVALID_OPTION') return new UsageError(`--node: scenario ${scenario}'s nodes refused their options: ${error.message}`)
  if (error.code !== 'SIM_INVALID_OPTION') return undefined
  const unknown = /^unknown scenario option "([^"]+)"; expected one of (.*)$/.exec(error.message)
  if (unknown !== null) {
    const takes = unknown[2].split(', ').map((name) => flagOf([name]))
    return new UsageError(`${flagOf([unknown[1]])}: scenario ${scenario} has no parameter ${unknown[1]}; it takes ${takes.join(' ')}`)
  }
  const named = /^([A-Za-z][A-Za-z0-9]*) /.exec(error.message)
  return new UsageError(`${named === null ? '' : `${flagOf([named[1]])}: `}scenario ${scenario}: ${error.message}`)
}

function writeFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, text)
}

interface Run {
  readonly report: SimulationReport
  readonly run: RunFigures
}

export class SimCommand {
  readonly #options: SimOptions
  readonly #command: readonly string[]
  readonly #output: SimOutput
  readonly #signal: AbortSignal
  #progressWidth = 0

  constructor(options: SimOptions, command: readonly string[], output: SimOutput, signal: AbortSignal) {
    this.#options = options
    this.#command = command
    this.#output = output
    this.#signal = signal
  }

  /** Runs the command; resolves with its exit code. Usage errors (a parameter the scenario refuses) are thrown as UsageError. */
  async run(): Promise<number> {
    try {
      mkdirSync(this.#options.outDir, { recursive: true })
    } catch (error) {
      throw new UsageError(`--out: cannot make ${this.#options.outDir}: ${(error as Error).message}`)
    }
    try {
      return this.#options.sweep.length === 0 ? await this.#single() : await this.#sweep()
    } catch (error) {
      this.#endProgress()
      if (error instanceof Interrupted) {
        this.#output.err(`wasmesh sim: interrupted; ${error.message}\n`)
        return EXIT_INTERRUPTED
      }
      if (error instanceof WasmeshError) {
        const usage = usageErrorOf(error, this.#options)
        if (usage !== undefined) throw usage
        this.#output.err(`wasmesh sim: the run failed: ${error.code}: ${error.message}\n`)
        return 1
      }
      throw error
    }
  }

  async #single(): Promise<number> {
    const { outDir } = this.#options
    const { report, run } = await this.#runScenario(this.#options.scenario, this.#options.parameters)
    this.#writeJson(outDir, report, run)
    const charts = await this.#writeCharts(outDir, this.#options.hasCharts ? reportCharts(report) : [])
    this.#writeMarkdown(outDir, report, run, charts)
    const problems = this.#problems(report, '')
    const written = ['report.json', 'report.md', 'run.json', ...charts.files].map((file) => join(outDir, file))
    this.#output.out(`${this.#headline(report, run)}\nwrote ${written.join(', ')}\n`)
    return this.#exitCode(problems)
  }

  async #sweep(): Promise<number> {
    const { outDir, scenario, parameters, sweep } = this.#options
    const planned = plannedPoints(parameters, sweep)
    const points: SweepReport['points'][number][] = []
    const sweepReport = (isComplete: boolean): SweepReport => ({
      format: SWEEP_FORMAT, scenario, parameters, sweep: sweep.map((axis) => ({ parameter: axis.path.join('.'), values: axis.values })), isComplete, points,
    })
    const problems: string[] = []
    for (const [i, point] of planned.entries()) {
      const { report, run } = await this.#runScenario(scenario, point.parameters, `[${i + 1}/${planned.length} ${point.label}] `)
      const pointDir = join(outDir, 'points', point.label)
      this.#writeJson(pointDir, report, run)
      this.#writeMarkdown(pointDir, report, run, { files: [], note: 'none for one run of a sweep: the sweep\'s charts are in ../../charts/' })
      points.push({ label: point.label, values: point.values, report, run })
      // Rewritten after every run, so a sweep cut short keeps what it measured.
      writeFile(join(outDir, 'sweep.json'), `${JSON.stringify(sweepReport(false), null, 2)}\n`)
      problems.push(...this.#problems(report, `${point.label}: `))
      this.#output.out(`${point.label}: ${this.#headline(report, run)}\n`)
    }
    const charts = await this.#writeCharts(outDir, this.#options.hasCharts ? sweepCharts(points, sweep.map((axis) => axis.path.join('.')), scenario) : [])
    writeFile(join(outDir, 'sweep.json'), `${JSON.stringify(sweepReport(true), null, 2)}\n`)
    writeFile(join(outDir, 'sweep.md'), renderSweepMarkdown(sweepReport(true), charts.files, charts.note))
    const written = ['sweep.json', 'sweep.md', ...charts.files].map((file) => join(outDir, file))
    this.#output.out(`wrote ${written.join(', ')} and ${planned.length} runs under ${join(outDir, 'points')}\n`)
    return this.#exitCode(problems)
  }

  /** One scenario run, watched: the progress line, memory samples, and Ctrl-C, through the engine's progress channel. */
  async #runScenario(scenario: SimOptions['scenario'], parameters: Readonly<Record<string, unknown>>, prefix = ''): Promise<Run> {
    const now = () => performance.now()
    const meter = new RunMeter(this.#command, now)
    const progress = new SimProgress(`${prefix}sim ${scenario}`, now())
    const sampling = new Throttle(REDRAW_EVERY_MS)
    const showing = new Throttle(this.#output.isErrTty ? REDRAW_EVERY_MS : LOG_EVERY_MS)
    const unsubscribe = onSimulationProgress((update) => {
      if (this.#signal.aborted) throw new Interrupted(`stopped at ${formatNumber(update.nowMs / 1_000)} s of virtual time${prefix === '' ? '' : ` in run ${prefix.trim()}`}`)
      const wallMs = now()
      progress.update(update, wallMs)
      if (!sampling.isDue(wallMs)) return
      const memory = meter.sample()
      if (!this.#options.isQuiet && showing.isDue(wallMs)) this.#showProgress(progress.render(wallMs, memory))
    })
    try {
      if (this.#signal.aborted) throw new Interrupted('before the run began')
      const report = await runScenario(scenario, parameters as never)
      return { report, run: meter.finish(report.events.timersFired) }
    } finally {
      unsubscribe()
      this.#endProgress()
    }
  }

  #showProgress(line: string): void {
    if (this.#output.isErrTty) {
      this.#output.err(`\r${line.padEnd(this.#progressWidth)}`)
      this.#progressWidth = line.length
    } else {
      this.#output.err(`${line}\n`)
    }
  }

  #endProgress(): void {
    if (this.#output.isErrTty && this.#progressWidth > 0) this.#output.err('\n')
    this.#progressWidth = 0
  }

  async #writeCharts(outDir: string, charts: readonly NamedChart[]): Promise<{ files: string[]; note?: string }> {
    if (!this.#options.hasCharts) return { files: [], note: 'not made (--no-charts)' }
    if (charts.length === 0) return { files: [], note: 'none: the report has no figure to chart' }
    const renderer = await loadChartRenderer()
    if ('missing' in renderer) {
      this.#output.err(`wasmesh sim: ${renderer.missing}; report.json and report.md are written without them\n`)
      return { files: [], note: renderer.missing }
    }
    const files: string[] = []
    for (const chart of charts) {
      if (this.#signal.aborted) throw new Interrupted(`while making the charts (${files.length} of ${charts.length} written)`)
      writeFile(join(outDir, chart.file), await renderer.toSvg(chart.spec))
      files.push(chart.file)
    }
    return { files }
  }

  #writeJson(dir: string, report: SimulationReport, run: RunFigures): void {
    writeFile(join(dir, 'report.json'), toReportJson(report))
    writeFile(join(dir, 'run.json'), `${JSON.stringify(run, null, 2)}\n`)
  }

  #writeMarkdown(dir: string, report: SimulationReport, run: RunFigures, charts: { files: readonly string[]; note?: string }): void {
    writeFile(join(dir, 'report.md'), renderReportMarkdown(report, { run, charts: charts.files, ...(charts.note === undefined ? {} : { chartsNote: charts.note }) }))
  }

  /** The missed --expect figures and an unclean stop, each reported on stderr. */
  #problems(report: SimulationReport, prefix: string): string[] {
    const problems = missedExpectations(report, this.#options.expectations)
    const shutdown = uncleanShutdown(report)
    if (shutdown !== undefined) problems.push(shutdown)
    for (const problem of problems) this.#output.err(`wasmesh sim: ${prefix}${problem}\n`)
    return problems
  }

  #exitCode(problems: readonly string[]): number {
    if (this.#signal.aborted) return EXIT_INTERRUPTED
    return problems.length === 0 ? 0 : 1
  }

  /** One line of the figures a reader looks at first: size, time, and every ratio and factor of the report. */
  #headline(report: SimulationReport, run: RunFigures): string {
    const ratios: string[] = []
    for (const section of reportSections(report)) {
      for (const figure of section.figures) {
        if (figure.kind === 'number' && /(Ratio|Factor)$/.test(figure.name)) ratios.push(`${section.name}.${figure.name} ${formatNumber(figure.value)}`)
      }
    }
    return [
      `${report.scenario}: ${formatNumber(report.join.started)}/${formatNumber(report.join.nodes)} nodes started, ${formatNumber(report.join.withPeers)} with peers`,
      `${formatNumber(report.virtualTimeMs / 1_000)} s virtual in ${(run.wallMs / 1_000).toFixed(1)} s wall`,
      ...ratios,
    ].join('; ')
  }
}
