import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BatchedTimers } from '../../src/util/batched-timers.js'
import { ClockError, ManualClock, systemClock } from '../../src/util/clock.js'

describe('BatchedTimers', () => {
  it('puts timers with one deadline on one clock timer and runs them in the order armed', () => {
    const clock = new ManualClock(100)
    const timers = new BatchedTimers(clock)
    const fired: string[] = []
    for (const name of ['a', 'b', 'c']) timers.setTimeout(() => fired.push(name), 2)
    timers.setTimeout(() => fired.push('later'), 5)
    expect(timers.pending).toBe(4)
    expect(timers.clockTimers).toBe(2)
    expect(clock.pending).toBe(2)
    expect(clock.runNext()).toBe(true)
    expect(fired).toEqual(['a', 'b', 'c'])
    expect(clock.now()).toBe(102)
    clock.runAll()
    expect(fired).toEqual(['a', 'b', 'c', 'later'])
    expect(timers.pending).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('keeps deadlines apart: a timer armed later in virtual time is a batch of its own', () => {
    const clock = new ManualClock()
    const timers = new BatchedTimers(clock)
    const fired: number[] = []
    timers.setTimeout(() => fired.push(clock.now()), 2)
    clock.advance(1)
    timers.setTimeout(() => fired.push(clock.now()), 2)
    expect(clock.pending).toBe(2)
    clock.runAll()
    expect(fired).toEqual([2, 3])
  })

  it('clears one timer of a batch, and the clock timer with the last of them', () => {
    const clock = new ManualClock()
    const timers = new BatchedTimers(clock)
    const fired: string[] = []
    const a = timers.setTimeout(() => fired.push('a'), 2)
    const b = timers.setTimeout(() => fired.push('b'), 2)
    timers.clearTimeout(a)
    timers.clearTimeout(a)
    expect(timers.pending).toBe(1)
    expect(clock.pending).toBe(1)
    timers.clearTimeout(b)
    expect(clock.pending).toBe(0)
    expect(timers.clockTimers).toBe(0)
    clock.runAll()
    expect(fired).toEqual([])
  })

  it('ignores handles that are not its own, fired or cleared', () => {
    const clock = new ManualClock()
    const timers = new BatchedTimers(clock)
    const other = new BatchedTimers(clock).setTimeout(() => {}, 1)
    let count = 0
    const handle = timers.setTimeout(() => count++, 1)
    for (const stranger of [undefined, null, 7, {}, { deadline: 1 }, clock.setTimeout(() => {}, 1)]) timers.clearTimeout(stranger)
    clock.runAll()
    timers.clearTimeout(handle)
    timers.clearTimeout(other)
    expect(count).toBe(1)
    expect(timers.pending).toBe(0)
  })

  it('lets a callback clear a later timer of its own batch', () => {
    const clock = new ManualClock()
    const timers = new BatchedTimers(clock)
    const fired: string[] = []
    timers.setTimeout(() => {
      fired.push('a')
      timers.clearTimeout(b)
    }, 2)
    const b = timers.setTimeout(() => fired.push('b'), 2)
    timers.setTimeout(() => fired.push('c'), 2)
    clock.runAll()
    expect(fired).toEqual(['a', 'c'])
    expect(timers.pending).toBe(0)
  })

  it('runs a timer a callback arms for the same instant after the batch, on a clock timer of its own', () => {
    const clock = new ManualClock()
    const timers = new BatchedTimers(clock)
    const fired: string[] = []
    timers.setTimeout(() => {
      fired.push('a')
      timers.setTimeout(() => fired.push('armed while firing'), 0)
    }, 0)
    timers.setTimeout(() => fired.push('b'), 0)
    clock.setTimeout(() => fired.push('clock timer armed before'), 0)
    clock.runAll()
    expect(fired).toEqual(['a', 'b', 'clock timer armed before', 'armed while firing'])
  })

  it('loses none of a batch when one callback throws: the error surfaces, the rest run next', () => {
    const clock = new ManualClock()
    const timers = new BatchedTimers(clock)
    const fired: string[] = []
    timers.setTimeout(() => fired.push('a'), 1)
    timers.setTimeout(() => {
      throw new Error('boom')
    }, 1)
    const c = timers.setTimeout(() => fired.push('c'), 1)
    timers.setTimeout(() => fired.push('d'), 1)
    expect(() => clock.runNext()).toThrow('boom')
    expect(fired).toEqual(['a'])
    expect(timers.pending).toBe(2)
    timers.clearTimeout(c)
    clock.runAll()
    expect(fired).toEqual(['a', 'd'])
    expect(clock.pending).toBe(0)
  })

  it('leaves no clock timer behind when the rest of a thrown batch is cleared', () => {
    const clock = new ManualClock()
    const timers = new BatchedTimers(clock)
    timers.setTimeout(() => {
      throw new Error('boom')
    }, 1)
    const rest = timers.setTimeout(() => {}, 1)
    expect(() => clock.runNext()).toThrow('boom')
    expect(clock.pending).toBe(1)
    timers.clearTimeout(rest)
    expect(clock.pending).toBe(0)
  })

  it('refuses NaN and infinite delays as the clock does, and takes a negative one as 0', () => {
    const timers = new BatchedTimers(new ManualClock())
    for (const bad of [Number.NaN, Infinity]) {
      expect(() => timers.setTimeout(() => {}, bad)).toThrow(ClockError)
      try {
        timers.setTimeout(() => {}, bad)
      } catch (error) {
        expect((error as ClockError).code).toBe('CLOCK_INVALID_DELAY')
      }
    }
    expect(timers.setTimeout(() => {}, -5).deadline).toBe(0)
    expect(timers.pending).toBe(1)
  })

  it('fires each timer once, at its deadline, in (deadline, arming) order, whatever the arms and clears', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.integer({ min: 0, max: 5 }), delay: fc.integer({ min: 0, max: 4 }), clearOne: fc.boolean() }), { maxLength: 40 }), (steps) => {
        const clock = new ManualClock()
        const timers = new BatchedTimers(clock)
        const fired: { id: number; at: number }[] = []
        const expected: { id: number; deadline: number }[] = []
        const live = new Map<number, unknown>()
        let now = 0
        steps.forEach((step, id) => {
          now += step.at
          clock.advanceTo(now)
          if (step.clearOne && live.size > 0) {
            const [victim, handle] = live.entries().next().value as [number, unknown]
            timers.clearTimeout(handle)
            live.delete(victim)
            expected.splice(expected.findIndex((e) => e.id === victim), 1)
          }
          live.set(id, timers.setTimeout(() => {
            live.delete(id)
            fired.push({ id, at: clock.now() })
          }, step.delay))
          expected.push({ id, deadline: now + step.delay })
        })
        clock.runAll()
        expected.sort((a, b) => a.deadline - b.deadline || a.id - b.id)
        expect(fired).toEqual(expected.map((e) => ({ id: e.id, at: e.deadline })))
        expect(timers.pending).toBe(0)
        expect(clock.pending).toBe(0)
      }),
    )
  })

  it('works on the system clock', async () => {
    const timers = new BatchedTimers(systemClock)
    const fired = await new Promise<string[]>((resolve) => {
      const order: string[] = []
      timers.setTimeout(() => order.push('first'), 1)
      timers.setTimeout(() => resolve([...order, 'second']), 5)
    })
    expect(fired).toEqual(['first', 'second'])
    expect(timers.pending).toBe(0)
  })
})
