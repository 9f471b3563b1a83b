// A real TURN server for tests: coturn (Debian's `coturn` package, which .ci/run installs)
// started on 127.0.0.1 on a free port with one long-term user, loopback peers allowed, and
// its log kept, so a test can see the allocations it served. stop() ends the process.

import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { freeUdpPort } from './real-time.js'

export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver'

export interface TurnServer {
  readonly url: string
  readonly username: string
  readonly credential: string
  /** Everything coturn logged so far. */
  log(): string
  stop(): Promise<void>
}


export async function startTurnServer(): Promise<TurnServer> {
  if (!existsSync(TURNSERVER)) throw new Error(`coturn not found at ${TURNSERVER}: apt-get install -y coturn (.ci/run does)`)
  const port = await freeUdpPort()
  const username = 'wasmesh'
  const credential = 'test-secret'
  const child: ChildProcess = spawn(TURNSERVER, [
    '-n', // no configuration file
    '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    // Relay ports from a range of their own that never holds the listening port (a clash hung a CI run).
    `--min-port=${relayPorts(port).min}`, `--max-port=${relayPorts(port).max}`,
    '--lt-cred-mech', `--user=${username}:${credential}`, '--realm=wasmesh.test', '--fingerprint',
    '--no-tls', '--no-dtls', '--no-tcp-relay', '--no-cli', '--no-rfc5780', '--no-stun-backward-compatibility',
    // Both peers are on this host: coturn refuses relaying to loopback unless told.
    '--allow-loopback-peers', '--log-file=stdout', '--simple-log', '--verbose',
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 15_000
  while (!/UDP listener opened on\s*:\s*127\.0\.0\.1:\d+/.test(output) && !/listener opened on : 127\.0\.0\.1/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`coturn did not start on 127.0.0.1:${port}:\n${output.slice(-2_000)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    username,
    credential,
    log: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** 200 relay ports beside the listening one, never including it. */
function relayPorts(port: number): { min: number; max: number } {
  return port + 200 <= 65_535 ? { min: port + 1, max: port + 200 } : { min: port - 200, max: port - 1 }
}
