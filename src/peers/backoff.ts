// Retry timing for dials: exponential backoff with jitter, so peers that failed together
// (a bootstrap node restarting) do not all re-dial in the same millisecond.

import type { RandomSource } from '../util/random.js'

/**
 * The wait before re-dial number `retry` (1 for the first re-dial): baseMs * 2^(retry - 1),
 * scaled by a factor drawn uniformly from [1 - jitter, 1 + jitter).
 */
export function backoffDelayMs(retry: number, baseMs: number, jitter: number, random: RandomSource): number {
  const nominal = baseMs * 2 ** (retry - 1)
  if (jitter === 0) return nominal
  return Math.round(nominal * (1 - jitter + 2 * jitter * random.nextFloat()))
}
