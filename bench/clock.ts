// ManualClock under the simulator's load: 200,000 timers over 1,000 distinct times (so
// most share their time with others), a third of them cancelled, then one advance that fires
// the rest in order. test/util/clock.test.ts checks the order on the same workload; the
// time it takes is reported here, against the 2 s the test once allowed.

import { ManualClock, type TimerHandle } from '../src/util/clock.js'
import { budgetRatio, budgetTable, type Budget } from './budget.js'
import { runTasks, type Context } from './harness.js'
import type { Section } from './report.js'

const TIMERS = 200_000
const FIRED = TIMERS - Math.ceil(TIMERS / 3)
const BUDGET_MS = 2_000

export function runClock(ctx: Context): Section {
  let clock = new ManualClock()
  let ran = 0
  const [result] = runTasks('clock', [{
    name: `advance through ${TIMERS.toLocaleString('en-US')} timers, a third cancelled`,
    items: FIRED,
    beforeEach: () => {
      clock = new ManualClock()
      const handles: TimerHandle[] = []
      for (let i = 0; i < TIMERS; i++) handles.push(clock.setTimeout(() => ran++, (i * 7_919) % 1_000))
      for (let i = 0; i < TIMERS; i += 3) clock.clearTimeout(handles[i])
      ran = 0
    },
    fn: () => {
      clock.advance(1_000)
    },
    afterEach: () => {
      if (ran !== FIRED || clock.pending !== 0) throw new Error(`advance ran ${ran} timers and left ${clock.pending}, expected ${FIRED} and 0`)
    },
  }], ctx.settings, 'timers/s')
  const budget: Budget = { result, budgetMs: BUDGET_MS }
  return {
    id: 'clock',
    title: `ManualClock: ${TIMERS.toLocaleString('en-US')} timers`,
    notes: [
      `Untimed before each iteration: a new ManualClock gets ${TIMERS.toLocaleString('en-US')} timers at (i * 7,919) mod 1,000 ms and every third is cancelled. ` +
        `Timed: one advance(1,000) that fires the other ${FIRED.toLocaleString('en-US')}; verified after each iteration that all of them ran and none is left.`,
      `Budget: ${BUDGET_MS.toLocaleString('en-US')} ms for the advance (median).`,
    ],
    tables: [budgetTable('ManualClock#advance, one per iteration', [budget])],
    ratios: [budgetRatio('clock: advance through 200,000 timers', budget)],
  }
}
