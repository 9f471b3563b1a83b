// Time budgets: the median time of one iteration of a task against a bound it should keep.
// They were unit-test thresholds once; a time depends on how busy the machine is, so here a
// missed budget is reported, with the figure, and nothing fails. Each budget is also a Ratio
// (budget / median, target 1x), so that it joins the summary of targets in bench/index.ts;
// the verdict is the ratio's, printed only by full runs.

import { formatMs, type TaskResult } from './harness.js'
import { TIME_BUDGET, type Ratio, type Table } from './report.js'

export interface Budget {
  readonly result: TaskResult
  /** The median time one iteration should stay under, ms. */
  readonly budgetMs: number
}

/** One row a task: its median and its budget (whether it kept it is the ratio's verdict). */
export function budgetTable(caption: string, budgets: readonly Budget[]): Table {
  return {
    caption,
    headers: ['task', 'p50 per iteration', 'budget'],
    numeric: [1, 2],
    rows: budgets.map((budget) => [budget.result.name, formatMs(budget.result.p50Ms), formatMs(budget.budgetMs)]),
  }
}

/** The budget as a target line: '<label> in 6.12 ms (budget 10.00 ms): 1.63x (target >= 1x)'. */
export function budgetRatio(label: string, budget: Budget): Ratio {
  return {
    label: `${label} in ${formatMs(budget.result.p50Ms)} (budget ${formatMs(budget.budgetMs)})`,
    measures: TIME_BUDGET,
    value: budget.budgetMs / budget.result.p50Ms,
    target: 1,
  }
}
