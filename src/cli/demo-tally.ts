// What the demo counts while its mesh runs: each publish and who received it (once, or more),
// each direct message and its ack, each DHT put and get. All nodes live in this process, so
// one monotonic clock times a message from its sender's call to its receiver's handler.

export interface LatencySummary {
  readonly count: number
  readonly p50Ms: number | undefined
  readonly p99Ms: number | undefined
  readonly maxMs: number | undefined
}

export interface DemoFigures {
  readonly broadcast: {
    readonly published: number
    /** Receipts the mesh owed: each publish to every node but its origin. */
    readonly expected: number
    readonly delivered: number
    /** A node's handler called again for a message it had already had (dedup should keep this 0). */
    readonly duplicates: number
    readonly deliveryRatio: number
    readonly latency: LatencySummary
    readonly meanHops: number | undefined
    readonly maxHops: number | undefined
    /** Deliveries a second over the traffic phase. */
    readonly deliveriesPerSec: number
  }
  readonly direct: {
    readonly sent: number
    readonly acknowledged: number
    readonly failed: number
    readonly received: number
    readonly rtt: LatencySummary
    readonly meanHops: number | undefined
  }
  readonly dht: {
    readonly puts: number
    readonly putFailures: number
    readonly gets: number
    readonly found: number
    readonly missing: number
    readonly getFailures: number
    readonly putLatency: LatencySummary
    readonly getLatency: LatencySummary
  }
}

export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b)
  const at = (q: number) => (sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))])
  return { count: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted.at(-1) }
}

const mean = (values: readonly number[]) => (values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length)

export class DemoTally {
  readonly #now: () => number
  readonly #nodes: number
  /** Per publish: when it was sent, its origin, and which nodes have had it. */
  readonly #publishes: { sentAtMs: number; origin: number; receivers: Set<number> }[] = []
  readonly #publishLatencies: number[] = []
  readonly #publishHops: number[] = []
  #duplicates = 0
  #directSent = 0
  #directFailed = 0
  #directReceived = 0
  readonly #directRtts: number[] = []
  readonly #directHops: number[] = []
  #puts = 0
  #putFailures = 0
  readonly #putLatencies: number[] = []
  #gets = 0
  #found = 0
  #missing = 0
  #getFailures = 0
  readonly #getLatencies: number[] = []
  #trafficStartedAtMs: number | undefined
  #trafficEndedAtMs: number | undefined

  constructor(nodes: number, now: () => number) {
    this.#nodes = nodes
    this.#now = now
  }

  startTraffic(): void {
    this.#trafficStartedAtMs = this.#now()
  }

  endTraffic(): void {
    this.#trafficEndedAtMs = this.#now()
  }

  /** Registers a publish from node `origin` and returns its index, which goes in the payload. */
  published(origin: number): number {
    this.#publishes.push({ sentAtMs: this.#now(), origin, receivers: new Set() })
    return this.#publishes.length - 1
  }

  /** Node `receiver` had publish `index` after `hops` hops. */
  received(receiver: number, index: number, hops: number): void {
    const publish = this.#publishes[index]
    if (publish === undefined) return
    if (publish.receivers.has(receiver) || receiver === publish.origin) {
      this.#duplicates++
      return
    }
    publish.receivers.add(receiver)
    this.#publishLatencies.push(this.#now() - publish.sentAtMs)
    this.#publishHops.push(hops)
  }

  /** Returns a function to call with the outcome of one direct send. */
  sendingDirect(): (outcome: { rttMs: number; hops: number } | Error) => void {
    this.#directSent++
    const sentAtMs = this.#now()
    return (outcome) => {
      if (outcome instanceof Error) {
        this.#directFailed++
        return
      }
      this.#directRtts.push(this.#now() - sentAtMs)
      this.#directHops.push(outcome.hops)
    }
  }

  directReceived(): void {
    this.#directReceived++
  }

  /** Returns a function to call with the outcome of one put. */
  putting(): (outcome: 'ok' | Error) => void {
    this.#puts++
    const startedAtMs = this.#now()
    return (outcome) => {
      if (outcome instanceof Error) this.#putFailures++
      else this.#putLatencies.push(this.#now() - startedAtMs)
    }
  }

  /** Returns a function to call with the outcome of one get. */
  getting(): (outcome: 'found' | 'missing' | Error) => void {
    this.#gets++
    const startedAtMs = this.#now()
    return (outcome) => {
      if (outcome instanceof Error) {
        this.#getFailures++
        return
      }
      if (outcome === 'found') this.#found++
      else this.#missing++
      this.#getLatencies.push(this.#now() - startedAtMs)
    }
  }

  /** Direct sends, puts and gets still waiting for their outcome. */
  get pendingOperations(): number {
    const direct = this.#directSent - this.#directFailed - this.#directRtts.length
    const puts = this.#puts - this.#putFailures - this.#putLatencies.length
    const gets = this.#gets - this.#getFailures - this.#getLatencies.length
    return direct + puts + gets
  }

  /** Deliveries still owed by the mesh. */
  get missingDeliveries(): number {
    return this.#expected() - this.#publishLatencies.length
  }

  #expected(): number {
    return this.#publishes.length * (this.#nodes - 1)
  }

  figures(): DemoFigures {
    const expected = this.#expected()
    const delivered = this.#publishLatencies.length
    const trafficMs = (this.#trafficEndedAtMs ?? this.#now()) - (this.#trafficStartedAtMs ?? this.#now())
    return {
      broadcast: {
        published: this.#publishes.length,
        expected,
        delivered,
        duplicates: this.#duplicates,
        deliveryRatio: expected === 0 ? 1 : delivered / expected,
        latency: summarize(this.#publishLatencies),
        meanHops: mean(this.#publishHops),
        maxHops: this.#publishHops.length === 0 ? undefined : Math.max(...this.#publishHops),
        deliveriesPerSec: trafficMs <= 0 ? 0 : (delivered * 1_000) / trafficMs,
      },
      direct: {
        sent: this.#directSent,
        acknowledged: this.#directRtts.length,
        failed: this.#directFailed,
        received: this.#directReceived,
        rtt: summarize(this.#directRtts),
        meanHops: mean(this.#directHops),
      },
      dht: {
        puts: this.#puts,
        putFailures: this.#putFailures,
        gets: this.#gets,
        found: this.#found,
        missing: this.#missing,
        getFailures: this.#getFailures,
        putLatency: summarize(this.#putLatencies),
        getLatency: summarize(this.#getLatencies),
      },
    }
  }
}
