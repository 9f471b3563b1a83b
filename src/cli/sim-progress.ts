// The progress line of `wasmesh sim`: virtual time against the end of the stretch being run,
// timers a wall second, ETA, nodes and memory. A stretch is one run of virtual time of the
// scenario (its join, its traffic, its shutdown); its end is known, the scenario's is not, so
// the ETA is to the end of the stretch, from how fast virtual time has gone in it so far.

import type { MemorySample } from './run-figures.js'
import { formatNumber } from './report-markdown.js'

export interface ProgressSnapshot {
  readonly nowMs: number
  readonly untilMs: number
  readonly timersFired: number
  readonly nodes: number
  readonly isStopping: boolean
}

/** Wall time a stretch must have run before its ETA is given. */
const ETA_AFTER_MS = 1_000

export function formatDuration(ms: number): string {
  const totalSec = Math.round(ms / 1_000)
  const hours = Math.floor(totalSec / 3_600)
  const minutes = Math.floor((totalSec % 3_600) / 60)
  const seconds = totalSec % 60
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`
  if (minutes > 0) return `${minutes}m${String(seconds).padStart(2, '0')}s`
  return `${seconds}s`
}

const mebibytes = (bytes: number) => `${formatNumber(Math.round(bytes / 2 ** 20))} MiB`

export class SimProgress {
  readonly #label: string
  #last: ProgressSnapshot | undefined
  #stretch: { untilMs: number; startNowMs: number; startWallMs: number } | undefined
  #rendered: { wallMs: number; timersFired: number }

  /** `label` opens the line (the scenario, or the sweep point); `startWallMs` is when the run began. */
  constructor(label: string, startWallMs: number) {
    this.#label = label
    this.#rendered = { wallMs: startWallMs, timersFired: 0 }
  }

  /** Takes in one report of the engine (every one, so a stretch's start is seen when it comes). */
  update(snapshot: ProgressSnapshot, wallMs: number): void {
    if (this.#stretch === undefined || this.#stretch.untilMs !== snapshot.untilMs || snapshot.nowMs < this.#stretch.startNowMs) {
      this.#stretch = { untilMs: snapshot.untilMs, startNowMs: snapshot.nowMs, startWallMs: wallMs }
    }
    this.#last = snapshot
  }

  /** The line as of `wallMs`; timers a second are counted since the line was last rendered. */
  render(wallMs: number, memory: MemorySample): string {
    const snapshot = this.#last
    const parts = [this.#label]
    if (snapshot !== undefined) {
      const stretch = this.#stretch!
      parts.push(`virtual ${formatNumber(snapshot.nowMs / 1_000)} s of ${formatNumber(snapshot.untilMs / 1_000)}`)
      const sinceMs = wallMs - this.#rendered.wallMs
      const perSec = sinceMs <= 0 ? 0 : ((snapshot.timersFired - this.#rendered.timersFired) * 1_000) / sinceMs
      parts.push(`${formatNumber(snapshot.timersFired)} timers, ${formatNumber(Math.round(perSec))}/s`)
      const stretchWallMs = wallMs - stretch.startWallMs
      const virtualPerWall = stretchWallMs <= 0 ? 0 : (snapshot.nowMs - stretch.startNowMs) / stretchWallMs
      const eta = stretchWallMs < ETA_AFTER_MS || virtualPerWall <= 0 ? '?' : formatDuration((snapshot.untilMs - snapshot.nowMs) / virtualPerWall)
      parts.push(`ETA ${eta}`)
      parts.push(`${formatNumber(snapshot.nodes)} node${snapshot.nodes === 1 ? '' : 's'}${snapshot.isStopping ? ', stopping' : ''}`)
      this.#rendered = { wallMs, timersFired: snapshot.timersFired }
    }
    parts.push(`heap ${mebibytes(memory.heapUsedBytes)}, RSS ${mebibytes(memory.rssBytes)}`)
    return parts.join(' | ')
  }
}

/** True at most once every `everyMs` of wall time. */
export class Throttle {
  readonly #everyMs: number
  #lastMs = Number.NEGATIVE_INFINITY

  constructor(everyMs: number) {
    this.#everyMs = everyMs
  }

  isDue(wallMs: number): boolean {
    if (wallMs - this.#lastMs < this.#everyMs) return false
    this.#lastMs = wallMs
    return true
  }
}
