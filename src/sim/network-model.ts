// The simulated network's geography: nodes placed in regions by seeded weighted draws, each
// link's one-way delay half the round trip between its two ends' regions, and each node's
// access rate as the bandwidth of its connections. Fed to the memory transport through its
// per-link hook (`linkFor`), so the transport's own jitter, loss, cut and partition apply on top.

import type { LinkOptions } from '../transport/memory/link.js'
import type { RandomSource } from '../util/random.js'
import { describeValue } from '../util/validate.js'
import { SimulationError } from './errors.js'

const invalidOption = (message: string) => new SimulationError('SIM_INVALID_OPTION', message)

/** Regions, how likely a node is to be in each, and the round trip between every two. */
export interface RegionModel {
  /** Region names, 1 to 32, distinct. */
  readonly names: readonly string[]
  /** Relative share of nodes in each region (any positive numbers; normalised). */
  readonly weights: readonly number[]
  /** rttMs[i][j]: round-trip time between a node in region i and one in region j, 0 to 10,000 ms; symmetric. */
  readonly rttMs: readonly (readonly number[])[]
}

/**
 * 'cloud-6': six regions with round trips rounded to 5 ms from the medians of public
 * inter-region ping tables between AWS regions (cloudping.co, "AWS Latency Monitoring",
 * inter-region medians, us-east-1 / eu-west-1 / us-west-2 / ap-northeast-1 / sa-east-1 /
 * ap-southeast-2), read at the time of writing, not re-measured here. Within a region two
 * end users are set 20 ms apart (two access networks and a metro hop, not the 1-2 ms between
 * data-centre zones). Weights follow a rough share of Internet users (Europe, the Americas,
 * Asia-Pacific). docs/SCALING.md lists the same figures.
 */
export const CLOUD_6_REGIONS: RegionModel = Object.freeze({
  names: Object.freeze(['us-east', 'eu-west', 'us-west', 'asia-east', 'sa-east', 'oceania']),
  weights: Object.freeze([25, 25, 10, 25, 10, 5]),
  rttMs: Object.freeze([
    Object.freeze([20, 70, 65, 150, 115, 200]),
    Object.freeze([70, 20, 125, 210, 180, 255]),
    Object.freeze([65, 125, 20, 100, 175, 140]),
    Object.freeze([150, 210, 100, 20, 255, 105]),
    Object.freeze([115, 180, 175, 255, 20, 310]),
    Object.freeze([200, 255, 140, 105, 310, 20]),
  ]),
})

/** The regions option: 'none' (every link the uniform latencyMs), the built-in 'cloud-6', or a model of one's own. */
export type RegionsOption = 'none' | 'cloud-6' | RegionModel

const MAX_REGIONS = 32
const MAX_RTT_MS = 10_000

/** The region model of `option`, checked (SIM_INVALID_OPTION); undefined for 'none'. */
export function resolveRegions(option: RegionsOption | undefined): RegionModel | undefined {
  if (option === undefined || option === 'none') return undefined
  if (option === 'cloud-6') return CLOUD_6_REGIONS
  if (typeof option !== 'object' || option === null) throw invalidOption(`regions must be 'none', 'cloud-6' or { names, weights, rttMs }, got ${describeValue(option)}`)
  const { names, weights, rttMs } = option
  if (!Array.isArray(names) || names.length < 1 || names.length > MAX_REGIONS || names.some((name) => typeof name !== 'string' || name === '')) {
    throw invalidOption(`regions.names must be 1 to ${MAX_REGIONS} non-empty strings, got ${describeValue(names)}`)
  }
  if (new Set(names).size !== names.length) throw invalidOption(`regions.names must be distinct, got ${describeValue(names)}`)
  const count = names.length
  if (!Array.isArray(weights) || weights.length !== count || weights.some((weight) => typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight))) {
    throw invalidOption(`regions.weights must be ${count} positive finite numbers, one a region, got ${describeValue(weights)}`)
  }
  if (!Array.isArray(rttMs) || rttMs.length !== count) throw invalidOption(`regions.rttMs must be a ${count}x${count} matrix, got ${describeValue(rttMs)}`)
  rttMs.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== count) throw invalidOption(`regions.rttMs[${i}] must be ${count} numbers, got ${describeValue(row)}`)
    row.forEach((value, j) => {
      if (typeof value !== 'number' || !(value >= 0 && value <= MAX_RTT_MS)) throw invalidOption(`regions.rttMs[${i}][${j}] must be a number from 0 to ${MAX_RTT_MS}, got ${describeValue(value)}`)
    })
  })
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < i; j++) {
      if (rttMs[i][j] !== rttMs[j][i]) throw invalidOption(`regions.rttMs must be symmetric: [${i}][${j}] is ${rttMs[i][j]}, [${j}][${i}] is ${rttMs[j][i]}`)
    }
  }
  return { names: [...names], weights: [...weights], rttMs: rttMs.map((row) => [...row]) }
}

