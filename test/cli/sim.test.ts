// `wasmesh sim`, the built command (dist/node/cli.js) as a child process: its help, its usage
// errors naming the flag (exit 2), a small run writing the engine's own report.json with
// report.md, run.json and SVG charts, --expect deciding the exit code, a small sweep, a run
// without vega installed, and Ctrl-C.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { RunFigures } from '../../src/cli/run-figures.js'
import type { SweepReport } from '../../src/cli/sim-sweep.js'
import { deterministicPart, runScenario, scenarioNames, type SimulationReport } from '../../src/sim/index.js'

const CLI = 'dist/node/cli.js'
const work = mkdtempSync(join(tmpdir(), 'wasmesh-sim-cli-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

function built(): string {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run npm run build (npm test does)`)
  return CLI
}

function sim(args: string[], nodeArgs: string[] = []) {
  return spawnSync(process.execPath, [...nodeArgs, built(), 'sim', ...args], { encoding: 'utf8', timeout: 120_000 })
}

const readJson = <T>(path: string) => JSON.parse(readFileSync(path, 'utf8')) as T

describe('wasmesh sim', () => {
  it('--help exits 0 with the usage, the registry\'s scenarios and the exit codes; the top-level usage lists sim', () => {
    const help = sim(['--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toMatch(/^usage: wasmesh sim --scenario <name>/)
    expect(help.stdout).toContain(scenarioNames.join(', '))
    expect(help.stdout).toContain('exit codes: 0 done')
    const top = spawnSync(process.execPath, [built(), '--help'], { encoding: 'utf8' })
    expect(top.stdout).toMatch(/\n {2}sim {9}a simulator scenario/)
  })

  it.each([
    [['--nodes', '10'], '--scenario is required'],
    [['--scenario', 'gossip'], `--scenario must be one of ${scenarioNames.join(', ')}, got "gossip"`],
    [['--scenario', 'join', '--nodes', '1'], '--nodes: scenario join: nodes must be an integer from 2 to 100000, got 1'],
    [['--scenario', 'join', '--settle-ms', 'soon'], '--settle-ms: scenario join: settleMs must be a finite number'],
    [['--scenario', 'join', '--colour', 'red'], '--colour: scenario join has no parameter colour; it takes --seed --latency-ms'],
    [['--scenario', 'join', '--nodes', '4', '--bootstrap-nodes', '1', '--node.max-peers', '0'], "--node: scenario join's nodes refused their options: "],
    [['--scenario', 'join', '--sweep', 'nodes'], '--sweep must be <parameter>=<value>,<value>...'],
  ])('%j exits 2 naming the flag', (args, message) => {
    const result = sim([...args, '--out', join(work, 'refused')])
    expect(result.status, result.stderr).toBe(2)
    expect(result.stderr).toContain(`wasmesh: ${message}`)
    expect(result.stderr).toContain('usage: wasmesh sim')
    expect(existsSync(join(work, 'refused', 'report.json'))).toBe(false)
  })

  it('a 40-node broadcast writes the engine\'s report.json, report.md with every section, run.json and SVG charts; a held --expect exits 0', async () => {
    const out = join(work, 'broadcast')
    const parameters = { nodes: 40, messages: 4, settleMs: 5_000, drainMs: 2_000, seed: 7 }
    const result = sim(['--scenario', 'broadcast', '--nodes', '40', '--messages', '4', '--settle-ms', '5000', '--drain-ms', '2000', '--seed', '7', '--out', out, '--expect', 'broadcast.deliveryRatio>=0.999'])
    expect(result.status, result.stderr).toBe(0)
    const report = readJson<SimulationReport>(join(out, 'report.json'))
    // The same figures as the engine gives in this process for the same parameters.
    expect(deterministicPart(report)).toEqual(deterministicPart(await runScenario('broadcast', parameters)))
    expect(report.broadcast!.deliveryRatio).toBe(1)
    expect(report.shutdown).toMatchObject({ timersLeft: 0, connectionsLeft: 0, transportsLeft: 0 })

    const markdown = readFileSync(join(out, 'report.md'), 'utf8')
    expect(markdown).toMatch(/^# wasmesh sim: broadcast, 40 nodes, seed 7\n/)
    for (const section of ['parameters', 'engine', 'events', 'join', 'broadcast', 'traffic', 'drops', 'network', 'shutdown', 'wallClock', 'This run on this machine (run.json)', 'Charts']) {
      expect(markdown).toContain(`\n## ${section}\n`)
    }
    const { hops } = report.broadcast!
    expect(markdown).toContain(`| hops | ${hops.count} |`)
    expect(markdown).toContain(`| p99 | max |`)

    const run = readJson<RunFigures>(join(out, 'run.json'))
    expect(run.command).toEqual(['wasmesh', 'sim', '--scenario', 'broadcast', '--nodes', '40', '--messages', '4', '--settle-ms', '5000', '--drain-ms', '2000', '--seed', '7', '--out', out, '--expect', 'broadcast.deliveryRatio>=0.999'])
    expect(run.peakRssBytes).toBeGreaterThan(run.peakHeapUsedBytes)
    expect(run.peakHeapUsedBytes).toBeGreaterThan(0)

    const charts = readdirSync(join(out, 'charts')).sort()
    expect(charts).toEqual(['broadcast.hops.svg', 'broadcast.latencyMs.svg', 'drops.svg', 'join.joinTimeMs.svg', 'join.peers.svg'])
    for (const chart of charts) {
      expect(markdown).toContain(`](charts/${chart})`)
      expect(readFileSync(join(out, 'charts', chart), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    }
    expect(readFileSync(join(out, 'charts', 'broadcast.hops.svg'), 'utf8')).toContain(`aria-label="statistic: p99; hops: ${hops.p99}"`)
    // Results on stdout, the progress (not a terminal here: plain lines) on stderr.
    expect(result.stdout).toMatch(/^broadcast: 40\/40 nodes started, 40 with peers; .*broadcast\.deliveryRatio 1; broadcast\.duplicateFactor [\d.]+\nwrote /)
    expect(result.stderr).toMatch(/^sim broadcast \| virtual [\d.]+ s of [\d,.]+ \| [\d,]+ timers, [\d,]+\/s \| ETA .* \| \d+ nodes? \| heap \d+ MiB, RSS \d+ MiB$/m)
  })

  it('a missed --expect exits 1 saying what the figure was; --no-charts writes the reports only', () => {
    const out = join(work, 'missed')
    const result = sim(['--scenario', 'join', '--nodes', '12', '--bootstrap-nodes', '2', '--settle-ms', '3000', '--out', out, '--no-charts', '--quiet', '--expect', 'join.started>=13', '--expect', 'join.withPeers>=12'])
    expect(result.status, result.stderr).toBe(1)
    expect(result.stderr).toBe('wasmesh sim: join.started>=13: it is 12\n')
    expect(readdirSync(out).sort()).toEqual(['report.json', 'report.md', 'run.json'])
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/## Charts\n\nnot made \(--no-charts\)\n$/)
  })

  it('a sweep runs once per value, keeps each run under points/, and writes sweep.json, sweep.md and charts against the parameter', () => {
    const out = join(work, 'sweep')
    const result = sim(['--scenario', 'join', '--bootstrap-nodes', '2', '--settle-ms', '3000', '--sweep', 'nodes=8,16', '--out', out, '--quiet'])
    expect(result.status, result.stderr).toBe(0)
    const sweep = readJson<SweepReport>(join(out, 'sweep.json'))
    expect(sweep).toMatchObject({ format: 'wasmesh-sim-sweep/1', scenario: 'join', parameters: { bootstrapNodes: 2, settleMs: 3_000 }, sweep: [{ parameter: 'nodes', values: [8, 16] }], isComplete: true })
    expect(sweep.points.map((point) => [point.label, point.report.join.nodes, point.report.join.started])).toEqual([['nodes=8', 8, 8], ['nodes=16', 16, 16]])
    for (const point of sweep.points) expect(readJson<SimulationReport>(join(out, 'points', point.label, 'report.json'))).toEqual(point.report)
    const charts = readdirSync(join(out, 'charts'))
    expect(charts).toContain('join.peers-vs-nodes.svg')
    expect(charts).toContain('traffic.messagesSentPerNodePerSec-vs-nodes.svg')
    const peers = readFileSync(join(out, 'charts', 'join.peers-vs-nodes.svg'), 'utf8')
    expect(peers).toContain('join.peers against nodes')
    const markdown = readFileSync(join(out, 'sweep.md'), 'utf8')
    expect(markdown).toMatch(/^# wasmesh sim sweep: join over nodes=8,16\n/)
    expect(markdown).toContain('](charts/join.peers-vs-nodes.svg)')
    expect(result.stdout).toMatch(/^nodes=8: join: 8\/8 nodes started.*\nnodes=16: join: 16\/16 nodes started.*\nwrote /)
  })

  it('without vega installed it still writes report.json and report.md, and says on stderr how to get charts', () => {
    // A resolve hook that finds no vega, as in an install without the optional peers.
    const hooks = join(work, 'no-vega-hooks.mjs')
    writeFileSync(hooks, `export async function resolve(specifier, context, next) {
  if (specifier === 'vega' || specifier === 'vega-lite') throw Object.assign(new Error("Cannot find package '" + specifier + "'"), { code: 'ERR_MODULE_NOT_FOUND' })
  return next(specifier, context)
}\n`)
    const register = join(work, 'no-vega.mjs')
    writeFileSync(register, `import { register } from 'node:module'\nregister(${JSON.stringify(pathToFileURL(hooks).href)})\n`)
    const out = join(work, 'no-vega')
    const result = sim(['--scenario', 'join', '--nodes', '8', '--bootstrap-nodes', '2', '--settle-ms', '2000', '--out', out, '--quiet'], ['--import', pathToFileURL(register).href])
    expect(result.status, result.stderr).toBe(0)
    expect(result.stderr).toContain('no charts: vega and vega-lite are not installed')
    expect(result.stderr).toContain('`npm install vega vega-lite` adds them; report.json and report.md are written without them')
    expect(readdirSync(out).sort()).toEqual(['report.json', 'report.md', 'run.json'])
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('npm install vega vega-lite')
  })

  it('Ctrl-C stops the run where it is, writes no report, and exits 130', async () => {
    const out = join(work, 'interrupted')
    const child = spawn(process.execPath, [built(), 'sim', '--scenario', 'join', '--nodes', '5000', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      while (!/sim join \| virtual/.test(stderr) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 50))
      child.kill('SIGINT')
      expect(await exited).toBe(130)
      expect(stderr).toMatch(/wasmesh sim: interrupted; stopped at [\d.,]+ s of virtual time\n$/)
      expect(existsSync(join(out, 'report.json'))).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
