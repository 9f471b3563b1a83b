// The figures of a simulation report, found by their shape rather than by name: a section is
// a top-level object of report.json, and inside it a distribution ({count, mean, min, p50,
// p95, p99, max}), a per-node figure ({mean, max}), a number or a text. report.md and the
// charts are built from these, so a section a new scenario adds is tabled and charted too.

import type { Distribution, PerNode } from '../sim/index.js'

export type Figure =
  | { readonly kind: 'number'; readonly name: string; readonly value: number }
  | { readonly kind: 'text'; readonly name: string; readonly value: string }
  | { readonly kind: 'distribution'; readonly name: string; readonly value: Distribution }
  | { readonly kind: 'perNode'; readonly name: string; readonly value: PerNode }

export interface ReportSection {
  /** The section's key in report.json ('run' gathers the top-level numbers and texts). */
  readonly name: string
  /** Its figures in report order; a nested object's figures are named by their dotted path within the section. */
  readonly figures: readonly Figure[]
}

export const DISTRIBUTION_KEYS = ['count', 'mean', 'min', 'p50', 'p95', 'p99', 'max'] as const
const PER_NODE_KEYS = ['mean', 'max'] as const

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

function hasExactlyNumbers(value: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(value)
  return own.length === keys.length && keys.every((key) => typeof value[key] === 'number')
}

export const isDistribution = (value: unknown): value is Distribution => isRecord(value) && hasExactlyNumbers(value, DISTRIBUTION_KEYS)
export const isPerNode = (value: unknown): value is PerNode => isRecord(value) && hasExactlyNumbers(value, PER_NODE_KEYS)

function collect(value: Record<string, unknown>, prefix: string, into: Figure[]): void {
  for (const [key, item] of Object.entries(value)) {
    const name = prefix === '' ? key : `${prefix}.${key}`
    if (typeof item === 'number') into.push({ kind: 'number', name, value: item })
    else if (typeof item === 'string' || typeof item === 'boolean') into.push({ kind: 'text', name, value: String(item) })
    else if (isDistribution(item)) into.push({ kind: 'distribution', name, value: item })
    else if (isPerNode(item)) into.push({ kind: 'perNode', name, value: item })
    else if (isRecord(item)) collect(item, name, into)
  }
}

/** The report's sections, in report order, the top-level numbers and texts first as section 'run'. */
export function reportSections(report: object): ReportSection[] {
  const run: Figure[] = []
  const sections: ReportSection[] = []
  for (const [key, value] of Object.entries(report)) {
    if (isRecord(value) && !isDistribution(value) && !isPerNode(value)) {
      const figures: Figure[] = []
      collect(value, '', figures)
      sections.push({ name: key, figures })
    } else {
      collect({ [key]: value }, '', run)
    }
  }
  return run.length === 0 ? sections : [{ name: 'run', figures: run }, ...sections]
}

/** The value at a dotted path of report.json ('broadcast.hops.p99'), undefined where there is none. */
export function figureAt(report: object, path: string): unknown {
  let at: unknown = report
  for (const key of path.split('.')) {
    if (!isRecord(at) || !Object.hasOwn(at, key)) return undefined
    at = at[key]
  }
  return at
}

/** The unit a figure's name carries, for an axis title: latencyMs is virtual ms, bytesSentPerNodePerSec bytes per virtual second. */
export function unitOf(name: string): string {
  const last = name.slice(name.lastIndexOf('.') + 1)
  if (/wallMs$/i.test(last)) return 'ms (wall clock)'
  if (/Ms$/.test(last)) return 'ms (virtual)'
  const perSec = /PerSec$/.test(last) ? ' per virtual s' : ''
  const base = last.replace(/PerSec$/, '').replace(/PerNode$/, '')
  if (/bytes/i.test(base)) return `bytes${perSec}`
  if (/^(messages|copies)|Messages$/i.test(base)) return `messages${perSec}`
  if (/Ratio$/.test(base)) return 'ratio (1 = all)'
  if (/Factor$/.test(base)) return 'copies per delivery'
  return `${base}${perSec}`
}
