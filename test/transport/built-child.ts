// Runs a test body in a child node that imports the built library (dist/node, which npm test
// builds first) as `wasmesh`. A child is how a test sees a process that will not exit, and how
// it survives a native deadlock: node-datachannel's close() can block the main thread for good
// inside libdatachannel (see runGuardedAgainstHangs), which would stall vitest's worker, and
// with it the whole run, past any test timeout.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const BUILT = resolve('dist/node/index.js')

export interface ChildResult {
  /** The exit code, or null when the child was killed. */
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  /** True when the child was still running at its deadline and was killed for it. */
  readonly hung: boolean
  readonly stdout: string
  readonly stderr: string
}

/** Runs `body` as an ES module in a child node; the child is killed at timeoutMs, and `hung` says so. */
export function runBuiltChild(body: string, timeoutMs = 60_000): Promise<ChildResult> {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is not built: run npm run build (npm test does)`)
  const script = `import * as wasmesh from ${JSON.stringify(pathToFileURL(BUILT).href)}\n${body}`
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  let hung = false
  const timer = setTimeout(() => {
    hung = true
    child.kill('SIGKILL')
  }, timeoutMs)
  return new Promise((done, fail) => {
    child.once('error', (error) => {
      clearTimeout(timer)
      fail(error)
    })
    child.once('close', (status, signal) => {
      clearTimeout(timer)
      done({ status, signal, hung, stdout, stderr })
    })
  })
}

/**
 * Runs `body` in a child up to `attempts` times, again only when a run hung, and returns the
 * first run that ended by itself (whatever it printed: the caller asserts on it). Throws when
 * every run hung. For tests over a TURN relay: a CI run hung with the main thread inside
 * node-datachannel 0.33.4's close(), in libdatachannel's closeTransports() waiting for the
 * lock of a transport state callback that never returned: the lock cycle of libdatachannel
 * #1538 and #1630, where libjuice's poll thread holds the agent lock in a state callback that
 * waits for the DTLS lock, held by a thread that waits for the agent lock. It is rare (one CI run in many), not ours to fix, and never a wrong
 * result, so a hang is retried and reported, and anything else the child says is asserted.
 */
export async function runGuardedAgainstHangs(body: string, options: { attempts?: number; timeoutMs?: number } = {}): Promise<ChildResult> {
  const attempts = options.attempts ?? 3
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const result = await runBuiltChild(body, options.timeoutMs)
    if (!result.hung) return result
    console.warn(`attempt ${attempt} of ${attempts} hung (the libdatachannel deadlock over a TURN relay, or a real hang); stderr: ${result.stderr.slice(-500)}`)
  }
  throw new Error(`every one of ${attempts} attempts hung`)
}

/** The one JSON line a child printed with `console.log(JSON.stringify(...))` after its other output. */
export function lastJsonLine(result: ChildResult): unknown {
  const lines = result.stdout.trim().split('\n')
  const last = lines[lines.length - 1] ?? ''
  try {
    return JSON.parse(last)
  } catch {
    throw new Error(`the child printed no JSON line (status ${result.status}):\n${result.stdout}\n${result.stderr}`)
  }
}
