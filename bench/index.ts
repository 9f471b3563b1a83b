// The wasmesh benchmark suite: each core structure against what users would pick instead,
// in the same run, with ratios against the targets.
//   npm run bench                 full run, writes bench/RESULTS.md
//   npm run bench:quick           quick run (--quick): figures only, no verdicts (met, missed)
//   ... --only=dedup,routing      a subset: dedup, routing, queue, limiter, keyed-hash, relay, memory, session-memory, wasm-size, package-size,
//                                 wire-amplification, clock, identity, webrtc-link, webrtc-connect,
//                                 node-throughput, flood-latency (in a process of its own when others run too)

import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadCore } from '../src/core/load-core.js'
import { FULL, QUICK, progress, type Context } from './harness.js'
import { describeMachine, machine } from './machine.js'
import { renderSection, renderTable, summaryTables, isMet, type Outcome, type Section } from './report.js'
import { sourceRevision } from './revision.js'
import { runDedup } from './dedup.js'
import { runRouting } from './routing.js'
import { runQueue } from './queue.js'
import { runLimiter } from './limiter.js'
import { runRelay } from './relay.js'
import { runKeyedHash } from './keyed-hash.js'
import { runSessionMemory } from './session-memory.js'
import { runMemory } from './memory.js'
import { runWasmSize } from './wasm-size.js'
import { runPackageSize } from './package-size.js'
import { runWireAmplification } from './wire-amplification.js'
import { runClock } from './clock.js'
import { runIdentity } from './identity.js'
import { runWebRtcLink } from './webrtc-link.js'
import { runWebRtcConnect } from './webrtc-connect.js'
import { runNodeThroughput } from './node-throughput.js'
import { runFloodLatency } from './flood-latency.js'

interface Entry {
  readonly id: string
  readonly title: string
  readonly run: (ctx: Context) => Section | Promise<Section>
  /**
   * Run in a fresh Node process when other sections run too: a latency tail measures the
   * process it runs in, and after the sections before it that process holds their heaps (a
   * million dedup keys, routing tables) and node-datachannel's threads, which a user's node
   * would not carry.
   */
  readonly isolated?: true
}

const ENTRIES: readonly Entry[] = [
  { id: 'dedup', title: 'DedupSet', run: runDedup },
  { id: 'routing', title: 'RoutingTable', run: runRouting },
  { id: 'queue', title: 'PriorityQueue', run: runQueue },
  { id: 'limiter', title: 'RateLimiter', run: runLimiter },
  { id: 'keyed-hash', title: 'Keyed dedup keys', run: runKeyedHash },
  { id: 'relay', title: 'Relay decisions', run: runRelay },
  { id: 'memory', title: 'Memory', run: runMemory },
  { id: 'session-memory', title: 'Memory per peer session', run: runSessionMemory },
  { id: 'wasm-size', title: 'Embedded .wasm size', run: runWasmSize },
  { id: 'package-size', title: 'Package size', run: runPackageSize },
  { id: 'wire-amplification', title: 'Wire amplification budgets', run: runWireAmplification },
  { id: 'clock', title: 'ManualClock budget', run: runClock },
  { id: 'identity', title: 'Identity generation budget', run: runIdentity },
  { id: 'webrtc-link', title: 'WebRTC link', run: runWebRtcLink },
  { id: 'webrtc-connect', title: 'WebRTC connect time and memory', run: runWebRtcConnect },
  { id: 'node-throughput', title: 'Whole-node throughput over WebRTC', run: runNodeThroughput },
  { id: 'flood-latency', title: 'Honest latency under a flood', run: runFloodLatency, isolated: true },
]

