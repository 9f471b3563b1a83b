// What a benchmark section reports, and how it is printed: plain Markdown tables (readable
// in a terminal and in bench/RESULTS.md alike), ratio lines against the targets, and the
// summary of every target. Each ratio says what it measures; the wasm-vs-twin ratios, what
// WebAssembly buys, come first in a section and in the summary. Verdicts (met, missed) are
// printed only when asked for: a quick run's few samples can flip them.

import { formatMs, formatRate, type TaskResult } from './harness.js'

/** What a wasm-vs-twin ratio measures: the same algorithm on both sides, so only WebAssembly differs. */
export const WASM_VS_TWIN = 'wasm vs its TypeScript twin: same algorithm'
/**
 * The wasm-vs-twin target where no issue set a higher one: WebAssembly pays for its crossing
 * when it is at least this much faster than its twin; below it the twin could serve as well.
 */
export const PAYS = 1.25
/** What a time budget's ratio measures (budget / median time, bench/budget.ts). */
export const TIME_BUDGET = 'time budget: budget / median time'

export interface Table {
  readonly caption?: string
  readonly headers: readonly string[]
  readonly rows: readonly (readonly string[])[]
  /** Columns to right-align (numbers). */
  readonly numeric?: readonly number[]
}

export interface Ratio {
  /** What is compared, e.g. 'dedup fresh, new sets: wasm addBatch vs twin addBatch'. */
  readonly label: string
  /**
   * What differs between the two sides, so what the ratio measures: WASM_VS_TWIN, TIME_BUDGET,
   * or e.g. 'SipHash (wasm) vs BLAKE2s keyed (noble): different hash functions'.
   */
  readonly measures?: string
  readonly value: number
  /** The ratio must be at least this; absent for context-only ratios. */
  readonly target?: number
  /**
   * Why a ratio that belongs in the summary has no target (where WebAssembly does not pay,
   * say so): shown in the target column instead of one.
   */
  readonly noTarget?: string
}

/** A ratio before its value: what ratioOf is told. */
export type RatioTerms = Omit<Ratio, 'value'>

export interface Section {
  readonly id: string
  readonly title: string
  /** How the benchmark is set up: what favours whom, what time does, what is verified. */
  readonly notes: readonly string[]
  readonly tables: readonly Table[]
  readonly ratios: readonly Ratio[]
}

export function resultTable(caption: string, unit: string, results: readonly TaskResult[]): Table {
  return {
    caption,
    headers: ['task', `median ${unit}`, 'ns per item', 'p50 per iteration', 'items per iteration', 'samples', 'rme'],
    numeric: [1, 2, 3, 4, 5, 6],
    rows: results.map((r) => [
      r.name,
      formatRate(r.itemsPerSec),
      ((r.p50Ms * 1e6) / r.items).toFixed(1),
      formatMs(r.p50Ms),
      r.items.toLocaleString('en-US'),
      String(r.samples),
      `±${r.rme.toFixed(1)}%`,
    ]),
  }
}

/** The ratio of two tasks' median rates, looked up by name. */
export function ratioOf(results: readonly TaskResult[], ours: string, theirs: string, terms: RatioTerms): Ratio {
  const a = results.find((r) => r.name === ours)
  const b = results.find((r) => r.name === theirs)
  if (a === undefined || b === undefined) throw new Error(`ratio ${terms.label}: no task named ${a === undefined ? ours : theirs}`)
  return { ...terms, value: a.itemsPerSec / b.itemsPerSec }
}

export function isMet(ratio: Ratio): boolean {
  return ratio.target === undefined || ratio.value >= ratio.target
}

/** A wasm-vs-twin ratio with a target, or with the reason it has none, leads the summary. */
const isHeadline = (ratio: Ratio): boolean => ratio.measures === WASM_VS_TWIN && (ratio.target !== undefined || ratio.noTarget !== undefined)

