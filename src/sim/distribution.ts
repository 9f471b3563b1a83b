// Summaries of measured values for the report: count, mean, extremes and nearest-rank
// percentiles, so a figure is one of the values measured, never an interpolation.

export interface Distribution {
  readonly count: number
  readonly mean: number
  readonly min: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

const EMPTY: Distribution = Object.freeze({ count: 0, mean: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 })

/** The distribution of `values` (all zero when there are none). */
export function summarize(values: readonly number[]): Distribution {
  if (values.length === 0) return EMPTY
  const sorted = Float64Array.from(values).sort()
  let sum = 0
  for (const value of sorted) sum += value
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]
  return { count: sorted.length, mean: sum / sorted.length, min: sorted[0], p50: rank(0.5), p95: rank(0.95), p99: rank(0.99), max: sorted[sorted.length - 1] }
}

/** Mean and busiest of a per-node figure. */
export interface PerNode {
  readonly mean: number
  readonly max: number
}

export function perNode(values: readonly number[]): PerNode {
  if (values.length === 0) return { mean: 0, max: 0 }
  let sum = 0
  let max = -Infinity
  for (const value of values) {
    sum += value
    if (value > max) max = value
  }
  return { mean: sum / values.length, max }
}
