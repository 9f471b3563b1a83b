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
import { encodeFrame, MAX_MESSAGES_PER_FRAME, type DecodedMessage } from '../src/wire/index.js'
import { Attacker, type AttackerLink } from '../test/node/attacker.js'

/** Frames sent per turn of the event loop while the socket has room. */
const FRAMES_PER_TURN = 10
/** The socket's send buffer the attacker keeps filled: more only queues in this process. */
const MAX_BUFFERED_BYTES = 1 << 20

const target = process.argv[2]
if (target === undefined || !target.startsWith('ws://')) {
  console.error('usage: node build/run-ts.mjs bench/flood-attacker.ts ws://host:port')
  process.exit(2)
}

let flooding = true
let attackers = 0
let framesSent = 0
createInterface({ input: process.stdin }).once('line', () => (flooding = false))
process.stdin.once('end', () => (flooding = false))

const frame = encodeFrame(Array.from({ length: MAX_MESSAGES_PER_FRAME }, (_, i): DecodedMessage => ({ type: 'ping', requestId: i + 1 })))
const turn = () => new Promise((resolve) => setImmediate(resolve))
const pause = () => new Promise((resolve) => setTimeout(resolve, 1))

while (flooding) {
  const transport = new WebSocketTransport()
  const attacker = new Attacker({ transport, clock: systemClock }, `remote-flood-${attackers}`, 19_000 + ++attackers)
  let link: AttackerLink | undefined
  try {
    link = await attacker.dial(target)
  } catch {
    await attacker.close()
    await new Promise((resolve) => setTimeout(resolve, 10))
    continue
  }
  while (flooding && link.closed === undefined) {
    let sent = 0
    if (link.isRemoteAuthenticated) {
      for (; sent < FRAMES_PER_TURN && link.connection.isOpen && link.connection.bufferedAmount < MAX_BUFFERED_BYTES; sent++) link.sendBytes(frame)
      framesSent += sent
    }
    // A full socket waits a millisecond rather than spin: spinning would take a core from
    // the victim on this machine, which a remote attacker cannot do.
    await (sent > 0 ? turn() : pause())
  }
  await attacker.close()
}
process.stdout.write(`${JSON.stringify({ attackers, framesSent })}\n`)
process.exit(0)
