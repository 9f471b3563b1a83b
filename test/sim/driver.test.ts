// The event driver: timers in virtual time order, every promise chain a timer starts settled
// before the next timer fires, and virtual hours that cost no wall-clock wait.

import { describe, expect, it } from 'vitest'
import { EventDriver } from '../../src/sim/driver.js'

async function chain(steps: number, log: string[], name: string): Promise<void> {
  for (let i = 0; i < steps; i++) await Promise.resolve()
  log.push(name)
}

describe('EventDriver', () => {
  it('settles the promise chain a timer starts before the next timer due at the same time fires', async () => {
    const driver = new EventDriver()
    const log: string[] = []
    driver.clock.setTimeout(() => void chain(200, log, 'chain of the first timer'), 10)
    driver.clock.setTimeout(() => log.push('second timer'), 10)
    await driver.runUntil(10)
    expect(log).toEqual(['chain of the first timer', 'second timer'])
    expect(driver.counts.timersFired).toBe(2)
  })

  it('settles each timer\'s promise chain before the next for hundreds of timers in a row, one settle turn each', async () => {
    const driver = new EventDriver()
    const log: string[] = []
    const expected: string[] = []
    for (let i = 0; i < 600; i++) {
      driver.clock.setTimeout(() => {
        log.push(`timer ${i}`)
        void chain(50, log, `chain ${i}`)
      }, i % 3)
    }
    // Time order, and the order they were set within a time.
    for (const atMs of [0, 1, 2]) for (let i = atMs; i < 600; i += 3) expected.push(`timer ${i}`, `chain ${i}`)
    await driver.runUntil(10)
    expect(log).toEqual(expected)
    // A settle before the timers, one after each, one after the clock moved to the end.
    expect(driver.counts).toEqual({ timersFired: 600, settleTurns: 602 })
  })

  it('jumps virtual time to the next timer: an hour of timers runs in order and ends at the hour', async () => {
    const driver = new EventDriver()
    const firedAt: number[] = []
    for (const atMs of [3_600_000, 60_000, 1]) driver.clock.setTimeout(() => firedAt.push(driver.clock.now()), atMs)
    await driver.runUntil(3_600_000)
    expect(firedAt).toEqual([1, 60_000, 3_600_000])
    expect(driver.clock.now()).toBe(3_600_000)
    expect(driver.counts.timersFired).toBe(3)
  })

  it('runUntil stops at the time isDone became true and leaves later timers pending', async () => {
    const driver = new EventDriver()
    let isDone = false
    driver.clock.setTimeout(() => void Promise.resolve().then(() => (isDone = true)), 500)
    driver.clock.setTimeout(() => undefined, 900)
    expect(await driver.runUntil(10_000, () => isDone)).toBe(true)
    expect(driver.clock.now()).toBe(500)
    expect(driver.clock.pending).toBe(1)
  })

  it('runPromise gives a promise at most maxMs of virtual time', async () => {
    const driver = new EventDriver()
    const late = new Promise<string>((resolve) => driver.clock.setTimeout(() => resolve('late'), 2_000))
    expect(await driver.runPromise(late, 1_000)).toBeUndefined()
    expect(await driver.runPromise(late, 1_000)).toEqual({ status: 'fulfilled', value: 'late' })
    const failing = new Promise<never>((_, reject) => driver.clock.setTimeout(() => reject(new Error('no')), 10))
    const outcome = await driver.runPromise(failing, 100)
    expect(outcome?.status).toBe('rejected')
  })

  it('reports progress when a stretch begins and ends and every progressEveryTimers timers, with the clock and counts of that moment', async () => {
    const seen: { nowMs: number; untilMs: number; timersFired: number }[] = []
    const driver: EventDriver = new EventDriver(undefined, {
      progressEveryTimers: 3,
      onProgress: (untilMs) => seen.push({ nowMs: driver.clock.now(), untilMs, timersFired: driver.counts.timersFired }),
    })
    for (let i = 1; i <= 7; i++) driver.clock.setTimeout(() => undefined, i * 10)
    await driver.runUntil(100)
    expect(seen).toEqual([
      { nowMs: 0, untilMs: 100, timersFired: 0 },
      { nowMs: 30, untilMs: 100, timersFired: 3 },
      { nowMs: 60, untilMs: 100, timersFired: 6 },
      { nowMs: 100, untilMs: 100, timersFired: 7 },
    ])
    // A stretch that ends early on isDone reports at the time it ended.
    let isDone = false
    driver.clock.setTimeout(() => (isDone = true), 50)
    seen.length = 0
    expect(await driver.runUntil(1_000, () => isDone)).toBe(true)
    expect(seen).toEqual([{ nowMs: 100, untilMs: 1_000, timersFired: 7 }, { nowMs: 150, untilMs: 1_000, timersFired: 8 }])
  })

  it('an error thrown by the progress listener ends the stretch with that error, leaving later timers pending', async () => {
    const driver: EventDriver = new EventDriver(undefined, {
      progressEveryTimers: 2,
      onProgress: () => {
        if (driver.counts.timersFired >= 2) throw new Error('interrupted')
      },
    })
    for (let i = 1; i <= 5; i++) driver.clock.setTimeout(() => undefined, i)
    await expect(driver.runUntil(10)).rejects.toThrow('interrupted')
    expect([driver.counts.timersFired, driver.clock.now(), driver.clock.pending]).toEqual([2, 2, 3])
  })

  it('progressEveryTimers must be a positive integer', () => {
    expect(() => new EventDriver(undefined, { progressEveryTimers: 0 })).toThrow(/progressEveryTimers must be an integer from 1/)
  })
})
