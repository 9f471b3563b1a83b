// Random operation sequences on both backends and on a plain reference model (a Map of
// buckets with the documented refill formula): every answer must agree at every step, token
// counts bit for bit.

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { loadCore } from '../../src/core/load-core.js'
import { CoreError } from '../../src/core/errors.js'
import type { RateLimiter } from '../../src/core/contracts.js'

type Op =
  | { kind: 'take'; peer: number; cost: number; dt: number }
  | { kind: 'batch'; peers: number[]; cost: number; dt: number }
  | { kind: 'badBatch'; peers: number[]; dt: number }
  | { kind: 'tokens'; peer: number; dt: number }
  | { kind: 'forget'; peer: number }

class ReferenceLimiter {
  // Tokens missing from a full bucket as of `last`; an absent peer has a full bucket.
  private readonly buckets = new Map<number, { deficit: number; last: number }>()
  private now = 0
  constructor(private readonly ratePerSec: number, private readonly burst: number) {}
  advance(nowMs: number) {
    this.now = Math.max(this.now, nowMs)
  }
  private deficit(peer: number) {
    const bucket = this.buckets.get(peer)
    if (bucket === undefined) return 0
    return Math.max(0, bucket.deficit - (this.now - bucket.last) * this.ratePerSec / 1000)
  }
  tryTake(peer: number, nowMs: number, cost: number) {
    this.advance(nowMs)
    const deficit = this.deficit(peer)
    if (this.burst - deficit < cost) return false
    this.buckets.set(peer, { deficit: deficit + cost, last: this.now })
    return true
  }
  tokens(peer: number, nowMs: number) {
    this.advance(nowMs)
    return this.burst - this.deficit(peer)
  }
  forget(peer: number) {
    this.buckets.delete(peer)
  }
}

const dt = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 400 }), fc.double({ min: 0, max: 7, noNaN: true }), fc.integer({ min: -50, max: -1 }))
const rate = fc.oneof(fc.constantFrom(1, 3, 10, 100, 0.3, 1e9, 1e-9), fc.double({ min: 1e-3, max: 1e4, noNaN: true }))
const burst = fc.oneof(fc.constantFrom(1, 2, 3, 1e9), fc.double({ min: 1, max: 50, noNaN: true }))
const cost = fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, fc.constantFrom(0, 0.5, 2, 3), fc.double({ min: 0, max: 60, noNaN: true }))

function opFor(peers: number): fc.Arbitrary<Op> {
  const peer = fc.integer({ min: 0, max: peers - 1 })
  const handles = fc.array(peer, { maxLength: 12 })
  const badHandles = fc.tuple(handles, fc.integer({ min: peers, max: 2 ** 32 - 1 }), fc.nat())
    .map(([list, bad, at]) => { const copy = [...list]; copy.splice(at % (copy.length + 1), 0, bad); return copy })
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('take' as const), peer, cost, dt }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), peers: handles, cost, dt }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('badBatch' as const), peers: badHandles, dt }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('tokens' as const), peer, dt }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('forget' as const), peer }) },
  )
}

describe('RateLimiter: wasm, twin and reference model agree', () => {
  it('on random operation sequences', () => runSequences(200, 1_000))
  it('on long sequences', () => runSequences(3_000, 25))
})

async function runSequences(maxOps: number, numRuns: number) {
  const wasm = await loadCore({ backend: 'wasm' })
  const twin = await loadCore({ backend: 'js' })
  // Small tables, and ones past the 16 buckets a limiter starts with, so growth is exercised.
  const scenario = fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 17, max: 300 })).chain((peers) => fc.tuple(
    fc.constant(peers), rate, burst, fc.array(opFor(peers), { maxLength: maxOps }),
  ))
  fc.assert(
    fc.property(scenario, ([peers, ratePerSec, burstSize, ops]) => {
      const a = wasm.createRateLimiter({ ratePerSec, burst: burstSize, peers })
      const b = twin.createRateLimiter({ ratePerSec, burst: burstSize, peers })
      const model = new ReferenceLimiter(ratePerSec, burstSize)
      const both: RateLimiter[] = [a, b]
      let now = 0
      try {
        for (const step of ops) {
          if ('dt' in step) now = Math.max(0, now + step.dt)
          switch (step.kind) {
            case 'take': {
              const expected = model.tryTake(step.peer, now, step.cost)
              for (const limiter of both) expect(limiter.tryTake(step.peer, now, step.cost)).toBe(expected)
              break
            }
            case 'batch': {
              model.advance(now)
              const expected = step.peers.map((peer) => (model.tryTake(peer, now, step.cost) ? 1 : 0))
              const count = expected.reduce((sum: number, flag) => sum + flag, 0)
              for (const limiter of both) {
                const out = new Uint8Array(step.peers.length)
                expect(limiter.tryTakeBatch(Uint32Array.from(step.peers), now, out, step.cost)).toBe(count)
                expect(Array.from(out)).toEqual(expected)
              }
              break
            }
            case 'badBatch':
              for (const limiter of both) {
                expect(() => limiter.tryTakeBatch(Uint32Array.from(step.peers), now)).toThrow(CoreError)
              }
              break
            case 'tokens': {
              const expected = model.tokens(step.peer, now)
              for (const limiter of both) expect(limiter.tokens(step.peer, now)).toBe(expected)
              break
            }
            case 'forget':
              model.forget(step.peer); a.forget(step.peer); b.forget(step.peer)
              break
          }
          // The twin counts its table as the WebAssembly one does.
          expect(b.byteLength).toBe(a.byteLength)
        }
        for (let peer = 0; peer < peers; peer++) {
          const expected = model.tokens(peer, now)
          for (const limiter of both) expect(limiter.tokens(peer, now)).toBe(expected)
        }
      } finally {
        a.free()
        b.free()
      }
    }),
    { numRuns },
  )
}
