// Routers over the DHT tests' in-process fake network (test/dht/fake-network.ts): every
// message is encoded, carried after `latencyMs` of virtual time and decoded.

import { loadCoreSync } from '../../src/core/load-core.js'
import { Router } from '../../src/routing/index.js'
import type { RoutedMessage, RouterOptions } from '../../src/routing/index.js'
import { FakeMesh } from '../dht/fake-network.js'
import type { FakeNode } from '../dht/fake-network.js'

export interface RoutedNet {
  readonly mesh: FakeMesh
  readonly nodes: FakeNode[]
  readonly routers: Router[]
  readonly inboxes: RoutedMessage[][]
}

const core = loadCoreSync({ backend: 'js' })

export function createRoutedNet(
  size: number,
  options: Omit<Partial<RouterOptions>, 'network'> | ((index: number, node: FakeNode) => Omit<Partial<RouterOptions>, 'network'>) = {},
  seed = 1,
): RoutedNet {
  const mesh = new FakeMesh({ seed, latencyMs: 10 })
  const nodes: FakeNode[] = []
  for (let i = 0; i < size; i++) nodes.push(mesh.addNode())
  const routers: Router[] = []
  const inboxes: RoutedMessage[][] = []
  nodes.forEach((node, i) => {
    const extra = typeof options === 'function' ? options(i, node) : options
    const router = new Router({ core, verify: mesh.verify, ...extra, network: node })
    const inbox: RoutedMessage[] = []
    router.onMessage((message) => inbox.push(message))
    routers.push(router)
    inboxes.push(inbox)
  })
  return { mesh, nodes, routers, inboxes }
}

/** XOR distance order: negative when `a` is closer to `target` than `b`. */
export function byDistanceTo(target: Uint8Array): (a: FakeNode, b: FakeNode) => number {
  return (a, b) => {
    for (let i = 0; i < target.length; i++) {
      const d = (a.id[i] ^ target[i]) - (b.id[i] ^ target[i])
      if (d !== 0) return d
    }
    return 0
  }
}

/** Links nodes[i] to nodes[i + 1]. */
export function linkLine(nodes: readonly FakeNode[]): void {
  for (let i = 0; i + 1 < nodes.length; i++) nodes[i].link(nodes[i + 1])
}

/** Stops every router, lets the messages in flight land, and returns the timers still pending. */
export async function stopNet(net: RoutedNet): Promise<number> {
  for (const router of net.routers) router.stop()
  await new Promise<void>((resolve) => setImmediate(resolve))
  net.mesh.clock.runAll()
  await new Promise<void>((resolve) => setImmediate(resolve))
  return net.mesh.clock.pending
}
