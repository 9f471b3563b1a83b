// Gaps of a Poisson process: what arrivals and publishes "at a rate" mean here. Exponential
// gaps from a seeded source, so events bunch and thin out as they do in real traffic, the
// same way for the same seed.

import type { RandomSource } from '../util/random.js'

/** The next gap, in ms, of a Poisson process of `ratePerSec` events a second. */
export function poissonGapMs(random: RandomSource, ratePerSec: number): number {
  // 1 - nextFloat() is in (0, 1]: the log is finite.
  return (-Math.log(1 - random.nextFloat()) / ratePerSec) * 1_000
}
