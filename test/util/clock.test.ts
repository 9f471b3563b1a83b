import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ClockError, ManualClock, systemClock, type TimerHandle } from '../../src/util/clock.js'

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(ClockError)
    return (error as ClockError).code
  }
  return undefined
}

describe('ManualClock', () => {
  it('starts at the given time and moves only when advanced', () => {
    const clock = new ManualClock(1_000)
    expect(clock.now()).toBe(1_000)
    clock.advance(250)
    expect(clock.now()).toBe(1_250)
    clock.advanceTo(2_000)
    expect(clock.now()).toBe(2_000)
    expect(new ManualClock().now()).toBe(0)
  })

  it('runs due timers in time order, equal times in scheduling order, each at its own time', () => {
    const clock = new ManualClock()
    const log: string[] = []
    const at = (name: string) => () => log.push(`${name}@${clock.now()}`)
    clock.setTimeout(at('c'), 30)
    clock.setTimeout(at('a1'), 10)
    clock.setTimeout(at('b'), 20)
    clock.setTimeout(at('a2'), 10)
    clock.setTimeout(at('zero'), 0)
    expect(clock.advance(25)).toBe(4)
    expect(log).toEqual(['zero@0', 'a1@10', 'a2@10', 'b@20'])
    expect(clock.now()).toBe(25)
    expect(clock.pending).toBe(1)
    clock.advance(5)
    expect(log.at(-1)).toBe('c@30')
  })

  it('runs timers scheduled during an advance when they fall inside the window, and no others', () => {
    const clock = new ManualClock()
    const log: string[] = []
    clock.setTimeout(() => {
      log.push(`outer@${clock.now()}`)
      clock.setTimeout(() => {
        log.push(`inner@${clock.now()}`)
        clock.setTimeout(() => log.push(`late@${clock.now()}`), 100)
      }, 5)
      clock.setTimeout(() => log.push(`now@${clock.now()}`), 0)
    }, 10)
    clock.advance(20)
    expect(log).toEqual(['outer@10', 'now@10', 'inner@15'])
    expect(clock.pending).toBe(1)
    expect(clock.nextTimerAt).toBe(115)
  })

  it('a timer scheduled at the current time after others at that time runs after them (FIFO)', () => {
    const clock = new ManualClock()
    const log: number[] = []
    clock.setTimeout(() => {
      log.push(1)
      clock.setTimeout(() => log.push(3), 0)
    }, 5)
    clock.setTimeout(() => log.push(2), 5)
    clock.advance(5)
    expect(log).toEqual([1, 2, 3])
  })

  it('clearTimeout before firing cancels; after firing, twice, or with a bogus handle it does nothing', () => {
    const clock = new ManualClock()
    let fired = 0
    const cancelled = clock.setTimeout(() => fired += 100, 10)
    const kept = clock.setTimeout(() => fired++, 10)
    clock.clearTimeout(cancelled)
    clock.clearTimeout(cancelled)
    for (const bogus of [{}, 0, -1, 1e300, Number.NaN, undefined]) clock.clearTimeout(bogus as unknown as TimerHandle)
    expect(clock.pending).toBe(1)
    clock.advance(10)
    expect(fired).toBe(1)
    clock.clearTimeout(kept)
    expect(clock.pending).toBe(0)
  })

  it('a stale handle never cancels the timer that reuses its slot', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    const first = clock.setTimeout(() => fired.push('first'), 1)
    clock.advance(1)
    // The next timer takes the freed slot; clearing the old handle must not touch it.
    const second = clock.setTimeout(() => fired.push('second'), 1)
    clock.clearTimeout(first)
    clock.clearTimeout(second)
    const third = clock.setTimeout(() => fired.push('third'), 1)
    clock.clearTimeout(second)
    clock.clearTimeout(first)
    clock.advance(1)
    expect(fired).toEqual(['first', 'third'])
    expect(third).not.toBe(first)
    expect(clock.pending).toBe(0)
  })

  it('handles are truthy numbers, so `if (handle)` checks work', () => {
    const clock = new ManualClock()
    for (let i = 0; i < 5; i++) {
      const handle = clock.setTimeout(() => {}, i)
      expect(Boolean(handle)).toBe(true)
      clock.clearTimeout(handle)
    }
  })

  it('a timer can cancel one due at the same instant', () => {
    const clock = new ManualClock()
    let ran = false
    let second: TimerHandle | undefined
    clock.setTimeout(() => clock.clearTimeout(second as TimerHandle), 10)
    second = clock.setTimeout(() => (ran = true), 10)
    clock.advance(10)
    expect(ran).toBe(false)
    expect(clock.pending).toBe(0)
  })

  it('treats a negative delay as 0 and refuses NaN and Infinity', () => {
    const clock = new ManualClock(50)
    let ranAt = -1
    clock.setTimeout(() => (ranAt = clock.now()), -20)
    clock.advance(0)
    expect(ranAt).toBe(50)
    expect(codeOf(() => clock.setTimeout(() => {}, Number.NaN))).toBe('CLOCK_INVALID_DELAY')
    expect(codeOf(() => clock.setTimeout(() => {}, Infinity))).toBe('CLOCK_INVALID_DELAY')
    expect(clock.pending).toBe(0)
  })

  it('a positive delay too small to change a large time still fires strictly later, so "wait for the rest" loops end', () => {
    const clock = new ManualClock(1_000_000.123456)
    const deadline = clock.now() + 15_000.1
    let fired = 0
    // Re-arm for what is left until `deadline`, the way a keepalive does; float rounding can
    // leave a remainder far below the spacing of doubles near the current time.
    const tick = () => {
      fired++
      if (clock.now() < deadline) clock.setTimeout(tick, deadline - clock.now())
    }
    clock.setTimeout(tick, 1e-12)
    expect(clock.nextTimerAt).toBeGreaterThan(clock.now())
    clock.advanceTo(deadline + 1)
    expect(fired).toBeLessThan(10)
    expect(clock.pending).toBe(0)
  })

  it('refuses to go backwards, to advance by a bad amount, or to start at a bad time', () => {
    const clock = new ManualClock(100)
    expect(codeOf(() => clock.advanceTo(99))).toBe('CLOCK_INVALID_TIME')
    expect(codeOf(() => clock.advance(-1))).toBe('CLOCK_INVALID_TIME')
    expect(codeOf(() => clock.advance(Number.NaN))).toBe('CLOCK_INVALID_TIME')
    expect(codeOf(() => clock.advanceTo(Infinity))).toBe('CLOCK_INVALID_TIME')
    expect(codeOf(() => new ManualClock(-1))).toBe('CLOCK_INVALID_TIME')
    expect(clock.now()).toBe(100)
  })

  it('cannot be advanced from inside its own timer', () => {
    const clock = new ManualClock()
    let code: string | undefined
    clock.setTimeout(() => (code = codeOf(() => clock.advance(1))), 1)
    clock.setTimeout(() => {}, 5)
    clock.advance(1)
    expect(code).toBe('CLOCK_REENTRANT')
    expect(clock.advance(10)).toBe(1)
  })

  it('runNext() jumps to the earliest timer; runAll() drains and catches runaway periodic timers', () => {
    const clock = new ManualClock()
    expect(clock.runNext()).toBe(false)
    const log: number[] = []
    clock.setTimeout(() => log.push(clock.now()), 40)
    clock.setTimeout(() => log.push(clock.now()), 7)
    expect(clock.runNext()).toBe(true)
    expect(clock.now()).toBe(7)
    expect(clock.runAll()).toBe(1)
    expect(log).toEqual([7, 40])
    const tick = () => { clock.setTimeout(tick, 1) }
    tick()
    expect(codeOf(() => clock.runAll(1_000))).toBe('CLOCK_RUNAWAY')
    expect(clock.now()).toBe(1_040)
  })

  it('a throwing timer stops the advance at its time and leaves the rest scheduled', () => {
    const clock = new ManualClock()
    const log: number[] = []
    clock.setTimeout(() => log.push(1), 1)
    clock.setTimeout(() => { throw new Error('boom') }, 2)
    clock.setTimeout(() => log.push(3), 3)
    expect(() => clock.advance(10)).toThrow('boom')
    expect(clock.now()).toBe(2)
    expect(clock.pending).toBe(1)
    clock.advance(8)
    expect(log).toEqual([1, 3])
    expect(clock.now()).toBe(10)
  })

  it('handles 200,000 timers with interleaved cancels in order, and leaves none behind', () => {
    const clock = new ManualClock()
    const count = 200_000
    const handles: TimerHandle[] = []
    let last = -1
    let lastSeq = -1
    let ran = 0
    let outOfOrder = 0
    for (let i = 0; i < count; i++) {
      // Many equal times (1,000 distinct), so the FIFO tie-break is exercised hard.
      const time = (i * 7_919) % 1_000
      const seq = i
      handles.push(clock.setTimeout(() => {
        if (time < last || (time === last && seq < lastSeq)) outOfOrder++
        last = time
        lastSeq = seq
        ran++
      }, time))
    }
    for (let i = 0; i < count; i += 3) clock.clearTimeout(handles[i])
    expect(clock.pending).toBe(count - Math.ceil(count / 3))
    // How long the advance takes is reported by bench/clock.ts (npm run bench), not judged here.
    expect(clock.advance(1_000)).toBe(count - Math.ceil(count / 3))
    expect(outOfOrder).toBe(0)
    expect(ran).toBe(count - Math.ceil(count / 3))
    expect(clock.pending).toBe(0)
  })

  it('property: fires exactly the uncancelled timers, sorted by (time, scheduling order)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ delay: fc.integer({ min: -5, max: 50 }), cancel: fc.boolean(), nested: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }) }), { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 }),
        (specs, steps) => {
          const clock = new ManualClock()
          const fired: Array<[number, number]> = []
          const expected: Array<[number, number, number]> = []
          let seq = 0
          const schedule = (delay: number, id: number, nested: number | undefined) => {
            const mySeq = seq++
            const time = clock.now() + Math.max(0, delay)
            expected.push([time, mySeq, id])
            return clock.setTimeout(() => {
              fired.push([clock.now(), id])
              if (nested !== undefined) schedule(nested, id + 1_000, undefined)
            }, delay)
          }
          const handles = specs.map((spec, id) => schedule(spec.delay, id, spec.nested))
          const cancelled = new Set<number>()
          specs.forEach((spec, id) => {
            if (spec.cancel) {
              clock.clearTimeout(handles[id])
              cancelled.add(id)
            }
          })
          for (const step of steps) clock.advance(step)
          const end = clock.now()
          const want = expected
            .filter(([time, , id]) => !cancelled.has(id) && time <= end)
            .sort((a, b) => a[0] - b[0] || a[1] - b[1])
            .map(([time, , id]) => [time, id])
          expect(fired).toEqual(want)
        },
      ),
      { numRuns: 300 },
    )
  })
})

