// The targets under churn (issue 13, "Targets on this machine": delivery >= 99%, gets
// >= 95%), asserted the same way for the churn and turnover scenarios, whose measured phases
// publish and read alike (src/sim/scenarios/churn-phase.ts).

import { expect } from 'vitest'
import type { ChurnReport } from '../../src/sim/scenario-reports.js'

/** Every publish counted, delivery >= 99% with no repeats; every get counted, none wrong, >= 95% found. */
export function expectChurnTargets({ broadcast, dht }: Pick<ChurnReport, 'broadcast' | 'dht'>, messages: number, gets: number): void {
  expect(broadcast.messages).toBe(messages)
  expect(broadcast.deliveryRatio).toBeGreaterThanOrEqual(0.99)
  expect(broadcast.repeatedDeliveries).toBe(0)
  expect(dht.gets).toBe(gets)
  expect(dht.getsWrong).toBe(0)
  expect(dht.getSuccessRatio).toBeGreaterThanOrEqual(0.95)
}
