// A Simulation: real MeshNodes on one MemoryNetwork and one ManualClock, driven by the
// EventDriver. It adds bootstrap nodes and newcomers arriving at a seeded rate, runs virtual
// time, and stops every node until no timer is left. Scenarios (scenarios/) are built on it.
//
// What it swaps, through the node's own injection points: the transport (MemoryNetwork), the
// clock (ManualClock), the random sources (seeded per node), and the signature scheme (the
// identity's signer and the node's verify: the keyed-MAC stand-in, or Ed25519 charged as
// virtual CPU time; node-signatures.ts). Ed25519 runs on noble in this thread
// (useDeterministicEd25519), so what is left of it settles as promise callbacks in a fixed
// order. Node code is the production code.

import type { Core } from '../core/contracts.js'
import { loadCore } from '../core/load-core.js'
import { createMeshNode, type MeshNode } from '../node.js'
import { useDeterministicEd25519 } from '../peers/identity-crypto.js'
import { MemoryNetwork } from '../transport/memory/network.js'
import type { TimerHandle } from '../util/clock.js'
import { MAX_BOOTSTRAP_ADDRESSES } from '../node/options.js'
import { SeededRandom } from '../util/random.js'
import { checkInteger, checkNumber, checkTime, describeValue } from '../util/validate.js'
import { MAC_KEY_BYTES, MacSignatures } from './mac-signatures.js'
import { NodeSignatures } from './node-signatures.js'
import type { VirtualCpu } from './virtual-cpu.js'
import { WasmeshError } from '../util/wasmesh-error.js'
import { EventDriver, type DriverCounts } from './driver.js'
import { poissonGapMs } from './poisson.js'
import { hasProgressListeners, publishProgress } from './progress.js'
import { SimulationError } from './errors.js'
import { resolveSimulationOptions, type ResolvedSimulationOptions, type SimulationOptions } from './options.js'
import { NetworkModel } from './network-model.js'

/** One simulated node and what happened to it. */
export interface SimulatedNode {
  /** Creation order: bootstrap nodes first. */
  readonly index: number
  readonly node: MeshNode
  /** The processor its signing and verifying are charged to. */
  readonly cpu: VirtualCpu
  readonly isBootstrap: boolean
  /** Virtual time start() was called. */
  readonly arrivedAtMs: number
  /** Virtual time start() resolved; undefined while joining, or when it failed. */
  joinedAtMs: number | undefined
  /** The error code start() rejected with; undefined unless it failed. */
  startFailure: string | undefined
  /** The message of the error start() failed with, for the bootstrap failure's own error. */
  startFailureMessage?: string
}

/** What stop() left behind: all zero when every node released its timers and connections. */
export interface ShutdownSummary {
  /** Virtual time the last node took to stop. */
  readonly stopMs: number
  readonly timersLeft: number
  readonly connectionsLeft: number
  readonly transportsLeft: number
}

type State = 'running' | 'stopped'

const invalidArgument = (message: string) => new SimulationError('SIM_INVALID_ARGUMENT', message)

/** Virtual time a bootstrap node's start() may take before addBootstrapNodes() gives up on it. */
const START_BOUND_MS = 60_000
/** Virtual time a node's stop() may take before stop() gives up on it (its goodbyes travel one link delay). */
const STOP_BOUND_MS = 60_000
/** Virtual time after the nodes stopped for their last timers (closing connections) to fire. */
const DRAIN_BOUND_MS = 120_000

/**
 * A deterministic simulation: `await Simulation.create(options)`, add nodes, `run()` virtual
 * time, read the nodes' stats, `stop()`. The same options give the same run, event for event.
 * Creating one switches this thread's Ed25519 to noble (see useDeterministicEd25519).
 */
