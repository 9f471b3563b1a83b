// Drives mesh nodes over a MemoryNetwork in virtual time: WebCrypto settles on the event
// loop, so each step lets promise callbacks run before the ManualClock moves on.

import { expect } from 'vitest'
import { createMeshNode, type MeshNode, type MeshNodeOptions } from '../../src/node.js'
import { MemoryNetwork, type MemoryNetworkOptions } from '../../src/transport/index.js'
import { ManualClock } from '../../src/util/clock.js'
import { loadCoreSync } from '../../src/core/load-core.js'

export const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

export interface Mesh {
  readonly clock: ManualClock
  readonly net: MemoryNetwork
  readonly nodes: MeshNode[]
  node(options?: Omit<MeshNodeOptions, 'network' | 'clock'>): Promise<MeshNode>
  /** Runs promise callbacks and virtual time together until `isDone` (or fails after maxSteps). */
  runUntil(isDone: () => boolean, maxSteps?: number): Promise<void>
  /** Runs `ms` of virtual time, letting promise callbacks settle before every timer. */
  runFor(ms: number): Promise<void>
  /** Settles `promise` while running virtual time. */
  settle<T>(promise: Promise<T>): Promise<T>
  stopAll(): Promise<void>
}

/** `backend` 'js' runs the nodes on the TypeScript twins of the core structures. */
export function createMesh(options: Omit<MemoryNetworkOptions, 'clock'> = {}, backend: 'wasm' | 'js' = 'wasm'): Mesh {
  const clock = new ManualClock()
  const net = new MemoryNetwork({ latencyMs: 10, jitterMs: 5, seed: 7, ...options, clock })
  const nodes: MeshNode[] = []
  let nextSeed = 1
  const runUntil = async (isDone: () => boolean, maxSteps = 200_000) => {
    for (let step = 0; step < maxSteps && !isDone(); step++) {
      for (let i = 0; i < 3; i++) await turn()
      if (isDone()) break
      const next = clock.nextTimerAt
      // Jump to the next timer, but never more than 10 ms at once, so promise work keeps pace.
      clock.advanceTo(next === undefined ? clock.now() + 1 : Math.max(clock.now(), Math.min(next, clock.now() + 10)))
    }
    expect(isDone()).toBe(true)
  }
  const runFor = async (ms: number) => {
    const until = clock.now() + ms
    for (;;) {
      for (let i = 0; i < 3; i++) await turn()
      const next = clock.nextTimerAt
      if (next === undefined || next > until) break
      clock.advanceTo(Math.max(clock.now(), next))
    }
    clock.advanceTo(until)
    for (let i = 0; i < 3; i++) await turn()
  }
  const settle = async <T>(promise: Promise<T>): Promise<T> => {
    let outcome: { value: T } | { error: unknown } | undefined
    promise.then((value) => (outcome = { value }), (error: unknown) => (outcome = { error }))
    await runUntil(() => outcome !== undefined)
    if (outcome !== undefined && 'error' in outcome) throw outcome.error
    return (outcome as { value: T }).value
  }
  return {
    clock,
    net,
    nodes,
    async node(nodeOptions = {}) {
      const node = await createMeshNode({ seed: nextSeed++ * 7_919, ...(backend === 'js' ? { core: loadCoreSync({ backend: 'js' }) } : {}), ...nodeOptions, network: net, clock })
      nodes.push(node)
      return node
    },
    runUntil,
    runFor,
    settle,
    async stopAll() {
      await Promise.all(nodes.map((node) => node.stop()))
      clock.advance(60_000)
      for (let i = 0; i < 3; i++) await turn()
    },
  }
}
