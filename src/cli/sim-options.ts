// The flags of `wasmesh sim`, parsed and checked. The command's own flags are fixed; every
// other `--name value` is a parameter of the scenario, its name the parameter's in kebab case
// (`--arrival-rate-per-sec` is arrivalRatePerSec, `--node.relay.fanout` is node.relay.fanout),
// so a scenario added to the registry takes its parameters here with no change to this file.
// The scenario checks their values itself; sim.ts turns what it refuses into usage errors.

import { scenarioNames, type ScenarioName } from '../sim/index.js'
import { UsageError } from './usage-error.js'

/** A parameter's value as given: numbers where the text is one, else the text. */
export type ParameterValue = number | string | boolean

/** A parameter as a path of camelCase names: ['nodes'], ['node', 'relay', 'fanout']. */
export type ParameterPath = readonly string[]

export interface SweepAxis {
  readonly path: ParameterPath
  readonly values: readonly ParameterValue[]
}

export type Comparison = '>=' | '<=' | '>' | '<' | '=='

/** A figure of the report that must hold, else the command exits 1: `broadcast.deliveryRatio>=0.999`. */
export interface Expectation {
  /** Dotted path into report.json. */
  readonly figure: string
  readonly comparison: Comparison
  readonly value: number
}

export interface SimOptions {
  readonly scenario: ScenarioName
  /** The scenario's parameters, nested where the path is (node.relay.fanout). */
  readonly parameters: Readonly<Record<string, unknown>>
  /** Parameters to sweep: every combination of their values runs once. Empty: one run. */
  readonly sweep: readonly SweepAxis[]
  readonly outDir: string
  readonly expectations: readonly Expectation[]
  /** No progress line. */
  readonly isQuiet: boolean
  /** Skip the SVG charts. */
  readonly hasCharts: boolean
}

/** Most runs one sweep may ask for. */
export const MAX_SWEEP_POINTS = 64

export function simUsage(): string {
  return `usage: wasmesh sim --scenario <name> [options] [--<parameter> <value> ...]

Runs a scenario of the simulator: the production MeshNode code for many nodes on one
in-memory network in virtual time, seeded, so the same flags give the same report.json (but
for its wallClock fields). Writes report.json, report.md and SVG charts into --out; with
--sweep, one run per value and a sweep report charting the figures against the parameter.

options:
  --scenario <name>       ${scenarioNames.join(', ')}
  --out <dir>             where the reports go, made if missing (default sim-report)
  --sweep <p>=<v>,<v>...  run once per value of parameter p (repeat for more parameters:
                          every combination runs), at most ${MAX_SWEEP_POINTS} runs
  --expect <figure><op><n>
                          a report figure that must hold, op one of >= <= > < ==, e.g.
                          --expect broadcast.deliveryRatio>=0.999 (repeatable; exit 1 if not)
  --quiet                 no progress line on stderr
  --no-charts             skip the SVG charts
  -h, --help              this text

scenario parameters (the scenario checks them and says which it takes):
  --nodes <n>                  nodes in all, bootstrap nodes included (default 100)
  --seed <n>                   seeds everything (default 1)
  --bootstrap-nodes <n>        bootstrap nodes (default 3)
  --arrival-rate-per-sec <r>   newcomers a virtual second (default 20)
  --settle-ms <ms>             virtual ms after the last arrival (default 30000)
  --latency-ms, --jitter-ms, --loss, --signatures <stand-in|ed25519>, --sign-cost-ms,
  --verify-cost-ms             links and signatures
  --messages, --publish-rate-per-sec, --payload-bytes, --drain-ms
                               broadcast
  --node <json>                options for every node, e.g. '{"relay":{"fanout":8}}'
  --node.<section>.<option> <v>
                               one of them, e.g. --node.relay.fanout 8
  Any other parameter of a scenario: its name in kebab case.

The progress line (virtual time, events a second, ETA to the end of the stretch of virtual
time being run, memory) redraws itself on a terminal and is a line every 10 s otherwise.

exit codes: 0 done, every --expect held and every node stopped clean; 1 the run failed, an
--expect missed or a node left a timer or connection behind at stop; 2 a usage error (a bad
flag or value, or a parameter the scenario refuses); 130 interrupted (Ctrl-C).

examples:
  npx wasmesh sim --scenario join --nodes 10000 --seed 1 --out report/
  npx wasmesh sim --scenario broadcast --nodes 1000 --messages 200 --expect broadcast.deliveryRatio>=0.999
  npx wasmesh sim --scenario broadcast --sweep nodes=1000,10000,100000 --out sweep/
  npx wasmesh sim --scenario broadcast --nodes 1000 --sweep node.relay.fanout=2,4,6,8
  npx wasmesh sim --scenario hotspot --nodes 1000 --gets-per-reader 5 --read-ms 10000
`
}

