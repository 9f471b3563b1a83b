// The progress line of `wasmesh sim`, from the engine's reports and injected wall times:
// virtual time against the stretch's end, timers a second since the last line, the ETA from
// how fast virtual time went in this stretch, and the throttle that keeps it to a few a second.

import { describe, expect, it } from 'vitest'
import { formatDuration, SimProgress, Throttle } from '../../src/cli/sim-progress.js'

const MEMORY = { heapUsedBytes: 512 * 2 ** 20, rssBytes: 1_536 * 2 ** 20 }
const snapshot = (nowMs: number, untilMs: number, timersFired: number, nodes = 100, isStopping = false) => ({ nowMs, untilMs, timersFired, nodes, isStopping })

describe('the sim progress line', () => {
  it('shows virtual time of the stretch, timers a second since the last line, ETA from the stretch\'s pace, nodes and memory', () => {
    const progress = new SimProgress('sim join', 0)
    progress.update(snapshot(0, 600_000, 0), 0)
    expect(progress.render(0, MEMORY)).toBe('sim join | virtual 0 s of 600 | 0 timers, 0/s | ETA ? | 100 nodes | heap 512 MiB, RSS 1,536 MiB')
    // 2 wall seconds in: 100 virtual seconds done, so 500 more take 10 wall seconds.
    progress.update(snapshot(100_000, 600_000, 8_000, 2_000), 2_000)
    expect(progress.render(2_000, MEMORY)).toBe('sim join | virtual 100 s of 600 | 8,000 timers, 4,000/s | ETA 10s | 2,000 nodes | heap 512 MiB, RSS 1,536 MiB')
    progress.update(snapshot(150_000, 600_000, 9_000, 2_000), 3_000)
    expect(progress.render(3_000, MEMORY)).toContain('| 9,000 timers, 1,000/s | ETA 9s |')
  })

  it('a new stretch (another end) starts the ETA afresh; the shutdown says so', () => {
    const progress = new SimProgress('[2/3 nodes=1000] sim broadcast', 0)
    progress.update(snapshot(0, 600_000, 0), 0)
    progress.update(snapshot(600_000, 600_000, 50_000), 60_000)
    progress.update(snapshot(600_000, 660_000, 50_000), 60_000)
    progress.update(snapshot(600_500, 660_000, 50_100), 60_500)
    // Half a wall second into the new stretch: too early for an ETA (timers a second over the 60.5 s since the line began).
    expect(progress.render(60_500, MEMORY)).toContain('virtual 600.5 s of 660 | 50,100 timers, 828/s | ETA ? |')
    progress.update(snapshot(630_000, 660_000, 60_000), 63_000)
    expect(progress.render(63_000, MEMORY)).toContain('| ETA 3s |')
    progress.update(snapshot(660_000, 720_000, 61_000, 100, true), 64_000)
    expect(progress.render(64_000, MEMORY)).toMatch(/^\[2\/3 nodes=1000\] sim broadcast \| .* \| 100 nodes, stopping \|/)
    progress.update(snapshot(0, 60_000, 0, 1), 0)
    expect(progress.render(0, MEMORY)).toContain('| 1 node |')
  })

  it('durations read as seconds, minutes and hours', () => {
    expect([formatDuration(0), formatDuration(59_400), formatDuration(61_000), formatDuration(3_725_000)]).toEqual(['0s', '59s', '1m01s', '1h02m'])
  })

  it('the throttle lets one through per interval', () => {
    const throttle = new Throttle(250)
    expect([0, 100, 249, 250, 400, 501, 760].map((ms) => throttle.isDue(ms))).toEqual([true, false, false, true, false, true, true])
  })
})
