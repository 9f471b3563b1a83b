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
})
