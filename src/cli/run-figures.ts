// What one simulation run cost this machine: wall and CPU time, timers a wall second, peak
// memory. Written beside report.json as run.json, apart from it, because none of it repeats
// from run to run (report.json's own wallClock section aside).

export const RUN_FORMAT = 'wasmesh-sim-run/1'

export interface RunFigures {
  readonly format: typeof RUN_FORMAT
  /** The command line that made the run. */
  readonly command: readonly string[]
  readonly node: string
  readonly platform: string
  readonly wallMs: number
  readonly cpuUserMs: number
  readonly cpuSystemMs: number
  readonly timersPerWallSec: number
  /** Largest RSS sampled during the run (with the progress, at most 4 times a wall second). */
  readonly peakRssBytes: number
  /** The process's peak RSS so far (getrusage): in a sweep, over every run before this one too. */
  readonly processPeakRssBytes: number
  /** Largest V8 heap in use sampled during the run. */
  readonly peakHeapUsedBytes: number
}

export interface MemorySample {
  readonly heapUsedBytes: number
  readonly rssBytes: number
}

/** This process's memory now. */
export function processMemory(): MemorySample {
  const { heapUsed, rss } = process.memoryUsage()
  return { heapUsedBytes: heapUsed, rssBytes: rss }
}

/** Measures one run: sample() as it goes (the progress listener calls it), finish() at its end. */
export class RunMeter {
  readonly #command: readonly string[]
  readonly #now: () => number
  readonly #readMemory: () => MemorySample
  readonly #startMs: number
  readonly #startCpu: NodeJS.CpuUsage
  #peakRss = 0
  #peakHeap = 0

  constructor(command: readonly string[], now: () => number = () => performance.now(), readMemory: () => MemorySample = processMemory) {
    this.#command = command
    this.#now = now
    this.#readMemory = readMemory
    this.#startMs = now()
    this.#startCpu = process.cpuUsage()
    this.sample()
  }

  /** Takes a memory sample; returns it. */
  sample(): MemorySample {
    const memory = this.#readMemory()
    this.#peakRss = Math.max(this.#peakRss, memory.rssBytes)
    this.#peakHeap = Math.max(this.#peakHeap, memory.heapUsedBytes)
    return memory
  }

  finish(timersFired: number): RunFigures {
    this.sample()
    const wallMs = this.#now() - this.#startMs
    const cpu = process.cpuUsage(this.#startCpu)
    return {
      format: RUN_FORMAT,
      command: this.#command,
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      wallMs,
      cpuUserMs: cpu.user / 1_000,
      cpuSystemMs: cpu.system / 1_000,
      timersPerWallSec: wallMs <= 0 ? 0 : (timersFired * 1_000) / wallMs,
      peakRssBytes: this.#peakRss,
      processPeakRssBytes: process.resourceUsage().maxRSS * 1_024,
      peakHeapUsedBytes: this.#peakHeap,
    }
  }
}