const BOOLEAN_FLAGS = new Set(['quiet', 'no-charts'])
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/
const CAMEL_NAME = /^[a-z][A-Za-z0-9]*$/
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i
const EXPECTATION = /^([A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*)\s*(>=|<=|==|>|<)\s*(\S+)$/

const kebabToCamel = (name: string) => name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase())
const camelToKebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)

/** The flag that sets the parameter at `path`: ['node', 'relay', 'fanout'] is --node.relay.fanout. */
export function flagOf(path: ParameterPath): string {
  return `--${path.map(camelToKebab).join('.')}`
}

/** The parameter a name names, in kebab case (as a flag) or camelCase (as in report.json), dotted for nested ones. */
function parameterPath(name: string, where: string): ParameterPath {
  const segments = name.split('.')
  if (!segments.every((segment) => NAME.test(segment) || CAMEL_NAME.test(segment))) {
    throw new UsageError(`${where}: ${JSON.stringify(name)} is not a parameter name (kebab-case words, dotted for nested options: --node.relay.fanout)`)
  }
  return segments.map(kebabToCamel)
}

/** A value as typed: a number when it reads as one (10_000 and 1e4 included), true/false, else the text. */
export function parseValue(text: string): ParameterValue {
  const plain = text.replace(/(?<=\d)_(?=\d)/g, '')
  if (NUMBER.test(plain)) return Number(plain)
  if (text === 'true' || text === 'false') return text === 'true'
  return text
}

function nodeOptions(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new UsageError(`--node must be a JSON object of node options, got ${JSON.stringify(text)}: ${(error as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--node must be a JSON object of node options, got ${JSON.stringify(text)}`)
  return value as Record<string, unknown>
}

/** Sets `value` at `path` in `target`, making the objects on the way. */
export function setParameter(target: Record<string, unknown>, path: ParameterPath, value: unknown): void {
  let at = target
  for (const segment of path.slice(0, -1)) {
    const next = at[segment]
    if (typeof next !== 'object' || next === null) at[segment] = {}
    at = at[segment] as Record<string, unknown>
  }
  at[path[path.length - 1]] = value
}

const samePath = (a: ParameterPath, b: ParameterPath) => a.join('.') === b.join('.')
const isWithin = (inner: ParameterPath, outer: ParameterPath) => outer.every((segment, i) => inner[i] === segment)

function parseSweep(text: string): SweepAxis {
  const equals = text.indexOf('=')
  if (equals <= 0 || equals === text.length - 1) throw new UsageError(`--sweep must be <parameter>=<value>,<value>..., got ${JSON.stringify(text)}`)
  const path = parameterPath(text.slice(0, equals).replace(/^--/, ''), '--sweep')
  if (path[0] === 'node' && path.length === 1) throw new UsageError('--sweep: sweep one node option (node.relay.fanout=4,8), not the whole --node object')
  const texts = text.slice(equals + 1).split(',')
  if (texts.some((value) => value.trim() === '')) throw new UsageError(`--sweep ${flagOf(path).slice(2)}: an empty value in ${JSON.stringify(text)}`)
  const values = texts.map((value) => parseValue(value.trim()))
  const repeated = values.find((value, i) => values.indexOf(value) !== i)
  if (repeated !== undefined) throw new UsageError(`--sweep ${flagOf(path).slice(2)}: ${JSON.stringify(repeated)} is given twice`)
  return { path, values }
}

