// `--expect broadcast.deliveryRatio>=0.999`: figures of the report that must hold for the
// command to exit 0. A figure the report does not have is a miss, not a pass.

import { figureAt } from './report-figures.js'
import type { Comparison, Expectation } from './sim-options.js'

const HOLDS: Record<Comparison, (actual: number, wanted: number) => boolean> = {
  '>=': (actual, wanted) => actual >= wanted,
  '<=': (actual, wanted) => actual <= wanted,
  '>': (actual, wanted) => actual > wanted,
  '<': (actual, wanted) => actual < wanted,
  '==': (actual, wanted) => actual === wanted,
}

/** What each missed expectation got, one line each; empty when all held. */
export function missedExpectations(report: object, expectations: readonly Expectation[]): string[] {
  const missed: string[] = []
  for (const { figure, comparison, value } of expectations) {
    const actual = figureAt(report, figure)
    const wanted = `${figure}${comparison}${value}`
    if (typeof actual !== 'number') missed.push(`${wanted}: the report has no number at ${figure}${actual === undefined ? '' : ` (it is ${typeof actual === 'object' ? 'an object' : JSON.stringify(actual)})`}`)
    else if (!HOLDS[comparison](actual, value)) missed.push(`${wanted}: it is ${actual}`)
  }
  return missed
}

/** What a stop left behind, one line; undefined for a clean stop. */
export function uncleanShutdown(report: { readonly shutdown: { readonly timersLeft: number; readonly connectionsLeft: number; readonly transportsLeft: number } }): string | undefined {
  const { timersLeft, connectionsLeft, transportsLeft } = report.shutdown
  return timersLeft + connectionsLeft + transportsLeft === 0 ? undefined : `the nodes' stop left ${timersLeft} timers, ${connectionsLeft} connections and ${transportsLeft} transports behind`
}
