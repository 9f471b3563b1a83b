// The flags of `wasmesh demo` (and `npm start`), parsed and checked: a bad value is a
// UsageError naming the flag and what it takes.

import { parseArgs } from 'node:util'
import { UsageError } from './usage-error.js'

export interface DemoOptions {
  /** Mesh nodes to start, 2 to 50. */
  readonly nodes: number
  /** Seconds of traffic once the mesh has formed. */
  readonly durationSec: number
  /** Publishes a second, over the whole mesh. */
  readonly publishesPerSec: number
  /** Port of the bootstrap server (0: any free one). */
  readonly port: number
  /** Keep everything up after the run, until Ctrl-C. */
  readonly isServing: boolean
  /** Print the summary as JSON instead of tables. */
  readonly isJson: boolean
  /** Seed of the demo's choices (who publishes, who sends to whom) and of the nodes' identities. */
  readonly seed: number
}

export const DEMO_USAGE = `usage: wasmesh demo [options]      (npm start runs it)

Starts a bootstrap server and a mesh of nodes on 127.0.0.1 over real WebRTC data channels,
signaled through the server. They publish and relay, send direct messages and put and get
DHT records, with a live progress line; then a summary: peers, messages, delivery, latency,
throughput and DHT operations. Exits 0 when every message arrived, 1 when not.

options:
  --nodes <n>        nodes to start, 2 to 50 (default 6)
  --duration <s>     seconds of traffic once the mesh has formed, 1 to 3600 (default 15)
  --rate <n>         publishes a second over the whole mesh, 1 to 1000 (default 20)
  --port <port>      the bootstrap server's port, 0 for any free one (default 0)
  --seed <n>         seed of identities and choices, 0 to 2^31 (default 1)
  --serve            keep the server and the mesh up after the run, until Ctrl-C
  --json             print the summary as JSON on stdout
  -h, --help         this text

example:
  npx wasmesh demo --nodes 10 --duration 30
`

function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`)
  return n
}

export function parseDemoOptions(args: readonly string[]): DemoOptions {
  let values: Record<string, string | boolean | undefined>
  try {
    ;({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        nodes: { type: 'string' }, duration: { type: 'string' }, rate: { type: 'string' }, port: { type: 'string' },
        seed: { type: 'string' }, serve: { type: 'boolean' }, json: { type: 'boolean' },
      },
    }))
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  const text = (name: string) => values[name] as string | undefined
  return {
    nodes: integer('nodes', text('nodes'), 6, 2, 50),
    durationSec: integer('duration', text('duration'), 15, 1, 3_600),
    publishesPerSec: integer('rate', text('rate'), 20, 1, 1_000),
    port: integer('port', text('port'), 0, 0, 65_535),
    seed: integer('seed', text('seed'), 1, 0, 2 ** 31),
    isServing: values.serve === true,
    isJson: values.json === true,
  }
}
