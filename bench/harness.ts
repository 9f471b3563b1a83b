// Runs benchmark tasks with tinybench, one Bench per task so each task's warm-up comes right
// before its measured run, and reports every task as items per second from the median time
// of one iteration. Progress goes to stderr; tables are left to report.ts.

import v8 from 'node:v8'
import vm from 'node:vm'
import { Bench } from 'tinybench'
import type { Core } from '../src/core/contracts.js'

export interface Settings {
  /** --quick: short time per task, fewer iterations. */
  readonly quick: boolean
  /** Time budget per task in ms (tinybench runs until this and `iterations` are both met). */
  readonly timeMs: number
  /** Minimum measured iterations per task. */
  readonly iterations: number
  readonly warmupMs: number
  readonly warmupIterations: number
}

export const FULL: Settings = { quick: false, timeMs: 2_000, iterations: 10, warmupMs: 300, warmupIterations: 3 }
export const QUICK: Settings = { quick: true, timeMs: 300, iterations: 3, warmupMs: 0, warmupIterations: 1 }

/** What every benchmark module is given. */
export interface Context {
  readonly settings: Settings
  /** The WebAssembly backend. */
  readonly wasm: Core
  /** The pure-TypeScript twins. */
  readonly twin: Core
}

export interface TaskSpec {
  readonly name: string
  /** Items (keys, operations, handles) one call of `fn` handles. */
  readonly items: number
  /** One iteration: the timed work. Must do `items` units of real work. */
  readonly fn: () => void
  /** Untimed, before every iteration (warm-up included): reset state. */
  readonly beforeEach?: () => void
  /** Untimed, after every iteration: verify what the iteration did; throw when wrong. */
  readonly afterEach?: () => void
}

export interface TaskResult {
  readonly name: string
  readonly items: number
  /** Median time of one iteration, ms. */
  readonly p50Ms: number
  /** items / p50 time. */
  readonly itemsPerSec: number
  readonly samples: number
  /** Relative margin of error of the mean latency, percent. */
  readonly rme: number
}

let gc: (() => void) | undefined

/** A full garbage collection: global.gc, or one exposed at run time (run-ts.mjs passes no --expose-gc). */
export function collector(): () => void {
  if (gc !== undefined) return gc
  const existing = (globalThis as { gc?: () => void }).gc
  if (typeof existing === 'function') {
    gc = existing
  } else {
    v8.setFlagsFromString('--expose-gc')
    gc = vm.runInNewContext('gc') as () => void
  }
  return gc
}

/**
 * The heap after full collections, repeated until it stops shrinking (by less than 4 KiB a
 * pass, at most 10 passes): garbage of earlier sections, freed buffers and finalizers among
 * it, can take more than one pass, and a delta against a heap still shrinking comes out
 * negative.
 */
export function settledHeap(read: () => number): number {
  const collect = collector()
  let last = Number.POSITIVE_INFINITY
  for (let pass = 0; pass < 10; pass++) {
    collect()
    const now = read()
    if (last - now < 4_096) return Math.min(now, last)
    last = now
  }
  return last
}

/** A heap delta that must be positive: anything else is a failed measurement, not a figure to print. */
export function heapDelta(after: number, before: number, what: string): number {
  const delta = after - before
  if (delta <= 0) throw new Error(`${what}: the heap delta came out ${delta} bytes, a failed measurement (garbage collected meanwhile); run the section alone`)
  return delta
}

export function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

/** A task whose iteration may be asynchronous: timed until its promise settles. */
export interface AsyncTaskSpec {
  readonly name: string
  readonly items: number
  readonly isAsync: boolean
  readonly fn: () => void | Promise<void>
  readonly beforeEach?: () => void | Promise<void>
  readonly afterEach?: () => void
}

function benchFor(task: { readonly name: string }, settings: Settings): Bench {
  return new Bench({
    name: task.name,
    time: settings.timeMs,
    iterations: settings.iterations,
    warmup: settings.warmupIterations > 0,
    warmupTime: settings.warmupMs,
    warmupIterations: settings.warmupIterations,
    throws: true,
  })
}

/** The median of a finished tinybench task as a row; throws what the task threw. */
function resultOf(task: { readonly name: string; readonly items: number }, done: Bench['tasks'][number] | undefined, unit: string): TaskResult {
  const result = done?.result
  if (result === undefined || (result.state !== 'completed' && result.state !== 'aborted-with-statistics')) {
    throw result?.state === 'errored' ? result.error : new Error(`task ended as ${result?.state ?? 'missing'}`)
  }
  const p50Ms = result.latency.p50
  const row: TaskResult = {
    name: task.name,
    items: task.items,
    p50Ms,
    itemsPerSec: task.items / (p50Ms / 1_000),
    samples: result.latency.samplesCount,
    rme: result.latency.rme,
  }
  progress(`      ${formatRate(row.itemsPerSec)} ${unit} (p50 ${formatMs(p50Ms)} per iteration, ${row.samples} samples)`)
  return row
}

/** Runs `tasks` in order; throws when a task throws (a failed verification included). */
export function runTasks(group: string, tasks: readonly TaskSpec[], settings: Settings, unit: string): TaskResult[] {
  return tasks.map((task, index) => {
    progress(`  [${group} ${index + 1}/${tasks.length}] ${task.name} ...`)
    const bench = benchFor(task, settings)
    bench.add(task.name, task.fn, { async: false, beforeEach: task.beforeEach, afterEach: task.afterEach })
    return resultOf(task, bench.runSync()[0], unit)
  })
}

/** runTasks for tasks that may be asynchronous. */
export async function runAsyncTasks(group: string, tasks: readonly AsyncTaskSpec[], settings: Settings, unit: string): Promise<TaskResult[]> {
  const results: TaskResult[] = []
  for (const [index, task] of tasks.entries()) {
    progress(`  [${group} ${index + 1}/${tasks.length}] ${task.name} ...`)
    const bench = benchFor(task, settings)
    bench.add(task.name, task.fn, { async: task.isAsync, beforeEach: task.beforeEach, afterEach: task.afterEach })
    results.push(resultOf(task, (await bench.run())[0], unit))
  }
  return results
}

export function formatRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return String(perSec)
  if (perSec >= 1e9) return `${(perSec / 1e9).toFixed(2)} G`
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M`
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(1)} k`
  return perSec.toFixed(0)
}

export function formatMs(ms: number): string {
  if (ms >= 100) return `${ms.toFixed(0)} ms`
  if (ms >= 1) return `${ms.toFixed(2)} ms`
  return `${(ms * 1_000).toFixed(1)} µs`
}
