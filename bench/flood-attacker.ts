// The flood of bench/flood-latency.ts from a process of its own, so the attacker's sending
// runs on its own event loop (and core) and the victim's latency shows what the victim does,
// not what the attacker costs the process they would otherwise share. Started by
// flood-latency.ts as `node build/run-ts.mjs bench/flood-attacker.ts <ws://victim>`.
//
// Each attacker is a fresh identity that speaks the real handshake (test/node/attacker.ts)
// over a WebSocket and sends frames of 1,024 pings as fast as the socket drains; when the
// victim bans it, the next one dials in. On 'stop' (a line on stdin) it closes everything and
// prints one JSON line: { attackers, framesSent }.

import { createInterface } from 'node:readline'
import { WebSocketTransport } from '../src/transport/websocket/index.js'
import { systemClock } from '../src/util/clock.js'
import { Attacker } from '../test/node/attacker.js'
import { flood, type FloodCount } from './flood-loop.js'

const target = process.argv[2]
if (target === undefined || !target.startsWith('ws://')) {
  console.error('usage: node build/run-ts.mjs bench/flood-attacker.ts ws://host:port')
  process.exit(2)
}

let flooding = true
createInterface({ input: process.stdin }).once('line', () => (flooding = false))
process.stdin.once('end', () => (flooding = false))

const count: FloodCount = { attackers: 0, framesSent: 0 }
// A full socket waits a millisecond rather than spin: spinning would take a core from the
// victim on this machine, which a remote attacker cannot do.
await flood(target, (n) => new Attacker({ transport: new WebSocketTransport(), clock: systemClock }, `remote-flood-${n}`, 19_000 + n), () => flooding,
  () => new Promise((resolve) => setTimeout(resolve, 1)), count)
process.stdout.write(`${JSON.stringify(count)}\n`)
process.exit(0)
