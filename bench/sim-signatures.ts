// The check issue 13 asks of the signature stand-in: one broadcast at 300 nodes run with real
// Ed25519 and with the stand-in shows the same delivery, hops and duplicates. Three runs of the
// same scenario and seed:
//   ed25519            real signing and verifying (noble), charged the measured Ed25519 CPU time
//   stand-in           the keyed MAC, charged the same: the simulator's default
//   ed25519, no charge real Ed25519 and no virtual CPU time at all: the engine before the stand-in
// The first two must agree figure for figure (only the scheme differs); the third shows what
// charging CPU time moves (timing, so hops and duplicates a little). Slow (real Ed25519 is most
// of a run's CPU time), so a script and not a test; test/sim/signatures.test.ts runs 60 nodes.
//   npm run bench:sim-signatures [-- --nodes 300 --messages 20 --seed 12]
// Prints a markdown table on stdout (progress on stderr); exits 1 when a check fails.

import { cpuUsage } from 'node:process'
import { parseArgs } from 'node:util'
import { deterministicPart, runScenario, type SimulationReport } from '../src/sim/index.js'

/** Hops mean and duplicate factor may move this much (relative) when CPU time is charged: it shifts timing, so which copy arrives first. */
const TOLERANCE = 0.02

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '300' }, messages: { type: 'string', default: '20' }, seed: { type: 'string', default: '12' } } })
const nodes = Number(values.nodes)
const messages = Number(values.messages)
const seed = Number(values.seed)
for (const [name, value] of [['nodes', nodes], ['messages', messages], ['seed', seed]] as const) {
  if (!Number.isSafeInteger(value) || value < 1) {
    console.error(`--${name} must be a positive integer, got ${String(values[name])}`)
    process.exit(2)
  }
}

const parameters = { nodes, messages, publishRatePerSec: 4, seed }
const runs: { readonly name: string; readonly report: SimulationReport; readonly cpuSec: number }[] = []
for (const [name, options] of [
  ['ed25519', { signatures: 'ed25519' }],
  ['stand-in', { signatures: 'stand-in' }],
  ['ed25519, no CPU charge', { signatures: 'ed25519', signCostMs: 0, verifyCostMs: 0 }],
] as const) {
  console.error(`running broadcast, ${nodes} nodes, ${messages} publishes, seed ${seed}: ${name}`)
  const cpuBefore = cpuUsage()
  const report = await runScenario('broadcast', { ...parameters, ...options })
  const cpu = cpuUsage(cpuBefore)
  const cpuSec = (cpu.user + cpu.system) / 1e6
  console.error(`  done in ${(report.wallClock.wallMs / 1000).toFixed(1)} s of wall time, ${cpuSec.toFixed(1)} s of CPU`)
  runs.push({ name, report, cpuSec })
}

const fixed = (value: number, digits: number) => value.toFixed(digits)
console.log(`Broadcast, ${nodes} nodes (3 bootstrap, 20 arrivals/s, 30 s settle), ${messages} publishes at 4/s, seed ${seed}; CPU charge per sign/verify in ms.\n`)
console.log('| run | CPU sign / verify ms | delivery | deliveries | hops mean | hops p50 / p99 / max | duplicate factor | latency p50 / p95 / p99 ms | timers | wall s | CPU s |')
console.log('|---|---|---|---|---|---|---|---|---|---|---|')
for (const { name, report, cpuSec } of runs) {
  const b = report.broadcast!
  const { signCostMs, verifyCostMs } = report.engine.signatures
  console.log(
    `| ${name} | ${signCostMs} / ${verifyCostMs} | ${fixed(b.deliveryRatio * 100, 2)}% | ${b.deliveries}/${b.expectedDeliveries} | ${fixed(b.hops.mean, 4)} | ${b.hops.p50} / ${b.hops.p99} / ${b.hops.max} | ` +
      `${fixed(b.duplicateFactor, 4)} | ${fixed(b.latencyMs.p50, 1)} / ${fixed(b.latencyMs.p95, 1)} / ${fixed(b.latencyMs.p99, 1)} | ${report.events.timersFired} | ${fixed(report.wallClock.wallMs / 1000, 1)} | ${fixed(cpuSec, 1)} |`,
  )
}

const [ed25519, standIn, uncharged] = runs.map((run) => run.report)
const withoutScheme = (report: SimulationReport) => {
  const { engine, ...rest } = deterministicPart(report)
  return JSON.stringify({ ...rest, engine: { ...engine, signatures: undefined } }, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))
}
const relative = (a: number, b: number) => Math.abs(a - b) / b
const checks: [string, boolean][] = [
  ['delivery 100% in every run', runs.every(({ report }) => report.broadcast!.deliveryRatio === 1)],
  ['ed25519 and stand-in, same CPU charge: the same report but for the scheme (every figure, events included)', withoutScheme(ed25519) === withoutScheme(standIn)],
  [`stand-in vs no CPU charge: hops mean within ${TOLERANCE * 100}%`, relative(standIn.broadcast!.hops.mean, uncharged.broadcast!.hops.mean) <= TOLERANCE],
  [`stand-in vs no CPU charge: duplicate factor within ${TOLERANCE * 100}%`, relative(standIn.broadcast!.duplicateFactor, uncharged.broadcast!.duplicateFactor) <= TOLERANCE],
  ['stand-in vs no CPU charge: the same hops p50', standIn.broadcast!.hops.p50 === uncharged.broadcast!.hops.p50],
]
console.log('')
for (const [what, isOk] of checks) console.log(`- ${isOk ? 'ok' : 'FAILED'}: ${what}`)
console.log(`- wall time: stand-in ${fixed(standIn.wallClock.wallMs / 1000, 1)} s vs ed25519 ${fixed(ed25519.wallClock.wallMs / 1000, 1)} s (${fixed(ed25519.wallClock.wallMs / standIn.wallClock.wallMs, 1)}x)`)
if (checks.some(([, isOk]) => !isOk)) process.exit(1)
