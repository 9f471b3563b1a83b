// wasmesh/kbucket in a real Chromium, on its main thread (where the WebAssembly module cannot
// be compiled synchronously, so the routing table is the TypeScript twin, and the event base is
// SmallEmitter) and in a worker (WebAssembly): the same answers and events as k-bucket in Node.

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { openChromium, type BrowserBench } from '../browser/chromium-page.js'

const BUNDLE = '.cache/kbucket-browser/kbucket.js'

// One scenario, given a KBucket class; it returns everything it observed, as plain data.
const scenario = `(KBucket) => {
  const hex = (id) => Array.from(id, (b) => b.toString(16).padStart(2, '0')).join('')
  const id = (seed, length) => { const out = new Uint8Array(length); for (let j = 0; j < length; j++) out[j] = (seed * 131 + j * 71 + seed * j * 13) & 255; return out }
  const localNodeId = id(1, 20)
  const bucket = new KBucket({ localNodeId, numberOfNodesPerKBucket: 4, numberOfNodesToPing: 2 })
  const events = []
  bucket.on('ping', (old, fresh) => events.push(['ping', old.map((c) => hex(c.id)), hex(fresh.id)]))
  bucket.on('added', (c) => events.push(['added', hex(c.id)]))
  bucket.on('removed', (c) => events.push(['removed', hex(c.id)]))
  bucket.on('updated', (a, b) => events.push(['updated', hex(a.id), b.vectorClock]))
  for (let i = 2; i < 400; i++) bucket.add({ id: id(i, 20), vectorClock: i % 3 })
  for (let i = 2; i < 400; i += 7) bucket.add({ id: id(i, 20), vectorClock: 5 })
  for (let i = 2; i < 400; i += 11) bucket.remove(id(i, 20))
  const closest20 = [3, 5, 8, 13].map((seed) => bucket.closest(id(seed, 20), 6).map((c) => hex(c.id)))
  bucket.add({ id: localNodeId })
  for (let i = 0; i < 40; i++) bucket.add({ id: id(i, 2 + (i % 3)) })
  const closestMixed = [3, 5].map((seed) => bucket.closest(id(seed, 3)).map((c) => hex(c.id)))
  return {
    events, closest20, closestMixed, count: bucket.count(),
    all: bucket.toArray().map((c) => hex(c.id)), self: bucket.get(localNodeId) !== null,
    fullEmitter: typeof bucket.setMaxListeners === 'function',
  }
}`

describe('wasmesh/kbucket in Chromium', () => {
  let bench: BrowserBench | undefined
  beforeAll(async () => {
    bench = await openChromium('src/kbucket/index.ts', BUNDLE)
  }, 60_000)
  afterAll(() => bench?.close())

  const expected = () => {
    const RealKBucket = createRequire(import.meta.url)('k-bucket')
    return { ...(0, eval)(scenario)(RealKBucket), fullEmitter: false }
  }

  it('answers as k-bucket does on the main thread, with the small emitter', async () => {
    const { browser, origin } = bench!
    const page = await browser.newPage()
    try {
      await page.goto(origin + '/')
      // A source string, so vitest's transform does not rewrite the page's dynamic import.
      const inPage = await page.evaluate(`import('/kbucket.js').then((m) => (${scenario})(m.default))`)
      expect(inPage).toEqual(expected())
    } finally {
      await page.close()
    }
  })

  it('answers as k-bucket does in a worker', async () => {
    const { browser, origin } = bench!
    const page = await browser.newPage()
    try {
      await page.goto(origin + '/')
      const worker = `import('${origin}/kbucket.js').then((m) => postMessage((${scenario})(m.default)))`
      const inWorker = await page.evaluate(`new Promise((resolve, reject) => {
        const source = URL.createObjectURL(new Blob([${JSON.stringify(worker)}], { type: 'text/javascript' }))
        const worker = new Worker(source, { type: 'module' })
        worker.onmessage = (event) => resolve(event.data)
        worker.onerror = (event) => reject(new Error(event.message))
      })`)
      expect(inWorker).toEqual(expected())
    } finally {
      await page.close()
    }
  })
})
