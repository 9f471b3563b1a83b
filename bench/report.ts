// What a benchmark section reports, and how it is printed: plain Markdown tables (readable
// in a terminal and in bench/RESULTS.md alike), ratio lines against the targets, and the
// summary of every target.

import { formatMs, formatRate, type TaskResult } from './harness.js'

export interface Table {
  readonly caption?: string
  readonly headers: readonly string[]
  readonly rows: readonly (readonly string[])[]
  /** Columns to right-align (numbers). */
  readonly numeric?: readonly number[]
}

export interface Ratio {
  /** e.g. 'wasm addBatch vs Set<string> (fresh)'. */
  readonly label: string
  readonly value: number
  /** The ratio must be at least this; absent for context-only ratios. */
  readonly target?: number
}

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
export function ratioOf(results: readonly TaskResult[], ours: string, theirs: string, label: string, target?: number): Ratio {
  const a = results.find((r) => r.name === ours)
  const b = results.find((r) => r.name === theirs)
  if (a === undefined || b === undefined) throw new Error(`ratio ${label}: no task named ${a === undefined ? ours : theirs}`)
  return { label, value: a.itemsPerSec / b.itemsPerSec, target }
}

export function isMet(ratio: Ratio): boolean {
  return ratio.target === undefined || ratio.value >= ratio.target
}

export function ratioLine(ratio: Ratio): string {
  const value = `${ratio.value >= 10 ? ratio.value.toFixed(1) : ratio.value.toFixed(2)}x`
  if (ratio.target === undefined) return `${ratio.label}: ${value}`
  return `${ratio.label}: ${value} (target >= ${ratio.target}x) ${isMet(ratio) ? '✔' : '✘ missed'}`
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

export function renderSection(section: Section): string {
  const parts = [`## ${section.title}`, '']
  for (const note of section.notes) parts.push(`- ${note}`)
  if (section.notes.length > 0) parts.push('')
  for (const table of section.tables) parts.push(renderTable(table), '')
  if (section.ratios.length > 0) {
    for (const ratio of section.ratios) parts.push(`- ${ratioLine(ratio)}`)
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

export function summaryTable(outcomes: readonly Outcome[]): Table {
  const rows: string[][] = []
  for (const outcome of outcomes) {
    if (outcome.section === undefined) {
      rows.push([outcome.title, '—', '—', `not run: ${outcome.error ?? 'unknown error'}`])
      continue
    }
    for (const ratio of outcome.section.ratios) {
      if (ratio.target === undefined) continue
      rows.push([ratio.label, `${ratio.value.toFixed(2)}x`, `>= ${ratio.target}x`, isMet(ratio) ? '✔ met' : '✘ missed'])
    }
  }
  return { caption: undefined, headers: ['target', 'measured', 'target', 'result'], numeric: [1, 2], rows }
}
