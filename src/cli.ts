#!/usr/bin/env node
// The wasmesh command line.
//   wasmesh demo [--nodes 6] [--duration 15] [--rate 20] [--port 0] [--seed 1] [--serve] [--json]
//   wasmesh sim --scenario <name> [--out dir] [--sweep p=v,v...] [--expect figure>=n] [--<parameter> <value>...]
//   wasmesh bootstrap [--host 127.0.0.1] [--port 7777] [--tls-key key.pem --tls-cert cert.pem]
//                     [--max-clients N] [--rate N] [--peers-sample N] [--static dir]
//   wasmesh --help
// Prints the server's URL once it listens, and closes cleanly on SIGINT or SIGTERM. Exit codes:
// 0 done, 1 it could not start, 2 a usage error (an unknown command or flag, a bad value);
// sim also 1 for a failed run or a missed --expect, and 130 when interrupted.

import { readFileSync, statSync } from 'node:fs'
import { BootstrapServer } from './discovery/bootstrap-server.js'
import type { BootstrapServerOptions } from './discovery/options.js'
import { runDemo } from './cli/demo.js'
import { DEMO_USAGE, parseDemoOptions } from './cli/demo-options.js'
import { SimCommand } from './cli/sim.js'
import { parseSimOptions, simUsage } from './cli/sim-options.js'
import { UsageError } from './cli/usage-error.js'

const USAGE = `usage: wasmesh <command> [options]

commands:
  demo        a bootstrap server and a mesh of nodes over WebRTC on 127.0.0.1, with traffic and a summary
  sim         a simulator scenario (or a sweep of them) in virtual time: report.json, report.md, SVG charts
  bootstrap   a bootstrap and signaling server

wasmesh <command> --help shows a command's options.
`

const BOOTSTRAP_USAGE = `usage: wasmesh bootstrap [options]

Runs a bootstrap and signaling server: WebRTC peers register a signaling id over its
WebSocket and have their offers, answers and candidates relayed; plain HTTP on the same
port serves GET /peers, GET /health and GET /metrics (Prometheus).

options:
  --host <address>      interface to listen on (default 127.0.0.1; 0.0.0.0 for all)
  --port <port>         port, 0 for any free one (default 7777)
  --tls-key <file>      PEM key: listen at wss:// (with --tls-cert)
  --tls-cert <file>     PEM certificate chain
  --max-clients <n>     clients connected at once (default 10000)
  --rate <n>            frames a second each client may send (default 50)
  --peers-sample <n>    most peers GET /peers returns (default 20)
  --static <dir>        also serve the files of <dir> at / (index.html for a path ending in /)
  -h, --help            this text

example (the mesh page, from a checkout after npm run build; its script imports /dist/wasmesh.min.js):
  mkdir -p site/dist && cp examples/mesh/* site/ && cp dist/wasmesh.min.js site/dist/
  npx wasmesh bootstrap --port 7777 --static site
`

const FLAGS = ['--host', '--port', '--tls-key', '--tls-cert', '--max-clients', '--rate', '--peers-sample', '--static'] as const
type Flag = (typeof FLAGS)[number]

function parseFlags(args: readonly string[]): Partial<Record<Flag, string>> {
  const flags: Partial<Record<Flag, string>> = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    if (!(FLAGS as readonly string[]).includes(name)) throw new UsageError(`unknown option ${JSON.stringify(arg)}`)
    const value = inline ?? args[++i]
    if (value === undefined || value === '') throw new UsageError(`${name} needs a value`)
    if (flags[name as Flag] !== undefined) throw new UsageError(`${name} is given twice`)
    flags[name as Flag] = value
  }
  return flags
}

function integer(flag: Flag, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
  return n
}

function readPem(flag: Flag, path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(error as Error).message}`)
  }
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true
}

export function bootstrapOptions(args: readonly string[]): BootstrapServerOptions {
  const flags = parseFlags(args)
  const host = flags['--host'] ?? '127.0.0.1'
  if (!/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})$/.test(host)) throw new UsageError(`--host must be a host name or an address, got ${JSON.stringify(host)}`)
  const port = integer('--port', flags['--port'], 7777, 0, 65_535)
  if ((flags['--tls-key'] === undefined) !== (flags['--tls-cert'] === undefined)) throw new UsageError('--tls-key and --tls-cert go together')
  const tls = flags['--tls-key'] === undefined ? undefined : { key: readPem('--tls-key', flags['--tls-key']), cert: readPem('--tls-cert', flags['--tls-cert']!) }
  const served = flags['--static']
  if (served !== undefined && !isDirectory(served)) throw new UsageError(`--static must be a directory, got ${JSON.stringify(served)}`)
  return {
    ...(served === undefined ? {} : { staticFiles: { '/': served } }),
    listenAddress: `${tls === undefined ? 'ws' : 'wss'}://${host}:${port}`,
    ...(tls === undefined ? {} : { tls }),
    maxClients: integer('--max-clients', flags['--max-clients'], 10_000, 1, 1_000_000),
    messagesPerSecond: integer('--rate', flags['--rate'], 50, 1, 100_000),
    peersSampleSize: integer('--peers-sample', flags['--peers-sample'], 20, 1, 100),
  }
}

async function runBootstrap(args: readonly string[]): Promise<number> {
  const options = bootstrapOptions(args)
  const server = new BootstrapServer(options)
  try {
    const url = await server.start()
    const http = url.replace(/^ws/, 'http')
    process.stdout.write(`wasmesh bootstrap server listening at ${url} (HTTP: ${http}/peers, /health, /metrics)\n`)
    if (options.staticFiles !== undefined) process.stdout.write(`serving ${Object.values(options.staticFiles).join(', ')} at ${http}/\n`)
  } catch (error) {
    await server.close()
    process.stderr.write(`wasmesh bootstrap: could not start: ${(error as Error).message}\n`)
    return 1
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await server.close()
  process.stdout.write('wasmesh bootstrap server closed\n')
  return 0
}

/** The process's stdout and stderr, as the demo and the simulator write to them. */
const processOutput = { out: (text: string) => void process.stdout.write(text), err: (text: string) => void process.stderr.write(text), isErrTty: process.stderr.isTTY === true }

/** Runs `command` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts, listening for them only while it runs. */
async function interruptible(command: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController()
  const stop = () => controller.abort(new Error('interrupted'))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    return await command(controller.signal)
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}

async function runDemoCommand(args: readonly string[]): Promise<number> {
  const options = parseDemoOptions(args)
  return interruptible((signal) => runDemo(options, processOutput, signal))
}

async function runSimCommand(args: readonly string[]): Promise<number> {
  const options = parseSimOptions(args)
  return interruptible((signal) => new SimCommand(options, ['wasmesh', 'sim', ...args], processOutput, signal).run())
}

const COMMANDS: Record<string, { usage: string; run(args: readonly string[]): Promise<number> }> = {
  demo: { usage: DEMO_USAGE, run: runDemoCommand },
  sim: { usage: simUsage(), run: runSimCommand },
  bootstrap: { usage: BOOTSTRAP_USAGE, run: runBootstrap },
}

let usageShown = USAGE

async function main(args: readonly string[]): Promise<number> {
  const [name, ...rest] = args
  if (name === undefined || name === '-h' || name === '--help') {
    process.stdout.write(USAGE)
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS[name]
  if (command === undefined) throw new UsageError(`unknown command ${JSON.stringify(name)}`)
  usageShown = command.usage
  if (rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(command.usage)
    return 0
  }
  return command.run(rest)
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`wasmesh: ${error.message}\n\n${usageShown}`)
    process.exitCode = 2
  },
)
