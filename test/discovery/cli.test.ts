// `wasmesh bootstrap`, the built command (dist/node/cli.js, as npm links it), run as a child
// process: help, usage errors with exit code 2, a port in use with exit code 1, and a real
// server on 127.0.0.1 that answers /health and closes cleanly on SIGTERM.

import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'

const CLI = 'dist/node/cli.js'

function run(args: string[]) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run npm run build (npm test does)`)
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 })
}

describe('wasmesh bootstrap (the command line)', () => {
  it('--help prints the usage and exits 0; a bad command, flag or value exits 2 naming it', () => {
    const help = run(['bootstrap', '--help'])
    expect([help.status, help.stdout]).toEqual([0, expect.stringMatching(/^usage: wasmesh bootstrap \[options\]/)])
    expect(run(['--help']).status).toBe(0)
    for (const [args, message] of [
      [['frob'], 'unknown command "frob"'],
      [['bootstrap', '--colour', 'red'], 'unknown option "--colour"'],
      [['bootstrap', '--port'], '--port needs a value'],
      [['bootstrap', '--port', '70000'], '--port must be an integer from 0 to 65535, got "70000"'],
      [['bootstrap', '--rate=fast'], '--rate must be an integer from 1 to 100000, got "fast"'],
      [['bootstrap', '--tls-key', 'key.pem'], '--tls-key and --tls-cert go together'],
      [['bootstrap', '--tls-key', '/nonexistent/k', '--tls-cert', '/nonexistent/c'], '--tls-key: cannot read /nonexistent/k'],
      [['bootstrap', '--port', '1', '--port', '2'], '--port is given twice'],
      [['bootstrap', '--static', '/nonexistent/site'], '--static must be a directory, got "/nonexistent/site"'],
    ] as const) {
      const result = run([...args])
      expect(result.status, args.join(' ')).toBe(2)
      expect(result.stderr, args.join(' ')).toContain(`wasmesh: ${message}`)
    }
  })

  it('exits 1 with the reason when its port is taken', async () => {
    const taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    const port = (taken.address() as { port: number }).port
    try {
      const result = run(['bootstrap', '--port', String(port)])
      expect(result.status).toBe(1)
      expect(result.stderr).toMatch(/could not start: cannot listen at ws:\/\/127\.0\.0\.1:\d+: .*EADDRINUSE/)
    } finally {
      taken.close()
    }
  })

  it('serves on 127.0.0.1, answers /health, and closes on SIGTERM with exit code 0', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run npm run build (npm test does)`)
    const child = spawn(process.execPath, [CLI, 'bootstrap', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const deadline = Date.now() + 20_000
      while (!/listening at ws:\/\/127\.0\.0\.1:\d+/.test(stdout) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
      const url = /listening at (ws:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1]
      expect(url).toBeDefined()
      const health = await fetch(url!.replace('ws://', 'http://') + '/health')
      expect(await health.json()).toMatchObject({ status: 'ok', clients: 0 })
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    expect(stdout).toContain('wasmesh bootstrap server closed')
  })

  it('--static serves a directory at / beside the routes, and nothing outside it', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is not built: run npm run build (npm test does)`)
    const child = spawn(process.execPath, [CLI, 'bootstrap', '--port', '0', '--static', 'examples/mesh'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      while (!/serving examples\/mesh at http:\/\/127\.0\.0\.1:\d+\//.test(stdout) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20))
      const origin = /at (http:\/\/127\.0\.0\.1:\d+)\/\n/.exec(stdout)![1]
      const page = await fetch(`${origin}/`)
      expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8'])
      expect(await page.text()).toContain('<script type="module" src="app.js"></script>')
      expect((await fetch(`${origin}/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8')
      expect((await fetch(`${origin}/%2e%2e%2fpackage.json`)).status).toBe(403)
      expect(await (await fetch(`${origin}/health`)).json()).toMatchObject({ status: 'ok' })
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })
})