/** How the nodes were placed, for the report. */
export interface NetworkModelSummary {
  readonly latency: 'uniform' | 'regions'
  /** Region names, nodes placed in each (over the whole run), and the round-trip matrix; absent for uniform latency. */
  readonly regions?: { readonly names: readonly string[]; readonly nodes: readonly number[]; readonly rttMs: readonly (readonly number[])[] }
  /** Each node's access rate, bytes a second, as the bandwidth of each of its connections; null for no limit. */
  readonly bandwidthBytesPerSecPerNode: number | null
}

/**
 * Where each simulated node is and what its links are. A node is placed when created
 * (place(address)); linkFor(from, to) is what the memory network asks for each new
 * connection and each dial's handshake steps.
 */
export class NetworkModel {
  readonly #regions: RegionModel | undefined
  readonly #bandwidthBytesPerSec: number
  readonly #random: RandomSource
  readonly #cumulative: number[]
  readonly #regionOf = new Map<string, number>()
  readonly #placed: number[]
  /** One LinkOptions object per region pair, shared by every connection between them. */
  readonly #links: LinkOptions[][]

  constructor(regions: RegionModel | undefined, bandwidthBytesPerSec: number, random: RandomSource) {
    this.#regions = regions
    this.#bandwidthBytesPerSec = bandwidthBytesPerSec
    this.#random = random
    const weights = regions?.weights ?? [1]
    const total = weights.reduce((sum, weight) => sum + weight, 0)
    let running = 0
    this.#cumulative = weights.map((weight) => (running += weight / total))
    this.#placed = weights.map(() => 0)
    const bandwidth = bandwidthBytesPerSec === Infinity ? {} : { bandwidthBytesPerSec }
    this.#links = regions === undefined
      ? [[bandwidth]]
      : regions.rttMs.map((row) => row.map((rtt) => ({ latencyMs: rtt / 2, ...bandwidth })))
  }

  /** Whether links differ at all from the network's defaults (else the memory network needs no hook). */
  get isNeeded(): boolean {
    return this.#regions !== undefined || this.#bandwidthBytesPerSec !== Infinity
  }

  /** Places the node reached at `addresses` in a region drawn by weight; returns the region's index. */
  place(addresses: readonly string[]): number {
    const draw = this.#regions === undefined ? 0 : this.#random.nextFloat()
    let region = this.#cumulative.findIndex((bound) => draw < bound)
    if (region < 0) region = this.#cumulative.length - 1
    for (const address of addresses) this.#regionOf.set(address, region)
    this.#placed[region]++
    return region
  }

  /** The region index of a placed address (0 with uniform latency, and for an address never placed). */
  regionOf(address: string): number {
    return this.#regionOf.get(address) ?? 0
  }

  /** The link from `from` to `to`: half the regions' round trip, the access rate; undefined when nothing differs from the defaults. */
  linkFor(from: string, to: string): LinkOptions | undefined {
    if (!this.isNeeded) return undefined
    return this.#links[this.regionOf(from)][this.regionOf(to)]
  }

  summary(): NetworkModelSummary {
    const regions = this.#regions
    return {
      latency: regions === undefined ? 'uniform' : 'regions',
      ...(regions === undefined ? {} : { regions: { names: regions.names, nodes: [...this.#placed], rttMs: regions.rttMs } }),
      bandwidthBytesPerSecPerNode: this.#bandwidthBytesPerSec === Infinity ? null : this.#bandwidthBytesPerSec,
    }
  }
}
