// A node's virtual processor: work charged to it runs one piece after another in virtual time.

import { describe, expect, it } from 'vitest'
import { VirtualCpu } from '../../src/sim/virtual-cpu.js'
import { ManualClock } from '../../src/util/clock.js'

describe('VirtualCpu', () => {
  it('queues work behind work: three charges at once finish one cost apart', async () => {
    const clock = new ManualClock()
    const cpu = new VirtualCpu(clock)
    const doneAt: number[] = []
    for (let i = 0; i < 3; i++) void cpu.charge(0.5).then(() => doneAt.push(clock.now()))
    // One timer at a time, promise callbacks settled after each, as the simulation's driver runs them.
    while (clock.nextTimerAt !== undefined) {
      clock.runNext()
      await Promise.resolve()
    }
    expect(doneAt).toEqual([0.5, 1, 1.5])
    expect(cpu.busyMs).toBe(1.5)
  })

  it('an idle processor starts at once: a charge after a quiet spell ends one cost after it was made', async () => {
    const clock = new ManualClock()
    const cpu = new VirtualCpu(clock)
    void cpu.charge(2)
    clock.advance(102)
    const done = cpu.charge(0.25)
    expect(clock.nextTimerAt).toBe(102.25)
    clock.advance(1)
    await done
    expect(clock.pending).toBe(0)
  })

  it('two processors do not queue behind each other', () => {
    const clock = new ManualClock()
    const a = new VirtualCpu(clock)
    const b = new VirtualCpu(clock)
    void a.charge(5)
    void b.charge(1)
    expect(clock.nextTimerAt).toBe(1)
  })
})
