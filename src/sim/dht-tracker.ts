// Follows the DHT operations of a run: immutable records put by some nodes and read back by
// others, each get timed in virtual time and its lookup's hops read from the getting node's
// own hop histogram. A value carries its record's number in its first 4 bytes, so a get that
// returns the wrong bytes is caught, not counted as found.

import type { MeshNode } from '../node.js'
import type { RandomSource } from '../util/random.js'
import { WasmeshError } from '../util/wasmesh-error.js'
import { summarize, type Distribution } from './distribution.js'

const INDEX_BYTES = 4

interface StoredRecord {
  readonly key: Uint8Array
  readonly value: Uint8Array
}

export interface DhtSummary {
  /** put() calls, and those that stored the record on at least one node. */
  readonly puts: number
  readonly putsStored: number
  /** put() rejections by error code. */
  readonly putFailures: Readonly<Record<string, number>>
  /** Virtual ms a put took (lookup of the k closest, then the stores). */
  readonly putLatencyMs: Distribution
  readonly gets: number
  /** Gets that returned exactly the value put. */
  readonly getsFound: number
  /** Gets that resolved with nothing: no holder was reached. */
  readonly getsMissing: number
  /** Gets that returned other bytes than were put (never expected: records are content-addressed). */
  readonly getsWrong: number
  /** get() rejections by error code; 'still-pending' for gets not settled when the phase ended. */
  readonly getFailures: Readonly<Record<string, number>>
  /** getsFound / gets. */
  readonly getSuccessRatio: number
  /** Virtual ms from get() to its answer, found or not. */
  readonly getLatencyMs: Distribution
  /**
   * Hops of each get's lookup (the hop at which the value was found, or the closest node's
   * hop; 0 for a node that held the record itself), read from the getting node's hop
   * histogram across the get: counted only when that was the one lookup it finished meanwhile.
   */
  readonly getHops: Distribution
  /** Gets whose hops could not be told apart from another lookup of the same node finishing meanwhile. */
  readonly getHopsUnattributed: number
}

function countError(counts: Record<string, number>, error: unknown): void {
  if (!(error instanceof WasmeshError)) throw error
  counts[error.code] = (counts[error.code] ?? 0) + 1
}

function histogramOf(node: MeshNode): readonly number[] {
  return node.stats().dht.hops.histogram
}

/**
 * The hops of the one lookup that finished between `before` and `after`: 0 when none did (the
 * node answered from its own store), undefined when more than one did.
 */
function singleNewHop(before: readonly number[], after: readonly number[]): number | undefined {
  let found: number | undefined
  let total = 0
  for (let hop = 0; hop < after.length; hop++) {
    const grew = after[hop] - (before[hop] ?? 0)
    if (grew > 0) {
      total += grew
      found = hop
    }
  }
  if (total === 0) return 0
  return total === 1 ? found : undefined
}

export class DhtTracker {
  readonly #now: () => number
  readonly #random: RandomSource
  readonly #records: StoredRecord[] = []
  readonly #putFailures: Record<string, number> = {}
  readonly #getFailures: Record<string, number> = {}
  readonly #putLatencies: number[] = []
  readonly #getLatencies: number[] = []
  readonly #getHops: number[] = []
  #puts = 0
  #putsStored = 0
  #gets = 0
  #found = 0
  #missing = 0
  #wrong = 0
  #unattributed = 0
  #pending = 0

  constructor(now: () => number, random: RandomSource) {
    this.#now = now
    this.#random = random
  }

  /** Records put and stored so far: what get() can ask for. */
  get storedRecords(): number {
    return this.#records.length
  }

  /** Operations started and not yet settled. */
  get pending(): number {
    return this.#pending
  }

  /** Puts a new immutable record of `valueBytes` (at least 4) random bytes from `node`. */
  async put(node: MeshNode, valueBytes: number): Promise<void> {
    const value = new Uint8Array(Math.max(INDEX_BYTES, valueBytes))
    this.#random.fill(value)
    new DataView(value.buffer).setUint32(0, this.#puts)
    this.#puts++
    this.#pending++
    const startedAt = this.#now()
    try {
      const key = await node.dht.putImmutable(value)
      this.#putLatencies.push(this.#now() - startedAt)
      this.#putsStored++
      this.#records.push({ key, value })
    } catch (error) {
      countError(this.#putFailures, error)
    } finally {
      this.#pending--
    }
  }

  /** Reads record number `index` (of storedRecords) from `node`. */
  async get(node: MeshNode, index: number): Promise<void> {
    const record = this.#records[index]
    this.#gets++
    this.#pending++
    const startedAt = this.#now()
    const before = histogramOf(node)
    try {
      const value = await node.dht.getImmutable(record.key)
      this.#getLatencies.push(this.#now() - startedAt)
      if (value === undefined) this.#missing++
      else if (value.length === record.value.length && value.every((byte, i) => byte === record.value[i])) this.#found++
      else this.#wrong++
      const hop = node.isRunning ? singleNewHop(before, histogramOf(node)) : undefined
      if (hop === undefined) this.#unattributed++
      else this.#getHops.push(hop)
    } catch (error) {
      countError(this.#getFailures, error)
    } finally {
      this.#pending--
    }
  }

  /** Reads a record drawn at random from `node`; false when none is stored yet. */
  getRandom(node: MeshNode, random: RandomSource): Promise<void> | undefined {
    if (this.#records.length === 0) return undefined
    return this.get(node, random.nextInt(this.#records.length))
  }

  summary(): DhtSummary {
    const getFailures = { ...this.#getFailures }
    if (this.#pending > 0) getFailures['still-pending'] = this.#pending
    return {
      puts: this.#puts,
      putsStored: this.#putsStored,
      putFailures: { ...this.#putFailures },
      putLatencyMs: summarize(this.#putLatencies),
      gets: this.#gets,
      getsFound: this.#found,
      getsMissing: this.#missing,
      getsWrong: this.#wrong,
      getFailures,
      getSuccessRatio: this.#gets === 0 ? 0 : this.#found / this.#gets,
      getLatencyMs: summarize(this.#getLatencies),
      getHops: summarize(this.#getHops),
      getHopsUnattributed: this.#unattributed,
    }
  }
}