export class Simulation {
  readonly options: ResolvedSimulationOptions
  readonly driver: EventDriver
  readonly network: MemoryNetwork
  /** Regions and access rates of the nodes: what each link's delay and bandwidth are. */
  readonly networkModel: NetworkModel
  readonly nodes: SimulatedNode[] = []
  readonly #core: Core
  // Independent streams, so changing how many nodes arrive does not change who publishes.
  readonly #nodeSeeds: SeededRandom
  readonly #arrivals: SeededRandom
  /** Draws for scenarios (publishers, targets); forked from the seed like the others. */
  readonly random: SeededRandom
  readonly #signatures: NodeSignatures
  readonly #setups: ((node: MeshNode) => void)[] = []
  readonly #bootstrapAddresses: string[] = []
  /** Arrivals and scenario actions not yet due: stop() cancels them. */
  readonly #scheduled = new Set<TimerHandle>()
  #state: State = 'running'

  private constructor(options: ResolvedSimulationOptions, core: Core) {
    this.options = options
    this.#core = core
    this.driver = new EventDriver(undefined, { onProgress: (untilMs) => this.#publishProgress(untilMs) })
    const root = new SeededRandom(options.seed)
    const linkRandom = root.fork()
    this.#nodeSeeds = root.fork()
    this.#arrivals = root.fork()
    this.random = root.fork()
    // Forked after those above, so their streams are what they were before the stand-in and the regions existed.
    const macKey = new Uint8Array(MAC_KEY_BYTES)
    root.fork().fill(macKey)
    this.networkModel = new NetworkModel(options.regions, options.bandwidthBytesPerSec, root.fork())
    const model = this.networkModel
    this.network = new MemoryNetwork({
      clock: this.driver.clock, latencyMs: options.latencyMs, jitterMs: options.jitterMs, loss: options.loss, random: linkRandom,
      ...(model.isNeeded ? { linkFor: (from: string, to: string) => model.linkFor(from, to) } : {}),
    })
    const mac = options.signatures === 'stand-in' ? new MacSignatures(macKey) : undefined
    this.#signatures = new NodeSignatures(mac, options, this.driver.clock)
  }

  /** Validates `options` (SimulationError SIM_INVALID_OPTION) and loads the core structures once for all nodes. */
  static async create(options: SimulationOptions = {}): Promise<Simulation> {
    const resolved = resolveSimulationOptions(options)
    useDeterministicEd25519()
    return new Simulation(resolved, await loadCore())
  }

  /** The core's backend every node runs on ('wasm', else the TypeScript twins). */
  get coreBackend(): 'wasm' | 'js' {
    return this.#core.backend
  }

  get nowMs(): number {
    return this.driver.clock.now()
  }

  get counts(): DriverCounts {
    return this.driver.counts
  }

  /** Runs `setup` on every node created from now on, before it starts (subscriptions, handlers). */
  setupEachNode(setup: (node: MeshNode) => void): void {
    this.#checkRunning('setupEachNode')
    if (typeof setup !== 'function') throw invalidArgument(`setup must be a function, got ${describeValue(setup)}`)
    this.#setups.push(setup)
  }

  /**
   * Creates and starts `count` bootstrap nodes one after the other, each joining through the
   * ones before it, as the seeds of a real deployment know each other. Resolves once all have
   * started. A bootstrap node that fails to start throws SIM_BOOTSTRAP_FAILED: without seeds there is
   * no experiment.
   */
  async addBootstrapNodes(count: number): Promise<SimulatedNode[]> {
    this.#checkRunning('addBootstrapNodes')
    checkInteger('count', count, 1, MAX_BOOTSTRAP_ADDRESSES, invalidArgument)
    if (this.#bootstrapAddresses.length + count > MAX_BOOTSTRAP_ADDRESSES) {
      throw invalidArgument(`a node takes at most ${MAX_BOOTSTRAP_ADDRESSES} bootstrap addresses; ${this.#bootstrapAddresses.length} exist, ${count} more asked for`)
    }
    const added: SimulatedNode[] = []
    for (let i = 0; i < count; i++) {
      const entry = await this.#createNode(true, this.bootstrapAddresses())
      this.#bootstrapAddresses.push(...entry.node.addresses)
      added.push(entry)
      const outcome = await this.driver.runPromise(this.#start(entry), START_BOUND_MS)
      if (entry.joinedAtMs === undefined) {
        throw new SimulationError('SIM_BOOTSTRAP_FAILED', `bootstrap node ${entry.index} did not start: ${entry.startFailure === undefined ? (outcome === undefined ? 'still starting after 60 s' : 'failed') : `${entry.startFailure}: ${entry.startFailureMessage}`}`)
      }
    }
    return added
  }

  /** Addresses of the bootstrap nodes: every newcomer is given all of them. */
  bootstrapAddresses(): string[] {
    return [...this.#bootstrapAddresses]
  }

  /**
   * Schedules `count` newcomers joining through the bootstrap nodes, arriving as a Poisson
   * process of `ratePerSec` (exponential gaps from the seeded arrival stream), from now.
   * Returns the virtual time of the last arrival. Nothing happens until virtual time runs.
   */
  scheduleArrivals(count: number, ratePerSec: number): number {
    this.#checkRunning('scheduleArrivals')
    checkInteger('count', count, 0, 10_000_000, invalidArgument)
    checkNumber('ratePerSec', ratePerSec, Number.MIN_VALUE, Number.MAX_VALUE, invalidArgument)
    const clock = this.driver.clock
    let atMs = clock.now()
    for (let i = 0; i < count; i++) {
      atMs += poissonGapMs(this.#arrivals, ratePerSec)
      this.#schedule(atMs - clock.now(), () => void this.#arrive())
    }
    return atMs
  }

  /** Runs `durationMs` of virtual time. */
  async run(durationMs: number): Promise<void> {
    this.#checkRunning('run')
    checkTime('durationMs', durationMs, invalidArgument)
    await this.driver.runUntil(this.nowMs + durationMs)
  }

  /** Runs virtual time until `isDone` holds, for at most `maxMs`; returns whether it held. */
  async runUntil(isDone: () => boolean, maxMs: number): Promise<boolean> {
    this.#checkRunning('runUntil')
    if (typeof isDone !== 'function') throw invalidArgument(`isDone must be a function, got ${describeValue(isDone)}`)
    checkTime('maxMs', maxMs, invalidArgument)
    return this.driver.runUntil(this.nowMs + maxMs, isDone)
  }

  /** Calls `action` at virtual time `delayMs` from now (a scenario's publish, cut or departure), unless stop() comes first. */
  at(delayMs: number, action: () => void): void {
    this.#checkRunning('at')
    checkTime('delayMs', delayMs, invalidArgument)
    if (typeof action !== 'function') throw invalidArgument(`action must be a function, got ${describeValue(action)}`)
    this.#schedule(delayMs, action)
  }

  /** Stops `entry`'s node as a user closing the app does: it says goodbye to its peers. Resolves once stopped. */
  async leave(entry: SimulatedNode): Promise<void> {
    this.#checkRunning('leave')
    await entry.node.stop()
  }

  /**
   * Stops `entry`'s node as a crash or a pulled cable does: its links go silent first, so
   * nothing it sends on the way out (goodbyes, close notices) arrives, and its peers find out
   * from their keepalives. (A dial to it afterwards is refused after one round trip, as by a
   * host whose process died, rather than left unanswered.) Resolves once stopped.
   */
  async crash(entry: SimulatedNode): Promise<void> {
    this.#checkRunning('crash')
    const network = this.network
    const pairs: [string, string][] = []
    for (const address of entry.node.addresses) {
      for (const connection of network.transport(address)?.connections ?? []) pairs.push([address, connection.remoteAddress])
    }
    for (const [from, to] of pairs) network.cut(from, to)
    await entry.node.stop()
    // Its ends are closed and the frames it sent dropped: healing keeps the cut list from growing with every crash.
    for (const [from, to] of pairs) network.heal(from, to)
  }

  /**
   * Splits the running network into islands: nodes of different groups cannot reach each
   * other (frames dropped, sessions left open and silent, dials unanswered); nodes in no
   * group, and nodes created later, share one more island. Replaces an earlier partition.
   */
  partition(groups: readonly (readonly SimulatedNode[])[]): void {
    this.#checkRunning('partition')
    if (!Array.isArray(groups)) throw invalidArgument(`groups must be an array of arrays of nodes, got ${describeValue(groups)}`)
    this.network.partition(groups.map((group) => group.flatMap((entry: SimulatedNode) => entry.node.addresses)))
  }

  /** Ends the partition: frames sent from now on cross between the groups again. */
  healPartition(): void {
    this.#checkRunning('healPartition')
    this.network.healPartition()
  }

  /** Nodes whose start() resolved and that have not stopped. */
  runningNodes(): SimulatedNode[] {
    return this.nodes.filter((entry) => entry.joinedAtMs !== undefined && entry.node.isRunning)
  }

  /**
   * Cancels arrivals and actions still to come, stops every node, and runs virtual time until the nodes'
   * last timers have fired. Resolves with what was left behind (all zero for a clean stop).
   */
  async stop(): Promise<ShutdownSummary> {
    this.#checkRunning('stop')
    this.#state = 'stopped'
    const clock = this.driver.clock
    for (const handle of this.#scheduled) clock.clearTimeout(handle)
    this.#scheduled.clear()
    const startedAt = clock.now()
    await this.driver.runPromise(Promise.all(this.nodes.map((entry) => entry.node.stop())), STOP_BOUND_MS)
    const stopMs = clock.now() - startedAt
    await this.driver.runUntil(clock.now() + DRAIN_BOUND_MS, () => clock.pending === 0)
    const network = this.network.stats()
    return { stopMs, timersLeft: clock.pending, connectionsLeft: network.connections, transportsLeft: network.transports }
  }

  #schedule(delayMs: number, action: () => void): void {
    const handle = this.driver.clock.setTimeout(() => {
      this.#scheduled.delete(handle)
      action()
    }, delayMs)
    this.#scheduled.add(handle)
  }

  async #arrive(): Promise<void> {
    // stop() may have come between the timer and this callback's turn.
    if (this.#state !== 'running') return
    const entry = await this.#createNode(false, this.bootstrapAddresses())
    await this.#start(entry)
  }

  async #createNode(isBootstrap: boolean, bootstrap: string[]): Promise<SimulatedNode> {
    const seed = new Uint8Array(32)
    this.#nodeSeeds.fill(seed)
    // Forked as the node forks its `seed` (identity, then random), so a node has the same id and draws in either scheme.
    const seeded = new SeededRandom(seed)
    const { identity, verify, cpu } = this.#signatures.forNode(seeded.fork())
    const node = await createMeshNode({
      ...this.options.node, network: this.network, clock: this.driver.clock, identity, random: seeded.fork(), bootstrap, core: this.#core,
      ...(verify === undefined ? {} : { verify }),
    })
    this.networkModel.place(node.addresses)
    for (const setup of this.#setups) setup(node)
    const entry: SimulatedNode = { index: this.nodes.length, node, cpu, isBootstrap, arrivedAtMs: this.nowMs, joinedAtMs: undefined, startFailure: undefined }
    this.nodes.push(entry)
    return entry
  }

  async #start(entry: SimulatedNode): Promise<void> {
    try {
      await entry.node.start()
      entry.joinedAtMs = this.nowMs
    } catch (error) {
      // A failed join is a result to report, not a crash of the simulation.
      if (!(error instanceof WasmeshError)) throw error
      entry.startFailure = error.code
      entry.startFailureMessage = error.message
    }
  }

  #publishProgress(untilMs: number): void {
    if (!hasProgressListeners()) return
    const { timersFired, settleTurns } = this.driver.counts
    publishProgress({ simulation: this, nowMs: this.nowMs, untilMs, timersFired, settleTurns, nodes: this.nodes.length, isStopping: this.#state === 'stopped' })
  }

  #checkRunning(method: string): void {
    if (this.#state !== 'running') throw new SimulationError('SIM_INVALID_STATE', `${method}() needs a simulation that is not stopped`)
  }
}
