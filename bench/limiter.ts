// RateLimiter against the limiter package's TokenBucket (one bucket per peer), 100 peers
// taken round robin: one tryTake per call, and tryTakeBatch over 10,000 handles at a time.

import { TokenBucket } from 'limiter'
import type { RateLimiter } from '../src/core/contracts.js'
import { runTasks, type Context, type TaskSpec } from './harness.js'
import { ratioOf, resultTable, type Section } from './report.js'

const PEERS = 100
const CALLS = 1_000_000
const BATCH = 10_000
/** High enough that every call succeeds for both: each peer refills its burst every millisecond. */
const RATE_PER_SEC = 1e9
const BURST = 1e6

export function runLimiter(ctx: Context): Section {
  const options = { ratePerSec: RATE_PER_SEC, burst: BURST, peers: 1_024 }
  const handles = new Uint32Array(BATCH)
  for (let i = 0; i < BATCH; i++) handles[i] = i % PEERS
  let taken = 0
  const expectAll = (name: string) => () => {
    if (taken !== CALLS) throw new Error(`${name}: ${taken} of ${CALLS} takes succeeded, expected all`)
  }

  // Virtual time advances 1 ms per round of the 100 peers.
  const perCall = (name: string, limiter: RateLimiter): TaskSpec => {
    let now = 0
    return {
      name,
      items: CALLS,
      fn: () => {
        let t = now
        let n = 0
        for (let round = 0; round < CALLS / PEERS; round++) {
          t++
          for (let peer = 0; peer < PEERS; peer++) if (limiter.tryTake(peer, t)) n++
        }
        taken = n
        now = t
      },
      afterEach: expectAll(name),
    }
  }
  // Virtual time advances 1 ms per batch of 10,000 handles (100 takes per peer).
  const batched = (name: string, limiter: RateLimiter): TaskSpec => {
    let now = 0
    return {
      name,
      items: CALLS,
      fn: () => {
        let t = now
        let n = 0
        for (let b = 0; b < CALLS / BATCH; b++) n += limiter.tryTakeBatch(handles, ++t)
        taken = n
        now = t
      },
      afterEach: expectAll(name),
    }
  }
  // limiter reads its own clock (performance.now, whole ms). Buckets start empty in limiter
  // 3, so they are filled first, as ours start full.
  const buckets = Array.from({ length: PEERS }, () => {
    const bucket = new TokenBucket({ bucketSize: BURST, tokensPerInterval: RATE_PER_SEC, interval: 'second' })
    bucket.content = BURST
    return bucket
  })
  const theirs: TaskSpec = {
    name: 'limiter TokenBucket.tryRemoveTokens(1)',
    items: CALLS,
    fn: () => {
      let n = 0
      for (let round = 0; round < CALLS / PEERS; round++) {
        for (let peer = 0; peer < PEERS; peer++) if (buckets[peer].tryRemoveTokens(1)) n++
      }
      taken = n
    },
    afterEach: expectAll('limiter TokenBucket'),
  }

  const wasm = ctx.wasm.createRateLimiter(options)
  const twin = ctx.twin.createRateLimiter(options)
  const wasmBatch = ctx.wasm.createRateLimiter(options)
  const twinBatch = ctx.twin.createRateLimiter(options)
  const results = runTasks('limiter', [
    perCall('wasm tryTake', wasm),
    perCall('twin tryTake', twin),
    theirs,
    batched('wasm tryTakeBatch (10,000 handles)', wasmBatch),
    batched('twin tryTakeBatch (10,000 handles)', twinBatch),
  ], ctx.settings, 'takes/s')
  for (const limiter of [wasm, twin, wasmBatch, twinBatch]) limiter.free()

  return {
    id: 'limiter',
    title: `RateLimiter: ${PEERS} peers round robin, ${CALLS.toLocaleString('en-US')} takes per iteration`,
    notes: [
      `Both limiters: ${RATE_PER_SEC.toExponential(0)} tokens/s and a burst of ${BURST.toExponential(0)} per peer, so every take succeeds ` +
        '(checked: the success count is 1,000,000 every iteration) and both run their refill arithmetic on every call.',
      'Ours is given the time: virtual time advances 1 ms per round of 100 peers (per call) or per batch of 10,000 handles. ' +
        'limiter reads its own clock (performance.now) inside every tryRemoveTokens, which is part of what it costs.',
      `tryTakeBatch takes a Uint32Array of ${BATCH.toLocaleString('en-US')} handles (the 100 peers repeated) per call; its rate is per handle.`,
    ],
    tables: [resultTable('tryTake', 'takes/s', results)],
    ratios: [
      ratioOf(results, 'wasm tryTake', 'limiter TokenBucket.tryRemoveTokens(1)', { label: 'limiter: wasm tryTake vs TokenBucket', target: 3 }),
      ratioOf(results, 'wasm tryTakeBatch (10,000 handles)', 'limiter TokenBucket.tryRemoveTokens(1)', { label: 'limiter: wasm tryTakeBatch vs TokenBucket', target: 10 }),
      ratioOf(results, 'wasm tryTake', 'twin tryTake', { label: 'limiter: wasm tryTake vs twin (context)' }),
      ratioOf(results, 'wasm tryTakeBatch (10,000 handles)', 'twin tryTakeBatch (10,000 handles)', { label: 'limiter: wasm tryTakeBatch vs twin (context)' }),
    ],
  }
}
