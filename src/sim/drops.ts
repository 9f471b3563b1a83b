// Drops by reason over all nodes, from each node's stats().drops ('layer.reason' keys, sorted,
// zero counts left out), so a report names every loss the layers counted.

import type { MeshNode } from '../node.js'

export function dropsByReason(nodes: readonly MeshNode[]): Record<string, number> {
  const totals = new Map<string, number>()
  for (const node of nodes) {
    for (const [layer, reasons] of Object.entries(node.stats().drops)) {
      for (const [reason, count] of Object.entries(reasons)) totals.set(`${layer}.${reason}`, (totals.get(`${layer}.${reason}`) ?? 0) + count)
    }
  }
  return Object.fromEntries([...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}
