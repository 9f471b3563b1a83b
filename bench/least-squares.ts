// Ordinary least squares of a line, for the fitted growth docs/SCALING.md gives beside each
// measured sweep (hops against log2(N), heap against sessions).

export interface Line {
  readonly intercept: number
  readonly slope: number
  /** Largest |fitted - measured| over the points. */
  readonly worstResidual: number
}

/** The line y = intercept + slope * x nearest the points in squares; slope 0 when every x is the same. */
export function fitLine(xs: readonly number[], ys: readonly number[]): Line {
  const n = xs.length
  const meanX = xs.reduce((sum, x) => sum + x, 0) / n
  const meanY = ys.reduce((sum, y) => sum + y, 0) / n
  let sxy = 0
  let sxx = 0
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - meanX) * (ys[i] - meanY)
    sxx += (xs[i] - meanX) ** 2
  }
  const slope = sxx === 0 ? 0 : sxy / sxx
  const intercept = meanY - slope * meanX
  const worstResidual = Math.max(...xs.map((x, i) => Math.abs(intercept + slope * x - ys[i])))
  return { intercept, slope, worstResidual }
}
