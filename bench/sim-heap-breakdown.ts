// What a peer session and a node are made of, by structure: the population every scenario
// starts from (bench/sim-state.ts's) at one N with two targetPeers, each in a process of its
// own, and a V8 heap snapshot of each with every node running. Each object's bytes (its own
// and the backing stores only it holds: a Map's hash table, out-of-line properties, elements)
// are summed by constructor. The difference between the two runs over the difference in
// sessions is what one more session costs, structure by structure; a third run of a handful
// of nodes is the process's own share (module code, source text), taken off before what is
// left is divided over the nodes. The WebAssembly linear memory (every node's dedup sets,
// routing tables, queues and rate limiters) is one buffer for the whole process, so it is
// given apart, as each run's size: a high-water mark, memory never shrinks.
//   node build/run-ts.mjs bench/sim-heap-breakdown.ts [--nodes 1000 --target-peers 4,16 --seed 1]
// Prints a markdown table on stdout (progress on stderr). The snapshots go to a temporary
// directory that is removed at the end. Snapshots of more than about 2,000 nodes pass the
// 512 MB a JSON string may take.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { writeHeapSnapshot } from 'node:v8'
import { Simulation } from '../src/sim/index.js'
import { populate, resolvePopulation, simulationOptionsOf, POPULATION_OPTION_NAMES } from '../src/sim/scenarios/population.js'
import { wasmInstance } from '../src/core/wasm-instance.js'
import { progress } from './harness.js'
import { bytesByStructure, type HeapSnapshotJson } from './heap-snapshot.js'

const WASM_BUFFER = '(native) system / JSArrayBufferData'
const BASELINE_NODES = 10

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' }, 'target-peers': { type: 'string', default: '4,16' }, seed: { type: 'string', default: '1' },
    top: { type: 'string', default: '25' }, snapshot: { type: 'string' },
  },
})
const nodes = Number(values.nodes)
const seed = Number(values.seed)
const top = Number(values.top)
const targets = values['target-peers'].split(',').map(Number)

interface Taken {
  readonly nodes: number
  readonly targetPeers: number
  readonly sessions: number
  readonly wasmBytes: number
}

if (values.snapshot !== undefined) {
  // One run, in a process of its own: populate, snapshot, report on stdout.
  const parameters = { nodes, seed, node: { peers: { targetPeers: targets[0]! } } }
  const sim = await Simulation.create(simulationOptionsOf(parameters))
  await populate(sim, resolvePopulation(parameters, new Set(POPULATION_OPTION_NAMES)))
  const sessions = sim.runningNodes().reduce((sum, entry) => sum + entry.node.stats().peers, 0)
  const wasmBytes = (await wasmInstance()).memoryBytes
  // writeHeapSnapshot collects garbage first: the snapshot holds what is live.
  writeHeapSnapshot(values.snapshot)
  await sim.stop()
  const taken: Taken = { nodes, targetPeers: targets[0]!, sessions, wasmBytes }
  console.log(JSON.stringify(taken))
  process.exit(0)
}

if (![nodes, seed, top, ...targets].every((value) => Number.isSafeInteger(value) && value >= 1) || targets.length !== 2 || targets[0]! >= targets[1]! || nodes <= BASELINE_NODES) {
  console.error(`--nodes (more than ${BASELINE_NODES}), --seed and --top must be positive integers, --target-peers two of them, the smaller first`)
  process.exit(2)
}

interface Shot extends Taken {
  readonly bytes: Map<string, number>
  readonly total: number
}

function run(runNodes: number, targetPeers: number, path: string): Taken {
  progress(`populating ${runNodes} nodes, targetPeers ${targetPeers}, seed ${seed}`)
  const args = ['--max-old-space-size=8192', 'build/run-ts.mjs', 'bench/sim-heap-breakdown.ts', '--nodes', String(runNodes), '--target-peers', String(targetPeers), '--seed', String(seed), '--snapshot', path]
  const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`the run of ${runNodes} nodes at targetPeers ${targetPeers} exited with ${child.status ?? child.signal}`)
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Taken
}

function read(taken: Taken, path: string): Shot {
  progress(`reading the snapshot of ${taken.nodes} nodes, ${taken.sessions} sessions`)
  const bytes = bytesByStructure(JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotJson)
  // The linear memory's buffer is reported apart (wasmBytes): it is one for all nodes, and its size a high-water mark.
  bytes.delete(WASM_BUFFER)
  rmSync(path)
  return { ...taken, bytes, total: [...bytes.values()].reduce((sum, value) => sum + value, 0) }
}

const directory = mkdtempSync(join(tmpdir(), 'wasmesh-heap-'))
let shots: Shot[]
try {
  shots = [[BASELINE_NODES, targets[0]!], [nodes, targets[0]!], [nodes, targets[1]!]].map(([runNodes, targetPeers]) => {
    const path = join(directory, `${runNodes}-${targetPeers}.heapsnapshot`)
    return read(run(runNodes!, targetPeers!, path), path)
  })
} finally {
  rmSync(directory, { recursive: true, force: true })
}

const [base, low, high] = shots as [Shot, Shot, Shot]
const sessionDelta = high.sessions - low.sessions
const keys = new Set([...base.bytes.keys(), ...low.bytes.keys(), ...high.bytes.keys()])
const rows = [...keys].map((key) => {
  const at = (shot: Shot) => shot.bytes.get(key) ?? 0
  const perSession = (at(high) - at(low)) / sessionDelta
  // A node at no session: the low run less its sessions' share and the small run's (which has the process's own share).
  const perNode = (at(low) - perSession * low.sessions - (at(base) - perSession * base.sessions)) / (nodes - BASELINE_NODES)
  return { key, perSession, perNode }
})
const perSessionTotal = (high.total - low.total) / sessionDelta
const perNodeTotal = (low.total - perSessionTotal * low.sessions - (base.total - perSessionTotal * base.sessions)) / (nodes - BASELINE_NODES)
const shown = (pick: (row: (typeof rows)[number]) => number) =>
  [...rows].sort((a, b) => pick(b) - pick(a)).slice(0, top).map((row) => `| \`${row.key}\` | ${pick(row).toFixed(0)} |`)
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1)
const describe = (shot: Shot) => `${shot.nodes} nodes at targetPeers ${shot.targetPeers}: ${shot.sessions} sessions, ${mib(shot.total)} MiB live in the JavaScript heap, ${mib(shot.wasmBytes)} MiB of WebAssembly memory`

console.log([
  `Heap snapshots, seed ${seed}: ${describe(low)}; ${describe(high)}; and ${describe(base)} (the process's own share).`,
  '',
  `A session costs ${perSessionTotal.toFixed(0)} B of JavaScript heap (the two runs' difference over the ${sessionDelta} sessions between them), ` +
    `a node at no session ${(perNodeTotal / 1_024).toFixed(1)} KiB (the ${nodes}-node run less its sessions and less the ${BASELINE_NODES}-node run, over the ${nodes - BASELINE_NODES} nodes between them); ` +
    `WebAssembly memory ${(low.wasmBytes / nodes / 1_024).toFixed(1)} KiB a node at targetPeers ${low.targetPeers}, ${(high.wasmBytes / nodes / 1_024).toFixed(1)} KiB at ${high.targetPeers} (its size over N, its high-water mark).`,
  '',
  '| structure, per session | bytes |',
  '| --- | ---: |',
  ...shown((row) => row.perSession),
  '',
  '| structure, per node at no session | bytes |',
  '| --- | ---: |',
  ...shown((row) => row.perNode),
].join('\n'))