interface Args {
  readonly quick: boolean
  readonly write: boolean
  readonly only: readonly Entry[]
  /** Internal (runIsolated): run the one --only section and write it as JSON to this file. */
  readonly sectionOut: string | undefined
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false
  let write = false
  let only = ENTRIES
  let sectionOut: string | undefined
  for (const arg of argv) {
    if (arg === '--quick') quick = true
    else if (arg === '--write-results') write = true
    else if (arg.startsWith('--section-out=')) sectionOut = arg.slice('--section-out='.length)
    else if (arg.startsWith('--only=')) {
      const ids = arg.slice('--only='.length).split(',').map((id) => id.trim()).filter((id) => id !== '')
      const unknown = ids.filter((id) => !ENTRIES.some((entry) => entry.id === id))
      if (unknown.length > 0 || ids.length === 0) {
        throw new Error(`--only takes a comma-separated list of ${ENTRIES.map((e) => e.id).join(', ')}; got ${JSON.stringify(arg)}`)
      }
      only = ENTRIES.filter((entry) => ids.includes(entry.id))
    } else {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; expected --quick, --write-results or --only=dedup,routing,...`)
    }
  }
  if (write && only !== ENTRIES) throw new Error('--write-results writes every section of bench/RESULTS.md, so it cannot be combined with --only')
  if (write && quick) throw new Error('--write-results records a full run with its verdicts in bench/RESULTS.md, so it cannot be combined with --quick')
  if (sectionOut !== undefined && (only.length !== 1 || write)) throw new Error('--section-out runs exactly one section (--only=<id>) and writes nothing else')
  return { quick, write, only, sectionOut }
}

/**
 * Runs one section in a fresh process (this bundle again, with --only and --section-out) and
 * reads back the Section it wrote; its progress goes to our stderr.
 */
async function runIsolated(entry: Entry, quick: boolean): Promise<Section> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmesh-bench-'))
  const out = join(dir, `${entry.id}.json`)
  try {
    const args = [process.argv[1], `--only=${entry.id}`, `--section-out=${out}`, ...(quick ? ['--quick'] : [])]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] })
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('exit', (exitCode) => resolve(exitCode))
    })
    if (code !== 0) throw new Error(`the isolated process of section ${entry.id} exited with ${code}`)
    return JSON.parse(readFileSync(out, 'utf8')) as Section
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A missing implementation reads as "not implemented", not as a stack trace. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return /not implemented/i.test(message) ? `implementation missing (${message})` : message
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>
  try {
    args = parseArgs(process.argv.slice(2))
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    return 2
  }
  const settings = args.quick ? QUICK : FULL
  const command = `node build/run-ts.mjs bench/index.ts ${process.argv.slice(2).join(' ')}`.trim()
  const host = machine()
  const started = new Date()
  const revision = sourceRevision()
  // A quick run's few samples (margins up to about ±50%) flip verdicts: it prints figures only.
  const verdicts = !args.quick
  const ctx: Context = { settings, wasm: await loadCore(), twin: await loadCore({ backend: 'js' }) }
  progress(`wasmesh bench (${args.quick ? 'quick' : 'full'}): ${args.only.map((e) => e.id).join(', ')}`)
  progress(`machine: ${describeMachine(host)}`)
  progress(`commit: ${revision}; ${started.toISOString()}`)

  const outcomes: Outcome[] = []
  for (const entry of args.only) {
    progress(`[${entry.id}] ${entry.title}`)
    const t0 = performance.now()
    try {
      const isolate = entry.isolated === true && args.only.length > 1
      if (isolate) progress(`[${entry.id}] in a process of its own`)
      const section = isolate ? await runIsolated(entry, args.quick) : await entry.run(ctx)
      if (args.sectionOut !== undefined) writeFileSync(args.sectionOut, JSON.stringify(section))
      outcomes.push({ id: entry.id, title: entry.title, section })
      console.log(renderSection(section, verdicts))
    } catch (error) {
      const reason = reasonOf(error)
      outcomes.push({ id: entry.id, title: entry.title, error: reason })
      console.log(`## ${entry.title}\n\nNOT RUN: ${reason}\n`)
      if (!/implementation missing/.test(reason)) progress(error instanceof Error && error.stack !== undefined ? error.stack : String(error))
    }
    progress(`[${entry.id}] done in ${((performance.now() - t0) / 1_000).toFixed(1)} s`)
  }

  const summary = summaryTables(outcomes, verdicts).map(renderTable).join('\n\n') || 'No targets in the sections run.'
  console.log(`## Targets\n\n${summary}\n`)
  const ratios = outcomes.flatMap((o) => o.section?.ratios ?? []).filter((r) => r.target !== undefined)
  const failed = outcomes.filter((o) => o.section === undefined)
  const notRun = failed.length > 0 ? `; ${failed.length} benchmark(s) not run` : ''
  console.log(verdicts
    ? `${ratios.filter(isMet).length} of ${ratios.length} targets met${notRun}.`
    : `Quick run: figures only, no verdicts (as few as ${settings.iterations} samples a task swing by up to ±50% and flip met and missed); npm run bench gives them${notRun}.`)

  if (args.write) {
    const file = fileURLToPath(new URL('../bench/RESULTS.md', import.meta.url))
    writeFileSync(file, resultsMarkdown(outcomes, { command, started, host: describeMachine(host), revision, summary }))
    progress(`wrote ${file}`)
  }
  return failed.length > 0 ? 1 : 0
}

interface RunInfo {
  readonly command: string
  readonly started: Date
  readonly host: string
  /** sourceRevision(): the commit, and whether src/, assembly/ or bench/ had uncommitted changes. */
  readonly revision: string
  /** The rendered summary tables. */
  readonly summary: string
}

/** bench/RESULTS.md of a full run, verdicts included (parseArgs refuses --write-results with --quick or --only). */
function resultsMarkdown(outcomes: readonly Outcome[], { command, started, host, revision, summary }: RunInfo): string {
  const parts = [
    '# wasmesh benchmark results',
    '',
    `- commit: ${revision}`,
    `- date: ${started.toISOString()}`,
    `- machine: ${host}`,
    `- command: \`${command}\` (\`npm run bench\`)`,
    '- The machines are shared and noisy: every figure is a median over the iterations tinybench ran, and ratios are of medians',
    '  taken in the same run. Expect run-to-run differences of 10-20%; compare ratios more than absolute rates.',
    '- These figures are of the commit above: regenerate them (`npm run bench`, on a quiet machine) when a change to src/, assembly/',
    '  or bench/ touches what is measured.',
    '',
    '## Targets',
    '',
    summary,
    '',
  ]
  for (const outcome of outcomes) {
    if (outcome.section !== undefined) parts.push(renderSection(outcome.section, true))
    else parts.push(`## ${outcome.title}`, '', `NOT RUN: ${outcome.error ?? 'unknown error'}`, '')
  }
  return parts.join('\n')
}

process.exitCode = await main()
