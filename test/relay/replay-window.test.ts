import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { REPLAY_WINDOW_SEQS, ReplayWindows } from '../../src/relay/replay-window.js'

const W = BigInt(REPLAY_WINDOW_SEQS)
/** The age limit the tables below are made with, and the time and timestamp of the sequence tests (all inside it). */
const AGE = 120_000
const NOW = 1_000_000
const T = NOW - 1

/** The obvious model: every accepted seq in a set, and the highest one. */
class Model {
  private readonly origins = new Map<bigint, { highest: bigint; seen: Set<bigint> }>()

  accept(origin: bigint, seq: bigint): 'new' | 'replayed' {
    const state = this.origins.get(origin)
    if (state === undefined) {
      this.origins.set(origin, { highest: seq, seen: new Set([seq]) })
      return 'new'
    }
    const isFresh = seq > state.highest || (state.highest - seq < W && !state.seen.has(seq))
    if (!isFresh) return 'replayed'
    state.seen.add(seq)
    if (seq > state.highest) state.highest = seq
    return 'new'
  }

  highestOf(origin: bigint): bigint | undefined {
    return this.origins.get(origin)?.highest
  }
}

/** The ring the window is cleared in: the window's words plus the one its bottom leaves. */
const RING_SEQS = W + 32n