function formatRatio(value: number): string {
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}x`
}

/** '<label> (<measures>): 4.39x (target >= 2x) ✔'; the ✔ or ✘ only when `verdicts`. A budget's label says what it measures. */
export function ratioLine(ratio: Ratio, verdicts: boolean): string {
  const measures = ratio.measures === undefined || ratio.measures === TIME_BUDGET ? '' : ` (${ratio.measures})`
  const head = `${ratio.label}${measures}: ${formatRatio(ratio.value)}`
  if (ratio.target === undefined) return ratio.noTarget === undefined ? head : `${head} (no target: ${ratio.noTarget})`
  const verdict = verdicts ? (isMet(ratio) ? ' ✔' : ' ✘ missed') : ''
  return `${head} (target >= ${ratio.target}x)${verdict}`
}

export function renderTable(table: Table): string {
  const numeric = new Set(table.numeric ?? [])
  const widths = table.headers.map((h, c) => Math.max(h.length, ...table.rows.map((row) => (row[c] ?? '').length)))
  const cell = (text: string, c: number) => (numeric.has(c) ? text.padStart(widths[c]) : text.padEnd(widths[c]))
  const line = (cells: readonly string[]) => `| ${cells.map((text, c) => cell(text, c)).join(' | ')} |`
  const rule = `|${widths.map((w, c) => (numeric.has(c) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`
  const lines = [line(table.headers), rule, ...table.rows.map(line)]
  if (table.caption !== undefined) lines.unshift(`${table.caption}`, '')
  return lines.join('\n')
}

/** The section as Markdown; its wasm-vs-twin ratios first, and verdicts only when `verdicts`. */
export function renderSection(section: Section, verdicts: boolean): string {
  const parts = [`## ${section.title}`, '']
  for (const note of section.notes) parts.push(`- ${note}`)
  if (section.notes.length > 0) parts.push('')
  for (const table of section.tables) parts.push(renderTable(table), '')
  if (section.ratios.length > 0) {
    const ratios = [...section.ratios].sort((a, b) => Number(b.measures === WASM_VS_TWIN) - Number(a.measures === WASM_VS_TWIN))
    for (const ratio of ratios) parts.push(`- ${ratioLine(ratio, verdicts)}`)
    parts.push('')
  }
  return parts.join('\n')
}

export interface Outcome {
  readonly id: string
  readonly title: string
  readonly section?: Section
  /** Why the section did not complete (an implementation missing, a failed verification). */
  readonly error?: string
}

/**
 * The summary: what WebAssembly buys (each structure against its twin) first, then the
 * targets against what users pick instead, then the time budgets, then what did not run.
 * The result column only when `verdicts`.
 */
export function summaryTables(outcomes: readonly Outcome[], verdicts: boolean): Table[] {
  const ratios = outcomes.flatMap((outcome) => outcome.section?.ratios ?? [])
  const targetOf = (ratio: Ratio): string => (ratio.target !== undefined ? `>= ${ratio.target}x` : `none: ${ratio.noTarget ?? ''}`)
  const resultOf = (ratio: Ratio): string[] => (verdicts ? [ratio.target === undefined ? '—' : isMet(ratio) ? '✔ met' : '✘ missed'] : [])
  const result = verdicts ? ['result'] : []
  const headline = ratios.filter(isHeadline)
  const budgets = ratios.filter((r) => r.measures === TIME_BUDGET && r.target !== undefined)
  const others = ratios.filter((r) => r.target !== undefined && !isHeadline(r) && r.measures !== TIME_BUDGET)
  const notRun = outcomes.filter((outcome) => outcome.section === undefined)
  const tables: Table[] = [
    {
      caption: `What WebAssembly buys (${WASM_VS_TWIN})`,
      headers: ['wasm vs twin', 'measured', 'target', ...result],
      numeric: [1],
      rows: headline.map((r) => [r.label, formatRatio(r.value), targetOf(r), ...resultOf(r)]),
    },
    {
      caption: 'Against what users pick instead',
      headers: ['comparison', 'what it measures', 'measured', 'target', ...result],
      numeric: [2],
      rows: others.map((r) => [r.label, r.measures ?? '', formatRatio(r.value), targetOf(r), ...resultOf(r)]),
    },
    {
      caption: 'Time budgets (budget / median time)',
      headers: ['budget', 'measured', 'target', ...result],
      numeric: [1],
      rows: budgets.map((r) => [r.label, formatRatio(r.value), targetOf(r), ...resultOf(r)]),
    },
  ]
  if (notRun.length > 0) {
    tables.push({
      caption: 'Not run',
      headers: ['benchmark', 'why'],
      rows: notRun.map((outcome) => [outcome.title, outcome.error ?? 'unknown error']),
    })
  }
  return tables.filter((table) => table.rows.length > 0)
}
