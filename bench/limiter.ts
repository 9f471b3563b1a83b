// RateLimiter against the limiter package's TokenBucket (one bucket per peer), 100 peers
// taken round robin: one tryTake per call given the time, the same reading performance.now()
// per call as TokenBucket does, tryTakeBatch over 10,000 handles at a time, and the shape of
// the node's own call site (PeerSession.receiveFrame: one take per message of a frame).

import { TokenBucket } from 'limiter'
import type { Core, RateLimiter } from '../src/core/contracts.js'
import { runTasks, type Context, type TaskSpec } from './harness.js'
import { PAYS, ratioOf, resultTable, WASM_VS_TWIN, type Section } from './report.js'

const PEERS = 100
const CALLS = 1_000_000
const BATCH = 10_000
/** Messages a frame in the call-site rows: frame coalescing packs many small messages into one. */
const FRAME = 16
/** High enough that every call succeeds for both: each peer refills its burst every millisecond. */
const RATE_PER_SEC = 1e9
const BURST = 1e6

export function runLimiter(ctx: Context): Section {
  const options = { ratePerSec: RATE_PER_SEC, burst: BURST, peers: 1_024 }
  const handles = new Uint32Array(BATCH)
  for (let i = 0; i < BATCH; i++) handles[i] = i % PEERS
  const limiters: RateLimiter[] = []
  const limiterOf = (core: Core): RateLimiter => {
    const limiter = core.createRateLimiter(options)
    limiters.push(limiter)
    return limiter
  }
  let taken = 0
  /** A task whose iteration makes CALLS takes (or clock reads), every one of which must succeed. */
  const takes = (name: string, iteration: () => number): TaskSpec => ({
    name,
    items: CALLS,
    fn: () => {
      taken = iteration()
    },
    afterEach: () => {
      if (taken !== CALLS) throw new Error(`${name}: ${taken} of ${CALLS} takes succeeded, expected all`)
    },
  })

  // Given the time: virtual time advances 1 ms per round of the 100 peers.
  const perCall = (name: string, core: Core): TaskSpec => {
    const limiter = limiterOf(core)
    let now = 0
    return takes(name, () => {
      let n = 0
      for (let round = 0; round < CALLS / PEERS; round++) {
        now++
        for (let peer = 0; peer < PEERS; peer++) if (limiter.tryTake(peer, now)) n++
      }
      return n
    })
  }
  // Reading the clock per call, as TokenBucket does.
  const perCallClock = (name: string, core: Core): TaskSpec => {
    const limiter = limiterOf(core)
    return takes(name, () => {
      let n = 0
      for (let round = 0; round < CALLS / PEERS; round++) {
        for (let peer = 0; peer < PEERS; peer++) if (limiter.tryTake(peer, performance.now())) n++
      }
      return n
    })
  }
  // 10,000 handles a call; the time is virtual (1 ms a batch) or read once per batch.
  const batched = (name: string, core: Core, readsClock: boolean): TaskSpec => {
    const limiter = limiterOf(core)
    let now = 0
    return takes(name, () => {
      let n = 0
      for (let b = 0; b < CALLS / BATCH; b++) n += limiter.tryTakeBatch(handles, readsClock ? performance.now() : ++now)
      return n
    })
  }
  // The node's call site: frames of FRAME messages, each frame from one peer, one time per
  // frame. Today the session takes once per message; batched, it asks how many tokens there
  // are and takes that many (up to the frame's messages) in one call: the same messages pass.
  const perFrame = (name: string, core: Core, isBatched: boolean): TaskSpec => {
    const limiter = limiterOf(core)
    let now = 0
    return takes(name, () => {
      let n = 0
      for (let frame = 0; frame < CALLS / FRAME; frame++) {
        const peer = frame % PEERS
        if (peer === 0) now++
        if (isBatched) {
          const k = Math.min(FRAME, Math.floor(limiter.tokens(peer, now)))
          if (k > 0 && limiter.tryTake(peer, now, k)) n += k
        } else {
          for (let m = 0; m < FRAME; m++) if (limiter.tryTake(peer, now)) n++
        }
      }
      return n
    })
  }
  // limiter reads its own clock (performance.now, whole ms). Buckets start empty in limiter
  // 3, so they are filled first, as ours start full.
  const buckets = Array.from({ length: PEERS }, () => {
    const bucket = new TokenBucket({ bucketSize: BURST, tokensPerInterval: RATE_PER_SEC, interval: 'second' })
    bucket.content = BURST
    return bucket
  })
  const tokenBucket = takes('limiter TokenBucket.tryRemoveTokens(1)', () => {
    let n = 0
    for (let round = 0; round < CALLS / PEERS; round++) {
      for (let peer = 0; peer < PEERS; peer++) if (buckets[peer].tryRemoveTokens(1)) n++
    }
    return n
  })
  let clockSum = 0
  const clockAlone = takes('performance.now() alone', () => {
    let sum = 0
    for (let i = 0; i < CALLS; i++) sum += performance.now()
    clockSum = sum
    return clockSum > 0 ? CALLS : 0
  })

  const givenResults = runTasks('limiter', [
    perCall('wasm tryTake', ctx.wasm),
    perCall('twin tryTake', ctx.twin),
    batched('wasm tryTakeBatch (10,000 handles)', ctx.wasm, false),
    batched('twin tryTakeBatch (10,000 handles)', ctx.twin, false),
  ], ctx.settings, 'takes/s')
  const clockResults = runTasks('limiter', [
    tokenBucket,
    perCallClock('wasm tryTake(peer, performance.now())', ctx.wasm),
    perCallClock('twin tryTake(peer, performance.now())', ctx.twin),
    batched('wasm tryTakeBatch, performance.now() a batch', ctx.wasm, true),
    clockAlone,
  ], ctx.settings, 'takes/s')
  const frameResults = runTasks('limiter', [
    perFrame(`wasm ${FRAME} tryTake a frame`, ctx.wasm, false),
    perFrame('wasm tokens() + one tryTake(k) a frame', ctx.wasm, true),
    perFrame(`twin ${FRAME} tryTake a frame`, ctx.twin, false),
    perFrame('twin tokens() + one tryTake(k) a frame', ctx.twin, true),
  ], ctx.settings, 'takes/s')
  for (const limiter of limiters) limiter.free()
  // What one clock read costs, for the notes.
  const clockNs = (1e9 / (clockResults.find((r) => r.name === 'performance.now() alone')?.itemsPerSec ?? Number.NaN)).toFixed(0)

  const sameClock = 'both read performance.now() per call: the bucket arithmetic and WebAssembly, on equal terms'
  return {
    id: 'limiter',
    title: `RateLimiter: ${PEERS} peers round robin, ${CALLS.toLocaleString('en-US')} takes per iteration`,
    notes: [
      `Both limiters: ${RATE_PER_SEC.toExponential(0)} tokens/s and a burst of ${BURST.toExponential(0)} per peer, so every take succeeds ` +
        '(checked: the success count is 1,000,000 every iteration) and both run their refill arithmetic on every call.',
      'Given the time: ours is told the time, as the node does (PeerSession reads its Clock once per frame); virtual time advances 1 ms per round of 100 peers ' +
        `(per call) or per batch of ${BATCH.toLocaleString('en-US')} handles (tryTakeBatch: a Uint32Array of the 100 peers repeated; its rate is per handle).`,
      `Reading the clock: TokenBucket reads performance.now() inside every tryRemoveTokens (about ${clockNs} ns a read here, the "performance.now() alone" row), ` +
        'so against ours given the time it mostly measures that read. For equal terms ours reads performance.now() per call too; ' +
        'tryTakeBatch reads it once per batch, which is what a batch buys. The per-call target is on equal terms.',
      'WebAssembly does not pay per call, so that ratio has no target: one tryTake is a few nanoseconds of arithmetic, about what the crossing costs, ' +
        'so wasm and twin should run alike (compare the first two rows); it pays through tryTakeBatch, where one crossing serves 10,000 handles.',
      `Call site: the node takes once per message as it decodes a frame (src/peers/peer-session.ts, receiveFrame). Frames of ${FRAME} messages, each from one peer, ` +
        `one time per frame: ${FRAME} tryTake calls, or tokens() and one tryTake(k) for the k = min(${FRAME}, tokens) messages that would pass one by one (the same ones).`,
    ],
    tables: [
      resultTable('Given the time', 'takes/s', givenResults),
      resultTable('Reading the clock, as TokenBucket does', 'takes/s', clockResults),
      resultTable(`At the node's call site: frames of ${FRAME} messages from one peer`, 'takes/s', frameResults),
    ],
    ratios: [
      ratioOf(givenResults, 'wasm tryTake', 'twin tryTake', {
        label: 'limiter tryTake per call: wasm vs twin', measures: WASM_VS_TWIN,
        noTarget: 'WebAssembly does not pay per call: one crossing costs about what it saves; the twin serves as well',
      }),
      ratioOf(givenResults, 'wasm tryTakeBatch (10,000 handles)', 'twin tryTakeBatch (10,000 handles)', {
        label: 'limiter tryTakeBatch: wasm vs twin', measures: WASM_VS_TWIN, target: PAYS,
      }),
      ratioOf(clockResults, 'wasm tryTake(peer, performance.now())', 'twin tryTake(peer, performance.now())', {
        label: 'limiter tryTake reading the clock per call: wasm vs twin', measures: WASM_VS_TWIN,
      }),
      ratioOf(frameResults, 'wasm tokens() + one tryTake(k) a frame', 'twin tokens() + one tryTake(k) a frame', {
        label: `limiter per frame of ${FRAME}, tokens() + one tryTake(k): wasm vs twin`, measures: WASM_VS_TWIN,
      }),
      ratioOf(clockResults, 'wasm tryTake(peer, performance.now())', 'limiter TokenBucket.tryRemoveTokens(1)', {
        label: 'limiter: wasm tryTake vs TokenBucket, both reading the clock', measures: sameClock, target: 3,
      }),
      ratioOf(clockResults, 'wasm tryTakeBatch, performance.now() a batch', 'limiter TokenBucket.tryRemoveTokens(1)', {
        label: 'limiter: wasm tryTakeBatch vs TokenBucket', measures: 'both read performance.now(), ours once a batch of 10,000: batching, the arithmetic and WebAssembly', target: 10,
      }),
      ratioOf(clockResults, 'twin tryTake(peer, performance.now())', 'limiter TokenBucket.tryRemoveTokens(1)', {
        label: 'limiter: twin tryTake vs TokenBucket, both reading the clock', measures: 'the bucket arithmetic alone, both JavaScript, the same clock read',
      }),
      ratioOf([...givenResults, ...clockResults], 'wasm tryTake', 'limiter TokenBucket.tryRemoveTokens(1)', {
        label: 'limiter: wasm tryTake given the time vs TokenBucket', measures: 'mostly TokenBucket\'s performance.now() read per call, which ours is spared',
      }),
      ratioOf(frameResults, 'wasm tokens() + one tryTake(k) a frame', `wasm ${FRAME} tryTake a frame`, {
        label: `limiter at the call site (wasm): tokens() + one tryTake(k) vs ${FRAME} tryTake a frame`, measures: `batching at the call site: 2 crossings a frame instead of ${FRAME}`,
      }),
    ],
  }
}
