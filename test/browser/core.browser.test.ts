// The core in a real Chromium: the single-file browser bundle loads the embedded WebAssembly
// with no fetch of a .wasm file, and every structure gives the same answers as in Node.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadCore } from '../../src/core/load-core.js'
import { openChromium, type BrowserBench } from './chromium-page.js'

const BUNDLE = '.cache/browser-test/wasmesh.js'

// One scenario, run in the page and in Node; it returns everything it observed.
const scenario = `async (wasmesh, backend) => {
  const core = await wasmesh.loadCore({ backend })
  const seen = core.createDedupSet({ capacity: 1000, ttlMs: 100 })
  const keys = new BigUint64Array(3000)
  for (let i = 0; i < keys.length; i++) keys[i] = BigInt(i % 1500) * 0x9e3779b97f4a7c15n % (2n ** 64n)
  const dedup = [seen.addBatch(keys, 5), seen.add(7n, 50), seen.has(7n, 149), seen.has(7n, 150), seen.size]
  const localId = new Uint8Array(32).fill(0x55)
  const table = core.createRoutingTable({ localId, k: 4 })
  const ids = []
  for (let i = 0; i < 200; i++) { const id = new Uint8Array(32); for (let j = 0; j < 32; j++) id[j] = (i * 31 + j * 17 + i * j) & 255; ids.push(id) }
  const adds = ids.map((id, i) => { const r = table.add(id, i); return typeof r === 'string' ? r : 'full:' + r.leastRecent })
  const closest = Array.from(table.closest(ids[10], 8))
  const queue = core.createPriorityQueue({ capacity: 8, levels: 4, agingMs: 10 })
  const pushes = [[1, 3, 0], [2, 0, 1], [3, 1, 2], [4, 0, 20]].map(([slot, p, t]) => queue.push(slot, p, t))
  const pops = [queue.pop(21), queue.pop(21), queue.pop(21), queue.pop(21), queue.pop(21)]
  const limiter = core.createRateLimiter({ ratePerSec: 10, burst: 3 })
  const takes = []
  for (let t = 0; t < 1000; t += 50) takes.push(limiter.tryTake(1, t))
  return { backend: core.backend, dedup, adds, closest, size: table.size, pushes, pops, takes }
}`

describe('the core in Chromium', () => {
  let bench: BrowserBench | undefined
  beforeAll(async () => {
    bench = await openChromium('src/index.ts', BUNDLE)
  }, 60_000)
  afterAll(() => bench?.close())

  it.each(['wasm', 'js'] as const)('gives the same answers as Node on the %s backend, fetching no .wasm', async (backend) => {
    const { browser, origin, requested } = bench!
    const page = await browser.newPage()
    try {
      await page.goto(origin + '/')
      // A source string, so vitest's transform does not rewrite the page's dynamic import.
      const inBrowser: { backend: string } = await page.evaluate(`import('/wasmesh.js').then((wasmesh) => (${scenario})(wasmesh, ${JSON.stringify(backend)}))`)
      const inNode = await (0, eval)(scenario)(await import('../../src/index.js'), backend)
      expect(inBrowser.backend).toBe(backend)
      expect(inBrowser).toEqual(inNode)
      expect(requested.filter((url) => url.endsWith('.wasm'))).toEqual([])
    } finally {
      await page.close()
    }
  })

  it('the Node result is the twin result too', async () => {
    const wasm = await (0, eval)(scenario)(await import('../../src/index.js'), 'wasm')
    const js = await (0, eval)(scenario)(await import('../../src/index.js'), 'js')
    expect({ ...wasm, backend: 'js' }).toEqual(js)
    expect((await loadCore()).backend).toBe('wasm')
  })
})
