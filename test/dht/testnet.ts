// A DHT testnet over the fake network: n nodes, each started, linked to a few nodes that
// joined before it and bootstrapped by a self-lookup, in join order.

import { loadCoreSync } from '../../src/core/load-core.js'
import { Dht } from '../../src/dht/dht.js'
import type { DhtOptions } from '../../src/dht/options.js'
import { sample } from '../../src/util/random.js'
import { FakeMesh } from './fake-network.js'
import type { FakeNode } from './fake-network.js'

export interface Testnet {
  readonly mesh: FakeMesh
  readonly nodes: FakeNode[]
  readonly dhts: Dht[]
}

export interface TestnetOptions {
  seed?: number
  /** Links each joining node opens to earlier ones. Default 3. */
  links?: number
  /** Nodes that bootstrap at the same time. Default 10. */
  batch?: number
  dht?: Omit<Partial<DhtOptions>, 'network'>
  /** The core backend of the routing tables. Default 'wasm'. */
  backend?: 'wasm' | 'js'
  /** Real milliseconds added to every signature (FakeMeshOptions.slowSignMs). */
  slowSignMs?: number
}

export async function createTestnet(size: number, options: TestnetOptions = {}): Promise<Testnet> {
  const mesh = new FakeMesh({ seed: options.seed ?? 1, slowSignMs: options.slowSignMs })
  const core = loadCoreSync({ backend: options.backend ?? 'wasm' })
  const nodes: FakeNode[] = []
  const dhts: Dht[] = []
  for (let i = 0; i < size; i++) {
    const node = mesh.addNode()
    nodes.push(node)
    const dht = new Dht({ requestTimeoutMs: 1_000, ...options.dht, network: node, core, verify: mesh.verify })
    dht.start()
    dhts.push(dht)
  }
  const links = options.links ?? 3
  for (let i = 1; i < size; i++) {
    for (const other of sample(nodes.slice(0, i), links, mesh.random)) nodes[i].link(other)
  }
  const batch = options.batch ?? 10
  for (let i = 0; i < size; i += batch) {
    await mesh.run(Promise.all(dhts.slice(i, i + batch).map((dht) => dht.bootstrap())))
  }
  return { mesh, nodes, dhts }
}

/** Stops every Dht, lets the messages in flight land, and returns the timers still pending (should be 0). */
export async function stopTestnet(testnet: Testnet): Promise<number> {
  for (const dht of testnet.dhts) dht.stop()
  await new Promise<void>((resolve) => setImmediate(resolve))
  testnet.mesh.clock.runAll()
  await new Promise<void>((resolve) => setImmediate(resolve))
  return testnet.mesh.clock.pending
}
