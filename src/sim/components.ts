// The session graph of the running nodes split into connected components: whether the mesh
// is still one network (a broadcast can reach everyone) or islands that cannot hear each other.

import type { MeshNode } from '../node.js'
import { toHex } from '../util/hex.js'

export interface ComponentsSummary {
  readonly nodes: number
  readonly components: number
  /** Node counts of the components, largest first. */
  readonly sizes: readonly number[]
}

/** Connected components of the sessions between the running nodes among `nodes`. */
export function sessionComponents(nodes: readonly MeshNode[]): ComponentsSummary {
  const running = nodes.filter((node) => node.isRunning)
  const indexOf = new Map<string, number>()
  running.forEach((node, i) => indexOf.set(toHex(node.id), i))
  const parent = running.map((_, i) => i)
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]]
    return i
  }
  running.forEach((node, i) => {
    for (const peer of node.peers()) {
      const j = indexOf.get(peer.peerKey)
      if (j !== undefined) parent[root(i)] = root(j)
    }
  })
  const sizes = new Map<number, number>()
  for (let i = 0; i < running.length; i++) sizes.set(root(i), (sizes.get(root(i)) ?? 0) + 1)
  return { nodes: running.length, components: sizes.size, sizes: [...sizes.values()].sort((a, b) => b - a) }
}
