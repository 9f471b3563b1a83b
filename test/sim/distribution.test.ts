// Report figures are nearest-rank percentiles: always one of the values measured.

import { describe, expect, it } from 'vitest'
import { perNode, summarize } from '../../src/sim/distribution.js'

describe('summarize', () => {
  it('gives nearest-rank percentiles of 1..100 whatever the input order', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(summarize(values)).toEqual({ count: 100, mean: 50.5, min: 1, p50: 50, p95: 95, p99: 99, max: 100 })
  })

  it('a percentile of few values is one of them, never an interpolation', () => {
    expect(summarize([10, 30])).toMatchObject({ p50: 10, p95: 30, p99: 30 })
    expect(summarize([7])).toMatchObject({ count: 1, min: 7, p50: 7, p99: 7, max: 7 })
  })

  it('sorts numerically, not as strings', () => {
    expect(summarize([9, 100, 20])).toMatchObject({ min: 9, p50: 20, max: 100 })
  })

  it('no values: all zero', () => {
    expect(summarize([])).toEqual({ count: 0, mean: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 })
    expect(perNode([])).toEqual({ mean: 0, max: 0 })
  })

  it('perNode gives the mean and the busiest', () => {
    expect(perNode([1, 2, 9])).toEqual({ mean: 4, max: 9 })
    expect(perNode([-3, -1])).toEqual({ mean: -2, max: -1 })
  })
})