describe('ReplayWindows', () => {
  it('accepts a sequence number once, out of order within the window, and refuses what is below it', () => {
    const windows = new ReplayWindows(10, AGE)
    expect(windows.accept(1n, 5_000n, T, NOW)).toBe('new')
    expect(windows.accept(1n, 5_000n, T, NOW)).toBe('replayed')
    expect(windows.accept(1n, 4_990n, T, NOW)).toBe('new') // late, inside the window
    expect(windows.check(1n, 4_990n, T)).toBe('replayed')
    expect(windows.accept(1n, 5_000n - W + 1n, T, NOW)).toBe('new') // the window's bottom
    expect(windows.accept(1n, 5_000n - W, T, NOW)).toBe('replayed') // just below it: too old to tell
    expect(windows.accept(2n, 4_990n, T, NOW)).toBe('new') // another origin has its own window
    expect(windows.accept(1n, 1_000_000n, T, NOW)).toBe('new') // a leap clears the window
    expect(windows.accept(1n, 1_000_000n - 1n, T, NOW)).toBe('new')
    expect(windows.accept(1n, 5_000n, T, NOW)).toBe('replayed')
  })

  it('a seq in the word the window has just moved into is new, not refused by the bits of the word it reuses', () => {
    const windows = new ReplayWindows(10, AGE)
    expect(windows.accept(1n, 0n, T, NOW)).toBe('new')
    expect(windows.accept(1n, 1_024n, T, NOW)).toBe('new')
    // Word 33 reuses word 0's place in the ring; sliding into it must clear seq 0's bit.
    expect(windows.accept(1n, 1_057n, T, NOW)).toBe('new')
    expect(windows.check(1n, 1_056n, T)).toBe('new')
    expect(windows.accept(1n, 1_056n, T, NOW)).toBe('new')
    expect(windows.accept(1n, 1_056n, T, NOW)).toBe('replayed')
  })

  it('keeps telling a whole window apart: every seq of the window is refused once accepted, and a word slid out is forgotten', () => {
    const windows = new ReplayWindows(1, AGE)
    const top = 10n * W + 31n // the top of a word, so the window covers exactly 32 words
    for (let seq = top - W + 1n; seq <= top; seq++) expect(windows.accept(7n, seq, T, NOW)).toBe('new')
    for (let seq = top - W + 1n; seq <= top; seq++) expect(windows.check(7n, seq, T), `seq ${seq}`).toBe('replayed')
    // One word up: the word that falls out of the window is cleared for reuse, the rest still refused.
    expect(windows.accept(7n, top + 32n, T, NOW)).toBe('new')
    for (let seq = top - W + 33n; seq <= top; seq++) expect(windows.check(7n, seq, T), `seq ${seq}`).toBe('replayed')
    for (let seq = top + 1n; seq < top + 32n; seq++) expect(windows.check(7n, seq, T), `seq ${seq}`).toBe('new')
  })

  it('a reused slot starts clean: the evicted origin\'s seqs are new for the origin that takes its slot', () => {
    // Two slots; a is refreshed, so c takes b's slot (slot 1) and d then takes a's (slot 0).
    // c and d come after a and b are past the age limit, so forgetting them raises no floor.
    const later = NOW + AGE + 1
    const windows = new ReplayWindows(2, AGE)
    for (const origin of [1n, 2n]) for (const seq of [3n, 5n, 9n]) windows.accept(origin, seq, T, NOW)
    windows.accept(1n, 10n, T, NOW)
    expect(windows.accept(3n, 20n, later, later)).toBe('new')
    expect(windows.check(2n, 9n, T)).toBe('new') // b is forgotten
    for (const seq of [3n, 5n, 9n]) expect(windows.check(3n, seq, later), `c seq ${seq}`).toBe('new')
    expect(windows.accept(4n, 20n, later, later)).toBe('new')
    for (const seq of [3n, 5n, 9n, 10n]) expect(windows.check(4n, seq, later), `d seq ${seq}`).toBe('new')
    expect(windows.floor.evictedYoung).toBe(0)
    expect(windows.floor.floorMs).toBe(-Infinity)
  })

  it('grows by doubling as origins arrive, up to maxOrigins slots, and every origin keeps its window', () => {
    const windows = new ReplayWindows(40, AGE)
    // A slot: its u64 highest seq, a ring of the window's 32 words plus the one it leaves, and its f64 newest timestamp.
    const slotBytes = (slots: number) => slots * (8 + (REPLAY_WINDOW_SEQS / 32 + 1) * 4 + 8)
    expect(windows.byteLength).toBe(slotBytes(16))
    for (let origin = 0n; origin < 17n; origin++) windows.accept(origin, 100n + origin, T, NOW)
    expect(windows.byteLength).toBe(slotBytes(32))
    for (let origin = 17n; origin < 40n; origin++) windows.accept(origin, 100n + origin, T, NOW)
    expect(windows.byteLength).toBe(slotBytes(40)) // capped at maxOrigins, not 64
    expect(windows.size).toBe(40)
    for (let origin = 0n; origin < 40n; origin++) {
      expect(windows.check(origin, 100n + origin, T), `origin ${origin}`).toBe('replayed')
      expect(windows.check(origin, 99n + origin, T), `origin ${origin}`).toBe('new')
    }
  })

  it('clear() forgets every origin and works as new afterwards', () => {
    const windows = new ReplayWindows(40, AGE)
    for (let origin = 0n; origin < 20n; origin++) windows.accept(origin, 5n, T, NOW)
    windows.clear()
    expect(windows.size).toBe(0)
    expect(windows.byteLength).toBe(new ReplayWindows(40, AGE).byteLength)
    expect(windows.check(3n, 5n, T)).toBe('new')
    for (let origin = 0n; origin < 20n; origin++) expect(windows.accept(origin, 5n, T, NOW)).toBe('new')
    for (let origin = 0n; origin < 20n; origin++) expect(windows.accept(origin, 5n, T, NOW)).toBe('replayed')
  })

  it('check() changes nothing', () => {
    const windows = new ReplayWindows(10, AGE)
    expect(windows.check(1n, 9n, T)).toBe('new')
    expect(windows.size).toBe(0)
    windows.accept(1n, 9n, T, NOW)
    expect(windows.check(1n, 100_000n, T)).toBe('new')
    expect(windows.accept(1n, 8n, T, NOW)).toBe('new') // the check above did not move the window
  })

  it('keeps at most maxOrigins origins, forgetting the least recently accepted; one still inside its age window leaves a floor, so its messages come back forgotten, never new', () => {
    const windows = new ReplayWindows(3, AGE)
    for (let origin = 1n; origin <= 3n; origin++) windows.accept(origin, 10n, T - 10 + Number(origin), NOW)
    windows.accept(1n, 11n, T, NOW) // origin 1 is now the most recent
    windows.accept(4n, 10n, T, NOW) // evicts origin 2, whose newest timestamp is T - 8
    expect(windows.size).toBe(3)
    expect(windows.check(1n, 10n, T)).toBe('replayed')
    expect(windows.check(3n, 10n, T)).toBe('replayed')
    expect(windows.check(4n, 10n, T)).toBe('replayed')
    expect(windows.floor.evictedYoung).toBe(1)
    expect(windows.floor.floorMs).toBe(T - 8)
    // Origin 2's message, replayed: refused, at the floor and below it.
    expect(windows.check(2n, 10n, T - 8)).toBe('forgotten')
    expect(windows.accept(2n, 10n, T - 8, NOW)).toBe('forgotten')
    expect(windows.check(2n, 9n, T - 9)).toBe('forgotten')
    // Newer than the floor: taken, as any origin's first message is.
    expect(windows.check(2n, 12n, T - 7)).toBe('new')
    expect(windows.size).toBe(3) // the refusals above allocated nothing
    // Fresh origins, each a millisecond newer: each pushes one out and raises the floor to it.
    for (let origin = 5n; origin < 1_000n; origin++) expect(windows.accept(origin, origin, T + Number(origin), NOW)).toBe('new')
    expect(windows.size).toBe(3)
    expect(windows.floor.evictedYoung).toBe(1 + 995)
    expect(windows.floor.floorMs).toBe(T + 996)
    // One signed no later than the last pushed out is refused, whoever it claims to be.
    expect(windows.accept(1_000n, 1n, T + 996, NOW)).toBe('forgotten')
  })

  it('forgets an origin whose newest message is past the age limit without raising the floor: exactly at the limit it still counts as young', () => {
    for (const [ageMs, isYoung] of [[AGE, true], [AGE + 1, false]] as const) {
      const windows = new ReplayWindows(1, AGE)
      windows.accept(1n, 5n, NOW, NOW)
      windows.accept(1n, 4n, NOW - 50, NOW + 10) // an older timestamp does not lower the newest
      expect(windows.accept(2n, 5n, NOW + ageMs, NOW + ageMs)).toBe('new')
      expect(windows.floor.evictedYoung, `age ${ageMs}`).toBe(isYoung ? 1 : 0)
      expect(windows.floor.floorMs, `age ${ageMs}`).toBe(isYoung ? NOW : -Infinity)
      expect(windows.check(1n, 5n, NOW), `age ${ageMs}`).toBe(isYoung ? 'forgotten' : 'new')
    }
  })

  it('the floor applies only to origins not held: a held origin is judged by its window alone', () => {
    const windows = new ReplayWindows(2, AGE)
    windows.accept(1n, 1n, NOW, NOW)
    windows.accept(2n, 1n, NOW, NOW)
    windows.accept(3n, 1n, NOW + 5, NOW) // pushes out origin 1 young: floor NOW
    expect(windows.floor.floorMs).toBe(NOW)
    expect(windows.check(2n, 2n, NOW - 100)).toBe('new')
    expect(windows.accept(2n, 2n, NOW - 100, NOW)).toBe('new')
    expect(windows.check(9n, 1n, NOW)).toBe('forgotten')
    expect(windows.check(9n, 1n, NOW + 1)).toBe('new')
    windows.clear()
    expect(windows.floor.floorMs).toBe(-Infinity)
    expect(windows.check(1n, 1n, NOW)).toBe('new')
  })

  it('answers as the model does on random sequences (property)', () => {
    const op = fc.record({
      origin: fc.bigInt({ min: 1n, max: 3n }),
      // Mostly near each other, sometimes a leap, across word and ring boundaries.
      seq: fc.oneof(fc.bigInt({ min: 0n, max: 64n }), fc.bigInt({ min: 0n, max: 3n * W }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    })
    fc.assert(
      // size 'max': otherwise fast-check draws at most 10 ops, whatever maxLength says.
      fc.property(fc.array(op, { maxLength: 400, size: 'max' }), (ops) => {
        const windows = new ReplayWindows(100, AGE)
        const model = new Model()
        for (const { origin, seq } of ops) {
          const expected = model.accept(origin, seq)
          expect(windows.check(origin, seq, T)).toBe(expected)
          expect(windows.accept(origin, seq, T, NOW)).toBe(expected)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('answers as the model does with seqs drawn near the window edge (property)', () => {
    // Each seq is a move from the origin's highest: consecutive and small jumps (word
    // boundaries), late seqs around the window's bottom, and slides of about one window or one
    // ring, which move the top into a word whose place in the ring still holds old bits.
    const near = (at: bigint, spread: bigint) => fc.bigInt({ min: at - spread, max: at + spread })
    // Small moves weigh most, so the words below the top are densely marked.
    const move = fc.oneof(
      { arbitrary: fc.bigInt({ min: 1n, max: 3n }), weight: 3 },
      { arbitrary: fc.bigInt({ min: -40n, max: 40n }), weight: 3 },
      near(-W, 34n),
      fc.bigInt({ min: -W, max: 0n }),
      near(W, 40n),
      near(RING_SEQS, 40n),
    )
    const op = fc.record({ origin: fc.bigInt({ min: 1n, max: 2n }), move })
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 3n * W }), fc.array(op, { minLength: 50, maxLength: 300, size: 'max' }), (start, ops) => {
        const windows = new ReplayWindows(100, AGE)
        const model = new Model()
        for (const { origin, move } of ops) {
          const base = model.highestOf(origin) ?? start
          const seq = base + move < 0n ? 0n : base + move
          const expected = model.accept(origin, seq)
          expect(windows.check(origin, seq, T)).toBe(expected)
          expect(windows.accept(origin, seq, T, NOW)).toBe(expected)
        }
      }),
      { numRuns: 100 },
    )
  })
})