function parseExpectation(text: string): Expectation {
  const match = EXPECTATION.exec(text.trim())
  const value = match === null ? Number.NaN : Number(match[3])
  if (match === null || !NUMBER.test(match[3]) || !Number.isFinite(value)) {
    throw new UsageError(`--expect must be <figure><op><number> with op one of >= <= > < == (e.g. broadcast.deliveryRatio>=0.999), got ${JSON.stringify(text)}`)
  }
  return { figure: match[1], comparison: match[2] as Comparison, value }
}

export function parseSimOptions(args: readonly string[]): SimOptions {
  let scenario: string | undefined
  let outDir: string | undefined
  let isQuiet = false
  let hasCharts = true
  const sweep: SweepAxis[] = []
  const expectations: Expectation[] = []
  const given: ParameterPath[] = []
  const parameters: Record<string, unknown> = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: every option is --name value`)
    const equals = arg.indexOf('=')
    const name = equals === -1 ? arg.slice(2) : arg.slice(2, equals)
    if (BOOLEAN_FLAGS.has(name)) {
      if (equals !== -1) throw new UsageError(`--${name} takes no value`)
      if (name === 'quiet') isQuiet = true
      else hasCharts = false
      continue
    }
    const value = equals === -1 ? args[++i] : arg.slice(equals + 1)
    if (value === undefined || value === '' || (equals === -1 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`)
    if (name === 'scenario' || name === 'out') {
      if ((name === 'scenario' ? scenario : outDir) !== undefined) throw new UsageError(`--${name} is given twice`)
      if (name === 'scenario') scenario = value
      else outDir = value
    } else if (name === 'sweep') {
      sweep.push(parseSweep(value))
    } else if (name === 'expect') {
      expectations.push(parseExpectation(value))
    } else {
      const path = parameterPath(name, `--${name}`)
      if (given.some((other) => samePath(other, path))) throw new UsageError(`${flagOf(path)} is given twice`)
      given.push(path)
      setParameter(parameters, path, path.length === 1 && path[0] === 'node' ? nodeOptions(value) : parseValue(value))
    }
  }
  if (given.some((path) => path[0] === 'node' && path.length === 1) && given.some((path) => path[0] === 'node' && path.length > 1)) {
    throw new UsageError('give node options either as --node <json> or as --node.<section>.<option> flags, not both')
  }
  if (scenario === undefined) throw new UsageError(`--scenario is required: one of ${scenarioNames.join(', ')}`)
  if (!(scenarioNames as readonly string[]).includes(scenario)) throw new UsageError(`--scenario must be one of ${scenarioNames.join(', ')}, got ${JSON.stringify(scenario)}`)
  for (const [i, axis] of sweep.entries()) {
    const fixed = given.find((path) => isWithin(axis.path, path) || isWithin(path, axis.path))
    if (fixed !== undefined) throw new UsageError(`${flagOf(axis.path).slice(2)} is both swept and set by ${flagOf(fixed)}`)
    if (sweep.slice(0, i).some((other) => isWithin(axis.path, other.path) || isWithin(other.path, axis.path))) throw new UsageError(`--sweep ${flagOf(axis.path).slice(2)} is swept twice`)
  }
  const points = sweep.reduce((product, axis) => product * axis.values.length, 1)
  if (points > MAX_SWEEP_POINTS) throw new UsageError(`--sweep asks for ${points} runs; at most ${MAX_SWEEP_POINTS}`)
  return { scenario: scenario as ScenarioName, parameters, sweep, outDir: outDir ?? 'sim-report', expectations, isQuiet, hasCharts }
}
