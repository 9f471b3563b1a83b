// The simulation's options, their defaults and why, validated once at the public boundary.
// The node sections (peers, relay, dht, routing) are the node's own options, passed to every
// node unchanged; the node checks them and refuses bad ones with NODE_INVALID_OPTION.

import type { MeshNodeOptions } from '../node.js'
import { checkInteger, checkNumber, describeValue } from '../util/validate.js'
import { SimulationError } from './errors.js'

/** Options every simulated node gets (the simulator sets network, clock, seed, bootstrap and core itself). */
export type SimulatedNodeOptions = Pick<MeshNodeOptions, 'maxPeers' | 'peers' | 'relay' | 'dht' | 'routing'>

export interface SimulationOptions {
  /** Seeds everything: node identities and random sources, link jitter and loss, arrivals, publishers. Safe integer. DEFAULT 1. */
  seed?: number
  /** One-way delay of every link, 0 to 10,000 ms. DEFAULT 50 (a continental one-way delay). */
  latencyMs?: number
  /** Extra one-way delay drawn uniformly from [0, jitterMs) per frame, 0 to 10,000 ms. DEFAULT 20. */
  jitterMs?: number
  /** Probability from 0 to 1 that a frame is lost. DEFAULT 0. */
  loss?: number
  /** Options passed to every node. DEFAULT the node's defaults. */
  node?: SimulatedNodeOptions
}

export interface ResolvedSimulationOptions {
  readonly seed: number
  readonly latencyMs: number
  readonly jitterMs: number
  readonly loss: number
  readonly node: SimulatedNodeOptions
}

const MAX_LINK_DELAY_MS = 10_000
const OPTION_NAMES: ReadonlySet<string> = new Set<keyof SimulationOptions>(['seed', 'latencyMs', 'jitterMs', 'loss', 'node'])

export const invalidOption = (message: string) => new SimulationError('SIM_INVALID_OPTION', message)

/** Refuses option names not in `names`: a misspelt option would silently run another experiment. */
export function checkKnownNames(what: string, options: object, names: ReadonlySet<string>): void {
  for (const name of Object.keys(options)) {
    if (!names.has(name)) throw invalidOption(`unknown ${what} option ${JSON.stringify(name)}; expected one of ${[...names].join(', ')}`)
  }
}

export function resolveSimulationOptions(options: SimulationOptions): ResolvedSimulationOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption(`simulation options must be an object, got ${describeValue(options)}`)
  checkKnownNames('simulation', options, OPTION_NAMES)
  const seed = options.seed ?? 1
  if (!Number.isSafeInteger(seed)) throw invalidOption(`seed must be a safe integer, got ${describeValue(seed)}`)
  const node = options.node ?? {}
  if (typeof node !== 'object' || node === null || Array.isArray(node)) throw invalidOption(`node must be an object of node options, got ${describeValue(node)}`)
  return {
    seed,
    latencyMs: checkNumber('latencyMs', options.latencyMs ?? 50, 0, MAX_LINK_DELAY_MS, invalidOption),
    jitterMs: checkNumber('jitterMs', options.jitterMs ?? 20, 0, MAX_LINK_DELAY_MS, invalidOption),
    loss: checkNumber('loss', options.loss ?? 0, 0, 1, invalidOption),
    node,
  }
}

/** An integer option of a scenario, with its default. */
export function integerOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  return checkInteger(name, value ?? fallback, min, max, invalidOption)
}

/** A numeric option of a scenario, with its default. */
export function numberOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  return checkNumber(name, value ?? fallback, min, max, invalidOption)
}
