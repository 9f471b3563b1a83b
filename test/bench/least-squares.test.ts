import { describe, expect, it } from 'vitest'
import { fitLine } from '../../bench/least-squares.js'

describe('fitLine', () => {
  it('recovers an exact line, residual 0', () => {
    const xs = [6.64, 8.23, 9.97, 11.55]
    const fit = fitLine(xs, xs.map((x) => 2 + 3 * x))
    expect(fit.intercept).toBeCloseTo(2, 10)
    expect(fit.slope).toBeCloseTo(3, 10)
    expect(fit.worstResidual).toBeCloseTo(0, 10)
  })

  it('fits (0,0) (1,1) (2,1) as 1/6 + x/2, worst residual 1/3 at x = 1', () => {
    const fit = fitLine([0, 1, 2], [0, 1, 1])
    expect(fit.intercept).toBeCloseTo(1 / 6, 12)
    expect(fit.slope).toBeCloseTo(0.5, 12)
    expect(fit.worstResidual).toBeCloseTo(1 / 3, 12)
  })

  it('gives slope 0 and the mean when every x is the same', () => {
    const fit = fitLine([5, 5], [1, 3])
    expect(fit.slope).toBe(0)
    expect(fit.intercept).toBe(2)
    expect(fit.worstResidual).toBe(1)
  })
})
