// The simulation's options, their defaults and why, validated once at the public boundary.
// The node sections (peers, relay, dht, routing) are the node's own options, passed to every
// node unchanged; the node checks them and refuses bad ones with NODE_INVALID_OPTION.

import type { MeshNodeOptions } from '../node.js'
import { checkInteger, checkNumber, describeValue } from '../util/validate.js'
import { SimulationError } from './errors.js'
import { resolveRegions, type RegionModel, type RegionsOption } from './network-model.js'

/** Options every simulated node gets (the simulator sets network, clock, seed, bootstrap and core itself). */
export type SimulatedNodeOptions = Pick<MeshNodeOptions, 'maxPeers' | 'peers' | 'relay' | 'dht' | 'routing'>

/** How simulated nodes sign: real Ed25519 (noble), or the keyed-MAC stand-in (mac-signatures.ts). */
export type SignatureScheme = 'ed25519' | 'stand-in'

/**
 * Virtual CPU time charged per signature, from bench/RESULTS.md (commit 9c72b60, 2-core AMD
 * EPYC, Node 20), table "Two MeshNodes over one data channel": WebCrypto Ed25519 over 100 B,
 * sign 46.4 k/s (21,551.9 ns each), verify 18.0 k/s (55,418.4 ns each). Those are what a
 * production node pays (WebCrypto), with many in flight; one at a time they cost more.
 */
export const DEFAULT_SIGN_COST_MS = 0.021_55
export const DEFAULT_VERIFY_COST_MS = 0.055_42

export interface SimulationOptions {
  /** Seeds everything: node identities and random sources, link jitter and loss, arrivals, publishers. Safe integer. DEFAULT 1. */
  seed?: number
  /** One-way delay of every link, 0 to 10,000 ms, when `regions` is 'none'. DEFAULT 50 (a continental one-way delay). */
  latencyMs?: number
  /** Extra one-way delay drawn uniformly from [0, jitterMs) per frame, 0 to 10,000 ms. DEFAULT 20. */
  jitterMs?: number
  /** Probability from 0 to 1 that a frame is lost. DEFAULT 0. */
  loss?: number
  /**
   * Where nodes are: 'none', every link latencyMs one way; 'cloud-6', six regions with round
   * trips from public inter-region ping tables (network-model.ts, docs/SCALING.md), each node
   * placed by a seeded weighted draw and each link half its regions' round trip (latencyMs is
   * then unused; jitterMs and loss still apply); or a RegionModel of one's own. DEFAULT 'none'.
   */
  regions?: RegionsOption
  /**
   * Each node's access rate in bytes a second, applied to every connection it has, both ways
   * (the memory transport limits per connection: a node's connections do not share it). A
   * positive number or Infinity for no limit. DEFAULT Infinity.
   */
  bandwidthBytesPerSec?: number
  /** Options passed to every node. DEFAULT the node's defaults. */
  node?: SimulatedNodeOptions
  /**
   * 'stand-in': HMAC-SHA256 under a key drawn from the seed, which only this simulation's nodes
   * hold (forged and altered messages are still refused), about a hundred times cheaper than
   * noble's Ed25519. 'ed25519': real signing and verifying (noble). Same key pairs and peer ids
   * either way. DEFAULT 'stand-in'.
   */
  signatures?: SignatureScheme
  /** Virtual CPU ms each signature costs its node, 0 to 1,000; queued behind the node's other signing and verifying. DEFAULT DEFAULT_SIGN_COST_MS (Ed25519, measured). */
  signCostMs?: number
  /** Virtual CPU ms each signature check costs its node, 0 to 1,000, queued likewise. DEFAULT DEFAULT_VERIFY_COST_MS (Ed25519, measured). With 'ed25519' and both costs 0, the nodes sign and verify on their own, with nothing injected. */
  verifyCostMs?: number
}

export interface ResolvedSimulationOptions {
  readonly seed: number
  readonly latencyMs: number
  readonly jitterMs: number
  readonly loss: number
  /** undefined for 'none'. */
  readonly regions: RegionModel | undefined
  readonly bandwidthBytesPerSec: number
  readonly node: SimulatedNodeOptions
  readonly signatures: SignatureScheme
  readonly signCostMs: number
  readonly verifyCostMs: number
}

const MAX_LINK_DELAY_MS = 10_000
const MAX_SIGNATURE_COST_MS = 1_000
const SCHEMES: readonly SignatureScheme[] = ['ed25519', 'stand-in']
const OPTION_NAMES: ReadonlySet<string> = new Set<keyof SimulationOptions>(['seed', 'latencyMs', 'jitterMs', 'loss', 'regions', 'bandwidthBytesPerSec', 'node', 'signatures', 'signCostMs', 'verifyCostMs'])

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
  const signatures = options.signatures ?? 'stand-in'
  if (!SCHEMES.includes(signatures)) throw invalidOption(`signatures must be ${SCHEMES.map((name) => JSON.stringify(name)).join(' or ')}, got ${describeValue(signatures)}`)
  const bandwidthBytesPerSec = options.bandwidthBytesPerSec ?? Infinity
  if (typeof bandwidthBytesPerSec !== 'number' || !(bandwidthBytesPerSec >= 1)) {
    throw invalidOption(`bandwidthBytesPerSec must be a number from 1 up (Infinity for no limit), got ${describeValue(bandwidthBytesPerSec)}`)
  }
  return {
    seed,
    latencyMs: checkNumber('latencyMs', options.latencyMs ?? 50, 0, MAX_LINK_DELAY_MS, invalidOption),
    jitterMs: checkNumber('jitterMs', options.jitterMs ?? 20, 0, MAX_LINK_DELAY_MS, invalidOption),
    loss: checkNumber('loss', options.loss ?? 0, 0, 1, invalidOption),
    regions: resolveRegions(options.regions),
    bandwidthBytesPerSec,
    node,
    signatures,
    signCostMs: checkNumber('signCostMs', options.signCostMs ?? DEFAULT_SIGN_COST_MS, 0, MAX_SIGNATURE_COST_MS, invalidOption),
    verifyCostMs: checkNumber('verifyCostMs', options.verifyCostMs ?? DEFAULT_VERIFY_COST_MS, 0, MAX_SIGNATURE_COST_MS, invalidOption),
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
