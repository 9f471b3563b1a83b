// Issue 8, part 2: a request whose session closes fails (or moves to the surviving session)
// at once. Nodes that bootstrap to each other and start together dial each other at once, so
// one of each pair of sessions is closed as a duplicate while DHT requests are in flight on
// it; none of them may wait out requestTimeoutMs.

import { describe, expect, it } from 'vitest'
import type { MeshNode } from '../../src/node.js'
import { useDeterministicEd25519 } from '../../src/peers/identity-crypto.js'
import { sample, seededRandom } from '../../src/util/random.js'
import { createMesh, type Mesh } from './harness.js'

useDeterministicEd25519()

const NODES = 30
const bytes = (text: string) => new TextEncoder().encode(text)
const REPLACED = 'replaced by the connection dialled by the lower peer id'

/** Nearest-rank percentile of `values` (sorted ascending). */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!
}

/**
 * `count` nodes, each bootstrapping to its two ring neighbours and two random others, all
 * started at the same moment: every ring pair dials each other at once.
 */
async function buildSimultaneousMesh(mesh: Mesh, count: number, seed: number): Promise<{ nodes: MeshNode[]; replaced: () => number }> {
  const random = seededRandom(seed)
  const name = (i: number) => `node-${(i + count) % count}`
  const nodes: MeshNode[] = []
  let replaced = 0
  for (let i = 0; i < count; i++) {
    const others = sample(Array.from({ length: count }, (_, j) => j).filter((j) => Math.abs(j - i) > 1 && Math.abs(j - i) < count - 1), 2, random)
    const bootstrap = [i + 1, i - 1, ...others].map((j) => `memory://${name(j)}`)
    const node = await mesh.node({ address: name(i), bootstrap })
    node.addEventListener('peer:disconnect', (event) => {
      if (event.detail.reason.includes(REPLACED)) replaced++
    })
    nodes.push(node)
  }
  return { nodes, replaced: () => replaced }
}

describe('MeshNode: requests on a session that closes', () => {
  it(`${NODES} nodes started together, dialling each other at once: concurrent gets finish without a request timeout, p99 within 4x the median`, async () => {
    const mesh = createMesh({ seed: 3, latencyMs: 10, jitterMs: 5 })
    const { nodes, replaced } = await buildSimultaneousMesh(mesh, NODES, 17)
    await mesh.settle(Promise.all(nodes.map((node) => node.start())))
    const writer = nodes[0]!
    await mesh.settle(writer.dht.put('status', bytes('v1')))

    const timeoutsOf = () => nodes.reduce((sum, node) => sum + node.stats().layers.dht.requestTimeouts, 0)
    const timeoutsBeforeGets = timeoutsOf()
    const replacedBeforeGets = replaced()
    const durations: number[] = []
    const values: (string | undefined)[] = []
    const startedAt = mesh.clock.now()
    await mesh.settle(Promise.all(nodes.map((node) =>
      node.dht.get('status', { owner: writer.publicKey }).then((value) => {
        durations.push(mesh.clock.now() - startedAt)
        values.push(value === undefined ? undefined : new TextDecoder().decode(value))
      }),
    )))
    const sorted = [...durations].sort((a, b) => a - b)
    const median = percentile(sorted, 50)
    const p99 = percentile(sorted, 99)
    const timeouts = timeoutsOf()
    const dropped = nodes.reduce((sum, node) => sum + (node.stats().drops.dht['request-timeout'] ?? 0), 0)
    const moved = nodes.reduce((sum, node) => sum + node.stats().layers.dht.requestsMoved, 0)
    const lost = nodes.reduce((sum, node) => sum + node.stats().layers.dht.requestsLostToClose, 0)
    const ms = (value: number) => `${Math.round(value)} ms`
    console.log(`${NODES} concurrent gets: median ${ms(median)}, p99 ${ms(p99)}, max ${ms(sorted[sorted.length - 1]!)} (virtual); ` +
      `request timeouts ${timeoutsBeforeGets} while starting, ${timeouts - timeoutsBeforeGets} during the gets; ` +
      `sessions replaced ${replacedBeforeGets} while starting, ${replaced() - replacedBeforeGets} during the gets; ` +
      `requests moved to the surviving session ${moved}, failed at once ${lost}`)

    expect(values).toEqual(Array(NODES).fill('v1'))
    expect(replaced()).toBeGreaterThan(0)
    expect(timeouts).toBe(0)
    expect(dropped).toBe(0)
    expect(p99).toBeLessThanOrEqual(4 * median)

    await mesh.stopAll()
    expect(mesh.clock.pending).toBe(0)
  }, 120_000)
})
