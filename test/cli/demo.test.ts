// `wasmesh demo`, what `npm start` runs: the built command (dist/node/cli.js) as a child
// process. A short run over real WebRTC on 127.0.0.1 must deliver everything it sent and say
// so in its summary; bad flags exit 2 naming the flag; Ctrl-C ends it cleanly.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { DemoSummary } from '../../src/cli/demo-report.js'

const CLI = 'dist/node/cli.js'

function built(): string {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run npm run build (npm test does)`)
  return CLI
}

/** The command as a child process, its output gathered as it comes. */
function spawnDemo(args: string[]) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const run = { child, stdout: '', stderr: '', exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))) }
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (run.stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk))
  return run
}

describe('wasmesh demo (npm start)', () => {
  it('4 nodes over WebRTC: every publish reaches every other node once, every direct message is acknowledged, every record is read back; exit 0', () => {
    const result = spawnSync(process.execPath, [built(), 'demo', '--nodes', '4', '--duration', '3', '--rate', '10', '--json'], { encoding: 'utf8', timeout: 90_000 })
    expect(result.status, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout) as DemoSummary
    const { broadcast, direct, dht } = summary.figures
    expect(summary.isFormed).toBe(true)
    expect(summary.rows.map((row) => row.peers)).toEqual([3, 3, 3, 3])
    // About 10 a second for 3 s, each owed to the 3 other nodes.
    expect(broadcast.published).toBeGreaterThanOrEqual(20)
    expect(broadcast).toMatchObject({ expected: broadcast.published * 3, delivered: broadcast.published * 3, duplicates: 0, deliveryRatio: 1 })
    expect(summary.rows.reduce((sum, row) => sum + row.received, 0)).toBe(broadcast.delivered)
    expect(summary.rows.reduce((sum, row) => sum + row.published, 0)).toBe(broadcast.published)
    expect(direct.sent).toBeGreaterThanOrEqual(8)
    expect(direct).toMatchObject({ acknowledged: direct.sent, failed: 0, received: direct.sent })
    expect(dht.gets).toBeGreaterThanOrEqual(2)
    expect(dht).toMatchObject({ putFailures: 0, found: dht.gets, missing: 0, getFailures: 0 })
    // The progress went to stderr, the results alone to stdout.
    expect(result.stderr).toMatch(/bootstrap server at ws:\/\/127\.0\.0\.1:\d+/)
    expect(result.stderr).toMatch(/mesh formed in [\d.]+ s: 4 nodes/)
  })

  it('the tables name what was measured', () => {
    const result = spawnSync(process.execPath, [built(), 'demo', '--nodes', '2', '--duration', '1'], { encoding: 'utf8', timeout: 90_000 })
    expect(result.status, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/wasmesh demo: 2 nodes over WebRTC on 127\.0\.0\.1, 1 s of traffic/)
    expect(result.stdout).toMatch(/publish -> every other node\s+\d+\s+(\d+)\/\1 delivered \(100%\), 0 duplicates/)
    expect(result.stdout).toMatch(/node\s+peer id\s+peers\s+published\s+received/)
  })

  it('--help exits 0; a bad flag or value exits 2 naming it', () => {
    const help = spawnSync(process.execPath, [built(), 'demo', '--help'], { encoding: 'utf8' })
    expect([help.status, help.stdout]).toEqual([0, expect.stringMatching(/^usage: wasmesh demo \[options\]/)])
    for (const [args, message] of [
      [['--nodes', '1'], '--nodes must be an integer from 2 to 50, got "1"'],
      [['--duration', 'long'], '--duration must be an integer from 1 to 3600, got "long"'],
      [['--colour'], "Unknown option '--colour'"],
    ] as const) {
      const result = spawnSync(process.execPath, [built(), 'demo', ...args], { encoding: 'utf8' })
      expect(result.status, args.join(' ')).toBe(2)
      expect(result.stderr, args.join(' ')).toContain(`wasmesh: ${message}`)
    }
  })

  it.each([
    ['wasmesh demo', () => [built()]],
    ['npm start (bundled into .cache/)', () => ['build/run-ts.mjs', 'src/cli.ts']],
  ])('%s --serve serves the mesh page and the bundle it imports, prints where to open it, and stops on Ctrl-C', async (_label, command) => {
    built() // the page imports dist/wasmesh.min.js
    const run = spawnDemo([...command(), 'demo', '--nodes', '2', '--serve', '--json'])
    const { child, exited } = run
    try {
      while (!/open http:\/\/127\.0\.0\.1:\d+\/ in a browser/.test(run.stderr) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50))
      const origin = /open (http:\/\/127\.0\.0\.1:\d+)\/ in a browser/.exec(run.stderr)![1]
      const page = await fetch(`${origin}/`)
      expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8'])
      expect(await page.text()).toContain('<title>wasmesh: the mesh page</title>')
      const bundle = await fetch(`${origin}/dist/wasmesh.min.js`)
      expect([bundle.status, bundle.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8'])
      expect((await bundle.text()).length).toBeGreaterThan(100_000)
      // Three progress lines (half a second apart) after the URL: the page's presence has been published meanwhile.
      const progressAfterUrl = () => run.stderr.slice(run.stderr.indexOf('in a browser')).split('\n').filter((line) => line.startsWith('[')).length
      while (progressAfterUrl() < 3 && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50))
      child.kill('SIGINT')
      expect(await exited).not.toBeNull() // it exited by itself, not by the signal
      expect(run.stderr).not.toContain('the mesh page is not served')
      // The summary counts the demo's own publishes, not the presence it published for the page.
      const summary = JSON.parse(run.stdout) as DemoSummary
      expect(summary.rows.reduce((sum, row) => sum + row.published, 0)).toBe(summary.figures.broadcast.published)
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('Ctrl-C during the traffic stops every node and the server, prints the summary so far and exits 1 (cut short)', async () => {
    const run = spawnDemo([built(), 'demo', '--nodes', '3', '--duration', '600', '--json'])
    const { child, exited } = run
    try {
      while (!/traffic for 600 s/.test(run.stderr) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50))
      await new Promise((resolve) => setTimeout(resolve, 1_000))
      child.kill('SIGINT')
      expect(await exited).toBe(1)
      const summary = JSON.parse(run.stdout) as DemoSummary
      expect(summary.figures.broadcast.published).toBeGreaterThan(0)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
