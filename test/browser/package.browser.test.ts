// The package in a real Chromium, the two ways the README says to use it: a plain page with
// <script type="module"> importing the self-contained dist/wasmesh.min.js (no bundler, no
// import map), and an app bundled by esbuild from `import ... from 'wasmesh'` (the "browser"
// export, dist/browser/index.js, whose bare @noble imports the bundler resolves). Each runs
// two nodes on a MemoryNetwork in the page and passes a publish. `npm test` builds dist/ first.

import { createServer, type Server } from 'node:http'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** The page's program; `from` is where it imports wasmesh from. */
const program = (from: string) => `
import { createMeshNode, MemoryNetwork, loadCore } from '${from}'
try {
  const net = new MemoryNetwork({ latencyMs: 5 })
  const a = await createMeshNode({ network: net }); await a.start()
  const b = await createMeshNode({ network: net, bootstrap: a.addresses }); await b.start()
  const got = new Promise((resolve) => b.subscribe('chat', (message) => resolve(new TextDecoder().decode(message.data))))
  await a.waitForSubscribers('chat')
  const sent = await a.publish('chat', new TextEncoder().encode('hi from the page'))
  globalThis.__result = { backend: (await loadCore()).backend, isSent: sent.isSent, got: await got }
  await Promise.all([a.stop(), b.stop()])
} catch (error) {
  globalThis.__result = { error: String(error && error.stack || error) }
}
`

describe('the package in Chromium', () => {
  let browser: Browser | undefined
  let server: Server | undefined
  let origin = ''
  const requested: string[] = []

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`)
    if (!existsSync(join(root, 'dist/wasmesh.min.js'))) throw new Error('dist/ is not built: run npm run build (npm test does)')
    const minified = await readFile(join(root, 'dist/wasmesh.min.js'))
    // What an app's bundler does with `import 'wasmesh'`: the package resolves itself by name.
    const bundled = await build({
      stdin: { contents: program('wasmesh'), resolveDir: root, sourcefile: 'app.js', loader: 'js' },
      bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'warning', metafile: true,
    })
    const bundledInputs = Object.keys(bundled.metafile.inputs)
    if (!bundledInputs.includes('dist/browser/index.js')) throw new Error(`the bundle did not take the "browser" export: ${bundledInputs.join(', ')}`)
    const files: Record<string, { type: string; body: string | Buffer }> = {
      '/wasmesh.min.js': { type: 'text/javascript', body: minified },
      '/app.js': { type: 'text/javascript', body: bundled.outputFiles[0]!.text },
      '/plain.html': { type: 'text/html', body: `<!doctype html><title>plain</title><script type="module">${program('/wasmesh.min.js')}</script>` },
      '/bundled.html': { type: 'text/html', body: '<!doctype html><title>bundled</title><script type="module" src="/app.js"></script>' },
    }
    server = createServer((request, response) => {
      requested.push(request.url ?? '')
      const file = files[request.url ?? '']
      if (file === undefined) response.writeHead(404).end()
      else response.writeHead(200, { 'content-type': file.type }).end(file.body)
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    if (server !== undefined) await new Promise((resolve) => server!.close(resolve))
  })

  it.each([
    ['a plain <script type="module"> page importing dist/wasmesh.min.js', '/plain.html'],
    ['an app bundled from import "wasmesh"', '/bundled.html'],
  ])('%s: two nodes meet and a publish arrives, with no .wasm fetched', async (_label, path) => {
    const page = await browser!.newPage()
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(String(error)))
    try {
      await page.goto(origin + path)
      await page.waitForFunction(() => (globalThis as { __result?: unknown }).__result !== undefined, undefined, { timeout: 30_000 })
      const result = await page.evaluate(() => (globalThis as { __result?: unknown }).__result)
      expect(errors).toEqual([])
      expect(result).toEqual({ backend: 'wasm', isSent: true, got: 'hi from the page' })
      expect(requested.filter((url) => url.endsWith('.wasm'))).toEqual([])
    } finally {
      await page.close()
    }
  }, 60_000)
})
