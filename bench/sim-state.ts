// State per node and per peer session in the simulator, measured: the same population (the
// join every scenario starts from) at one N with a different targetPeers in each run, and
// after each the JavaScript heap after full collections, with every node still running. The
// heap's slope against the sessions open is what one more session costs, its transport link
// end included; the intercept over N is what a node with no session costs the simulation.
// report.json has no state figure (stats().memory is an estimate from a fixed allowance), so
// docs/SCALING.md takes its state section from here.
//   node build/run-ts.mjs bench/sim-state.ts [--nodes 1000 --target-peers 4,8,16 --seed 1]
// Prints a markdown table on stdout (progress on stderr).

import { parseArgs } from 'node:util'
import { Simulation } from '../src/sim/index.js'
import { populate, resolvePopulation, simulationOptionsOf, POPULATION_OPTION_NAMES } from '../src/sim/scenarios/population.js'
import { progress, settledHeap } from './harness.js'
import { fitLine } from './least-squares.js'

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '1000' }, 'target-peers': { type: 'string', default: '4,8,16' }, seed: { type: 'string', default: '1' } } })
const nodes = Number(values.nodes)
const seed = Number(values.seed)
const targets = values['target-peers'].split(',').map(Number)
if (![nodes, seed, ...targets].every((value) => Number.isSafeInteger(value) && value >= 1) || targets.length < 2) {
  console.error('--nodes and --seed must be positive integers, --target-peers two or more of them, comma-separated')
  process.exit(2)
}

interface Point {
  readonly targetPeers: number
  readonly sessions: number
  readonly heapBytes: number
  /** Mean of the nodes' stats().memory.perPeerBytes: the node's own estimate, for comparison. */
  readonly estimatedPerPeerBytes: number
}

const heapNow = () => settledHeap(() => process.memoryUsage().heapUsed)
const baselineBytes = heapNow()
const points: Point[] = []
for (const targetPeers of targets) {
  progress(`populating ${nodes} nodes, targetPeers ${targetPeers}, seed ${seed}`)
  const parameters = { nodes, seed, node: { peers: { targetPeers } } }
  const sim = await Simulation.create(simulationOptionsOf(parameters))
  await populate(sim, resolvePopulation(parameters, new Set(POPULATION_OPTION_NAMES)))
  const running = sim.runningNodes()
  const sessions = running.reduce((sum, entry) => sum + entry.node.stats().peers, 0)
  const heapBytes = heapNow()
  const estimatedPerPeerBytes = running.reduce((sum, entry) => sum + entry.node.stats().memory.perPeerBytes, 0) / running.length
  points.push({ targetPeers, sessions, heapBytes, estimatedPerPeerBytes })
  await sim.stop()
}

const fit = fitLine(points.map((point) => point.sessions), points.map((point) => point.heapBytes))
const perSession = fit.slope
const intercept = fit.intercept
const worst = fit.worstResidual
const n = points.length

const lines = [
  `| targetPeers | sessions (both ends) | sessions per node | heap after GC MiB | heap per node KiB (less the baseline) | stats().memory.perPeerBytes, mean (estimate) |`,
  '| ---: | ---: | ---: | ---: | ---: | ---: |',
  ...points.map((point) => `| ${point.targetPeers} | ${point.sessions} | ${(point.sessions / nodes).toFixed(2)} | ${(point.heapBytes / 2 ** 20).toFixed(1)} | ${((point.heapBytes - baselineBytes) / nodes / 1_024).toFixed(1)} | ${point.estimatedPerPeerBytes.toFixed(0)} |`),
  '',
  `Heap = ${(intercept / 2 ** 20).toFixed(1)} MiB + ${perSession.toFixed(0)} B x sessions (least squares over ${n} runs at N = ${nodes}, worst residual ${(worst / 1_024).toFixed(0)} KiB): ` +
    `${perSession.toFixed(0)} B per session, its transport link end included; ${((intercept - baselineBytes) / nodes / 1_024).toFixed(1)} KiB per node with no session ` +
    `(the intercept less the ${(baselineBytes / 2 ** 20).toFixed(1)} MiB heap before the first simulation, over N; the simulator's own share of a node included).`,
]
console.log(lines.join('\n'))