describe('systemClock', () => {
  it('reads epoch milliseconds close to Date.now(), monotonically', () => {
    const a = systemClock.now()
    const b = systemClock.now()
    expect(b).toBeGreaterThanOrEqual(a)
    // Not a speed bound: the reads are microseconds apart, and 1 s only tells epoch
    // milliseconds from a wrong origin or unit (performance.now() alone, or seconds).
    expect(Math.abs(a - Date.now())).toBeLessThan(1_000)
  })

  it('fires a timer after its delay, and a cleared one never', async () => {
    const started = systemClock.now()
    let cancelledRan = false
    const cancelled = systemClock.setTimeout(() => (cancelledRan = true), 5)
    systemClock.clearTimeout(cancelled)
    const firedAt = await new Promise<number>((resolve) => systemClock.setTimeout(() => resolve(systemClock.now()), 20))
    expect(firedAt - started).toBeGreaterThanOrEqual(15)
    expect(cancelledRan).toBe(false)
  })

  it('accepts a delay beyond the platform cap and clears it (no immediate fire)', async () => {
    let ran = false
    const handle = systemClock.setTimeout(() => (ran = true), 2 ** 32)
    await new Promise((resolve) => setTimeout(resolve, 20))
    systemClock.clearTimeout(handle)
    expect(ran).toBe(false)
    expect(codeOf(() => systemClock.setTimeout(() => {}, Number.NaN))).toBe('CLOCK_INVALID_DELAY')
  })
})
