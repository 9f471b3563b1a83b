// A real Chromium (Debian's, never downloaded) and a loopback HTTP server that serves one
// esbuild bundle at /<name>.js and an empty page at /, for the browser tests; or Chromium
// alone (launchChromium) for tests that serve their own pages.

import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { basename } from 'node:path'
import { build } from 'esbuild'
import { chromium, type Browser } from 'playwright-core'
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { browserRuntime } from '../../build/browser-runtime-plugin.mjs'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

export interface BrowserBench {
  readonly browser: Browser
  /** http://127.0.0.1:<port> */
  readonly origin: string
  /** Every URL path the server was asked for, in order. */
  readonly requested: string[]
  close(): Promise<void>
}

/** Launches Debian's Chromium headless; throws, saying how to install it, when it is missing. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`)
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
}

/** Bundles `entry` for the browser into `outfile` (served as /<its file name>) and launches Chromium. */
export async function openChromium(entry: string, outfile: string): Promise<BrowserBench> {
  // With the browser builds' own plugin: the page runs what dist/browser ships.
  await build({ entryPoints: [entry], outfile, bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning', plugins: [browserRuntime] })
  const bundle = await readFile(outfile)
  const bundlePath = `/${basename(outfile)}`
  const requested: string[] = []
  const server = createServer((request, response) => {
    requested.push(request.url ?? '')
    if (request.url === bundlePath) response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
    else if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>wasmesh test</title>')
    else response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const browser = await launchChromium()
  return {
    browser,
    origin,
    requested,
    async close() {
      await browser.close()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
